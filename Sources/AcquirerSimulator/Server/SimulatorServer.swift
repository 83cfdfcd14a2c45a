import Acquirer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PaymentCodes
import X509

/// A real acquirer host on TLS (swift-nio-ssl): client certificates from the configured CA required, TLS 1.2 at
/// least, HTTP/1.1 keep-alive, one request at a time per connection, and the ledger in SQLite.
public final class SimulatorServer: Sendable {
    public let port: Int
    /// The enrollment listener's port, when there is one.
    public let enrollmentPort: Int?
    public let stats: ServerStats
    public let configuration: SimulatorConfiguration
    private let listeners: [any Channel]
    private let connections: ConnectionRegistry
    private let acceptLoops: [Task<Void, Never>]

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public static func start(_ configuration: SimulatorConfiguration, logger: Logger = Logger(label: "acquirer-sim")) async throws -> SimulatorServer {
        let tls = try HostTLS.context(configuration.pki)
        let stats = ServerStats()
        let store = try LedgerStore(path: configuration.databasePath)
        let keeper = try LedgerKeeper(store: store, rules: configuration.rules, wallets: configuration.wallets,
                                      clock: configuration.clock, logger: logger)
        let desk = configuration.enrollment == nil ? nil
            : try EnrollmentDesk(store: store, pki: configuration.pki, certificateDays: configuration.certificateDays,
                                 clock: configuration.clock, logger: logger)
        let api = HostAPI(keeper: keeper, stats: stats, classifier: configuration.registry.map { Classifier(registry: $0) },
                          hostName: "acquirer-sim", longestWait: configuration.longestWait, enrollment: desk, logger: logger)
        let connections = ConnectionRegistry()
        let (listener, acceptLoop) = try await listen(host: configuration.host, port: configuration.port, tls: tls, stats: stats,
                                                      connections: connections, logger: logger, handle: api.handle)
        var enrollmentListener: (any Channel)?, enrollmentLoop: Task<Void, Never>?
        if let desk, let (host, port) = configuration.enrollment {
            let enrollment = EnrollmentAPI(desk: desk, stats: stats)
            (enrollmentListener, enrollmentLoop) = try await listen(host: host, port: port, tls: try HostTLS.context(configuration.pki, clientCertificates: false),
                                                                    stats: stats, connections: connections, logger: logger, handle: enrollment.handle)
        }
        let port = listener.localAddress?.port ?? configuration.port
        logger.info("acquirer-sim listening on https://\(configuration.host):\(port), ledger \(configuration.databasePath)")
        return SimulatorServer(port: port, enrollmentPort: enrollmentListener?.localAddress?.port, stats: stats, configuration: configuration,
                               listeners: [listener] + (enrollmentListener.map { [$0] } ?? []), connections: connections,
                               acceptLoops: [acceptLoop] + (enrollmentLoop.map { [$0] } ?? []))
    }

    /// One TLS listener serving each connection with `handle`.
    private static func listen(host: String, port: Int, tls: NIOSSLContext, stats: ServerStats, connections: ConnectionRegistry, logger: Logger,
                               handle: @escaping @Sendable (HostRequest) async -> HostAction) async throws -> (any Channel, Task<Void, Never>) {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ConnectionResetter())
                    try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    try pipeline.addHandler(HandshakeCounter(stats: stats, logger: logger))
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    stats.update { $0.connections += 1 }
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let acceptLoop = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await ConnectionServer(handle: handle, logger: logger, registry: connections).serve(connection) }
                        }
                    }
                } catch {
                    logger.error("the listener stopped: \(error)")
                }
                connections.closeAll()
            }
        }
        return (listener.channel, acceptLoop)
    }

    private init(port: Int, enrollmentPort: Int?, stats: ServerStats, configuration: SimulatorConfiguration, listeners: [any Channel],
                 connections: ConnectionRegistry, acceptLoops: [Task<Void, Never>]) {
        self.port = port; self.enrollmentPort = enrollmentPort; self.stats = stats; self.configuration = configuration
        self.listeners = listeners; self.connections = connections; self.acceptLoops = acceptLoops
    }

    /// Stops listening, closes every connection (hanging ones too) and waits until all are done.
    public func stop() async {
        for listener in listeners { try? await listener.close() }
        connections.closeAll()
        for loop in acceptLoops { await loop.value }
    }
}

/// The host's side of TLS: its certificate, clients must present one signed by ca.pem, TLS 1.2 at least.
enum HostTLS {
    /// `clientCertificates: false` is the enrollment listener: the host proves itself, the terminal has no certificate yet.
    static func context(_ pki: PKIFolder, clientCertificates: Bool = true) throws -> NIOSSLContext {
        func load<T>(_ what: String, _ path: String, _ read: (String) throws -> T) throws -> T {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TerminalTLS.SetupError(description: "cannot read the \(what) \(path) (write one with `qrpos pki dev --out \(pki.path)`)")
            }
            do { return try read(path) } catch { throw TerminalTLS.SetupError(description: "the \(what) \(path) is not usable PEM: \(error)") }
        }
        let chain = try load("host certificate", pki.hostCertificate) { try NIOSSLCertificate.fromPEMFile($0) }
        let key = try load("host key", pki.hostKey) { try NIOSSLPrivateKey(file: $0, format: .pem) }
        let ca = try load("CA certificate", pki.caCertificate) { try NIOSSLCertificate.fromPEMFile($0) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        // Verify the client's chain against our CA only, and refuse a client without a certificate.
        tls.certificateVerification = clientCertificates ? .noHostnameVerification : .none
        tls.trustRoots = .certificates(ca)
        tls.additionalTrustRoots = []
        return try NIOSSLContext(configuration: tls)
    }
}

/// Open connections, so `stop` can close them (a hanging request would otherwise keep one forever).
final class ConnectionRegistry: Sendable {
    private let state = NIOLockedValueBox((open: [ObjectIdentifier: any Channel](), closed: false))

    /// False when the host is already stopping: close the connection.
    func add(_ channel: any Channel) -> Bool {
        state.withLockedValue { state in
            guard !state.closed else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) { _ = state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) } }

    func closeAll() {
        let channels = state.withLockedValue { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
