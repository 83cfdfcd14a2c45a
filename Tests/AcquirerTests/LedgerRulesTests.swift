import Acquirer
@testable import AcquirerSimulator
import Foundation
import Testing

/// The acquirer's rules as a pure value: every path with a clock the test moves.
struct LedgerRulesTests {
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)
    let terminal = Caller(terminalId: "T-0001", idempotencyKey: nil)

    func caller(_ key: String?, terminal: String = "T-0001") -> Caller { Caller(terminalId: terminal, idempotencyKey: key) }
    func order(_ id: String, amount: Int = 1200, expiresIn: Int = 120) -> OrderRequest {
        OrderRequest(orderId: id, amount: amount, currency: "JPY", qrPayload: "000201010212…", expiresInSeconds: expiresIn)
    }
    func charge(_ id: String, amount: Int = 1200, wallet: String = "wechatpay") -> ChargeRequest {
        ChargeRequest(chargeId: id, amount: amount, currency: "JPY", wallet: wallet, customerCode: "134567890123456789")
    }

    @Test func sameKeySameRequestAnswersTheFirstResultAndMovesNothingAgain() throws {
        var ledger = Ledger()
        let (first, created) = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        let (again, createdAgain) = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0.addingTimeInterval(5))
        #expect(created && !createdAgain)
        #expect(first == again && ledger.charges.count == 1)
    }

    @Test func sameKeyDifferentRequestIsAConflict() throws {
        var ledger = Ledger()
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        #expect(throws: LedgerRefusal.self) { try ledger.createCharge(charge("S1", amount: 1300), by: caller("S1"), at: t0) }
        do { _ = try ledger.createCharge(charge("S1", amount: 1300), by: caller("S1"), at: t0) } catch {
            #expect(error.status == 409 && error.code == "idempotency_conflict")
        }
        // The key also cannot be moved to another kind of request.
        do { _ = try ledger.registerOrder(order("S2"), by: caller("S1"), at: t0); Issue.record("accepted") } catch {
            #expect(error.code == "idempotency_conflict")
        }
        #expect(ledger.charges["S1"]?.charge.amount == 1200)
    }

    @Test func keysBelongToOneTerminalAndSalesAreSeenOnlyByTheirTerminal() throws {
        var ledger = Ledger()
        _ = try ledger.createCharge(charge("A1"), by: caller("K", terminal: "T-A"), at: t0)
        // Another terminal's same key is its own; the id must still be new.
        _ = try ledger.createCharge(charge("B1"), by: caller("K", terminal: "T-B"), at: t0)
        #expect(ledger.charges.count == 2)
        #expect(throws: LedgerRefusal.notFound("charge", "A1")) { try ledger.charge("A1", for: caller(nil, terminal: "T-B")) }
    }

    @Test func anIdAlreadyUsedWithAnotherKeyIsRefused() throws {
        var ledger = Ledger()
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        do { _ = try ledger.registerOrder(order("S1"), by: caller("other"), at: t0); Issue.record("accepted") } catch {
            #expect(error.code == "duplicate_id")
        }
    }

    @Test func moneyMovingRequestsNeedAKeyAndWellFormedMoney() {
        var ledger = Ledger()
        #expect(throws: LedgerRefusal.self) { try ledger.createCharge(charge("S1"), by: terminal, at: t0) }
        for bad in [charge("S1", amount: 0), charge("S1", amount: -5), charge("bad id!"), charge("S1", wallet: "nosuchpay"),
                    ChargeRequest(chargeId: "S1", amount: 100, currency: "yen", wallet: "wechatpay", customerCode: "1")] {
            #expect(throws: LedgerRefusal.self) { try ledger.createCharge(bad, by: caller("S1"), at: t0) }
        }
        #expect(ledger.charges.isEmpty && ledger.keys.isEmpty)
    }

    @Test func walletsApproveDeclineAskToConfirmOrDeclineOverTheirLimit() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["alipay": .decline, "unionpay": .limit(1000), "merpay": .confirm(seconds: 5)]))
        #expect(try ledger.createCharge(charge("A"), by: caller("A"), at: t0).0.status == .paid)
        let declined = try ledger.createCharge(charge("B", wallet: "alipay"), by: caller("B"), at: t0).0
        #expect(declined.status == .declined && declined.declineReason == "declined_by_wallet")
        #expect(try ledger.createCharge(charge("C", amount: 1000, wallet: "unionpay"), by: caller("C"), at: t0).0.status == .paid)
        #expect(try ledger.createCharge(charge("D", amount: 1001, wallet: "unionpay"), by: caller("D"), at: t0).0.declineReason == "over_limit")
        let confirming = try ledger.createCharge(charge("E", wallet: "merpay"), by: caller("E"), at: t0).0
        #expect(confirming.status == .pending && confirming.confirmingUntil == t0.addingTimeInterval(5))
        ledger.advance(to: t0.addingTimeInterval(4.9))
        #expect(ledger.charges["E"]?.charge.status == .pending)
        ledger.advance(to: t0.addingTimeInterval(5))
        #expect(ledger.charges["E"]?.charge.status == .paid && ledger.charges["E"]?.charge.paidAt == t0.addingTimeInterval(5))
    }

    @Test func aCancelWinsOverALatePaidCharge() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["wechatpay": .confirm(seconds: 5)]))
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        let cancelled = try ledger.cancelCharge("S1", by: caller("S1:cancel"), at: t0.addingTimeInterval(2))
        #expect(cancelled.status == .cancelled)
        ledger.advance(to: t0.addingTimeInterval(60))
        #expect(ledger.charges["S1"]?.charge.status == .cancelled && ledger.charges["S1"]?.charge.paidAt == nil)
    }

    @Test func aCancelWinsOverALatePaidOrder() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["paypay": .confirm(seconds: 5)]))
        _ = try ledger.registerOrder(order("O1"), by: caller("O1"), at: t0)
        #expect(try ledger.shopperPays("O1", wallet: "paypay", at: t0.addingTimeInterval(1)).confirmingUntil != nil)
        _ = try ledger.cancelOrder("O1", by: caller("O1:cancel"), at: t0.addingTimeInterval(3))
        ledger.advance(to: t0.addingTimeInterval(10))
        #expect(ledger.orders["O1"]?.order.status == .cancelled)
        do { _ = try ledger.shopperPays("O1", wallet: "paypay", at: t0.addingTimeInterval(11)); Issue.record("paid after cancel") } catch {
            #expect(error.code == "order_cancelled")
        }
    }

    @Test func theCancelWindowDecidesBetweenReversalAndRefund() throws {
        var ledger = Ledger(rules: LedgerRules(cancelWindow: 60))
        _ = try ledger.createCharge(charge("IN"), by: caller("IN"), at: t0)
        _ = try ledger.createCharge(charge("OUT"), by: caller("OUT"), at: t0)
        #expect(try ledger.cancelCharge("IN", by: caller("IN:cancel"), at: t0.addingTimeInterval(59)).status == .cancelled)
        do { _ = try ledger.cancelCharge("OUT", by: caller("OUT:cancel"), at: t0.addingTimeInterval(60)); Issue.record("reversed late") } catch {
            #expect(error.status == 409 && error.code == "cancel_window_closed")
        }
        #expect(ledger.charges["OUT"]?.charge.status == .paid)
        #expect(try ledger.createRefund(RefundRequest(refundId: "R1", paymentId: "OUT", amount: 1200), by: caller("R1"), at: t0.addingTimeInterval(61)).0.status == .refunded)
        #expect(ledger.charges["OUT"]?.charge.status == .refunded)
    }

    @Test func cancellingWhatMovedNoMoneyChangesNothing() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["alipay": .decline]))
        _ = try ledger.createCharge(charge("D", wallet: "alipay"), by: caller("D"), at: t0)
        #expect(try ledger.cancelCharge("D", by: caller("D:cancel"), at: t0).status == .declined)
    }

    /// Real hosts' rule: a cancel of an id not seen yet is remembered, and wins over the registration or charge that
    /// arrives after it (a delayed or hanging request cannot revive a sale the terminal cancelled).
    @Test func aCancelOfAnIdNotSeenYetWinsOverItsLateArrival() throws {
        var ledger = Ledger()
        #expect(try ledger.cancelOrder("O1", by: caller("O1:cancel"), at: t0).status == .cancelled)
        do { _ = try ledger.registerOrder(order("O1"), by: caller("O1"), at: t0.addingTimeInterval(1)); Issue.record("revived") } catch {
            #expect(error.status == 409 && error.code == "cancelled_before_arrival")
        }
        #expect(try ledger.cancelCharge("C1", by: caller("C1:cancel"), at: t0).status == .cancelled)
        do { _ = try ledger.createCharge(charge("C1"), by: caller("C1"), at: t0.addingTimeInterval(1)); Issue.record("charged") } catch {
            #expect(error.code == "cancelled_before_arrival")
        }
        // The cancel repeated with its key is answered the same; the host holds no money for either id.
        #expect(try ledger.cancelOrder("O1", by: caller("O1:cancel"), at: t0.addingTimeInterval(2)).status == .cancelled)
        #expect(ledger.orders.values.allSatisfy { $0.order.status == .cancelled } && ledger.charges["C1"]?.charge.paidAt == nil)
        do { _ = try ledger.shopperPays("O1", wallet: "paypay", at: t0.addingTimeInterval(3)); Issue.record("paid") } catch {
            #expect(error.code == "order_cancelled")
        }
    }

    @Test func anExpiredOrderRefusesTheShoppersPayment() throws {
        var ledger = Ledger()
        _ = try ledger.registerOrder(order("O1", expiresIn: 30), by: caller("O1"), at: t0)
        ledger.advance(to: t0.addingTimeInterval(30))
        #expect(ledger.orders["O1"]?.order.status == .expired)
        do { _ = try ledger.shopperPays("O1", wallet: "paypay", at: t0.addingTimeInterval(31)); Issue.record("paid an expired order") } catch {
            #expect(error.code == "order_expired")
        }
    }

    @Test func anOrderExpiresWhileTheShopperIsStillConfirming() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["paypay": .confirm(seconds: 20)]))
        _ = try ledger.registerOrder(order("O1", expiresIn: 30), by: caller("O1"), at: t0)
        _ = try ledger.shopperPays("O1", wallet: "paypay", at: t0.addingTimeInterval(15))
        ledger.advance(to: t0.addingTimeInterval(40))
        #expect(ledger.orders["O1"]?.order.status == .expired)
    }

    @Test func autoPayPaysOrdersUnlessCancelledFirst() throws {
        var ledger = Ledger(rules: LedgerRules(autoPayAfter: 3, autoPayWallet: "paypay"))
        _ = try ledger.registerOrder(order("O1"), by: caller("O1"), at: t0)
        _ = try ledger.registerOrder(order("O2"), by: caller("O2"), at: t0)
        _ = try ledger.cancelOrder("O2", by: caller("O2:cancel"), at: t0.addingTimeInterval(1))
        ledger.advance(to: t0.addingTimeInterval(3))
        #expect(ledger.orders["O1"]?.order.status == .paid && ledger.orders["O1"]?.order.wallet == "paypay")
        #expect(ledger.orders["O2"]?.order.status == .cancelled)
    }

    @Test func refundsAddUpToTheAmountPaidAndNoFurther() throws {
        var ledger = Ledger(wallets: WalletBook(behaviours: ["alipay": .decline]))
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        _ = try ledger.createRefund(RefundRequest(refundId: "R1", paymentId: "S1", amount: 500), by: caller("R1"), at: t0)
        #expect(ledger.charges["S1"]?.charge.status == .paid && ledger.charges["S1"]?.charge.refundedAmount == 500)
        do { _ = try ledger.createRefund(RefundRequest(refundId: "R2", paymentId: "S1", amount: 701), by: caller("R2"), at: t0); Issue.record("over-refunded") } catch {
            #expect(error.code == "amount_exceeds_refundable")
        }
        do { _ = try ledger.cancelCharge("S1", by: caller("S1:cancel"), at: t0); Issue.record("cancelled a partly refunded sale") } catch {
            #expect(error.code == "partly_refunded")
        }
        _ = try ledger.createRefund(RefundRequest(refundId: "R3", paymentId: "S1", amount: 700), by: caller("R3"), at: t0)
        #expect(ledger.charges["S1"]?.charge.status == .refunded)
        _ = try ledger.createCharge(charge("S2", wallet: "alipay"), by: caller("S2"), at: t0)
        do { _ = try ledger.createRefund(RefundRequest(refundId: "R4", paymentId: "S2", amount: 1), by: caller("R4"), at: t0); Issue.record("refunded a decline") } catch {
            #expect(error.code == "not_refundable")
        }
    }

    @Test func everyStepListsTheRecordsItTouchedForTheStore() throws {
        var ledger = Ledger()
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        let changes = ledger.takeChanges()
        #expect(changes.charges == ["S1"] && changes.keys == [IdempotencyScope(terminalId: "T-0001", key: "S1")])
        #expect(ledger.takeChanges().isEmpty)
    }

    @Test func theStoreGivesBackWhatItWasGivenAfterAReopen() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var ledger = Ledger(wallets: WalletBook(behaviours: ["merpay": .confirm(seconds: 5)]))
        _ = try ledger.createCharge(charge("S1"), by: caller("S1"), at: t0)
        _ = try ledger.createCharge(charge("S2", wallet: "merpay"), by: caller("S2"), at: t0)
        _ = try ledger.registerOrder(order("O1"), by: caller("O1"), at: t0)
        _ = try ledger.createRefund(RefundRequest(refundId: "R1", paymentId: "S1", amount: 200), by: caller("R1"), at: t0)
        try LedgerStore(path: path).save(ledger.takeChanges(), from: ledger)

        let store = try LedgerStore(path: path)
        var reopened = try store.load(rules: ledger.rules, wallets: ledger.wallets)
        #expect(reopened.charges == ledger.charges && reopened.orders == ledger.orders && reopened.refunds == ledger.refunds && reopened.keys == ledger.keys)
        #expect(try store.counts() == ["orders": 1, "charges": 2, "refunds": 1, "idempotency_keys": 4])
        // What was open is still open after the reopen: the confirming charge completes.
        reopened.advance(to: t0.addingTimeInterval(5))
        #expect(reopened.charges["S2"]?.charge.status == .paid)
    }
}
