import Foundation

/// Consumer-presented sale: the terminal scanned the shopper's code and asks the host to charge it.
/// `chargeId` is the terminal's sale id.
public struct ChargeRequest: Codable, Sendable, Equatable, CustomStringConvertible {
    public var chargeId: String
    public var amount: Int
    public var currency: String
    /// Registry id of the wallet (Assets/wallets.toml), as the terminal classified the code.
    public var wallet: String
    /// The whole code the shopper showed: a one-time secret, never logged whole.
    public var customerCode: String

    public init(chargeId: String, amount: Int, currency: String, wallet: String, customerCode: String) {
        self.chargeId = chargeId; self.amount = amount; self.currency = currency
        self.wallet = wallet; self.customerCode = customerCode
    }

    public var description: String {
        "charge \(chargeId) \(amount) \(currency) \(wallet) code \(LogMask.customerCode(customerCode))"
    }
}

public struct Charge: Codable, Sendable, Equatable {
    public var chargeId: String
    public var amount: Int
    public var currency: String
    public var wallet: String
    /// The customer code as the host keeps it: masked.
    public var maskedCode: String
    /// The wallet's country (ISO 3166 alpha-2), when the host knows which issuer the code came from.
    public var walletCountry: String?
    public var status: PaymentStatus
    /// The wallet asked the shopper to confirm in the app; the charge stays `pending` until then at most.
    public var confirmingUntil: Date?
    public var declineReason: String?
    public var refundedAmount: Int
    public var createdAt: Date
    public var paidAt: Date?
    public var cancelledAt: Date?
    public var cancellableUntil: Date

    public init(chargeId: String, amount: Int, currency: String, wallet: String, maskedCode: String, status: PaymentStatus,
                confirmingUntil: Date? = nil, declineReason: String? = nil, refundedAmount: Int = 0,
                createdAt: Date, paidAt: Date? = nil, cancelledAt: Date? = nil, cancellableUntil: Date) {
        self.chargeId = chargeId; self.amount = amount; self.currency = currency; self.wallet = wallet
        self.maskedCode = maskedCode; self.status = status; self.confirmingUntil = confirmingUntil
        self.declineReason = declineReason; self.refundedAmount = refundedAmount; self.createdAt = createdAt
        self.paidAt = paidAt; self.cancelledAt = cancelledAt; self.cancellableUntil = cancellableUntil
    }
}
