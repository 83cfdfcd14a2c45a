import Acquirer
import Foundation

/// What the host said, reduced to what the sale machine needs (the driver maps AcquirerOutcome onto it).
public enum HostAnswer: Equatable, Sendable {
    case status(PaymentStatus, detail: String? = nil)
    /// 404: the host has not seen it, or not yet: a request still on its way may arrive after this answer.
    case notFound
    /// Another 4xx: this request moved nothing; the text says why.
    case refused(String)
    /// Timeout, 5xx or a reset: it may have moved money.
    case unknown(String)
    /// Nothing reached the host.
    case unreachable(String)
}

extension HostAnswer: CustomStringConvertible {
    /// For the log and the journal's event column, in words a technician reads.
    public var description: String {
        switch self {
        case let .status(status, detail): return status.rawValue + (detail.map { " (\($0))" } ?? "")
        case .notFound: return "not found at the host"
        case let .refused(why): return "refused: \(why)"
        case let .unknown(why): return "outcome unknown: \(why)"
        case let .unreachable(why): return "host unreachable: \(why)"
        }
    }
}

/// Everything that can happen to a sale.
public enum SaleEvent: Equatable, Sendable {
    /// The sale row is committed; start it.
    case begin
    /// A shopper's code was read (the full code stays with the driver).
    case codeScanned(wallet: String, masked: String)
    /// The answer to the request that creates the order or charge (`registerOrder`, `charge`): the only answer
    /// whose "unreachable" says that this request reached nothing.
    case createAnswer(HostAnswer)
    /// The answer to a long-poll or an inquiry about the order or charge.
    case answer(HostAnswer)
    case cancelAnswer(HostAnswer)
    case refundAnswer(HostAnswer)
    /// The code's lifetime is over.
    case expired
    case cashierCancel
    case refundRequested(amount: Int)
    /// A supervisor voids the paid sale (取消): reversed at the host while its cancel window is open.
    case voidRequested
    /// A back-off pause is over: ask or resend again.
    case retryDue
    /// The terminal restarted and found the sale unfinished in the journal.
    case recover
    /// The host named the wallet that pays a shown code (a partner wallet paying a JPQR, JPQR Global).
    case walletNamed(String, country: String?)

    /// What kind of event it is, for the journal's audit rules (never a comparison of log words).
    public enum Kind: String, Sendable {
        case begin, codeScanned = "code-scanned", createAnswer = "create-answer", answer, cancelAnswer = "cancel-answer"
        case refundAnswer = "refund-answer", expired, cashierCancel = "cashier-cancel", refundRequested = "refund-requested"
        case voidRequested = "void-requested"
        case retry, recover, walletNamed = "wallet-named"
    }

    public var kind: Kind {
        switch self {
        case .begin: .begin
        case .codeScanned: .codeScanned
        case .createAnswer: .createAnswer
        case .answer: .answer
        case .cancelAnswer: .cancelAnswer
        case .refundAnswer: .refundAnswer
        case .expired: .expired
        case .cashierCancel: .cashierCancel
        case .refundRequested: .refundRequested
        case .voidRequested: .voidRequested
        case .retryDue: .retry
        case .recover: .recover
        case .walletNamed: .walletNamed
        }
    }
}

extension SaleEvent: CustomStringConvertible {
    /// For the log and the journal's event column, in words a technician reads (customer codes only masked).
    public var description: String {
        switch self {
        case .begin: "begin"
        case let .codeScanned(wallet, masked): "code scanned (\(wallet) \(masked))"
        case let .createAnswer(a): "create answer \(a)"
        case let .answer(a): "answer \(a)"
        case let .cancelAnswer(a): "cancel answer \(a)"
        case let .refundAnswer(a): "refund answer \(a)"
        case .expired: "code expired"
        case .cashierCancel: "cashier cancel"
        case let .refundRequested(amount): "refund \(amount)"
        case .voidRequested: "void (取消)"
        case .retryDue: "retry"
        case .recover: "recover after restart"
        case let .walletNamed(wallet, country): "paid with \(wallet)" + (country.map { " (\($0))" } ?? "")
        }
    }
}

/// Host work the driver does after the new state is committed; it feeds each answer back as an event.
public enum SaleEffect: Equatable, Sendable {
    case registerOrder
    /// Long-poll the order or charge until it stops being pending.
    case awaitResult
    case charge
    /// Ask where the order or charge stands, without waiting.
    case inquire
    case cancel
    case refund(amount: Int)
    /// Send `retryDue` after this many seconds.
    case retryAfter(seconds: Int)
}

/// The sale state machine of ARCHITECTURE.md as a pure function: no I/O, no clock inside.
/// `now` is passed in so expiry and back-off are plain arithmetic in tests.
///
/// The rule every money decision follows: a sale ends from everything that was sent and is still open, never from
/// the latest answer alone. What the host may hold is `Sale.reach`; a cancel still out is `Sale.cancelInFlight`.
/// Only an answer that covers both (the host found the order or charge, or acknowledged the cancel) ends a sale.
public enum SaleMachine {
    /// Back-off for inquiries and resends: 1, 2, 4, 8, 15, 15… seconds.
    static func backoff(_ attempts: Int) -> Int { min(15, 1 << min(attempts, 4)) }

    public static func step(_ sale: Sale, _ event: SaleEvent, now: Date) -> (Sale, [SaleEffect]) {
        var s = sale
        s.updatedAt = now
        let effects = apply(&s, event, now: now)
        // When the money moved, for the wallets' refund windows (a refund that leaves it paid keeps the first time).
        if s.state == .paid && s.paidAt == nil { s.paidAt = now }
        return (s, effects)
    }

    private static func apply(_ s: inout Sale, _ event: SaleEvent, now: Date) -> [SaleEffect] {
        if s.state.isFinal && !(s.state == .paid && [.refundRequested, .voidRequested].contains(event.kind)) {
            return [] // a final sale is not reopened by a late answer or timer (paid -> refunding is the one way on)
        }
        if case let .walletNamed(wallet, country) = event {
            if s.wallet == nil || s.wallet == wallet { // a scanned code's own wallet is never overwritten
                s.wallet = wallet
                s.walletCountry = s.walletCountry ?? country
            }
            return []
        }
        if case let .createAnswer(answer) = event { learnFromCreate(&s, answer) }
        if case let .answer(answer) = event { learnFromStatus(&s, answer) }
        switch (s.state, event) {
        // MARK: starting
        case (.created, .begin):
            if s.mode == .scan { s.state = .awaitingCode; return [] }
            s.state = .pending
            return create(&s)

        case (.awaitingCode, let .codeScanned(wallet, masked)):
            s.chargeCount += 1
            s.reach = .none
            s.wallet = wallet; s.maskedCode = masked; s.detail = nil
            s.state = .pending
            return create(&s)

        case (.pending, let .codeScanned(wallet, masked)) where s.mode == .auto && s.isOrder && s.undo == nil:
            // The order on screen is withdrawn first, so the shopper cannot pay twice.
            s.wallet = wallet; s.maskedCode = masked
            return undo(&s, .switchToScan)

        // MARK: answers to what was sent
        case (.pending, let .createAnswer(answer)), (.unknown, let .createAnswer(answer)):
            return settle(&s, answer, now: now, fromCreate: true)
        case (.pending, let .answer(answer)), (.unknown, let .answer(answer)):
            return settle(&s, answer, now: now, fromCreate: false)

        // MARK: expiry and the cashier
        case (.pending, .expired) where s.isOrder && s.undo == nil, (.unknown, .expired) where s.isOrder && s.undo == nil:
            return undo(&s, .expired)
        case (.awaitingCode, .expired):
            return end(&s, .expired, because: .expired)
        case (.created, .cashierCancel), (.awaitingCode, .cashierCancel):
            s.undo = .cashier
            return end(&s, .cancelled, because: .cashier)
        case (.pending, .cashierCancel), (.unknown, .cashierCancel):
            return undo(&s, .cashier)
        case (.cancelling, .cashierCancel):
            // Already withdrawing (also auto mode's switch to the shopper's code: the cashier's cancel wins, and
            // that code is not charged); a payment that still slips through must now go back.
            s.undo = .cashier
            return []

        // MARK: cancelling
        case (.cancelling, let .cancelAnswer(answer)):
            return cancelAnswered(&s, answer, now: now)
        case (.cancelling, .createAnswer), (.cancelling, .answer):
            return whileCancelling(&s, event)

        // MARK: a void (取消) of a paid sale, and refunds
        case (.paid, .voidRequested) where s.refundedAmount == 0 && s.refundInFlight == 0:
            return undo(&s, .void)
        case (.paid, let .refundRequested(amount)) where amount > 0 && amount <= s.amount - s.refundedAmount:
            return startRefund(&s, amount)
        case (.refunding, let .refundAnswer(answer)):
            switch answer {
            case .status(.refunded, _), .status(.paid, _):
                s.refundedAmount += s.refundInFlight
                s.refundsMade += 1
                s.refundInFlight = 0
                s.attempts = 0
                return s.refundedAmount >= s.amount ? end(&s, .refunded, because: .refunded) : end(&s, .paid, because: nil)
            case let .refused(why):
                // Not "still paid": the host may have reversed the payment already ("nothing paid"). Ask what it holds.
                s.detail = "refund refused: \(why)"
                s.refundInFlight = 0
                return [.inquire]
            case .notFound:
                s.refundInFlight = 0
                return [.inquire]
            case let .unknown(why), let .unreachable(why):
                s.lastError = why
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            case .status:
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            }
        case (.refunding, let .answer(answer)) where s.refundInFlight == 0:
            // After a refused refund: the payment as the host now holds it decides.
            switch answer {
            case .status(.paid, _): return end(&s, .paid, because: nil)
            case .status(.refunded, _): return end(&s, .refunded, because: .refunded)
            case .status(.cancelled, _): return end(&s, .cancelled, because: s.undo.map(endReason) ?? .host)
            case .status(.expired, _): return end(&s, .expired, because: .expired)
            case .status(.declined, _): return end(&s, .declined, because: .declined)
            case let .unknown(why), let .unreachable(why), let .refused(why):
                s.lastError = why
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            case .status(.pending, _), .notFound:
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            }

        // MARK: back-off and restart
        case (.unknown, .retryDue): return [.inquire]
        case (.cancelling, .retryDue): return s.cancelInFlight ? [.cancel] : [.inquire]
        case (.refunding, .retryDue): return s.refundInFlight > 0 ? [.refund(amount: s.refundInFlight)] : [.inquire]
        case (.pending, .retryDue): return s.isOrder ? create(&s) : [.inquire]
        case (.created, .recover), (.awaitingCode, .recover):
            // Nothing was sent, so nothing moved.
            s.undo = .recovery
            s.detail = "terminal restarted"
            return end(&s, .cancelled, because: .recovery)
        case (.pending, .recover), (.unknown, .recover):
            // Whatever was out when the terminal stopped may still reach the host.
            if s.reach == .sent { s.reach = .uncertain }
            s.undo = s.undo ?? .recovery
            s.state = .unknown
            return [.inquire]
        case (.cancelling, .recover):
            if s.reach == .sent { s.reach = .uncertain }
            // The shopper's one-time code did not survive the restart: withdraw the order and end there.
            if s.undo == .switchToScan { s.undo = .recovery }
            s.cancelInFlight = true
            return [.cancel]
        case (.refunding, .recover): return s.refundInFlight > 0 ? [.refund(amount: s.refundInFlight)] : [.inquire]

        default:
            return [] // the event does not apply in this state (a late timer, a second cancel)
        }
    }

    // MARK: what the host may hold

    /// The create request's own answer: an unknown outcome means it may arrive later; "unreachable" or a refusal
    /// means this request moved nothing, which clears only what this request alone could have done.
    private static func learnFromCreate(_ s: inout Sale, _ answer: HostAnswer) {
        switch answer {
        case .status: s.reach = .known
        case .unknown: if s.reach != .known { s.reach = .uncertain }
        case .unreachable, .refused, .notFound: if s.reach == .sent { s.reach = .none }
        }
    }

    /// Any answer carrying the order or charge shows that the host holds it.
    private static func learnFromStatus(_ s: inout Sale, _ answer: HostAnswer) {
        if case .status = answer { s.reach = .known }
    }

    private static func create(_ s: inout Sale) -> [SaleEffect] {
        if s.reach == .none { s.reach = .sent }
        return [s.isOrder ? .registerOrder : .charge]
    }

    // MARK: settling

    private static func settle(_ s: inout Sale, _ answer: HostAnswer, now: Date, fromCreate: Bool) -> [SaleEffect] {
        switch answer {
        case .status(.pending, _):
            s.attempts = 0
            if s.undo != nil || (s.isOrder && now >= s.expiresAt) { return undo(&s, s.undo ?? .expired) }
            s.state = .pending
            return [.awaitResult]
        case .status(.paid, _) where s.undo == .cashier:
            return undo(&s, .cashier)
        case let .status(status, detail):
            return finish(&s, status, detail)
        case .notFound:
            // The host has not seen it yet: send it again with the same key while the sale is still wanted.
            if s.undo == nil && (!s.isOrder || now < s.expiresAt) {
                s.state = .pending
                return create(&s)
            }
            // Not wanted any more: unless nothing can be on its way, only an acknowledged cancel ends it.
            if s.reach == .none { return end(&s, s.undo == .expired || s.undo == nil ? .expired : .cancelled, because: s.undo.map(endReason) ?? .expired) }
            return undo(&s, s.undo ?? .expired)
        case let .refused(why):
            guard fromCreate else {
                // A 4xx to an inquiry says nothing about the order or charge: ask again.
                s.lastError = why
                s.attempts += 1
                s.state = .unknown
                return [.retryAfter(seconds: backoff(s.attempts))]
            }
            s.detail = why
            if let undo = s.undo { return end(&s, undo == .expired ? .expired : .cancelled, because: endReason(undo)) }
            return end(&s, .declined, because: .refused)
        case let .unknown(why):
            s.lastError = why
            s.attempts += 1
            s.state = .unknown
            return [.retryAfter(seconds: backoff(s.attempts))]
        case let .unreachable(why):
            s.lastError = why
            if fromCreate && s.reach == .none {
                // Nothing this sale sent reached the host: no money moved, and wallets cannot pay offline.
                if let undo = s.undo { return end(&s, undo == .expired ? .expired : .cancelled, because: endReason(undo)) }
                s.undo = nil
                return end(&s, .cancelled, because: .offline)
            }
            s.attempts += 1
            s.state = .unknown
            return [.retryAfter(seconds: backoff(s.attempts))]
        }
    }

    private static func undo(_ s: inout Sale, _ reason: UndoReason) -> [SaleEffect] {
        s.undo = reason
        s.state = .cancelling
        s.attempts = 0
        s.cancelInFlight = true
        return [.cancel]
    }

    /// The answer to our own cancel: the one answer that covers everything sent for the order or charge.
    private static func cancelAnswered(_ s: inout Sale, _ answer: HostAnswer, now: Date) -> [SaleEffect] {
        switch answer {
        case .status(.paid, _):
            // The host holds it paid and did not reverse it.
            s.cancelInFlight = false
            s.reach = .known
            return latePaid(&s)
        case .status(.cancelled, _), .status(.expired, _):
            s.cancelInFlight = false
            return withdrawn(&s)
        case let .status(status, detail):
            s.cancelInFlight = false
            return finish(&s, status, detail)
        case .notFound:
            // This host does not remember a cancel of an id it has not seen. Nothing out: nothing moved.
            // Create still out: its own answer decides. It may arrive later: cancel again until the host knows it.
            s.cancelInFlight = false
            switch s.reach {
            case .none: return withdrawn(&s)
            case .sent: return []
            case .uncertain, .known:
                s.cancelInFlight = true
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            }
        case let .unknown(why), let .unreachable(why):
            // Queued: resent with the same key until the host answers, even across restarts.
            s.lastError = why
            s.attempts += 1
            return [.retryAfter(seconds: backoff(s.attempts))]
        case .status(.pending, _):
            s.attempts += 1
            return [.retryAfter(seconds: backoff(s.attempts))]
        case let .refused(why):
            // The host will not cancel (the window closed): ask what it has, then refund if paid.
            s.cancelInFlight = false
            s.detail = why
            return [.inquire]
        }
    }

    /// Answers about the order or charge that come in while it is being withdrawn (a long-poll, a late create, an
    /// inquiry after a refused cancel). While our cancel is out, "paid" or "pending" is not final: the cancel may
    /// still reverse it, and its own answer decides.
    private static func whileCancelling(_ s: inout Sale, _ event: SaleEvent) -> [SaleEffect] {
        let answer: HostAnswer
        switch event {
        case let .createAnswer(a), let .answer(a): answer = a
        default: return []
        }
        switch answer {
        case .status(.cancelled, _), .status(.expired, _):
            // The host already holds it withdrawn: nothing can pay it any more.
            s.cancelInFlight = false
            return withdrawn(&s)
        case let .status(.declined, detail):
            s.cancelInFlight = false
            return finish(&s, .declined, detail)
        case .status(.paid, _), .status(.refunded, _), .status(.pending, _):
            if s.cancelInFlight { return [] }
            if case .status(.paid, _) = answer { return latePaid(&s) }
            if case .status(.refunded, _) = answer { return end(&s, .refunded, because: .refunded) }
            return undo(&s, s.undo ?? .expired) // it arrived after our cancel was turned away as unknown: cancel again
        case .notFound, .refused, .unknown, .unreachable:
            if case let .unknown(why) = answer { s.lastError = why }
            if case let .unreachable(why) = answer { s.lastError = why }
            if s.cancelInFlight { return [] }
            if event.kind == .createAnswer {
                // The create came back having moved nothing (or was refused), and the cancel found nothing: done.
                if case .refused = answer { return withdrawn(&s) }
                if s.reach == .none { return withdrawn(&s) }
                // It may still arrive: cancel again, until the host acknowledges the cancel.
                s.cancelInFlight = true
            }
            s.attempts += 1
            return [.retryAfter(seconds: backoff(s.attempts))]
        }
    }

    /// The order or charge is withdrawn at the host: auto mode goes on to charge the shopper's code; otherwise the
    /// sale ends as the reason for the cancel says.
    private static func withdrawn(_ s: inout Sale) -> [SaleEffect] {
        s.attempts = 0
        if s.undo == .switchToScan {
            s.undo = nil
            s.chargeCount += 1
            s.reach = .none
            s.state = .pending
            return create(&s)
        }
        let reason = s.undo ?? .recovery
        return end(&s, reason == .expired ? .expired : .cancelled, because: endReason(reason))
    }

    /// The host says paid although a cancel was sent: for the cashier's cancel the money goes back.
    private static func latePaid(_ s: inout Sale) -> [SaleEffect] {
        guard s.undo == .cashier else { return end(&s, .paid, because: nil) }
        return startRefund(&s, s.amount - s.refundedAmount)
    }

    private static func startRefund(_ s: inout Sale, _ amount: Int) -> [SaleEffect] {
        s.refundCount += 1
        s.refundInFlight = amount
        s.state = .refunding
        s.attempts = 0
        return [.refund(amount: amount)]
    }

    private static func finish(_ s: inout Sale, _ status: PaymentStatus, _ detail: String?) -> [SaleEffect] {
        s.attempts = 0
        if let detail { s.detail = detail }
        switch status {
        case .pending: return [.awaitResult]
        case .paid: return end(&s, .paid, because: nil)
        case .declined: return end(&s, .declined, because: .declined)
        case .expired: return end(&s, .expired, because: .expired)
        case .cancelled: return end(&s, .cancelled, because: s.undo.map(endReason) ?? .host)
        case .refunded: return end(&s, .refunded, because: .refunded)
        }
    }

    private static func end(_ s: inout Sale, _ state: SaleState, because reason: SaleEndReason?) -> [SaleEffect] {
        s.state = state
        s.endReason = reason
        s.cancelInFlight = false
        return []
    }

    static func endReason(_ undo: UndoReason) -> SaleEndReason {
        switch undo {
        case .cashier: .cashier
        case .expired: .expired
        case .recovery, .switchToScan: .recovery
        case .void: .cashier
        }
    }
}
