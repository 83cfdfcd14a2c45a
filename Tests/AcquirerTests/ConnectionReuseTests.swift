import Acquirer
import AcquirerSimulator
import Foundation
import Testing

/// swift-nio-ssl has no session resumption: a new connection is a full handshake. The client keeps one open.
struct ConnectionReuseTests {
    @Test func aThousandSequentialSalesOverOneConnectionWithOneHandshake() async throws {
        try await TestHost.with { host in
            let before = host.server.stats.counts.handshakes
            let paid = try await host.withClient { client in
                var paid = 0
                for i in 0..<1000 {
                    let outcome = await client.charge(Sample.charge("N-\(i)", amount: 100 + i))
                    if outcome.value?.status == .paid { paid += 1 } else { Issue.record("sale \(i): \(outcome)"); break }
                }
                return paid
            }
            #expect(paid == 1000)
            #expect(host.server.stats.counts.handshakes - before == 1)
            let ledger = try await host.control.ledger()
            #expect(Set(ledger.charges.map(\.chargeId)).count == 1000 && ledger.charges.count == 1000)
        }
    }
}
