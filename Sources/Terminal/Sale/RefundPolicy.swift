import Foundation
import PaymentCodes

/// The wallets' refund rules as this terminal applies them: the registry's rule for the sale's wallet, with the
/// business day of the terminal file (a "same day" refund is one on the payment's business day).
public struct RefundPolicy: Sendable {
    public var registry: WalletRegistry?
    /// Minutes after midnight a business day starts (the receipt settings' `day_starts`).
    public var dayStarts: Int
    public var timeZone: TimeZone

    public init(registry: WalletRegistry?, dayStarts: Int = 0, timeZone: TimeZone = .current) {
        self.registry = registry; self.dayStarts = dayStarts; self.timeZone = timeZone
    }

    /// No rules: the host alone decides (tests of the sale machine's refunds).
    public static let hostDecides = RefundPolicy(registry: nil)

    /// The rule a refund of `amount` from `sale` at `now` breaks, or nil when its wallet takes it (or no rule is known).
    public func refusal(_ sale: Sale, amount: Int, now: Date) -> RefundRule.Refusal? {
        guard let wallet = sale.wallet, let rule = registry?.refundRule(wallet) else { return nil }
        let paidAt = sale.paidAt ?? sale.createdAt
        let sameDay = SlipRule.businessDay(paidAt, starts: dayStarts, in: timeZone) == SlipRule.businessDay(now, starts: dayStarts, in: timeZone)
        let name = registry?.entry(wallet)?.name(for: "en") ?? wallet
        return rule.check(.init(paidAt: paidAt, amount: sale.amount, refundedAmount: sale.refundedAmount, refundsMade: sale.refundsMade,
                                refund: amount, now: now, sameDay: sameDay), wallet: name)
    }
}
