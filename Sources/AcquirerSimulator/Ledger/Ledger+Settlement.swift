import Acquirer
import Foundation

extension Ledger {
    /// `GET /v1/settlement`: what the host booked for `caller` with a time in [from, to): payments by when they were
    /// paid, reversals by when they were cancelled, refunds by when they were made.
    public func settlement(for caller: Caller, from: Date, to: Date) throws(LedgerRefusal) -> Settlement {
        guard from < to else { throw .badRequest("from must be before to") }
        guard to.timeIntervalSince(from) <= 31 * 86_400 else { throw .badRequest("a settlement covers at most 31 days") }
        let range = from..<to
        var items: [Settlement.Item] = []
        func book(_ id: String, amount: Int, currency: String, wallet: String?, paidAt: Date?, cancelledAt: Date?, status: PaymentStatus) {
            guard let paidAt else { return }
            if range.contains(paidAt) { items.append(.init(kind: .sale, paymentId: id, amount: amount, currency: currency, wallet: wallet, at: paidAt)) }
            if status == .cancelled, let cancelledAt, range.contains(cancelledAt) {
                items.append(.init(kind: .cancel, paymentId: id, amount: amount, currency: currency, wallet: wallet, at: cancelledAt))
            }
        }
        for record in orders.values where record.terminalId == caller.terminalId {
            let o = record.order
            book(o.orderId, amount: o.amount, currency: o.currency, wallet: o.wallet, paidAt: o.paidAt, cancelledAt: o.cancelledAt, status: o.status)
        }
        for record in charges.values where record.terminalId == caller.terminalId {
            let c = record.charge
            book(c.chargeId, amount: c.amount, currency: c.currency, wallet: c.wallet, paidAt: c.paidAt, cancelledAt: c.cancelledAt, status: c.status)
        }
        for record in refunds.values where record.terminalId == caller.terminalId && range.contains(record.refund.createdAt) {
            let r = record.refund
            let wallet = charges[r.paymentId]?.charge.wallet ?? orders[r.paymentId]?.order.wallet
            items.append(.init(kind: .refund, paymentId: r.paymentId, refundId: r.refundId, amount: r.amount, currency: r.currency, wallet: wallet, at: r.createdAt))
        }
        items.sort { ($0.at, $0.paymentId, $0.kind.rawValue) < ($1.at, $1.paymentId, $1.kind.rawValue) }
        return Settlement(terminalId: caller.terminalId, from: from, to: to, items: items)
    }
}
