import Foundation

/// The acquirer's rules a terminal has to live with, set when the simulator starts.
public struct LedgerRules: Sendable, Equatable {
    /// A paid sale may be cancelled (reversed) this long after it was created; afterwards only refunded.
    public var cancelWindow: TimeInterval
    /// Demo mode: a shopper pays every order this long after it is registered, with `autoPayWallet`.
    public var autoPayAfter: TimeInterval?
    public var autoPayWallet: String
    /// The longest an order may stay open for a shopper to scan.
    public var longestOrderLifetime: TimeInterval

    public init(cancelWindow: TimeInterval = 600, autoPayAfter: TimeInterval? = nil, autoPayWallet: String = "paypay",
                longestOrderLifetime: TimeInterval = 3600) {
        self.cancelWindow = cancelWindow; self.autoPayAfter = autoPayAfter; self.autoPayWallet = autoPayWallet
        self.longestOrderLifetime = longestOrderLifetime
    }
}
