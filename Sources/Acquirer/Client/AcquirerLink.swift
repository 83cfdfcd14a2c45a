import Foundation

/// What the terminal asks of its acquirer, as one small protocol: the mutual-TLS `AcquirerClient` is the production
/// implementation; tests drive the sale runner against the simulator's ledger in-process through the same calls.
/// Every call answers with an outcome, never throws: `unknown` and `unreachable` are answers too.
public protocol AcquirerLink: Sendable {
    func health() async -> AcquirerOutcome<HostHealth>
    func registerOrder(_ order: OrderRequest, idempotencyKey: String?) async -> AcquirerOutcome<Order>
    /// The order now, or as soon as it stops being pending within `wait` (long-poll).
    func inquireOrder(_ orderId: String, wait: Duration?) async -> AcquirerOutcome<Order>
    func cancelOrder(_ orderId: String, idempotencyKey: String?) async -> AcquirerOutcome<Order>
    func charge(_ charge: ChargeRequest, idempotencyKey: String?) async -> AcquirerOutcome<Charge>
    func inquireCharge(_ chargeId: String, wait: Duration?) async -> AcquirerOutcome<Charge>
    func cancelCharge(_ chargeId: String, idempotencyKey: String?) async -> AcquirerOutcome<Charge>
    func refund(_ refund: RefundRequest, idempotencyKey: String?) async -> AcquirerOutcome<Refund>
    /// What the host booked for this terminal in [from, to), for the daily close.
    func settlement(from: Date, to: Date) async -> AcquirerOutcome<Settlement>
}

extension AcquirerLink {
    // The keys by default: the id itself for creating, `ID:cancel` for its one cancel (IdempotencyKey).
    public func registerOrder(_ order: OrderRequest) async -> AcquirerOutcome<Order> { await registerOrder(order, idempotencyKey: nil) }
    public func inquireOrder(_ orderId: String) async -> AcquirerOutcome<Order> { await inquireOrder(orderId, wait: nil) }
    public func cancelOrder(_ orderId: String) async -> AcquirerOutcome<Order> { await cancelOrder(orderId, idempotencyKey: nil) }
    public func charge(_ charge: ChargeRequest) async -> AcquirerOutcome<Charge> { await self.charge(charge, idempotencyKey: nil) }
    public func inquireCharge(_ chargeId: String) async -> AcquirerOutcome<Charge> { await inquireCharge(chargeId, wait: nil) }
    public func cancelCharge(_ chargeId: String) async -> AcquirerOutcome<Charge> { await cancelCharge(chargeId, idempotencyKey: nil) }
    public func refund(_ refund: RefundRequest) async -> AcquirerOutcome<Refund> { await self.refund(refund, idempotencyKey: nil) }
}

extension AcquirerClient: AcquirerLink {}
