import Acquirer
import Foundation

/// An order as the host keeps it: what the terminal sees, plus who registered it and what the host still plans.
public struct OrderRecord: Codable, Sendable, Equatable {
    public var order: Order
    public var terminalId: String
    public var qrPayload: String
    /// Demo mode: when the simulated shopper pays.
    public var autoPayAt: Date?
    /// The terminal cancelled this id before its registration arrived: the id is spent, and a later
    /// registration with it is refused (what real hosts do, so a delayed request cannot revive a cancelled sale).
    public var cancelledUnseen: Bool?
}

public struct ChargeRecord: Codable, Sendable, Equatable {
    public var charge: Charge
    public var terminalId: String
    /// Cancelled before the charge arrived; a later charge with this id is refused.
    public var cancelledUnseen: Bool?
}

public struct RefundRecord: Codable, Sendable, Equatable {
    public var refund: Refund
    public var terminalId: String
}

/// Idempotency keys belong to one terminal: two terminals may pick the same key without meeting.
public struct IdempotencyScope: Codable, Sendable, Hashable {
    public var terminalId: String
    public var key: String
}

/// What a key was first used for, to answer a retry with the same resource or refuse a different request (409).
public struct IdempotencyRecord: Codable, Sendable, Equatable {
    public var scope: IdempotencyScope
    /// e.g. "POST /v1/charges".
    public var operation: String
    /// The request as canonical JSON (sorted keys): equal requests are equal text.
    public var fingerprint: String
    public var resourceId: String
    public var createdAt: Date
}

/// Who asks: the terminal id from its client certificate, and the idempotency key it sent, if any.
public struct Caller: Sendable, Equatable {
    public var terminalId: String
    public var idempotencyKey: String?
    public init(terminalId: String, idempotencyKey: String?) { self.terminalId = terminalId; self.idempotencyKey = idempotencyKey }
}

/// Which records a step changed, so the store writes just those in one transaction.
public struct LedgerChanges: Sendable, Equatable {
    public var orders: Set<String> = []
    public var charges: Set<String> = []
    public var refunds: Set<String> = []
    public var keys: Set<IdempotencyScope> = []
    public var isEmpty: Bool { orders.isEmpty && charges.isEmpty && refunds.isEmpty && keys.isEmpty }
}
