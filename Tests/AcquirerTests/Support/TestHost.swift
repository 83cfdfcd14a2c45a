import Acquirer
import AcquirerSimulator
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PaymentCodes

/// A real simulator on a free loopback port with its own PKI and ledger in a temporary folder.
struct TestHost {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let registry: WalletRegistry = {
        let text = try! String(contentsOf: repository.appendingPathComponent("Assets/wallets.toml"), encoding: .utf8)
        return try! WalletRegistry(toml: text)
    }()

    let folder: String
    let pki: PKIFolder
    let server: SimulatorServer
    let control: SimControl

    var url: URL { URL(string: "https://\(server.configuration.host):\(server.port)")! }
    var database: String { server.configuration.databasePath }

    static func newFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("acquirer-tests-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts a host; `folder` reuses an earlier host's PKI and ledger (a restart).
    static func start(rules: LedgerRules = .init(), wallets: [String: WalletBehaviour] = [:], folder: String? = nil,
                      listen: String = "127.0.0.1", terminalId: String = "T-0001") async throws -> TestHost {
        let folder = folder ?? newFolder()
        let pki = PKIFolder(folder + "/pki")
        if !FileManager.default.fileExists(atPath: pki.caCertificate) { try pki.write(terminalId: terminalId) }
        let configuration = SimulatorConfiguration(host: listen, port: 0, pki: pki, databasePath: folder + "/ledger.sqlite",
                                                   rules: rules, wallets: WalletBook(behaviours: wallets), registry: registry, longestWait: 10)
        var logger = Logger(label: "acquirer-sim")
        logger.logLevel = .warning
        let server = try await SimulatorServer.start(configuration, logger: logger)
        let control = try SimControl(url: URL(string: "https://\(listen):\(server.port)")!, identity: pki.terminalIdentity)
        return TestHost(folder: folder, pki: pki, server: server, control: control)
    }

    /// Runs `body` against a fresh host and always stops it (and every client made through `client`).
    static func with<T>(rules: LedgerRules = .init(), wallets: [String: WalletBehaviour] = [:],
                        _ body: (TestHost) async throws -> T) async throws -> T {
        try await start(rules: rules, wallets: wallets).use(body)
    }

    /// Runs `body` with this host and stops it afterwards, also when `body` throws; the folder goes too
    /// unless it is to be started again.
    func use<T>(keepingFolder: Bool = false, _ body: (TestHost) async throws -> T) async throws -> T {
        let host = self
        defer { if !keepingFolder { try? FileManager.default.removeItem(atPath: folder) } }
        do {
            let result = try await body(host)
            await host.stop()
            return result
        } catch {
            await host.stop()
            throw error
        }
    }

    func stop() async {
        try? await control.shutdown()
        await server.stop()
    }

    func configuration(identity: AcquirerConfiguration.TerminalIdentity? = nil, timeouts: AcquirerConfiguration.Timeouts = .init(),
                       retry: AcquirerConfiguration.RetryPolicy = .never, url: URL? = nil) -> AcquirerConfiguration {
        AcquirerConfiguration(host: url ?? self.url, identity: identity ?? pki.terminalIdentity, timeouts: timeouts, retry: retry)
    }

    /// A client for the duration of `body`, shut down afterwards.
    func withClient<T>(identity: AcquirerConfiguration.TerminalIdentity? = nil, timeouts: AcquirerConfiguration.Timeouts = .init(),
                       retry: AcquirerConfiguration.RetryPolicy = .never, url: URL? = nil, observer: AcquirerClient.Observer = .none,
                       _ body: (AcquirerClient) async throws -> T) async throws -> T {
        let client = try AcquirerClient(configuration(identity: identity, timeouts: timeouts, retry: retry, url: url), observer: observer)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Sample sales. Customer codes follow the registry's numeric patterns.
enum Sample {
    static let wechatCode = "134567890123456789"      // WeChat Pay: 18 digits, 10-15
    static let alipayCode = "286543210987654321"      // Alipay: 16-24 digits, 25-30
    static let unionpayCode = "6212345678901234567"   // UnionPay: "62" + 17 digits

    static func charge(_ id: String, amount: Int = 1200, wallet: String = "wechatpay", code: String = wechatCode) -> ChargeRequest {
        ChargeRequest(chargeId: id, amount: amount, currency: "JPY", wallet: wallet, customerCode: code)
    }

    /// The demo merchant's dynamic JPQR for this amount, as the terminal would show it.
    static func order(_ id: String, amount: Int = 1200, expiresIn: Int = 120) throws -> OrderRequest {
        let toml = try String(contentsOf: TestHost.repository.appendingPathComponent("Board/sim/terminal.toml"), encoding: .utf8)
        var request = try PaymentRequest(toml: toml)
        request.amount = String(amount)
        request.reference = id
        request.terminalLabel = "T-0001"
        return OrderRequest(orderId: id, amount: amount, currency: "JPY", qrPayload: try JPQRScheme().build(request), expiresInSeconds: expiresIn)
    }
}

/// The simulator's /sim endpoints and raw requests, through AsyncHTTPClient with the terminal's certificate.
struct SimControl: Sendable {
    let http: HTTPClient
    let base: String

    struct LedgerView: Decodable {
        var orders: [Order]
        var charges: [Charge]
        var refunds: [Refund]
        var stats: ServerStats.Counts
        func charge(_ id: String) -> [Charge] { charges.filter { $0.chargeId == id } }
        func order(_ id: String) -> [Order] { orders.filter { $0.orderId == id } }
    }

    init(url: URL, identity: AcquirerConfiguration.TerminalIdentity, tls: TLSConfiguration? = nil) throws {
        var configuration = HTTPClient.Configuration(tlsConfiguration: try tls ?? TerminalTLS.configuration(identity),
                                                     timeout: .init(connect: .seconds(5), read: .seconds(15)))
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        base = url.absoluteString
    }

    func shutdown() async throws { try await http.shutdown() }

    func raw(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> (status: Int, body: Data, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(bytes.readableBytesView), response.headers)
    }

    func ledger() async throws -> LedgerView {
        try WireFormat.decoder().decode(LedgerView.self, from: try await raw(.GET, "/sim/ledger").body)
    }

    func stats() async throws -> ServerStats.Counts {
        try WireFormat.decoder().decode(ServerStats.Counts.self, from: try await raw(.GET, "/sim/stats").body)
    }

    /// A shopper pays the order; returns the HTTP status and the error code or order status.
    @discardableResult
    func pay(_ orderId: String, wallet: String) async throws -> (status: Int, answer: String) {
        let answer = try await raw(.POST, "/sim/orders/\(orderId)/pay", body: #"{"wallet":"\#(wallet)"}"#)
        let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return (answer.status, (json?["error"] ?? json?["status"]) as? String ?? "")
    }

    func fault(_ fault: String, method: String = "POST", path: String, times: Int = 1) async throws {
        let answer = try await raw(.POST, "/sim/faults", body: #"{"fault":"\#(fault)","method":"\#(method)","path":"\#(path)","times":\#(times)}"#)
        precondition(answer.status == 201, String(decoding: answer.body, as: UTF8.self))
    }

    func wallet(_ id: String, _ behaviour: String) async throws {
        let answer = try await raw(.PUT, "/sim/wallets/\(id)", body: #"{"behaviour":"\#(behaviour)"}"#)
        precondition(answer.status == 200, String(decoding: answer.body, as: UTF8.self))
    }
}
