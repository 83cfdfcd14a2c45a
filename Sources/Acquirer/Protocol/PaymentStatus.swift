/// Where an order, a charge or a refund stands at the host. `pending` is the only state that can still change
/// by itself; the others change only by a cancel or a refund the terminal sends.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    case pending, paid, declined, expired, cancelled, refunded

    /// No shopper or timer can change it any more.
    public var isFinal: Bool { self != .pending }
}
