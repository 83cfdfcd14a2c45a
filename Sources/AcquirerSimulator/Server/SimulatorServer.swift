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
    public let stats: ServerStats
    public let configuration: SimulatorConfiguration
    private let listener: any Channel
    private let connections: ConnectionRegistry
    private let acceptLoop: Task<Void, Never>

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public static func start(_ configuration: SimulatorConfiguration, logger: Logger = Logger(label: "acquirer-sim")) async throws -> SimulatorServer {
        let tls = try HostTLS.context(configuration.pki)
        let stats = ServerStats()
        let store = try LedgerStore(path: configuration.databasePath)
        let keeper = try LedgerKeeper(store: store, rules: configuration.rules, wallets: configuration.wallets,
                                      clock: configuration.clock, logger: logger)
        let api = HostAPI(keeper: keeper, stats: stats, classifier: configuration.registry.map { Classifier(registry: $0) },
                          hostName: "acquirer-sim", longestWait: configuration.longestWait, logger: logger)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
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
        let connections = ConnectionRegistry()
        let acceptLoop = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await ConnectionServer(api: api, logger: logger, registry: connections).serve(connection) }
                        }
                    }
                } catch {
                    logger.error("the listener stopped: \(error)")
                }
                connections.closeAll()
            }
        }
        let port = listener.channel.localAddress?.port ?? configuration.port
        logger.info("acquirer-sim listening on https://\(configuration.host):\(port), ledger \(configuration.databasePath)")
        return SimulatorServer(port: port, stats: stats, configuration: configuration, listener: listener.channel,
                               connections: connections, acceptLoop: acceptLoop)
    }

    private init(port: Int, stats: ServerStats, configuration: SimulatorConfiguration, listener: any Channel,
                 connections: ConnectionRegistry, acceptLoop: Task<Void, Never>) {
        self.port = port; self.stats = stats; self.configuration = configuration; self.listener = listener
        self.connections = connections; self.acceptLoop = acceptLoop
    }

    /// Stops listening, closes every connection (hanging ones too) and waits until all are done.
    public func stop() async {
        try? await listener.close()
        connections.closeAll()
        await acceptLoop.value
    }
}

/// The host's side of TLS: its certificate, clients must present one signed by ca.pem, TLS 1.2 at least.
enum HostTLS {
    static func context(_ pki: PKIFolder) throws -> NIOSSLContext {
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
        tls.certificateVerification = .noHostnameVerification
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
