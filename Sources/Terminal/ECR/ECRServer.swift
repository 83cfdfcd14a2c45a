import Foundation
import Hummingbird
import Logging

/// The local API cash registers drive the terminal with: HTTP/JSON on loopback with a bearer token.
public enum ECRServer {
    public struct Options: Sendable {
        public var token: String
        public var currency: String
        public var maximumAmount: Int
        /// Nil when payments may be taken; otherwise why not (clock, offline), shown to the register.
        public var refusal: @Sendable () async -> String?
        public var health: @Sendable () async -> HealthReport
        public init(token: String, currency: String, maximumAmount: Int, refusal: @escaping @Sendable () async -> String?,
                    health: @escaping @Sendable () async -> HealthReport) {
            self.token = token; self.currency = currency; self.maximumAmount = maximumAmount; self.refusal = refusal; self.health = health
        }
    }

    public static func application(runner: SaleRunner, options: Options, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(runner: runner, options: options), configuration: .init(address: .hostname(host, port: port), serverName: "qrpos"),
                    logger: logger)
    }

    public static func router(runner: SaleRunner, options: Options) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemAnswers())
        router.add(middleware: BearerToken(token: options.token))

        router.post("/v1/sales") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 * 1024)
            let sale: SaleRequest
            do { sale = try SaleRequest(json: Data(buffer: body), currency: options.currency, maximumAmount: options.maximumAmount) } catch let error as SaleRequest.Invalid {
                return problem(.badRequest, error.description)
            }
            if let why = await options.refusal() { return problem(.serviceUnavailable, why) }
            do {
                let started = try await runner.start(amount: sale.amount, currency: sale.currency, reference: sale.reference, mode: sale.mode)
                return json(.created, SaleView(started))
            } catch let error as SaleRunner.StartError {
                if case .busy = error { return problem(.conflict, error.description) }
                if case .amount = error { return problem(.badRequest, error.description) }
                return problem(.internalServerError, error.description)
            }
        }

        router.get("/v1/sales/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            var wait = 0
            if let text = request.uri.queryParameters["wait"] {
                guard let seconds = Int(text), (0...60).contains(seconds) else { return problem(.badRequest, "wait must be 0 to 60 seconds") }
                wait = seconds
            }
            guard let sale = try await runner.wait(id, seconds: wait) else { return problem(.notFound, "no sale \(id)") }
            return json(.ok, SaleView(sale))
        }

        router.post("/v1/sales/:id/cancel") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let before = try await runner.sale(id) else { return problem(.notFound, "no sale \(id)") }
            // A finished sale has nothing to cancel: money that moved goes back through a refund, and says so.
            if before.state.isFinal {
                let hint = before.state == .paid ? "; to give the money back, POST /v1/refunds" : ""
                return problem(.conflict, "sale \(id) is already \(before.state.rawValue)\(hint)")
            }
            guard let sale = try await runner.cancel(id) else { return problem(.notFound, "no sale \(id)") }
            return json(.accepted, SaleView(sale))
        }

        router.post("/v1/refunds") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let object = try? JSONDecoder().decode([String: JSONField].self, from: Data(buffer: body)) else {
                return problem(.badRequest, "the body must be a JSON object {\"saleId\": …, \"amount\": …}")
            }
            guard case let .string(id)? = object["saleId"] else { return problem(.badRequest, "saleId is missing") }
            let amount: Int
            do { amount = try SaleRequest.amount(object["amount"], maximum: options.maximumAmount) } catch let error as SaleRequest.Invalid {
                return problem(.badRequest, error.description)
            }
            guard let before = try await runner.sale(id) else { return problem(.notFound, "no sale \(id)") }
            guard before.state == .paid else { return problem(.conflict, "sale \(id) is \(before.state.rawValue); only a paid sale can be refunded") }
            guard amount <= before.amount - before.refundedAmount else {
                return problem(.badRequest, "at most \(before.amount - before.refundedAmount) can still be refunded")
            }
            guard let sale = try await runner.refund(id, amount: amount) else { return problem(.notFound, "no sale \(id)") }
            return json(.accepted, SaleView(sale))
        }

        router.get("/v1/health") { _, _ -> Response in
            // 200 when everything the board has works; a part the board does not have is "absent", which is fine.
            let report = await options.health()
            return json(report.isHealthy ? .ok : .serviceUnavailable, report)
        }
        return router
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }
}

/// What the register sees of a sale: never the customer's whole code.
public struct SaleView: Codable, Sendable {
    public var id: String, status: String, amount: Int, currency: String, mode: String
    public var reference: String?, wallet: String?, customerCode: String?
    /// What the host or the wallet said (a decline reason, a refusal).
    public var detail: String?
    /// Why the sale ended (cashier, expired, recovery, declined, refused, offline, host, refunded); nil while open or paid.
    public var endReason: String?
    /// The register cancelled, but the money could not be given back: the sale stands as paid.
    public var cancelOverridden: Bool
    /// The last transport problem with the host (for technicians), separate from `detail`.
    public var lastError: String?
    public var refundedAmount: Int, expiresAt: Date, createdAt: Date, updatedAt: Date

    public init(_ sale: Sale) {
        id = sale.id; status = sale.state.rawValue; amount = sale.amount; currency = sale.currency; mode = sale.mode.rawValue
        reference = sale.reference; wallet = sale.wallet; customerCode = sale.maskedCode; detail = sale.detail
        endReason = sale.endReason?.rawValue; cancelOverridden = sale.cancelOverridden; lastError = sale.lastError
        refundedAmount = sale.refundedAmount; expiresAt = sale.expiresAt; createdAt = sale.createdAt; updatedAt = sale.updatedAt
    }
}

/// Every request must carry `Authorization: Bearer <token>`; compared in constant time.
/// Errors the router raises itself (an unknown path, a body too large) answer in the API's own
/// {"error": …} form, so a register integrator always reads what went wrong.
struct ProblemAnswers: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let endpoints = "POST /v1/sales, GET /v1/sales/{id}?wait=S, POST /v1/sales/{id}/cancel, POST /v1/refunds, GET /v1/health"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let error as HTTPError {
            let message = error.status == .notFound
                ? "no such endpoint: \(request.method) \(request.uri.path); the API has \(Self.endpoints)"
                : error.body ?? error.status.reasonPhrase
            return ECRServer.problem(error.status, message)
        } catch {
            // Anything else is ours (the journal cannot be read, …): a 500 that says what, never a silent 404.
            return ECRServer.problem(.internalServerError, "the terminal could not answer: \(error)")
        }
    }
}

struct BearerToken: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The scheme name is case-insensitive (RFC 9110): "bearer" works as well as "Bearer".
        let presented = request.headers[.authorization].flatMap { $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        let a = Array(presented.utf8), b = Array(token.utf8)
        var difference = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { difference |= Int(a[i] ^ b[i]) }
        guard difference == 0, !token.isEmpty else {
            return ECRServer.problem(.unauthorized, presented.isEmpty ? "missing bearer token (Authorization: Bearer …)" : "wrong bearer token")
        }
        return try await next(request, context)
    }
}
