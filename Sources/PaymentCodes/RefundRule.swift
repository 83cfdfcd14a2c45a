import Foundation

/// What a wallet lets a merchant do after a payment, as data in the wallet registry (`refunds = { … }` in
/// Assets/wallets.toml): the terminal refuses what the wallet would refuse, and the simulator plays the same rule,
/// so a shopper is never left at the counter while a refund the wallet never takes goes round.
/// A wallet without a rule leaves it to the host.
public struct RefundRule: Codable, Sendable, Equatable {
    /// false: no refund (返品) at all; a same-day cancel (取消) inside the host's window is the only way back.
    public var allowed: Bool?
    /// Days after the payment a refund is still taken (PayPay: 365).
    public var windowDays: Int?
    /// Whether part of the amount may be refunded (false: only what is left, in one go).
    public var partial: Bool?
    /// How many refunds one payment may have (PayPay: 50; Alipay+: 1).
    public var maxCount: Int?
    /// Only on the business day of the payment; afterwards the money stays with the merchant.
    public var sameDayOnly: Bool?

    enum CodingKeys: String, CodingKey {
        case allowed, partial
        case windowDays = "window_days", maxCount = "max_count", sameDayOnly = "same_day_only"
    }

    public init(allowed: Bool? = nil, windowDays: Int? = nil, partial: Bool? = nil, maxCount: Int? = nil, sameDayOnly: Bool? = nil) {
        self.allowed = allowed; self.windowDays = windowDays; self.partial = partial; self.maxCount = maxCount; self.sameDayOnly = sameDayOnly
    }

    /// One refund asked of a payment, with what the payment has had already.
    public struct Ask: Sendable, Equatable {
        public var paidAt: Date
        public var amount: Int
        public var refundedAmount: Int
        /// Refunds the payment has had (accepted ones).
        public var refundsMade: Int
        public var refund: Int
        public var now: Date
        /// `now` is on the business day of the payment (the caller's calendar decides what a day is).
        public var sameDay: Bool
        public init(paidAt: Date, amount: Int, refundedAmount: Int, refundsMade: Int, refund: Int, now: Date, sameDay: Bool) {
            self.paidAt = paidAt; self.amount = amount; self.refundedAmount = refundedAmount; self.refundsMade = refundsMade
            self.refund = refund; self.now = now; self.sameDay = sameDay
        }
    }

    /// The rule a refund breaks, with a stable code for programs and a sentence for the cashier.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: String
        public var message: String
        public var description: String { message }
    }

    /// nil when the wallet takes the refund; otherwise which rule it breaks (the first, in the order a cashier
    /// would look: at all, which day, how long ago, how many, how much).
    public func check(_ ask: Ask, wallet: String) -> Refusal? {
        if allowed == false {
            return Refusal(code: "refund_not_allowed", message: "\(wallet) payments cannot be refunded; a cancel works only shortly after the payment")
        }
        if sameDayOnly == true, !ask.sameDay {
            return Refusal(code: "refund_same_day_only", message: "\(wallet) payments can be refunded only on the day of the payment")
        }
        if let days = windowDays, ask.now.timeIntervalSince(ask.paidAt) > Double(days) * 86_400 {
            return Refusal(code: "refund_window_closed", message: "\(wallet) payments can be refunded within \(days) days of the payment; this one is older")
        }
        if let most = maxCount, ask.refundsMade >= most {
            return Refusal(code: "refund_count_exceeded", message: "\(wallet) allows \(most) refund\(most == 1 ? "" : "s") per payment, and this one has had \(ask.refundsMade)")
        }
        if partial == false, ask.refund != ask.amount - ask.refundedAmount {
            return Refusal(code: "partial_refund_not_allowed", message: "\(wallet) takes no partial refund: refund all that is left (\(ask.amount - ask.refundedAmount))")
        }
        return nil
    }

    /// The rule in a line, for the technician's view of the registry and the ECR's 4xx.
    public var summary: String {
        if allowed == false { return "no refunds" }
        var parts: [String] = []
        if sameDayOnly == true { parts.append("same day only") }
        if let windowDays { parts.append("within \(windowDays) days") }
        if let maxCount { parts.append("at most \(maxCount)") }
        if partial == false { parts.append("whole amount only") }
        return parts.isEmpty ? "refunds allowed" : parts.joined(separator: ", ")
    }
}
