import Foundation

/// The one recovery rule all acquirers share (PayPay, Alipay+, WeChat Pay, ISO 8583 reversals): after an unknown
/// outcome, ask (inquiry); then cancel inside the cancel window, otherwise refund. Pure: the sale machine acts on it.
public enum RecoveryStep: Equatable, Sendable {
    /// Nothing moved or it is settled either way: record this status.
    case settled(PaymentStatus)
    /// The shopper may still pay (or is confirming): cancel, which wins over a late "paid".
    case cancel
    /// Paid, cancel window closed: only a refund of what is left returns the money.
    case refund(amount: Int)
    /// The inquiry itself failed: ask again later with the same key.
    case inquireAgain
    /// The host does not know the sale: the request never arrived, nothing moved.
    case neverArrived

    /// What to do after inquiring a sale the terminal wants undone (timed out, aborted, or the shopper walked away).
    public static func toUndo(status: PaymentStatus, amount: Int, refunded: Int, cancellableUntil: Date, now: Date) -> RecoveryStep {
        switch status {
        case .pending: return .cancel
        case .paid: return now < cancellableUntil && refunded == 0 ? .cancel : .refund(amount: amount - refunded)
        case .declined, .expired, .cancelled, .refunded: return .settled(status)
        }
    }

    public static func toUndo(_ outcome: AcquirerOutcome<Charge>, now: Date) -> RecoveryStep {
        switch outcome {
        case let .done(charge):
            return toUndo(status: charge.status, amount: charge.amount, refunded: charge.refundedAmount, cancellableUntil: charge.cancellableUntil, now: now)
        case let .refused(refusal) where refusal.status == 404: return .neverArrived
        case .refused, .unknown, .unreachable: return .inquireAgain
        }
    }

    public static func toUndo(_ outcome: AcquirerOutcome<Order>, now: Date) -> RecoveryStep {
        switch outcome {
        case let .done(order):
            return toUndo(status: order.status, amount: order.amount, refunded: order.refundedAmount, cancellableUntil: order.cancellableUntil, now: now)
        case let .refused(refusal) where refusal.status == 404: return .neverArrived
        case .refused, .unknown, .unreachable: return .inquireAgain
        }
    }
}
