import Acquirer
import AcquirerSimulator
import Foundation
import GRDB
import Testing

/// The ledger is SQLite on disk: a restarted host knows every sale and every key.
struct SimulatorRestartTests {
    @Test func theLedgerSurvivesARestart() async throws {
        let first = try await TestHost.start()
        let folder = first.folder
        try await first.use(keepingFolder: true) { first in
            try await first.withClient { client in
                #expect(await client.charge(Sample.charge("P-1")).value?.status == .paid)
                let order = try Sample.order("P-2")
                #expect(await client.registerOrder(order).value?.status == .pending)
            }
        }

        let database = try DatabaseQueue(path: folder + "/ledger.sqlite")
        let ids = try await database.read { try String.fetchAll($0, sql: "SELECT id FROM charges") }
        #expect(ids == ["P-1"])

        try await TestHost.start(folder: folder).use { second in
            try await second.withClient { client in
                #expect(await client.inquireCharge("P-1").value?.status == .paid)
                #expect(await client.charge(Sample.charge("P-1")).value?.status == .paid, "the key is remembered: answered, not charged again")
                guard case let .refused(refusal) = await client.charge(Sample.charge("P-1", amount: 1)) else { Issue.record("new body accepted"); return }
                #expect(refusal.code == "idempotency_conflict")
                #expect(await client.cancelOrder("P-2").value?.status == .cancelled)
            }
            let ledger = try await second.control.ledger()
            #expect(ledger.charges.count == 1 && ledger.orders.map(\.status) == [.cancelled])
        }
    }

    /// "Never lose a sale", defect 1: the host commits a charge and the connection dies before the answer; the host
    /// then restarts, so the client's retries with the same key meet a closed port. The request's outcome is the
    /// strongest of its attempts (unknown), not the last one ("unreachable" would read as "nothing moved").
    @Test func aRetryThatCannotConnectAfterTheHostCommittedStaysUnknown() async throws {
        let first = try await TestHost.start()
        let folder = first.folder
        try await first.control.fault("drop;after", path: "/v1/charges")
        let client = try AcquirerClient(first.configuration(retry: .init(attempts: 3, pause: .milliseconds(1500))))
        let answer = Task { await client.charge(Sample.charge("L-1")) }
        try await Task.sleep(for: .milliseconds(700))
        await first.stop() // the host goes down between the first attempt and its retries
        let outcome = await answer.value
        try await client.shutdown()
        guard case let .unknown(unknown) = outcome else { Issue.record("expected unknown, got \(outcome)"); return }
        #expect(unknown.detail.contains("could not connect"), "\(unknown)")
        try await TestHost.start(folder: folder).use { second in
            try await second.withClient { client in
                #expect(await client.inquireCharge("L-1").value?.status == .paid, "the host kept the charge: the inquiry finds it")
            }
        }
    }
}
