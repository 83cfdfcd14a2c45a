import Foundation
import PaymentCodes

/// The wallets this host accepts (the registry ids of Assets/wallets.toml) and how each one behaves.
/// A wallet without its own behaviour approves.
public struct WalletBook: Sendable, Equatable {
    public var known: Set<String>
    public var behaviours: [String: WalletBehaviour]
    /// What each wallet allows after a payment (the registry's `refunds`), played as the wallet's host would.
    public var refundRules: [String: RefundRule] = [:]
    /// Each wallet's country (the registry's `country`), named in answers so the terminal can speak the shopper's language.
    public var countries: [String: String] = [:]
    /// Where "the same day" of a same-day-only wallet is counted.
    public var timeZone: TimeZone = .current

    public enum Decision: Sendable, Equatable {
        case approve
        case decline(reason: String)
        case confirm(until: Date)
    }

    public init(known: Set<String> = WalletBook.registryIds, behaviours: [String: WalletBehaviour] = [:]) {
        self.known = known; self.behaviours = behaviours
    }

    public func knows(_ wallet: String) -> Bool { known.contains(wallet) }

    public func behaviour(_ wallet: String) -> WalletBehaviour { behaviours[wallet] ?? .approve }

    public func decide(wallet: String, amount: Int, now: Date) -> Decision {
        switch behaviour(wallet) {
        case .approve: .approve
        case .decline: .decline(reason: "declined_by_wallet")
        case let .confirm(seconds): .confirm(until: now.addingTimeInterval(seconds))
        case let .limit(limit): amount > limit ? .decline(reason: "over_limit") : .approve
        }
    }

    /// The refund a wallet's rule refuses, or nil (no rule, or within it).
    public func refundRefusal(wallet: String, paidAt: Date, amount: Int, refunded: Int, refundsMade: Int, refund: Int, now: Date) -> RefundRule.Refusal? {
        guard let rule = refundRules[wallet] else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return rule.check(.init(paidAt: paidAt, amount: amount, refundedAmount: refunded, refundsMade: refundsMade, refund: refund, now: now,
                                sameDay: calendar.isDate(paidAt, inSameDayAs: now)), wallet: wallet)
    }

    /// Used when no registry file is at hand (tests of the rules alone); the simulator loads the real registry.
    public static let registryIds: Set<String> = [
        "paypay", "rakutenpay", "dbarai", "merpay", "aupay", "yuchopay", "linepay",
        "wechatpay", "alipay", "alipayplus", "kakaopay", "unionpay", "jcb",
    ]
}
