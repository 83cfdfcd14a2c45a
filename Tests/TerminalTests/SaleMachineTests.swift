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

    /// The host names the paying wallet (and its country) of a shown code before the answer that ends the sale; a
    /// scanned code's own wallet is never replaced, and a country said about another wallet is not taken.
    @Test func theHostNamesThePayingWalletAndItsCountry() {
        let (shown, effects) = Self.run(Self.sale(), [.begin, .answer(.status(.pending)), .walletNamed("khqr", country: "KH"), .answer(.status(.paid))])
        #expect(shown.state == .paid && shown.wallet == "khqr" && shown.walletCountry == "KH")
        #expect(effects[2].isEmpty, "naming the wallet sends nothing")
        var scanned = Self.sale(.scan)
        scanned.wallet = "alipayplus"
        let (other, _) = Self.run(scanned, [.walletNamed("wechatpay", country: "CN")])
        #expect(other.wallet == "alipayplus" && other.walletCountry == nil)
        let (same, _) = Self.run(scanned, [.walletNamed("alipayplus", country: "KR"), .walletNamed("alipayplus", country: "MY")])
        #expect(same.walletCountry == "KR", "the first country heard stays")
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
        let (resent, effects) = Self.run(Self.sale(), [.begin, .createAnswer(.unknown("reset")), .retryDue, .answer(.notFound)])
        #expect(effects.last == [.registerOrder] && resent.state == .pending)
        // Past its time the order is not wanted, but the lost registration may still arrive: only a cancel the
        // host acknowledges (and remembers) ends it.
        let late = Self.t0.addingTimeInterval(600)
        let (dropped, e2) = Self.run(Self.sale(), [.begin, .createAnswer(.unknown("reset")), .retryDue, .answer(.notFound)], at: late)
        #expect(dropped.state == .cancelling && e2.last == [.cancel])
        let (ended, _) = Self.run(dropped, [.cancelAnswer(.status(.cancelled))], at: late)
        #expect(ended.state == .expired && ended.endReason == .expired)
    }

    @Test func unreachableHostAtTheStartMovedNothing() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .createAnswer(.unreachable("connection refused"))])
        #expect(s.state == .cancelled && effects.last == [] && s.endReason == .offline)
        #expect(s.detail == nil && s.lastError == "connection refused", "a transport problem is not the host's word")
    }

    // MARK: the four money defects of "Never lose a sale", each with its faults combined

    /// Lost: a registration reached the host (its answer was lost), then the resend could not connect because the
    /// host was restarting. "Unreachable" about the resend says nothing about the first attempt.
    @Test func resendThatCannotConnectAfterAnUnknownAttemptIsNotNothingMoved() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .createAnswer(.unknown("connection lost")), .retryDue, .answer(.notFound),
                                                  .createAnswer(.unreachable("connection refused"))])
        #expect(effects[3] == [.registerOrder], "resent with the same key")
        #expect(s.state == .unknown && s.reach == .uncertain && effects.last == [.retryAfter(seconds: 4)])
        let (paid, _) = Self.run(s, [.retryDue, .answer(.status(.paid))])
        #expect(paid.state == .paid, "the host kept the money: the sale is paid, not cancelled")
        // A charge the same way (scan mode), with a restart of the terminal in between.
        let (charge, _) = Self.run(Self.sale(.scan), [.begin, .codeScanned(wallet: "paypay", masked: "m"), .createAnswer(.unknown("timeout")),
                                                      .recover, .answer(.unreachable("connection refused"))])
        #expect(charge.state == .unknown && charge.reach == .uncertain)
    }

    /// Lost, and once charged twice: the register cancels while the registration is still on its way; the host
    /// answers the cancel 404. That is not "cancelled" until the registration's own answer says nothing can arrive.
    @Test func cancelAnswered404WhileTheRegistrationIsOnItsWayIsNotFinal() {
        let (waiting, e1) = Self.run(Self.sale(), [.begin, .cashierCancel, .cancelAnswer(.notFound)])
        #expect(waiting.state == .cancelling && e1.last == [], "waits for the registration's answer")
        // The registration arrives after the cancel (an old host forgets such cancels): cancel it again.
        let (again, e2) = Self.run(waiting, [.createAnswer(.status(.pending))])
        #expect(again.state == .cancelling && e2.last == [.cancel])
        let (cancelled, _) = Self.run(again, [.cancelAnswer(.status(.cancelled))])
        #expect(cancelled.state == .cancelled && cancelled.endReason == .cashier)
        // The registration could not connect at all: nothing can arrive, so the 404 stands.
        let (nothing, _) = Self.run(waiting, [.createAnswer(.unreachable("connection refused"))])
        #expect(nothing.state == .cancelled)
        // A registration that timed out may still arrive: the cancel is sent again until the host knows it.
        let (uncertain, e3) = Self.run(waiting, [.createAnswer(.unknown("timeout"))])
        #expect(uncertain.state == .cancelling && e3.last == [.retryAfter(seconds: 2)])
        #expect(Self.run(uncertain, [.retryDue]).1.last == [.cancel])
        // A host that remembers the cancel answers it "cancelled", and refuses the late registration.
        let (remembered, _) = Self.run(Self.sale(), [.begin, .cashierCancel, .cancelAnswer(.status(.cancelled)),
                                                     .createAnswer(.refused("cancelled before arrival"))])
        #expect(remembered.state == .cancelled)
    }

    /// Auto mode: the shopper's code is held up while the order's registration hangs. The order is withdrawn
    /// before the code is charged, and a 404 for it does not count as withdrawn while the registration may arrive.
    @Test func autoModeChargesTheCodeOnlyOnceTheOrderCannotBePaid() {
        let (s, effects) = Self.run(Self.sale(.auto), [.begin, .codeScanned(wallet: "paypay", masked: "m"), .cancelAnswer(.notFound)])
        #expect(s.state == .cancelling && s.chargeCount == 0 && effects.last == [])
        let (late, e2) = Self.run(s, [.createAnswer(.status(.paid))])
        #expect(late.state == .paid && late.chargeCount == 0 && e2.last == [], "the shopper paid the shown code: the held-up code is not charged")
        let (withdrawn, e3) = Self.run(s, [.createAnswer(.status(.pending)), .cancelAnswer(.status(.cancelled))])
        #expect(e3 == [[.cancel], [.charge]] && withdrawn.chargeCount == 1)
    }

    /// Mismatched: a long-poll says "paid" while our own cancel is in flight; the host then reverses the payment
    /// because the cancel arrived inside its window. Only the cancel's answer decides.
    @Test func paidHeardWhileOurCancelIsInFlightWaitsForTheCancel() {
        let (s, effects) = Self.run(Self.sale(), [.begin, .createAnswer(.status(.pending)), .expired, .answer(.status(.paid))])
        #expect(s.state == .cancelling && s.cancelInFlight && effects.last == [])
        let (reversed, _) = Self.run(s, [.cancelAnswer(.status(.cancelled))])
        #expect(reversed.state == .expired, "the cancel reversed it: the shopper has the money back")
        let (stands, _) = Self.run(s, [.cancelAnswer(.refused("cancel window closed")), .answer(.status(.paid))])
        #expect(stands.state == .paid, "the host would not cancel, and holds it paid")
        // The cashier's cancel: a refund refused because nothing is paid any more is not "paid".
        let (cashier, _) = Self.run(Self.sale(), [.begin, .createAnswer(.status(.pending)), .cashierCancel, .cancelAnswer(.status(.paid)),
                                                  .refundAnswer(.refused("nothing paid")), .answer(.status(.cancelled))])
        #expect(cashier.state == .cancelled && cashier.endReason == .cashier)
        let (kept, _) = Self.run(Self.sale(), [.begin, .createAnswer(.status(.pending)), .cashierCancel, .cancelAnswer(.status(.paid)),
                                               .refundAnswer(.refused("not refundable")), .answer(.status(.paid))])
        #expect(kept.state == .paid && kept.cancelOverridden)
    }

    @Test func cashierCancelWinsOverAutoModesSwitchToTheShoppersCode() {
        let (s, _) = Self.run(Self.sale(.auto), [.begin, .createAnswer(.status(.pending)), .codeScanned(wallet: "paypay", masked: "m"),
                                                 .cashierCancel, .cancelAnswer(.status(.cancelled))])
        #expect(s.state == .cancelled && s.chargeCount == 0 && s.endReason == .cashier)
    }

    @Test func finishedSalesIgnoreLateAnswersAndTimers() {
        let (paid, _) = Self.run(Self.sale(), [.begin, .createAnswer(.status(.paid))])
        for event: SaleEvent in [.createAnswer(.status(.cancelled)), .answer(.notFound), .cancelAnswer(.status(.cancelled)), .retryDue, .expired, .cashierCancel, .recover] {
            let (after, effects) = SaleMachine.step(paid, event, now: Self.t0)
            #expect(after.sameContent(as: paid) && effects.isEmpty, "\(event)")
        }
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

    /// A void (取消) whose cancel hangs past its answer, then the terminal restarts: the cancel is resent, and the
    /// host's answer alone decides. Reversed: cancelled. Window closed: still paid, and never refunded by itself.
    @Test func aVoidSurvivesALostAnswerAndARestartAndNeverTurnsIntoARefund() {
        let paid = Self.run(Self.sale(), [.begin, .createAnswer(.status(.pending)), .answer(.status(.paid))]).0
        #expect(paid.state == .paid && paid.paidAt != nil)
        let lost: [SaleEvent] = [.voidRequested, .cancelAnswer(.unknown("timeout after commit")), .recover]
        let (resent, effects) = Self.run(paid, lost)
        #expect(resent.state == .cancelling && effects.last == [.cancel], "the restart resends the cancel")
        let reversed = Self.run(resent, [.cancelAnswer(.status(.cancelled))]).0
        #expect(reversed.state == .cancelled && reversed.endReason == .cashier)
        let (refused, after) = Self.run(resent, [.cancelAnswer(.refused("cancel_window_closed")), .answer(.status(.paid))])
        #expect(refused.state == .paid && refused.refundCount == 0 && refused.detail == "cancel_window_closed")
        #expect(!after.joined().contains { if case .refund = $0 { true } else { false } })
        // A void of a sale partly refunded, or of one not paid, does nothing.
        var partly = paid
        partly.refundedAmount = 100
        #expect(Self.run(partly, [.voidRequested]).0.state == .paid)
        #expect(Self.run(Self.sale(), [.voidRequested]).0.state == .created)
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
