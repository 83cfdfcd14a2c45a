import Foundation
import Hummingbird
import Imaging
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
        /// Prints a sale's slips again; nil on a board without a printer.
        public var reprint: (@Sendable (String) async throws -> [ReceiptDesk.Reprint])?
        /// The daily close; nil where the terminal keeps no close (tests of the sale routes alone).
        public var close: CloseDesk?
        /// The languages a register may ask a sale's screens to speak (Assets/languages.toml).
        public var languages: [String] = []
        public init(token: String, currency: String, maximumAmount: Int, refusal: @escaping @Sendable () async -> String?,
                    health: @escaping @Sendable () async -> HealthReport, reprint: (@Sendable (String) async throws -> [ReceiptDesk.Reprint])? = nil,
                    close: CloseDesk? = nil) {
            self.token = token; self.currency = currency; self.maximumAmount = maximumAmount; self.refusal = refusal; self.health = health
            self.reprint = reprint; self.close = close
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
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            guard let body = try await collectBody(request) else { return problem(.contentTooLarge, "the body is over \(bodyLimit / 1024) KiB") }
            let sale: SaleRequest
            do { sale = try SaleRequest(json: Data(buffer: body), currency: options.currency, maximumAmount: options.maximumAmount,
                                         languages: options.languages) } catch let error as SaleRequest.Invalid {
                return problem(.badRequest, error.description)
            }
            if let why = await options.refusal() { return problem(.serviceUnavailable, why) }
            do {
                let started = try await runner.start(amount: sale.amount, currency: sale.currency, reference: sale.reference, mode: sale.mode,
                                                     language: sale.language)
                return json(.created, SaleView(started))
            } catch let error as SaleRunner.StartError {
                if case let .busy(open) = error { return problem(.conflict, error.description, saleId: open) }
                if case .amount = error { return problem(.badRequest, error.description) }
                return problem(.internalServerError, error.description)
            }
        }

        // The register's list: newest first, a page at a time; finding a sale by `reference` is how a register that lost
        // the 201 answer learns the sale's id.
        router.get("/v1/sales") { request, _ -> Response in
            let query: SaleListQuery
            do { query = try listQuery(request.uri.query) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            let page: SaleListPage
            do { page = try await runner.sales(query) } catch let error as Journal.UnknownCursor {
                return problem(.badRequest, "cursor is not one this terminal gave out (\(error)); start again without it")
            }
            return json(.ok, SaleList(sales: page.sales.map(SaleView.init), nextCursor: page.more ? page.sales.last.map { SaleListCursor.make(after: $0.id) } : nil))
        }

        router.get("/v1/sales/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            let wait: Int
            do { wait = try QueryParameters(request.uri.query, allowed: ["wait"]).integer("wait", 0...60, unit: " seconds") ?? 0 } catch let error as QueryParameters.Invalid {
                return problem(.badRequest, error.description)
            }
            guard let sale = try await runner.wait(id, seconds: wait) else { return problem(.notFound, "no sale \(id)") }
            return json(.ok, SaleView(sale))
        }

        router.post("/v1/sales/:id/cancel") { request, context -> Response in
            let id = try context.parameters.require("id")
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            do { return json(.accepted, SaleView(try await runner.cancel(id))) } catch let refusal as SaleRunner.FollowUpRefusal {
                return problem(refusal, saleId: id)
            }
        }

        router.post("/v1/sales/:id/void") { request, context -> Response in
            let id = try context.parameters.require("id")
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            do { return json(.accepted, SaleView(try await runner.void(id))) } catch let refusal as SaleRunner.FollowUpRefusal {
                return problem(refusal, saleId: id)
            }
        }

        router.post("/v1/refunds") { request, context -> Response in
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            guard let body = try await collectBody(request) else { return problem(.contentTooLarge, "the body is over \(bodyLimit / 1024) KiB") }
            guard let object = try? JSONDecoder().decode([String: JSONField].self, from: Data(buffer: body)) else {
                return problem(.badRequest, "the body must be a JSON object {\"saleId\": …, \"amount\": …}")
            }
            if let stray = object.keys.sorted().first(where: { !["saleId", "amount"].contains($0) }) {
                return problem(.badRequest, "unknown field \"\(stray.prefix(32))\" (fields: saleId, amount)")
            }
            guard let field = object["saleId"] else { return problem(.badRequest, "saleId is missing") }
            guard case let .string(id) = field, !id.isEmpty else { return problem(.badRequest, "saleId must be the sale's id, a string") }
            let amount: Int
            do { amount = try SaleRequest.amount(object["amount"], maximum: options.maximumAmount) } catch let error as SaleRequest.Invalid {
                return problem(.badRequest, error.description)
            }
            do { return json(.accepted, SaleView(try await runner.refund(id, amount: amount))) } catch let refusal as SaleRunner.FollowUpRefusal {
                return problem(refusal, saleId: id)
            }
        }

        router.post("/v1/sales/:id/receipt") { request, context -> Response in
            let id = try context.parameters.require("id")
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            guard let reprint = options.reprint else { return problem(.conflict, "this terminal has no receipt printer", saleId: id) }
            guard try await runner.wait(id, seconds: 0) != nil else { return problem(.notFound, "no sale \(id)") }
            let slips: [ReceiptDesk.Reprint]
            do { slips = try await reprint(id) } catch let none as ReceiptDesk.NoPrinter { return problem(.conflict, none.description, saleId: id) }
            guard !slips.isEmpty else { return problem(.conflict, "sale \(id) has no slip: slips are made when a sale is paid, cancelled after payment or refunded", saleId: id) }
            struct Answer: Encodable { var saleId: String; var slips: [ReceiptDesk.Reprint] }
            return json(.ok, Answer(saleId: id, slips: slips))
        }

        router.get("/v1/reports/close") { request, _ -> Response in
            guard let desk = options.close else { return problem(.notFound, "this terminal keeps no daily close") }
            let day: String?, format: String
            do {
                let parameters = try QueryParameters(request.uri.query, allowed: ["date", "format"])
                day = parameters["date"]
                format = parameters["format"] ?? "json"
                guard ["json", "csv", "png"].contains(format) else { throw QueryParameters.Invalid(description: "format must be json, csv or png, not \"\(format.prefix(16))\"") }
            } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            let report: CloseReport
            do { report = try await desk.report(day) } catch let refusal as CloseDesk.Refusal { return closeProblem(refusal) }
            switch format {
            case "csv":
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.csv)))
            case "png":
                let bytes = try PNGFile.encode(try await desk.picture(report).gray)
                return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            default:
                return json(.ok, report)
            }
        }

        router.post("/v1/reports/close") { request, _ -> Response in
            guard let desk = options.close else { return problem(.notFound, "this terminal keeps no daily close") }
            let day: String?, force: Bool
            do {
                let parameters = try QueryParameters(request.uri.query, allowed: ["date", "force"])
                day = parameters["date"]
                guard [nil, "true", "false"].contains(parameters["force"]) else { throw QueryParameters.Invalid(description: "force must be true or false") }
                force = parameters["force"] == "true"
            } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            do { return json(.created, try await desk.close(day, force: force)) } catch let refusal as CloseDesk.Refusal { return closeProblem(refusal) }
        }

        router.get("/v1/health") { request, _ -> Response in
            do { _ = try QueryParameters(request.uri.query, allowed: []) } catch let error as QueryParameters.Invalid { return problem(.badRequest, error.description) }
            // 200 when everything the board has works; a part the board does not have is "absent", which is fine.
            let report = await options.health()
            return json(report.isHealthy ? .ok : .serviceUnavailable, report)
        }
        return router
    }

    static let bodyLimit = 16 * 1024

    /// The request's body, or nil when it is over `bodyLimit` (a 413 in words, not the 500 a collect error would become).
    static func collectBody(_ request: Request) async throws -> ByteBuffer? {
        var collected = ByteBuffer()
        for try await chunk in request.body {
            var chunk = chunk
            guard collected.readableBytes + chunk.readableBytes <= bodyLimit else { return nil }
            collected.writeBuffer(&chunk)
        }
        return collected
    }

    /// `GET /v1/sales?from=&to=&status=&reference=&limit=&cursor=`, checked parameter by parameter.
    static func listQuery(_ text: String?) throws(QueryParameters.Invalid) -> SaleListQuery {
        let parameters = try QueryParameters(text, allowed: ["from", "to", "status", "reference", "limit", "cursor"])
        var query = SaleListQuery(limit: try parameters.integer("limit", 1...200) ?? 50)
        query.from = try parameters.time("from")
        query.to = try parameters.time("to")
        if let from = query.from, let to = query.to, from > to {
            throw .init(description: "from (\(ECRTime.format(from))) is after to (\(ECRTime.format(to)))")
        }
        if let text = parameters["status"] {
            let names = SaleState.allCases.map(\.rawValue).joined(separator: ", ")
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            var states: [SaleState] = []
            for part in parts {
                guard let state = SaleState(rawValue: String(part)) else {
                    throw .init(description: "status must be one or more of \(names), comma-separated; found \"\(part.prefix(32))\"")
                }
                if !states.contains(state) { states.append(state) }
            }
            query.states = states
        }
        if let reference = parameters["reference"] {
            guard (1...64).contains(reference.count), reference.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw .init(description: "reference must be 1 to 64 printable characters, as given when the sale was started")
            }
            query.reference = reference
        }
        if let cursor = parameters["cursor"] {
            guard let after = SaleListCursor.saleId(cursor) else {
                throw .init(description: "cursor is not one this terminal gave out: pass nextCursor from the page before, unchanged")
            }
            query.after = after
        }
        return query
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        // Milliseconds, UTC: registers order and match sales by these times.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ECRTime.format(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String, saleId: String? = nil) -> Response {
        json(status, Problem(error: message, saleId: saleId))
    }

    /// The close desk's refusal: 400 for a date that is not one, 409 for a closed day, 503 while the host cannot be asked.
    static func closeProblem(_ refusal: CloseDesk.Refusal) -> Response {
        switch refusal {
        case .badDay: problem(.badRequest, refusal.description)
        case .alreadyClosed: problem(.conflict, refusal.description)
        case .hostUnavailable, .journal: problem(.serviceUnavailable, refusal.description)
        }
    }

    /// The runner's refusal of a cancel or refund: 404 for no such sale, 400 for too much, 409 with the sale otherwise.
    static func problem(_ refusal: SaleRunner.FollowUpRefusal, saleId: String) -> Response {
        switch refusal {
        case .noSuchSale: problem(.notFound, refusal.description)
        case .tooMuch: problem(.badRequest, refusal.description)
        case .conflict: problem(.conflict, refusal.description, saleId: saleId)
        case let .walletRule(rule): json(.unprocessableContent, Problem(error: rule.message, saleId: saleId, rule: rule.code))
        }
    }
}

/// Every 4xx and 5xx answer: what went wrong in words, and the sale it is about when there is one
/// (the open sale for "a sale is in progress", the sale whose refund is in flight).
struct Problem: Encodable {
    var error: String
    var saleId: String?
    /// The wallet's rule a refund breaks (refund_window_closed, partial_refund_not_allowed…), for programs.
    var rule: String? = nil
}

/// One page of `GET /v1/sales`; `nextCursor` is there only when more sales follow.
struct SaleList: Encodable {
    var sales: [SaleView]
    var nextCursor: String?
}

/// What the register sees of a sale: never the customer's whole code.
public struct SaleView: Codable, Sendable {
    public var id: String, status: String, amount: Int, currency: String, mode: String
    public var reference: String?, wallet: String?, customerCode: String?
    /// The paying wallet's country as the host named it, and the shopper's language the register asked for.
    public var walletCountry: String?, language: String?
    /// What the host or the wallet said (a decline reason, a refusal).
    public var detail: String?
    /// Why the sale ended (cashier, expired, recovery, declined, refused, offline, host, refunded); nil while open or paid.
    public var endReason: String?
    /// The register cancelled, but the money could not be given back: the sale stands as paid.
    public var cancelOverridden: Bool
    /// The last transport problem with the host (for technicians), separate from `detail`.
    public var lastError: String?
    public var refundedAmount: Int, expiresAt: Date, createdAt: Date, updatedAt: Date
    /// The amount of the refund being sent (state `refunding`); 0 when none is.
    public var refundInFlight: Int

    public init(_ sale: Sale) {
        id = sale.id; status = sale.state.rawValue; amount = sale.amount; currency = sale.currency; mode = sale.mode.rawValue
        reference = sale.reference; wallet = sale.wallet; customerCode = sale.maskedCode; detail = sale.detail
        walletCountry = sale.walletCountry; language = sale.language
        endReason = sale.endReason?.rawValue; cancelOverridden = sale.cancelOverridden; lastError = sale.lastError
        refundedAmount = sale.refundedAmount; refundInFlight = sale.refundInFlight; expiresAt = sale.expiresAt; createdAt = sale.createdAt; updatedAt = sale.updatedAt
    }
}

/// Every request must carry `Authorization: Bearer <token>`; compared in constant time.
/// Errors the router raises itself (an unknown path, a body too large) answer in the API's own
/// {"error": …} form, so a register integrator always reads what went wrong.
struct ProblemAnswers: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let endpoints = "POST /v1/sales, GET /v1/sales?from=&to=&status=&reference=&limit=&cursor=, GET /v1/sales/{id}?wait=S, POST /v1/sales/{id}/cancel, POST /v1/sales/{id}/receipt, POST /v1/sales/{id}/void, POST /v1/refunds, GET|POST /v1/reports/close?date=&format=, GET /v1/health"

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
