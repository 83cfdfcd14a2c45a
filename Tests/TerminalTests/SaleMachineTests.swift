import Acquirer
import Foundation
import Testing
@testable import Terminal

/// Every path of the sale machine as plain values, in the spirit of swift-nio's embedded tests.
struct SaleMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func sale(_ mode: SaleMode = .show) -> Sale {
        Sale(id: "S1", amount: 1200, currency: "JPY", mode: mode, payload: "000201…", expiresAt: t0.addingTimeInterval(180), now: t0)
    }

    /// Runs events in order, returning the final sale and every effect.
    static func run(_ sale: Sale, _ events: [SaleEvent], at now: Date = t0) -> (Sale, [[SaleEffect]]) {
        var s = sale
        var all: [[SaleEffect]] = []
        for event in events {
            let (next, effects) = SaleMachine.step(s, event, now: now)
            s = next; all.append(effects)
        }
        return (s, all)
    }

    @Test func shownCodePaid() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .answer(.status(.pending)), .answer(.status(.paid))])
        #expect(effects == [[.registerOrder], [.awaitResult], []])
        #expect(s.state == .paid)
    }

    @Test func shownCodeDeclinedKeepsTheReason() {
        let (s, _) = Self.run(Self.sale(), [.begin, .answer(.status(.declined, detail: "over the wallet's limit"))])
        #expect(s.state == .declined && s.detail == "over the wallet's limit")
    }

    @Test func codeExpiresThenCancelled() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .answer(.status(.pending)), .expired, .cancelAnswer(.status(.cancelled))])
        #expect(effects[2] == [.cancel])
        #expect(s.state == .expired)
    }

    @Test func paymentThatSlipsInBeforeTheExpiryCancelStands() {
        let (s, _) = Self.run(Self.sale(), [.begin, .expired, .cancelAnswer(.status(.paid))])
        #expect(s.state == .paid)
    }

    @Test func cashierCancelThatMeetsALatePaymentRefundsIt() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .cashierCancel, .cancelAnswer(.status(.paid)), .refundAnswer(.unknown("timeout")),
                                                  .retryDue, .refundAnswer(.status(.refunded))])
        #expect(effects[1] == [.cancel])
        #expect(effects[2] == [.refund(amount: 1200)])
        #expect(effects[4] == [.refund(amount: 1200)], "resent with the same amount (and key)")
        #expect(s.state == .refunded && s.refundCount == 1 && s.refundedAmount == 1200)
    }

    @Test func lostAnswerIsResolvedByInquiryWithBackoff() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .answer(.unknown("timeout")), .retryDue, .answer(.unknown("reset")), .retryDue,
                                                  .answer(.status(.paid))])
        #expect(effects[1] == [.retryAfter(seconds: 2)] && effects[2] == [.inquire])
        #expect(effects[3] == [.retryAfter(seconds: 4)])
        #expect(s.state == .paid)
    }

    @Test func requestThatNeverArrivedIsResentWithTheSameKeyOnlyWhileWanted() {
        let (resent, effects) = Self.run(Self.sale(), [.begin, .answer(.unknown("reset")), .retryDue, .answer(.notFound)])
        #expect(effects.last == [.registerOrder] && resent.state == .pending)
        let late = Self.t0.addingTimeInterval(600)
        let (dropped, _) = Self.run(Self.sale(), [.begin, .answer(.unknown("reset")), .retryDue, .answer(.notFound)], at: late)
        #expect(dropped.state == .cancelled)
    }

    @Test func unreachableHostAtTheStartMovedNothing() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .answer(.unreachable("connection refused"))])
        #expect(s.state == .cancelled && effects.last == [])
    }

    @Test func hostGoingAwayAfterItKnowsTheOrderIsNotCancellation() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .answer(.status(.pending)), .answer(.unreachable("connection refused"))])
        #expect(s.state == .unknown && effects.last == [.retryAfter(seconds: 2)])
    }

    @Test func unknownWhileCancellingIsQueuedAndResent() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .cashierCancel, .cancelAnswer(.unreachable("down")), .retryDue,
                                                  .cancelAnswer(.unknown("5xx")), .retryDue, .cancelAnswer(.status(.cancelled))])
        #expect(effects[2] == [.retryAfter(seconds: 2)] && effects[3] == [.cancel])
        #expect(s.state == .cancelled)
    }

    @Test func refusedCancelAsksThenRefunds() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .cashierCancel, .cancelAnswer(.refused("cancel window closed")), .answer(.status(.paid))])
        #expect(effects[2] == [.inquire])
        #expect(effects[3] == [.refund(amount: 1200)] && s.state == .refunding)
    }

    @Test func scannedCodeIsChargedWithItsOwnKey() {
        let (s, effects) = Self.run(Self.sale(.scan), [.begin, .codeScanned(wallet: "paypay", masked: "900081****1234"), .answer(.status(.paid))])
        #expect(effects == [[], [.charge], []])
        #expect(s.state == .paid && s.chargeCount == 1 && s.hostID == "S1-c1" && s.wallet == "paypay")
    }

    @Test func walletAskingTheUserToConfirmIsAwaited() {
        let (s, effects) = Self.run(Self.sale(.scan), [.begin, .codeScanned(wallet: "alipay", masked: "x"), .answer(.status(.pending)),
                                                       .answer(.status(.pending)), .answer(.status(.paid))])
        #expect(effects[2] == [.awaitResult] && effects[3] == [.awaitResult])
        #expect(s.state == .paid)
    }

    @Test func codeHeldUpInAutoModeWithdrawsTheOrderFirst() {
        let (s, effects) = Self.run(Self.sale(.auto), [.begin, .codeScanned(wallet: "wechatpay", masked: "x"), .cancelAnswer(.status(.cancelled)),
                                                       .answer(.status(.paid))])
        #expect(effects[1] == [.cancel] && effects[2] == [.charge])
        #expect(s.state == .paid && s.chargeCount == 1)
        // …but if the shopper had already paid the shown code, the held-up code is not charged.
        let (paid, e2) = Self.run(Self.sale(.auto), [.begin, .codeScanned(wallet: "wechatpay", masked: "x"), .cancelAnswer(.status(.paid))])
        #expect(paid.state == .paid && paid.chargeCount == 0 && e2.last == [])
    }

    @Test func autoModeChargesTheHeldUpCodeWhenTheOrdersLongPollReportsTheCancelFirst() {
        // The open long-poll on the order answers "cancelled" before the cancel request's own answer does.
        let (s, effects) = Self.run(Self.sale(.auto), [.begin, .answer(.status(.pending)), .codeScanned(wallet: "wechatpay", masked: "x"),
                                                       .answer(.status(.cancelled)), .cancelAnswer(.status(.cancelled)), .answer(.status(.paid))])
        #expect(effects[3] == [.charge] && effects[4] == [])
        #expect(s.state == .paid && s.chargeCount == 1 && s.undo == nil)
        // A cashier's cancel while withdrawing is still a cancel.
        let (cancelled, _) = Self.run(Self.sale(), [.begin, .answer(.status(.pending)), .cashierCancel, .answer(.status(.cancelled))])
        #expect(cancelled.state == .cancelled)
    }

    @Test func secondCodeIsIgnoredWhileTheFirstIsInFlight() {
        let (s, effects) = Self.run(Self.sale(.scan), [.begin, .codeScanned(wallet: "paypay", masked: "a"), .codeScanned(wallet: "paypay", masked: "b")])
        #expect(effects.last == [] && s.chargeCount == 1 && s.maskedCode == "a")
    }

    @Test func restartResolvesEveryUnfinishedState() {
        var created = Self.sale(); created.state = .created
        #expect(SaleMachine.step(created, .recover, now: Self.t0).0.state == .cancelled)
        var pending = Self.sale(); pending.state = .pending
        let (unknown, e1) = SaleMachine.step(pending, .recover, now: Self.t0)
        #expect(unknown.state == .unknown && e1 == [.inquire])
        let (cancelling, e2) = SaleMachine.step(unknown, .answer(.status(.pending)), now: Self.t0)
        #expect(cancelling.state == .cancelling && e2 == [.cancel] && cancelling.undo == .recovery)
        #expect(SaleMachine.step(unknown, .answer(.status(.paid)), now: Self.t0).0.state == .paid)
        var refunding = Self.sale(); refunding.state = .refunding; refunding.refundCount = 1; refunding.refundInFlight = 1200
        #expect(SaleMachine.step(refunding, .recover, now: Self.t0).1 == [.refund(amount: 1200)])
        var cancellingRow = Self.sale(); cancellingRow.state = .cancelling; cancellingRow.undo = .cashier
        #expect(SaleMachine.step(cancellingRow, .recover, now: Self.t0).1 == [.cancel])
    }

    @Test func refundsAreBoundedByWhatWasPaid() {
        var paid = Self.sale(); paid.state = .paid
        #expect(SaleMachine.step(paid, .refundRequested(amount: 5000), now: Self.t0).0.state == .paid)
        #expect(SaleMachine.step(paid, .refundRequested(amount: 0), now: Self.t0).0.state == .paid)
        let (refunding, effects) = SaleMachine.step(paid, .refundRequested(amount: 200), now: Self.t0)
        #expect(refunding.state == .refunding && effects == [.refund(amount: 200)] && refunding.refundID == "S1-r1")
        let (partly, _) = SaleMachine.step(refunding, .refundAnswer(.status(.refunded)), now: Self.t0)
        #expect(partly.state == .paid && partly.refundedAmount == 200, "a partial refund leaves the sale paid")
    }

    /// Random event storms: a final sale only ever leaves "paid" for a refund, and a charge key is never
    /// reused for a second code while the first is unresolved.
    @Test func finalStatesHold() {
        var rng = SystemRandomNumberGenerator()
        let answers: [HostAnswer] = [.status(.pending), .status(.paid), .status(.declined), .status(.expired), .status(.cancelled),
                                     .status(.refunded), .notFound, .refused("no"), .unknown("t"), .unreachable("u")]
        for _ in 0..<3000 {
            var s = Self.sale(SaleMode.allCases.randomElement(using: &rng)!)
            for _ in 0..<20 {
                let event: SaleEvent = [.begin, .codeScanned(wallet: "w", masked: "m"), .answer(answers.randomElement(using: &rng)!),
                                        .cancelAnswer(answers.randomElement(using: &rng)!), .refundAnswer(answers.randomElement(using: &rng)!),
                                        .expired, .cashierCancel, .refundRequested(amount: 100), .retryDue, .recover].randomElement(using: &rng)!
                let before = s
                s = SaleMachine.step(s, event, now: Self.t0.addingTimeInterval(Double.random(in: 0...400, using: &rng))).0
                if before.state.isFinal && before.state != .paid {
                    #expect(s.state == before.state, "\(before.state) left by \(event)")
                }
                if before.state == .paid { #expect(s.state == .paid || s.state == .refunding) }
                if s.chargeCount > before.chargeCount {
                    #expect([.awaitingCode, .cancelling].contains(before.state), "new charge from \(before.state)")
                }
            }
        }
    }
}
