import Foundation

/// Money back for a paid order or charge, whole or in part; the only way once the cancel window has closed.
public struct RefundRequest: Codable, Sendable, Equatable {
    public var refundId: String
    /// The order id or charge id that was paid.
    public var paymentId: String
    public var amount: Int
    public var reason: String?

    public init(refundId: String, paymentId: String, amount: Int, reason: String? = nil) {
        self.refundId = refundId; self.paymentId = paymentId; self.amount = amount; self.reason = reason
    }
}

public struct Refund: Codable, Sendable, Equatable {
    public var refundId: String
    public var paymentId: String
    public var amount: Int
    public var currency: String
    public var status: PaymentStatus
    public var reason: String?
    public var createdAt: Date

    public init(refundId: String, paymentId: String, amount: Int, currency: String, status: PaymentStatus,
                reason: String? = nil, createdAt: Date) {
        self.refundId = refundId; self.paymentId = paymentId; self.amount = amount; self.currency = currency
        self.status = status; self.reason = reason; self.createdAt = createdAt
    }
}
