import Acquirer
import Foundation
import Logging
import PaymentCodes

/// The host's HTTP API (Docs/acquirer-api.yaml): routes a request to the ledger's rules and plays faults.
/// Every refusal is a JSON body with a message; nothing a terminal sends can stop the host.
struct HostAPI: Sendable {
    let keeper: LedgerKeeper
    let stats: ServerStats
    let classifier: Classifier?
    let hostName: String
    let longestWait: Int
    /// Renewals of enrolled terminals' certificates, when the host enrolls terminals.
    let enrollment: EnrollmentDesk?
    let logger: Logger

    func handle(_ request: HostRequest) async -> HostAction {
        stats.update { $0.requests += 1 }
        guard request.path.hasPrefix("/v1/") else { return .respond(await route(request)) }
        let fault: FaultSpec?
        if let text = request.header(WireFormat.faultHeader) {
            do { fault = try FaultSpec(parsing: text) } catch {
                return .respond(Self.error(400, "bad_fault", "\(WireFormat.faultHeader): \(error.description)"))
            }
        } else {
            fault = await keeper.takeFault(method: request.method, path: request.path)
        }
        guard let fault else { return .respond(await route(request)) }
        logger.notice("fault \(fault) on \(request.method) \(request.path)")
        if case let .latency(ms) = fault.kind, !fault.afterCommit { try? await Task.sleep(for: .milliseconds(ms)) }
        if !fault.afterCommit, let action = Self.action(for: fault.kind, answer: nil) { return action }
        let response = await route(request)
        if case let .latency(ms) = fault.kind, fault.afterCommit { try? await Task.sleep(for: .milliseconds(ms)) }
        return Self.action(for: fault.kind, answer: response) ?? .respond(response)
    }

    static func action(for kind: FaultSpec.Kind, answer: HostResponse?) -> HostAction? {
        switch kind {
        case .latency: answer.map { .respond($0) }
        case .drop: .drop
        case .reset: .reset
        case .hang: .hang
        case let .serverError(status): .respond(error(status, "simulated_fault", "simulated host failure (\(status))"))
        }
    }

    // MARK: routing

    func route(_ request: HostRequest) async -> HostResponse {
        let route = RoutePattern(method: request.method, path: request.path)
        let caller = Caller(terminalId: request.terminalId, idempotencyKey: request.header(WireFormat.idempotencyHeader))
        do {
            if route.match("GET", "/v1/health") != nil { return Self.json(200, HostHealth(status: "ok", host: hostName)) }
            if route.match("GET", "/v1/time") != nil { return Self.json(200, HostTime(now: await keeper.now())) }

            if route.match("POST", "/v1/orders") != nil {
                let order = try decode(OrderRequest.self, request)
                try checkCode(shown: order)
                let (result, created) = try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.registerOrder(order, by: caller, at: now) }
                logger.info("order \(result.orderId) \(result.amount) \(result.currency) registered by \(caller.terminalId)\(created ? "" : " (repeated key)")")
                return Self.json(created ? 201 : 200, result, replayed: !created)
            }
            if let id = route.match("GET", "/v1/orders/:id")?.first {
                let deadline = try deadline(request)
                return Self.json(200, try await keeper.watch(until: deadline, isPending: { (o: Order) in o.status == .pending }) { ledger throws(LedgerRefusal) in
                    try ledger.order(id, for: caller)
                })
            }
            if let id = route.match("POST", "/v1/orders/:id/cancel")?.first {
                let result = try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.cancelOrder(id, by: caller, at: now) }
                logger.info("order \(id) cancel by \(caller.terminalId): \(result.status.rawValue)")
                return Self.json(200, result)
            }

            if route.match("POST", "/v1/charges") != nil {
                let charge = try decode(ChargeRequest.self, request)
                try checkCode(scanned: charge)
                let (result, created) = try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.createCharge(charge, by: caller, at: now) }
                logger.info("\(charge) by \(caller.terminalId): \(result.status.rawValue)\(created ? "" : " (repeated key)")")
                return Self.json(created ? 201 : 200, result, replayed: !created)
            }
            if let id = route.match("GET", "/v1/charges/:id")?.first {
                let deadline = try deadline(request)
                return Self.json(200, try await keeper.watch(until: deadline, isPending: { (c: Charge) in c.status == .pending }) { ledger throws(LedgerRefusal) in
                    try ledger.charge(id, for: caller)
                })
            }
            if let id = route.match("POST", "/v1/charges/:id/cancel")?.first {
                let result = try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.cancelCharge(id, by: caller, at: now) }
                logger.info("charge \(id) cancel by \(caller.terminalId): \(result.status.rawValue)")
                return Self.json(200, result)
            }

            if route.match("POST", "/v1/refunds") != nil {
                let refund = try decode(RefundRequest.self, request)
                let (result, created) = try await keeper.step { ledger, now throws(LedgerRefusal) in try ledger.createRefund(refund, by: caller, at: now) }
                logger.info("refund \(result.refundId) of \(result.paymentId) \(result.amount) \(result.currency) by \(caller.terminalId)")
                return Self.json(created ? 201 : 200, result, replayed: !created)
            }
            if let id = route.match("GET", "/v1/refunds/:id")?.first {
                return Self.json(200, try await keeper.step { ledger, _ throws(LedgerRefusal) in try ledger.refund(id, for: caller) })
            }

            if route.match("GET", "/v1/settlement") != nil {
                let from = try time(request, "from"), to = try time(request, "to")
                return Self.json(200, try await keeper.step { ledger, _ throws(LedgerRefusal) in try ledger.settlement(for: caller, from: from, to: to) })
            }

            if route.match("POST", EnrollmentPath.simpleReenroll) != nil {
                guard let enrollment else { return Self.error(404, "no_enrollment", "this host does not enroll terminals (start it with --enroll-listen)") }
                return enrollment.reenroll(request)
            }
            if request.path.hasPrefix("/sim/") { return try await SimulatorControlAPI(keeper: keeper, stats: stats).route(request, route) }
            return Self.unknownPath(request)
        } catch let refusal as LedgerRefusal {
            logger.info("\(request.method) \(request.path) refused: \(refusal)")
            return Self.error(refusal.status, refusal.code, refusal.message)
        } catch let failure as LedgerKeeper.StoreFailure {
            return Self.error(500, "ledger_unavailable", failure.description)
        } catch {
            return Self.error(500, "internal", "\(error)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: HostRequest) throws -> T {
        do { return try WireFormat.decoder().decode(type, from: request.body) } catch {
            throw LedgerRefusal.badRequest(WireFormat.explain(error))
        }
    }

    /// A required RFC 3339 time in the query (`from`, `to`).
    func time(_ request: HostRequest, _ name: String) throws -> Date {
        guard let text = request.query[name] else { throw LedgerRefusal.badRequest("\(name) is missing (an RFC 3339 time such as 2026-12-02T05:00:00+09:00)") }
        guard let date = WireFormat.date(text) else { throw LedgerRefusal.badRequest("\(name) must be an RFC 3339 time, not '\(text.prefix(40))'") }
        return date
    }

    /// How long a GET may wait for a pending record to change (`?wait=SECONDS`, at most `longestWait`).
    func deadline(_ request: HostRequest) throws -> Date {
        guard let text = request.query["wait"] else { return .distantPast }
        guard let seconds = Int(text), seconds >= 0 else { throw LedgerRefusal.badRequest("wait must be whole seconds, not '\(text.prefix(20))'") }
        return Date().addingTimeInterval(TimeInterval(min(seconds, longestWait)))
    }

    /// A shopper's code must not be a merchant code, and must belong to the wallet the terminal named.
    func checkCode(scanned charge: ChargeRequest) throws {
        guard let classifier else { return }
        let report = classifier.classify(charge.customerCode)
        if report.kind == .merchantPresented {
            throw LedgerRefusal.unprocessable("not_a_customer_code", "the code scanned is a merchant code (starts 000201), not a shopper's code")
        }
        // An unknown wallet is the ledger's refusal (unknown_wallet), clearer than a mismatch.
        if let wallet = report.wallet, wallet != charge.wallet, classifier.registry.entry(charge.wallet) != nil {
            throw LedgerRefusal.unprocessable("wallet_mismatch", "the customer code \(LogMask.customerCode(charge.customerCode)) belongs to \(wallet), not \(charge.wallet)")
        }
    }

    /// The code on the counter display must carry the order's amount when it carries one (tag 54).
    func checkCode(shown order: OrderRequest) throws {
        guard let classifier else { return }
        let report = classifier.classify(order.qrPayload)
        guard report.kind == .merchantPresented else {
            throw LedgerRefusal.unprocessable("not_a_merchant_code", "qrPayload is not a merchant-presented code: \(report.errors.first ?? "unknown format")")
        }
        if let amount = report.amount, let currency = Currency.code(order.currency), amount != currency.amountText(minorUnits: order.amount) {
            throw LedgerRefusal.unprocessable("amount_mismatch", "the code shown says \(amount) but the order is \(order.amount) \(order.currency)")
        }
    }

    static func unknownPath(_ request: HostRequest) -> HostResponse {
        error(404, "no_such_endpoint", "no \(request.method) \(request.path) here; see Docs/acquirer-api.yaml")
    }

    // MARK: JSON answers

    static func json(_ status: Int, _ value: some Encodable, replayed: Bool = false) -> HostResponse {
        do {
            var response = HostResponse(status: status, body: try WireFormat.encoder().encode(value))
            if replayed { response.headers.append((WireFormat.replayedHeader, "true")) }
            return response
        } catch {
            return Self.error(500, "internal", "could not encode the answer: \(error)")
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HostResponse {
        let body = (try? WireFormat.encoder().encode(HostErrorBody(error: code, message: message))) ?? Data()
        return HostResponse(status: status, body: body)
    }
}
