import Acquirer
import Foundation

/// What the host said, reduced to what the sale machine needs (the driver maps AcquirerOutcome onto it).
public enum HostAnswer: Equatable, Sendable {
    case status(PaymentStatus, detail: String? = nil)
    /// 404: the host never saw the request, so nothing moved.
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
    /// The answer to whatever was last sent (register, charge, long-poll, inquiry).
    case answer(HostAnswer)
    case cancelAnswer(HostAnswer)
    case refundAnswer(HostAnswer)
    /// The code's lifetime is over.
    case expired
    case cashierCancel
    case refundRequested(amount: Int)
    /// A back-off pause is over: ask or resend again.
    case retryDue
    /// The terminal restarted and found the sale unfinished in the journal.
    case recover
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
public enum SaleMachine {
    /// Back-off for inquiries and resends: 1, 2, 4, 8, 15, 15… seconds.
    static func backoff(_ attempts: Int) -> Int { min(15, 1 << min(attempts, 4)) }

    public static func step(_ sale: Sale, _ event: SaleEvent, now: Date) -> (Sale, [SaleEffect]) {
        var s = sale
        s.updatedAt = now
        let effects = apply(&s, event, now: now)
        return (s, effects)
    }

    private static func apply(_ s: inout Sale, _ event: SaleEvent, now: Date) -> [SaleEffect] {
        switch (s.state, event) {
        // MARK: starting
        case (.created, .begin):
            if s.mode == .scan { s.state = .awaitingCode; return [] }
            s.state = .pending
            return [.registerOrder]

        case (.awaitingCode, let .codeScanned(wallet, masked)):
            s.chargeCount += 1
            s.acknowledged = false
            s.wallet = wallet; s.maskedCode = masked; s.detail = nil
            s.state = .pending
            return [.charge]

        case (.pending, let .codeScanned(wallet, masked)) where s.mode == .auto && s.isOrder:
            // The order on screen is withdrawn first, so the shopper cannot pay twice.
            s.wallet = wallet; s.maskedCode = masked
            s.undo = .switchToScan
            s.state = .cancelling
            return [.cancel]

        // MARK: answers to what was sent
        case (.pending, let .answer(answer)), (.unknown, let .answer(answer)):
            return settle(&s, answer, now: now)

        // MARK: expiry and the cashier
        case (.pending, .expired) where s.isOrder, (.unknown, .expired) where s.isOrder:
            return undo(&s, .expired)
        case (.awaitingCode, .expired):
            s.state = .expired
            return []
        case (.created, .cashierCancel), (.awaitingCode, .cashierCancel):
            s.state = .cancelled; s.undo = .cashier
            return []
        case (.pending, .cashierCancel), (.unknown, .cashierCancel):
            return undo(&s, .cashier)
        case (.cancelling, .cashierCancel):
            // Already withdrawing; a payment that still slips through must now go back.
            if s.undo != .switchToScan { s.undo = .cashier }
            return []

        // MARK: cancelling
        case (.cancelling, let .cancelAnswer(answer)):
            return cancelled(&s, answer, now: now)
        case (.cancelling, let .answer(answer)):
            // An inquiry made while cancelling: decide again from what the host has.
            switch answer {
            case .status(.pending, _), .unknown, .unreachable: return [.cancel]
            case .status(.paid, _): return latePaid(&s)
            // The host already has it cancelled (a long-poll can bring that news before the cancel's own
            // answer): the same as the cancel's answer, so auto mode goes on to charge the shopper's code.
            case .status(.cancelled, _), .status(.expired, _), .notFound: return cancelled(&s, answer, now: now)
            case let .status(status, detail): return finish(&s, status, detail)
            case let .refused(why): s.detail = why; return [.retryAfter(seconds: backoff(s.attempts))]
            }

        // MARK: refunds
        case (.paid, let .refundRequested(amount)) where amount > 0 && amount <= s.amount - s.refundedAmount:
            return startRefund(&s, amount)
        case (.refunding, let .refundAnswer(answer)):
            switch answer {
            case .status(.refunded, _), .status(.paid, _):
                s.refundedAmount += s.refundInFlight
                s.refundInFlight = 0
                s.state = s.refundedAmount >= s.amount ? .refunded : .paid
                return []
            case let .refused(why):
                s.detail = "refund refused: \(why)"
                s.refundInFlight = 0
                s.state = .paid
                return []
            default:
                s.attempts += 1
                return [.retryAfter(seconds: backoff(s.attempts))]
            }

        // MARK: back-off and restart
        case (.unknown, .retryDue): return [.inquire]
        case (.cancelling, .retryDue): return [.cancel]
        case (.refunding, .retryDue): return [.refund(amount: s.refundInFlight)]
        case (.pending, .retryDue): return s.isOrder ? [.registerOrder] : [.inquire]
        case (.created, .recover), (.awaitingCode, .recover):
            // Nothing was sent, so nothing moved.
            s.state = .cancelled; s.undo = .recovery; s.detail = "terminal restarted"
            return []
        case (.pending, .recover), (.unknown, .recover):
            s.undo = s.undo ?? .recovery
            s.state = .unknown
            return [.inquire]
        case (.cancelling, .recover): return [.cancel]
        case (.refunding, .recover): return [.refund(amount: s.refundInFlight)]

        default:
            return [] // the event does not apply in this state (a late timer, a second cancel)
        }
    }

    private static func startRefund(_ s: inout Sale, _ amount: Int) -> [SaleEffect] {
        s.refundCount += 1
        s.refundInFlight = amount
        s.state = .refunding
        s.attempts = 0
        return [.refund(amount: amount)]
    }

    private static func settle(_ s: inout Sale, _ answer: HostAnswer, now: Date) -> [SaleEffect] {
        if case .status = answer { s.acknowledged = true }
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
            // The request never arrived: send it again with the same key while the sale is still wanted.
            if s.undo == nil && (!s.isOrder || now < s.expiresAt) {
                s.state = .pending
                return s.isOrder ? [.registerOrder] : [.charge]
            }
            s.state = .cancelled
            return []
        case let .refused(why):
            s.detail = why
            s.state = s.state == .unknown ? .unknown : .declined
            return s.state == .unknown ? [.retryAfter(seconds: backoff(s.attempts))] : []
        case let .unknown(why):
            s.detail = why
            s.attempts += 1
            s.state = .unknown
            return [.retryAfter(seconds: backoff(s.attempts))]
        case let .unreachable(why):
            s.detail = why
            if s.state == .pending && !s.acknowledged && s.attempts == 0 && s.undo == nil {
                // Nothing reached the host: no money moved, and wallets cannot pay offline.
                s.state = .cancelled
                return []
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
        return [.cancel]
    }

    private static func cancelled(_ s: inout Sale, _ answer: HostAnswer, now: Date) -> [SaleEffect] {
        switch answer {
        case .status(.paid, _):
            return latePaid(&s)
        case .status(.cancelled, _), .status(.expired, _), .notFound:
            if s.undo == .switchToScan {
                // The order is withdrawn: now charge the code the shopper holds up.
                s.undo = nil
                s.chargeCount += 1
                s.acknowledged = false
                s.state = .pending
                return [.charge]
            }
            s.state = s.undo == .expired ? .expired : .cancelled
            return []
        case let .status(status, detail):
            return finish(&s, status, detail)
        case .status(.pending, _), .unknown, .unreachable:
            // Queued: resent with the same key until the host answers, even across restarts.
            s.attempts += 1
            return [.retryAfter(seconds: backoff(s.attempts))]
        case let .refused(why):
            // The host will not cancel (the window closed): ask what it has, then refund if paid.
            s.detail = why
            return [.inquire]
        }
    }

    /// The host says paid although a cancel was sent: for the cashier's cancel the money goes back.
    private static func latePaid(_ s: inout Sale) -> [SaleEffect] {
        guard s.undo == .cashier else {
            s.state = .paid
            return []
        }
        return startRefund(&s, s.amount - s.refundedAmount)
    }

    private static func finish(_ s: inout Sale, _ status: PaymentStatus, _ detail: String?) -> [SaleEffect] {
        s.attempts = 0
        if let detail { s.detail = detail }
        switch status {
        case .pending: return [.awaitResult]
        case .paid: s.state = .paid
        case .declined: s.state = .declined
        case .expired: s.state = .expired
        case .cancelled: s.state = .cancelled
        case .refunded: s.state = .refunded
        }
        return []
    }
}
