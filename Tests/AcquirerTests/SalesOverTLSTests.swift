import Acquirer
import AcquirerSimulator
import Foundation
import NIOHTTP1
import Testing

/// Every happy path, end to end: the Acquirer client against the real simulator over loopback mutual TLS.
struct SalesOverTLSTests {
    @Test func healthAndTheHostsClock() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                #expect(await client.health().value == HostHealth(status: "ok", host: "acquirer-sim"))
                let offset = try #require(await client.clockOffset().value)
                #expect(abs(offset) < 5, "same machine, same clock")
            }
        }
    }

    @Test func anOrderShownOnTheCounterIsPaidByTheShopperWhileTheTerminalLongPolls() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                let order = try Sample.order("O-1")
                let registered = try #require(await client.registerOrder(order).value)
                #expect(registered.status == .pending && registered.amount == 1200 && registered.currency == "JPY")
                async let answer = client.inquireOrder("O-1", wait: .seconds(8))
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await host.control.pay("O-1", wallet: "paypay") == (200, "paid"))
                let paid = try #require(await answer.value)
                #expect(paid.status == .paid && paid.wallet == "paypay" && paid.paidAt != nil)
                #expect(try await host.control.ledger().order("O-1").map(\.status) == [.paid])
            }
        }
    }

    @Test func inDemoModeAShopperPaysEveryOrderByItself() async throws {
        try await TestHost.with(rules: LedgerRules(autoPayAfter: 0.5, autoPayWallet: "alipay")) { host in
            try await host.withClient { client in
                let order = try Sample.order("O-AUTO")
                #expect(await client.registerOrder(order).value?.status == .pending)
                let paid = try #require(await client.inquireOrder("O-AUTO", wait: .seconds(8)).value)
                #expect(paid.status == .paid && paid.wallet == "alipay")
            }
        }
    }

    @Test func anOrderCancelledAtTheCounterRefusesTheShopper() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                _ = try #require(await client.registerOrder(try Sample.order("O-2")).value)
                #expect(await client.cancelOrder("O-2").value?.status == .cancelled)
                #expect(try await host.control.pay("O-2", wallet: "paypay") == (409, "order_cancelled"))
                #expect(await client.inquireOrder("O-2").value?.status == .cancelled)
            }
        }
    }

    @Test func anExpiredOrderRefusesTheShopper() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                _ = try #require(await client.registerOrder(try Sample.order("O-3", expiresIn: 1)).value)
                // The long-poll returns when the order stops being pending: here, when it expires.
                #expect(await client.inquireOrder("O-3", wait: .seconds(8)).value?.status == .expired)
                #expect(try await host.control.pay("O-3", wallet: "paypay") == (409, "order_expired"))
            }
        }
    }

    @Test func theCodeShownMustCarryTheOrdersAmount() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                var order = try Sample.order("O-4", amount: 1200)
                order.amount = 1500
                guard case let .refused(refusal) = await client.registerOrder(order) else { Issue.record("accepted"); return }
                #expect(refusal.code == "amount_mismatch")
            }
        }
    }

    @Test func chargesAreApprovedDeclinedOrDeclinedOverTheLimitPerWallet() async throws {
        try await TestHost.with(wallets: ["alipay": .decline, "unionpay": .limit(1000)]) { host in
            try await host.withClient { client in
                #expect(await client.charge(Sample.charge("C-1")).value?.status == .paid)
                let declined = try #require(await client.charge(Sample.charge("C-2", wallet: "alipay", code: Sample.alipayCode)).value)
                #expect(declined.status == .declined && declined.declineReason == "declined_by_wallet")
                #expect(await client.charge(Sample.charge("C-3", amount: 1000, wallet: "unionpay", code: Sample.unionpayCode)).value?.status == .paid)
                #expect(await client.charge(Sample.charge("C-4", amount: 1001, wallet: "unionpay", code: Sample.unionpayCode)).value?.declineReason == "over_limit")
                let ledger = try await host.control.ledger()
                #expect(ledger.charges.map(\.status) == [.paid, .declined, .paid, .declined])
                #expect(ledger.charges.allSatisfy { !$0.maskedCode.contains(Sample.wechatCode) && $0.maskedCode.contains("*") })
            }
        }
    }

    @Test func aWalletThatAsksTheShopperToConfirmIsPaidAfterTheLongPoll() async throws {
        try await TestHost.with { host in
            try await host.control.wallet("wechatpay", "confirm:1")
            try await host.withClient { client in
                let pending = try #require(await client.charge(Sample.charge("C-5")).value)
                #expect(pending.status == .pending && pending.confirmingUntil != nil)
                #expect(await client.inquireCharge("C-5", wait: .seconds(8)).value?.status == .paid)
            }
        }
    }

    @Test func aPaidChargeIsReversedInsideTheCancelWindowAndRefundedAfterIt() async throws {
        try await TestHost.with(rules: LedgerRules(cancelWindow: 4)) { host in  // wide enough that a loaded CI machine still cancels inside it
            try await host.withClient { client in
                #expect(await client.charge(Sample.charge("C-6")).value?.status == .paid)
                #expect(await client.cancelCharge("C-6").value?.status == .cancelled)

                #expect(await client.charge(Sample.charge("C-7")).value?.status == .paid)
                try await Task.sleep(for: .milliseconds(4200))
                guard case let .refused(refusal) = await client.cancelCharge("C-7") else { Issue.record("reversed after the window"); return }
                #expect(refusal.status == 409 && refusal.code == "cancel_window_closed")
                let inquiry = await client.inquireCharge("C-7")
                #expect(inquiry.value?.status == .paid && inquiry.value?.refundedAmount == 0, "only a refund returns it now")
                let first = try #require(await client.refund(RefundRequest(refundId: "R-7a", paymentId: "C-7", amount: 200)).value)
                #expect(first.status == .refunded && first.amount == 200)
                #expect(await client.inquireCharge("C-7").value?.refundedAmount == 200)
                #expect(await client.refund(RefundRequest(refundId: "R-7b", paymentId: "C-7", amount: 1000)).value != nil)
                #expect(await client.inquireCharge("C-7").value?.status == .refunded)
                #expect(await client.inquireRefund("R-7a").value == first)
                guard case let .refused(over) = await client.refund(RefundRequest(refundId: "R-7c", paymentId: "C-7", amount: 1)) else {
                    Issue.record("refunded more than was paid"); return
                }
                #expect(over.code == "not_refundable")
            }
        }
    }

    @Test func oneKeyWithADifferentBodyIsRefusedAndTheSameBodyIsAnsweredAgain() async throws {
        try await TestHost.with { host in
            try await host.withClient { client in
                let first = try #require(await client.charge(Sample.charge("C-8")).value)
                #expect(await client.charge(Sample.charge("C-8")).value == first)
                guard case let .refused(refusal) = await client.charge(Sample.charge("C-8", amount: 9999)) else { Issue.record("accepted"); return }
                #expect(refusal.status == 409 && refusal.code == "idempotency_conflict")
                let replay = try await host.control.raw(.POST, "/v1/charges", body: String(decoding: try WireFormat.encoder().encode(Sample.charge("C-8")), as: UTF8.self),
                                                        headers: [("Idempotency-Key", "C-8"), ("content-type", "application/json")])
                #expect(replay.status == 200 && replay.headers.first(name: "Idempotent-Replayed") == "true")
                #expect(try await host.control.ledger().charge("C-8").count == 1)
            }
        }
    }

    @Test func badInputGetsAClearErrorAndTheHostKeepsRunning() async throws {
        try await TestHost.with { host in
            let control = host.control
            let json = [("content-type", "application/json")]
            let key = [("Idempotency-Key", "K-1")] + json
            let cases: [(String, String, String?, [(String, String)], Int, String)] = [
                ("POST", "/v1/charges", "not json", key, 400, "not valid JSON"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","amount":"1200","currency":"JPY","wallet":"wechatpay","customerCode":"134567890123456789"}"#, key, 400, "field 'amount': expected an integer"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","currency":"JPY","wallet":"wechatpay","customerCode":"134567890123456789"}"#, key, 400, "missing field 'amount'"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","amount":1200,"currency":"JPY","wallet":"wechatpay","customerCode":"134567890123456789"}"#, json, 400, "Idempotency-Key"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","amount":1200,"currency":"JPY","wallet":"nosuchpay","customerCode":"134567890123456789"}"#, key, 422, "no wallet 'nosuchpay'"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","amount":1200,"currency":"JPY","wallet":"alipay","customerCode":"134567890123456789"}"#, key, 422, "belongs to wechatpay"),
                ("POST", "/v1/charges", #"{"chargeId":"X1","amount":1200,"currency":"JPY","wallet":"wechatpay","customerCode":"000201010211"}"#, key, 422, "merchant code"),
                ("POST", "/v1/charges", #"{"chargeId":"X 1","amount":1200,"currency":"JPY","wallet":"wechatpay","customerCode":"134567890123456789"}"#, key, 400, "chargeId must be"),
                ("GET", "/v1/charges/nope", nil, [], 404, "no charge 'nope'"),
                ("GET", "/v1/charges/nope?wait=abc", nil, [], 400, "wait must be whole seconds"),
                ("DELETE", "/v1/charges", nil, [], 404, "Docs/acquirer-api.yaml"),
                ("POST", "/v1/charges", "{}", [("X-Sim-Fault", "explode")] + key, 400, "unknown fault"),
                ("POST", "/sim/faults", #"{"fault":"status=404"}"#, json, 400, "500 to 599"),
                ("PUT", "/sim/wallets/alipay", #"{"behaviour":"sometimes"}"#, json, 400, "behaviour must be"),
                ("POST", "/sim/orders/nope/pay", #"{"wallet":"paypay"}"#, json, 404, "no order 'nope'"),
            ]
            for (method, path, body, headers, status, message) in cases {
                let answer = try await control.raw(.init(rawValue: method), path, body: body, headers: headers)
                let error = try? WireFormat.decoder().decode(HostErrorBody.self, from: answer.body)
                #expect(answer.status == status, "\(method) \(path): \(String(decoding: answer.body, as: UTF8.self))")
                #expect(error?.message.contains(message) == true, "\(method) \(path): \(error?.message ?? "no JSON error body")")
                #expect(error?.message.contains("134567890123456789") != true, "a whole customer code in an answer")
            }
            try await host.withClient { client in #expect(await client.charge(Sample.charge("X1")).value?.status == .paid) }
        }
    }
}
