import Foundation

/// The wallets this host accepts (the registry ids of Assets/wallets.toml) and how each one behaves.
/// A wallet without its own behaviour approves.
public struct WalletBook: Sendable, Equatable {
    public var known: Set<String>
    public var behaviours: [String: WalletBehaviour]

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

    /// Used when no registry file is at hand (tests of the rules alone); the simulator loads the real registry.
    public static let registryIds: Set<String> = [
        "paypay", "rakutenpay", "dbarai", "merpay", "aupay", "yuchopay", "linepay",
        "wechatpay", "alipay", "alipayplus", "unionpay", "jcb",
    ]
}
