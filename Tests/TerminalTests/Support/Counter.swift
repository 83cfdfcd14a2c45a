import Acquirer
import AcquirerSimulator
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Terminal

/// A terminal in-process: a `SaleRunner` on a temporary journal, the simulator's ledger behind a `LedgerLink`, and the
/// real ECR router, driven through HummingbirdTesting (no sockets, no processes).
final class InProcessCounter: Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let token = "test-token-0123456789"

    let folder: String
    let journal: Journal
    let link: LedgerLink
    let runner: SaleRunner
    let codeLifetime: Int

    init(codeLifetime: Int = 120, ledger: Ledger = Ledger(), metrics: CounterMetrics = .off, refunds: RefundPolicy = .hostDecides) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-counter-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        journal = try Journal(path: folder + "/journal.sqlite")
        link = LedgerLink(ledger: ledger)
        let config = try TerminalConfig(path: Self.repository.appendingPathComponent("Board/sim/terminal.toml").path, stateFolder: folder)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        self.codeLifetime = codeLifetime
        runner = SaleRunner(journal: journal, client: link, merchant: config.merchant,
                            settings: .init(codeLifetime: codeLifetime, terminalLabel: "TEST-01", longPoll: .seconds(1), maximumAmount: 1_000_000,
                                            refunds: refunds),
                            logger: logger, metrics: metrics)
    }

    var options: ECRServer.Options {
        .init(token: Self.token, currency: "JPY", maximumAmount: 1_000_000, refusal: { nil },
              health: { HealthReport(["display": .ok("png"), "camera": .absent, "lights": .ok("simulated"), "acquirer": .ok("reachable"), "clock": .ok("synchronised")]) })
    }

    /// The ECR router under HummingbirdTesting.
    func withAPI(_ body: @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: ECRServer.router(runner: runner, options: options))
        try await app.test(.router) { client in try await body(APIClient(client: client)) }
    }

    /// Waits until the sale is in `state` (false after `limit`).
    func wait(_ id: String, for state: SaleState, limit: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await runner.sale(id)?.state == state { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Breaks the journal under the runner: its table renamed away by another connection, so every read fails.
    func breakJournal() throws {
        let queue = try DatabaseQueue(path: folder + "/journal.sqlite")
        try queue.write { try $0.execute(sql: "ALTER TABLE sale RENAME TO sale_gone") }
    }

    func close() { try? FileManager.default.removeItem(atPath: folder) }
}

/// A register's requests to the router, answered as status and JSON.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    struct Answer: @unchecked Sendable {
        var status: Int
        var json: [String: Any]
        var contentType: String?
        var text: String
        var error: String? { json["error"] as? String }
    }

    func send(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = InProcessCounter.token) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            return Answer(status: Int(response.status.code),
                          json: (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:],
                          contentType: response.headers[.contentType], text: text)
        }
    }

    func get(_ path: String) async throws -> Answer { try await send(.get, path) }
    func post(_ path: String, _ body: String? = nil) async throws -> Answer { try await send(.post, path, body) }
}
