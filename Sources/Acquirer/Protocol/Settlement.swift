import Foundation

/// `GET /v1/settlement?from=&to=`: every money movement the host booked for the calling terminal in a time range,
/// for the terminal's daily close (日計) to match line by line.
public struct Settlement: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A payment (an order paid by a shopper, or a charge of a shopper's code).
        case sale
        /// A paid payment reversed inside the cancel window (取消).
        case cancel
        /// Money sent back after the payment (返品).
        case refund
    }

    public struct Item: Codable, Sendable, Equatable {
        public var kind: Kind
        /// The order id or charge id the movement is about (for a refund: the payment refunded).
        public var paymentId: String
        /// The refund's own id, for refunds.
        public var refundId: String?
        public var amount: Int
        public var currency: String
        public var wallet: String?
        public var at: Date
        public init(kind: Kind, paymentId: String, refundId: String? = nil, amount: Int, currency: String, wallet: String?, at: Date) {
            self.kind = kind; self.paymentId = paymentId; self.refundId = refundId; self.amount = amount; self.currency = currency
            self.wallet = wallet; self.at = at
        }
    }

    public var terminalId: String
    public var from: Date
    public var to: Date
    /// Oldest first.
    public var items: [Item]

    public init(terminalId: String, from: Date, to: Date, items: [Item]) {
        self.terminalId = terminalId; self.from = from; self.to = to; self.items = items
    }
}
