import Acquirer
import Foundation

extension Ledger {
    /// `POST /v1/orders`. Returns the order and whether this request created it (false: answered from the key).
    public mutating func registerOrder(_ request: OrderRequest, by caller: Caller, at now: Date) throws(LedgerRefusal) -> (Order, created: Bool) {
        let scope = try Self.key(caller)
        let operation = "POST /v1/orders"
        if let id = try replayed(scope, operation: operation, fingerprint: Self.fingerprint(request)), let record = orders[id] {
            return (record.order, false)
        }
        try Self.checkId(request.orderId, "orderId")
        try Self.checkMoney(amount: request.amount, currency: request.currency)
        guard (1...Int(rules.longestOrderLifetime)).contains(request.expiresInSeconds) else {
            throw .badRequest("expiresInSeconds must be 1 to \(Int(rules.longestOrderLifetime)), not \(request.expiresInSeconds)")
        }
        guard !request.qrPayload.isEmpty, request.qrPayload.unicodeScalars.count <= 512 else {
            throw .badRequest("qrPayload must be the code shown, 1 to 512 characters")
        }
        try checkUnused(request.orderId, record: orders[request.orderId]?.cancelledUnseen)
        let order = Order(orderId: request.orderId, amount: request.amount, currency: request.currency, status: .pending,
                          createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(request.expiresInSeconds)),
                          cancellableUntil: now.addingTimeInterval(rules.cancelWindow))
        store(OrderRecord(order: order, terminalId: caller.terminalId, qrPayload: request.qrPayload,
                          autoPayAt: rules.autoPayAfter.map { now.addingTimeInterval($0) }))
        store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: Self.fingerprint(request), resourceId: order.orderId, createdAt: now))
        return (order, true)
    }

    /// `GET /v1/orders/{id}`: a terminal sees only its own orders.
    public func order(_ id: String, for caller: Caller) throws(LedgerRefusal) -> Order {
        guard let record = orders[id], record.terminalId == caller.terminalId else { throw .notFound("order", id) }
        return record.order
    }

    /// `POST /v1/orders/{id}/cancel`.
    public mutating func cancelOrder(_ id: String, by caller: Caller, at now: Date) throws(LedgerRefusal) -> Order {
        let scope = try Self.key(caller)
        let operation = "POST /v1/orders/\(id)/cancel"
        if let id = try replayed(scope, operation: operation, fingerprint: ""), let record = orders[id] { return record.order }
        guard var record = orders[id] else {
            // Not seen (yet): the cancel is remembered and wins over a registration that arrives later.
            try Self.checkId(id, "orderId")
            let order = Order(orderId: id, amount: 0, currency: "", status: .cancelled, createdAt: now, expiresAt: now, cancelledAt: now,
                              cancellableUntil: now)
            store(OrderRecord(order: order, terminalId: caller.terminalId, qrPayload: "", autoPayAt: nil, cancelledUnseen: true))
            store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: "", resourceId: id, createdAt: now))
            return order
        }
        guard record.terminalId == caller.terminalId else { throw .notFound("order", id) }
        let undone = try Self.cancelled(status: record.order.status, refunded: record.order.refundedAmount,
                                        cancellableUntil: record.order.cancellableUntil, what: "order \(id)", now: now)
        if undone {
            record.order.status = .cancelled
            record.order.cancelledAt = now
            record.order.confirmingUntil = nil
            record.autoPayAt = nil
            store(record)
        }
        store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: "", resourceId: id, createdAt: now))
        return record.order
    }

    /// `POST /sim/orders/{id}/pay`: the simulated shopper scans the code and pays with `wallet`.
    public mutating func shopperPays(_ id: String, wallet: String, at now: Date) throws(LedgerRefusal) -> Order {
        guard var record = orders[id] else { throw .notFound("order", id) }
        guard wallets.knows(wallet) else { throw .unprocessable("unknown_wallet", "no wallet '\(wallet)' in the registry; known: \(wallets.known.sorted().joined(separator: ", "))") }
        switch record.order.status {
        case .pending where record.order.confirmingUntil != nil:
            throw .conflict("payment_in_progress", "order \(id) is already being paid with \(record.order.wallet ?? "a wallet")")
        case .pending: break
        case .expired: throw .conflict("order_expired", "order \(id) expired at \(WireFormat.timestamp(record.order.expiresAt)): the payment is refused")
        case .cancelled: throw .conflict("order_cancelled", "order \(id) was cancelled by the terminal: the payment is refused")
        case .paid, .refunded: throw .conflict("already_paid", "order \(id) is already paid")
        case .declined: throw .conflict("order_declined", "order \(id) was declined; the terminal must start a new sale")
        }
        record.autoPayAt = nil
        record.order = pay(record.order, wallet: wallet, at: now)
        store(record)
        return record.order
    }

    /// The cancel rule shared by orders and charges: true when the sale is to become cancelled, false when there
    /// is nothing to undo (declined, expired, already cancelled or refunded); refused when only a refund can help.
    static func cancelled(status: PaymentStatus, refunded: Int, cancellableUntil: Date, what: String, now: Date) throws(LedgerRefusal) -> Bool {
        switch status {
        case .pending: return true
        case .paid where refunded > 0:
            throw .conflict("partly_refunded", "\(what) is partly refunded: refund the rest instead of cancelling")
        case .paid where now < cancellableUntil: return true
        case .paid:
            throw .conflict("cancel_window_closed", "the cancel window for \(what) closed at \(WireFormat.timestamp(cancellableUntil)): refund it instead")
        case .declined, .expired, .cancelled, .refunded: return false
        }
    }
}
