import Foundation

/// Merchant-presented sale: the terminal shows a dynamic JPQR and registers the same sale with the host, which
/// learns of the shopper's payment from the wallet. `orderId` is the terminal's sale id.
public struct OrderRequest: Codable, Sendable, Equatable {
    public var orderId: String
    /// In the currency's minor unit (yen for JPY, cents for USD).
    public var amount: Int
    /// ISO 4217 letters.
    public var currency: String
    /// The code on the counter display, so the host can match what the shopper scanned.
    public var qrPayload: String
    /// After this the host refuses the shopper's payment and the order is `expired`.
    public var expiresInSeconds: Int

    public init(orderId: String, amount: Int, currency: String, qrPayload: String, expiresInSeconds: Int) {
        self.orderId = orderId; self.amount = amount; self.currency = currency
        self.qrPayload = qrPayload; self.expiresInSeconds = expiresInSeconds
    }
}

public struct Order: Codable, Sendable, Equatable {
    public var orderId: String
    public var amount: Int
    public var currency: String
    public var status: PaymentStatus
    /// The wallet the shopper paid (or is paying) with.
    public var wallet: String?
    /// The paying wallet's country (ISO 3166 alpha-2) as the host knows it: a partner wallet of JPQR Global or
    /// Alipay+ the terminal's registry may not list still brings the shopper's language.
    public var walletCountry: String?
    /// The shopper is confirming in the wallet app until then; still `pending`.
    public var confirmingUntil: Date?
    public var declineReason: String?
    public var refundedAmount: Int
    public var createdAt: Date
    public var expiresAt: Date
    public var paidAt: Date?
    public var cancelledAt: Date?
    /// A paid order may be cancelled (reversed) until then; afterwards only a refund returns the money.
    public var cancellableUntil: Date

    public init(orderId: String, amount: Int, currency: String, status: PaymentStatus, wallet: String? = nil,
                confirmingUntil: Date? = nil, declineReason: String? = nil, refundedAmount: Int = 0,
                createdAt: Date, expiresAt: Date, paidAt: Date? = nil, cancelledAt: Date? = nil, cancellableUntil: Date) {
        self.orderId = orderId; self.amount = amount; self.currency = currency; self.status = status
        self.wallet = wallet; self.confirmingUntil = confirmingUntil; self.declineReason = declineReason
        self.refundedAmount = refundedAmount; self.createdAt = createdAt; self.expiresAt = expiresAt
        self.paidAt = paidAt; self.cancelledAt = cancelledAt; self.cancellableUntil = cancellableUntil
    }
}
