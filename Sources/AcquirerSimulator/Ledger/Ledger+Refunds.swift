import Acquirer
import Foundation

extension Ledger {
    /// `POST /v1/refunds`: part or all of what is left of a paid order or charge.
    public mutating func createRefund(_ request: RefundRequest, by caller: Caller, at now: Date) throws(LedgerRefusal) -> (Refund, created: Bool) {
        let scope = try Self.key(caller)
        let operation = "POST /v1/refunds"
        if let id = try replayed(scope, operation: operation, fingerprint: Self.fingerprint(request)), let record = refunds[id] {
            return (record.refund, false)
        }
        try Self.checkId(request.refundId, "refundId")
        try Self.checkId(request.paymentId, "paymentId")
        guard request.amount > 0 else { throw .badRequest("amount must be positive, not \(request.amount)") }
        guard refunds[request.refundId] == nil else {
            throw .conflict("duplicate_id", "the refund id '\(request.refundId)' is already used (sent with another Idempotency-Key)")
        }
        var paid: (amount: Int, refunded: Int, currency: String, status: PaymentStatus, wallet: String?, paidAt: Date?)
        if let record = charges[request.paymentId], record.terminalId == caller.terminalId {
            let charge = record.charge
            paid = (charge.amount, charge.refundedAmount, charge.currency, charge.status, charge.wallet, charge.paidAt ?? charge.createdAt)
        } else if let record = orders[request.paymentId], record.terminalId == caller.terminalId {
            let order = record.order
            paid = (order.amount, order.refundedAmount, order.currency, order.status, order.wallet, order.paidAt ?? order.createdAt)
        } else {
            throw .notFound("order or charge", request.paymentId)
        }
        guard paid.status == .paid else {
            throw .conflict("not_refundable", "\(request.paymentId) is \(paid.status.rawValue): there is nothing paid to refund")
        }
        guard request.amount <= paid.amount - paid.refunded else {
            throw .unprocessable("amount_exceeds_refundable", "\(request.paymentId) has \(paid.amount - paid.refunded) \(paid.currency) left to refund, not \(request.amount)")
        }
        // The wallet's own rule, as its host plays it (the same registry the terminal checks before sending).
        if let wallet = paid.wallet, let paidAt = paid.paidAt {
            let made = refunds.values.filter { $0.refund.paymentId == request.paymentId }.count
            if let refusal = wallets.refundRefusal(wallet: wallet, paidAt: paidAt, amount: paid.amount, refunded: paid.refunded, refundsMade: made,
                                                   refund: request.amount, now: now) {
                throw .unprocessable(refusal.code, refusal.message)
            }
        }
        paid.refunded += request.amount
        let status: PaymentStatus = paid.refunded == paid.amount ? .refunded : .paid
        if var record = charges[request.paymentId] {
            record.charge.refundedAmount = paid.refunded; record.charge.status = status; store(record)
        } else if var record = orders[request.paymentId] {
            record.order.refundedAmount = paid.refunded; record.order.status = status; store(record)
        }
        let refund = Refund(refundId: request.refundId, paymentId: request.paymentId, amount: request.amount, currency: paid.currency,
                            status: .refunded, reason: request.reason, createdAt: now)
        store(RefundRecord(refund: refund, terminalId: caller.terminalId))
        store(IdempotencyRecord(scope: scope, operation: operation, fingerprint: Self.fingerprint(request), resourceId: refund.refundId, createdAt: now))
        return (refund, true)
    }

    public func refund(_ id: String, for caller: Caller) throws(LedgerRefusal) -> Refund {
        guard let record = refunds[id], record.terminalId == caller.terminalId else { throw .notFound("refund", id) }
        return record.refund
    }
}
