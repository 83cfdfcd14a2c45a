import Acquirer
import AcquirerSimulator
import Foundation
import Terminal

/// An acquirer in-process: the simulator's real `Ledger` behind the `AcquirerLink` the sale runner talks to, with
/// faults scripted per request kind so tests combine them deterministically (no sockets, no timers of their own).
///
/// A fault is taken by the next request of its kind: `held` parks the request before it reaches the ledger until
/// the test calls `release`; then `lost` commits it and answers `.unknown` (the answer went missing), `unreachable`
/// answers without touching the ledger. Refusals of the ledger's rules come back as `.refused` (404 for not found).
actor LedgerLink: AcquirerLink {
    enum Kind: String, Sendable, CaseIterable {
        case health, registerOrder, inquireOrder, cancelOrder, charge, inquireCharge, cancelCharge, refund, settlement
    }

    struct Fault: Sendable {
        enum Result: Sendable { case answer, lost, unreachable }
        var held = false
        var result: Result = .answer
        /// Parked before the ledger until `release`, then answered normally.
        static let held = Fault(held: true)
        /// Committed at the ledger, the answer lost on the way back (timeout, reset): `.unknown`.
        static let lost = Fault(result: .lost)
        /// Nothing reached the ledger: `.unreachable`.
        static let unreachable = Fault(result: .unreachable)
        /// Parked, and when released committed with its answer lost.
        static let heldThenLost = Fault(held: true, result: .lost)
    }

    private(set) var ledger: Ledger
    let terminalId: String
    private var faults: [Kind: [Fault]] = [:]
    private var parked: [Kind: [CheckedContinuation<Void, Never>]] = [:]
    /// Every request in the order it arrived, for assertions.
    private(set) var log: [(kind: Kind, id: String)] = []

    init(ledger: Ledger = Ledger(), terminalId: String = "TEST-01") {
        self.ledger = ledger; self.terminalId = terminalId
    }

    // MARK: scripting

    func inject(_ fault: Fault, on kind: Kind, times: Int = 1) {
        faults[kind, default: []].append(contentsOf: Array(repeating: fault, count: times))
    }

    /// Lets the first parked request of `kind` go on to the ledger.
    func release(_ kind: Kind) {
        guard var waiting = parked[kind], !waiting.isEmpty else { return }
        let first = waiting.removeFirst()
        parked[kind] = waiting
        first.resume()
    }

    func parkedCount(_ kind: Kind) -> Int { parked[kind]?.count ?? 0 }

    /// Waits until a request of `kind` is parked (false after `limit`).
    func waitUntilParked(_ kind: Kind, limit: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if parkedCount(kind) > 0 { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func count(_ kind: Kind) -> Int { log.filter { $0.kind == kind }.count }

    // MARK: the shopper and the books

    /// A refund booked at the host that the terminal never sent (a refund made at the acquirer's back office).
    func backOfficeRefund(_ paymentId: String, amount: Int) throws -> Refund {
        let now = Date()
        ledger.advance(to: now)
        let refund = RefundRequest(refundId: "BO-\(paymentId)", paymentId: paymentId, amount: amount, reason: "back office")
        return try ledger.createRefund(refund, by: Caller(terminalId: terminalId, idempotencyKey: "BO-\(paymentId)"), at: now).0
    }

    /// The shopper scans the shown code and pays with `wallet` (`POST /sim/orders/{id}/pay`).
    func shopperPays(_ orderId: String, wallet: String = "paypay") throws -> Order {
        let now = Date()
        ledger.advance(to: now)
        return try ledger.shopperPays(orderId, wallet: wallet, at: now)
    }

    /// The ledger as it stands now (time applied).
    func books() -> Ledger {
        ledger.advance(to: Date())
        return ledger
    }

    // MARK: AcquirerLink

    func health() async -> AcquirerOutcome<HostHealth> {
        await perform(.health, "health", key: nil) { _, _ in HostHealth(status: "ok", host: "ledger-link") }
    }

    func registerOrder(_ order: OrderRequest, idempotencyKey: String?) async -> AcquirerOutcome<Order> {
        await perform(.registerOrder, order.orderId, key: idempotencyKey ?? order.orderId) { ledger, caller in
            try ledger.registerOrder(order, by: caller, at: Date()).0
        }
    }

    func inquireOrder(_ orderId: String, wait: Duration?) async -> AcquirerOutcome<Order> {
        await longPoll(.inquireOrder, orderId, wait: wait) { ledger, caller in try ledger.order(orderId, for: caller) }
    }

    func cancelOrder(_ orderId: String, idempotencyKey: String?) async -> AcquirerOutcome<Order> {
        await perform(.cancelOrder, orderId, key: idempotencyKey ?? IdempotencyKey.cancel(orderId)) { ledger, caller in
            try ledger.cancelOrder(orderId, by: caller, at: Date())
        }
    }

    func charge(_ charge: ChargeRequest, idempotencyKey: String?) async -> AcquirerOutcome<Charge> {
        await perform(.charge, charge.chargeId, key: idempotencyKey ?? charge.chargeId) { ledger, caller in
            try ledger.createCharge(charge, by: caller, at: Date()).0
        }
    }

    func inquireCharge(_ chargeId: String, wait: Duration?) async -> AcquirerOutcome<Charge> {
        await longPoll(.inquireCharge, chargeId, wait: wait) { ledger, caller in try ledger.charge(chargeId, for: caller) }
    }

    func cancelCharge(_ chargeId: String, idempotencyKey: String?) async -> AcquirerOutcome<Charge> {
        await perform(.cancelCharge, chargeId, key: idempotencyKey ?? IdempotencyKey.cancel(chargeId)) { ledger, caller in
            try ledger.cancelCharge(chargeId, by: caller, at: Date())
        }
    }

    func refund(_ refund: RefundRequest, idempotencyKey: String?) async -> AcquirerOutcome<Refund> {
        await perform(.refund, refund.refundId, key: idempotencyKey ?? refund.refundId) { ledger, caller in
            try ledger.createRefund(refund, by: caller, at: Date()).0
        }
    }

    func settlement(from: Date, to: Date) async -> AcquirerOutcome<Settlement> {
        await perform(.settlement, "settlement", key: nil) { ledger, caller in try ledger.settlement(for: caller, from: from, to: to) }
    }

    // MARK: the wire, played in memory

    private func nextFault(_ kind: Kind) -> Fault {
        guard var queue = faults[kind], !queue.isEmpty else { return Fault() }
        let fault = queue.removeFirst()
        faults[kind] = queue
        return fault
    }

    private func perform<T: Sendable>(_ kind: Kind, _ id: String, key: String?, fault scripted: Fault? = nil,
                                      _ body: (inout Ledger, Caller) throws -> T) async -> AcquirerOutcome<T> {
        if scripted == nil { log.append((kind, id)) } // a long-poll's later looks are the same request
        let fault = scripted ?? nextFault(kind)
        if fault.held { await withCheckedContinuation { parked[kind, default: []].append($0) } }
        if fault.result == .unreachable { return .unreachable("connection refused (scripted)") }
        ledger.advance(to: Date())
        let outcome: AcquirerOutcome<T>
        do { outcome = .done(try body(&ledger, Caller(terminalId: terminalId, idempotencyKey: key))) } catch let error as LedgerRefusal {
            outcome = .refused(HostRefusal(status: error.status, code: error.code, message: error.message))
        } catch {
            outcome = .refused(HostRefusal(status: 400, code: "bad_request", message: "\(error)"))
        }
        _ = ledger.takeChanges()
        if fault.result == .lost { return .unknown(UnknownOutcome(.timeout, "the answer was lost after the host committed it (scripted)")) }
        return outcome
    }

    /// A read; with `wait`, answered as soon as the resource stops being pending or when the wait is over.
    private func longPoll<T: HostResource>(_ kind: Kind, _ id: String, wait: Duration?,
                                           _ read: (inout Ledger, Caller) throws -> T) async -> AcquirerOutcome<T> {
        let deadline = ContinuousClock.now + (wait ?? .zero)
        var fault: Fault? // the scripted fault belongs to the request, taken by its first look only
        while true {
            let outcome = await perform(kind, id, key: nil, fault: fault, read)
            guard case let .done(resource) = outcome, resource.status == .pending, ContinuousClock.now < deadline else { return outcome }
            try? await Task.sleep(for: .milliseconds(20))
            fault = Fault()
        }
    }
}

extension LedgerLink.Fault.Result: Equatable {}
