import Acquirer
import AcquirerSimulator
import Foundation
import Testing

/// Every way the network fails, and what the terminal does about it: retries only with the same key, inquiry,
/// cancel. After each, the ledger holds exactly one record per sale and nothing charged twice.
struct NetworkFaultTests {
    static let short = AcquirerConfiguration.Timeouts(connect: .seconds(3), read: .seconds(15), request: .seconds(1))

    @Test func aResponseDroppedAfterCommitIsRetriedWithTheSameKeyAndChargedOnce() async throws {
        try await TestHost.with { host in
            try await host.control.fault("drop", path: "/v1/charges")
            try await host.withClient(retry: .never) { client in
                let lost = await client.charge(Sample.charge("F-1"))
                guard case let .unknown(unknown) = lost else { Issue.record("expected unknown, got \(lost)"); return }
                #expect(unknown.cause == .connectionLost)
                // The same request again, same key: the host answers with the charge it already made.
                #expect(await client.charge(Sample.charge("F-1")).value?.status == .paid)
            }
            // The client's own retry does the same by itself.
            try await host.control.fault("drop", path: "/v1/charges")
            try await host.withClient(retry: .init(attempts: 2, pause: .milliseconds(50))) { client in
                #expect(await client.charge(Sample.charge("F-2")).value?.status == .paid)
            }
            let ledger = try await host.control.ledger()
            #expect(ledger.charge("F-1").count == 1 && ledger.charge("F-2").count == 1 && ledger.charges.count == 2)
        }
    }

    @Test func aHangingHostTimesOutThenInquiryThenCancel() async throws {
        try await TestHost.with { host in
            try await host.control.fault("hang", path: "/v1/charges")
            try await host.withClient(timeouts: Self.short) { client in
                let silent = await client.charge(Sample.charge("F-3"))
                guard case let .unknown(unknown) = silent else { Issue.record("expected unknown, got \(silent)"); return }
                #expect(unknown.cause == .timeout)
                let inquiry = await client.inquireCharge("F-3")
                #expect(inquiry.value?.status == .paid, "the host committed before it hung")
                #expect(inquiry.value?.cancellableUntil ?? .distantPast > Date(), "inside the window: the cancel reverses it")
                #expect(await client.cancelCharge("F-3").value?.status == .cancelled)
            }
            let ledger = try await host.control.ledger()
            #expect(ledger.charge("F-3").map(\.status) == [.cancelled] && ledger.charges.count == 1)
        }
    }

    @Test func aHostThatHangsBeforeCommittingKnowsNothingAndTheSaleIsSentAgain() async throws {
        try await TestHost.with { host in
            try await host.control.fault("hang;before", path: "/v1/charges")
            try await host.withClient(timeouts: Self.short) { client in
                #expect(await client.charge(Sample.charge("F-4")).isUnknown)
                guard case let .refused(refusal) = await client.inquireCharge("F-4") else { Issue.record("the host has it"); return }
                #expect(refusal.status == 404)
                #expect(await client.charge(Sample.charge("F-4")).value?.status == .paid)
            }
            #expect(try await host.control.ledger().charge("F-4").count == 1)
        }
    }

    @Test func aLatePaidAfterACancelStaysCancelled() async throws {
        try await TestHost.with { host in
            // Long enough that the cancel surely comes first, even on a busy CI machine.
            try await host.control.wallet("paypay", "confirm:2")
            try await host.control.wallet("wechatpay", "confirm:2")
            try await host.withClient { client in
                // Merchant-presented: the shopper is confirming in the app when the cashier cancels.
                _ = try #require(await client.registerOrder(try Sample.order("F-5")).value)
                #expect(try await host.control.pay("F-5", wallet: "paypay") == (200, "pending"))
                #expect(await client.cancelOrder("F-5").value?.status == .cancelled)
                // Consumer-presented: the same with a charge.
                #expect(await client.charge(Sample.charge("F-6")).value?.status == .pending)
                #expect(await client.cancelCharge("F-6").value?.status == .cancelled)
                try await Task.sleep(for: .milliseconds(2500))
                #expect(await client.inquireOrder("F-5").value?.status == .cancelled)
                #expect(await client.inquireCharge("F-6").value?.status == .cancelled)
            }
            let ledger = try await host.control.ledger()
            #expect(ledger.order("F-5").map(\.status) == [.cancelled] && ledger.order("F-5").first?.paidAt == nil)
            #expect(ledger.charge("F-6").map(\.status) == [.cancelled] && ledger.charge("F-6").first?.paidAt == nil)
        }
    }

    @Test func a5xxAfterCommitIsUnknownAndTheRetryWithTheSameKeyFindsTheCharge() async throws {
        try await TestHost.with { host in
            try await host.control.fault("status=503;after", path: "/v1/charges")
            try await host.control.fault("5xx", path: "/v1/orders")
            try await host.withClient { client in
                guard case let .unknown(unknown) = await client.charge(Sample.charge("F-7")) else { Issue.record("not unknown"); return }
                #expect(unknown.cause == .serverError)
                #expect(await client.charge(Sample.charge("F-7")).value?.status == .paid)
                let order = try Sample.order("F-8")
                #expect(await client.registerOrder(order).isUnknown)
                guard case let .refused(refusal) = await client.inquireOrder("F-8") else { Issue.record("the host has it"); return }
                #expect(refusal.status == 404)
            }
            let ledger = try await host.control.ledger()
            #expect(ledger.charge("F-7").count == 1 && ledger.orders.isEmpty)
        }
    }

    @Test func aConnectionResetMidRequestIsUnknownAndResolvedByInquiry() async throws {
        try await TestHost.with { host in
            try await host.control.fault("reset;after", path: "/v1/charges")
            try await host.withClient { client in
                guard case let .unknown(unknown) = await client.charge(Sample.charge("F-9")) else { Issue.record("not unknown"); return }
                #expect(unknown.cause == .connectionLost)
                let inquiry = await client.inquireCharge("F-9")
                #expect(inquiry.value?.status == .paid)
                #expect(await client.cancelCharge("F-9").value?.status == .cancelled)
            }
            #expect(try await host.control.ledger().charge("F-9").map(\.status) == [.cancelled])
        }
    }

    @Test func aSlowHostPastTheRequestTimeoutIsUnknownNotAFailure() async throws {
        try await TestHost.with { host in
            try await host.withClient(timeouts: Self.short) { client in
                let slow = await AcquirerClient.$extraHeaders.withValue([WireFormat.faultHeader: "latency=3000;after"]) {
                    await client.charge(Sample.charge("F-10"))
                }
                #expect(slow.isUnknown)
                #expect(await client.inquireCharge("F-10", wait: .seconds(5)).value?.status == .paid)
            }
            #expect(try await host.control.ledger().charge("F-10").count == 1)
        }
    }
}
