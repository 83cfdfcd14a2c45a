import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The terminal's link to its acquirer: JSON over HTTP/1.1 on one mutually authenticated TLS connection that is
/// kept open and reused (swift-nio-ssl has no session resumption, so every new connection is a full handshake).
/// Money-moving calls carry an idempotency key (the sale id by default) and are retried only with that same key.
public final class AcquirerClient: Sendable {
    public let configuration: AcquirerConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let base: String
    private let observer: Observer

    /// Told of what happens on the wire, for counting (the terminal's metrics); called on the client's tasks, so it
    /// must be quick and never block.
    public struct Observer: Sendable {
        /// One attempt failed in transport (a request retried with its key reports each attempt that failed).
        public var transportFailure: @Sendable (TransportFailure) -> Void
        /// A new connection to the host finished its TLS handshake (each new connection is a full handshake: no
        /// session resumption). Nil leaves the connection setup exactly as AsyncHTTPClient does it.
        public var tlsHandshakeCompleted: (@Sendable () -> Void)?
        public init(transportFailure: @escaping @Sendable (TransportFailure) -> Void = { _ in }, tlsHandshakeCompleted: (@Sendable () -> Void)? = nil) {
            self.transportFailure = transportFailure; self.tlsHandshakeCompleted = tlsHandshakeCompleted
        }
        public static let none = Observer()
    }

    /// Headers added to every request made inside `withValue` (e.g. `X-Sim-Fault` against the simulator).
    @TaskLocal public static var extraHeaders: [String: String] = [:]

    public init(_ configuration: AcquirerConfiguration, logger: Logger = Logger(label: "qrpos.acquirer"), observer: Observer = .none) throws {
        guard let scheme = configuration.host.scheme, scheme == "https", configuration.host.host != nil else {
            throw TerminalTLS.SetupError(description: "the acquirer address must be https://HOST:PORT, not \(configuration.host)")
        }
        let timeouts = configuration.timeouts
        var http = HTTPClient.Configuration(
            tlsConfiguration: try TerminalTLS.configuration(configuration.identity),
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeouts.connect.timeAmount, read: timeouts.read.timeAmount, write: timeouts.request.timeAmount),
            connectionPool: .init(idleTimeout: timeouts.idleConnection.timeAmount, concurrentHTTP1ConnectionsPerHostSoftLimit: 4),
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        http.httpVersion = .http1Only
        if let handshake = observer.tlsHandshakeCompleted {
            // AsyncHTTPClient calls this once per new HTTP/1.1 connection, after the TLS handshake and ALPN are done
            // and before the first request goes out on it: the one place a completed handshake can be counted.
            http.http1_1ConnectionDebugInitializer = { channel in
                handshake()
                return channel.eventLoop.makeSucceededVoidFuture()
            }
        }
        // Our own retry policy decides, with the same key; a hidden second connect loop would only hide "offline".
        http.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http, backgroundActivityLogger: logger)
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.base = configuration.host.absoluteString.hasSuffix("/") ? String(configuration.host.absoluteString.dropLast()) : configuration.host.absoluteString
    }

    /// Closes the open connection; call once before the client goes away.
    public func shutdown() async throws { try await http.shutdown() }

    // MARK: host

    public func health() async -> AcquirerOutcome<HostHealth> { await send(.GET, "/v1/health", as: HostHealth.self) }

    public func time() async -> AcquirerOutcome<HostTime> { await send(.GET, "/v1/time", as: HostTime.self) }

    /// How far the terminal's clock is from the host's (positive: the host is ahead), from one round trip.
    public func clockOffset() async -> AcquirerOutcome<TimeInterval> {
        let sent = Date()
        let outcome = await time()
        let received = Date()
        return outcome.map { ClockOffset.estimate(sentAt: sent, receivedAt: received, hostTime: $0.now) }
    }

    // MARK: orders (the terminal shows the code)

    public func registerOrder(_ order: OrderRequest, idempotencyKey: String?) async -> AcquirerOutcome<Order> {
        await send(.POST, "/v1/orders", body: order, key: idempotencyKey ?? order.orderId, as: Order.self)
    }

    /// The order now, or as soon as it stops being pending within `wait` (long-poll).
    public func inquireOrder(_ orderId: String, wait: Duration?) async -> AcquirerOutcome<Order> {
        await send(.GET, "/v1/orders/\(escape(orderId))", wait: wait, as: Order.self)
    }

    /// Cancels a pending order, or reverses a paid one inside the cancel window; a cancel wins over a late "paid".
    public func cancelOrder(_ orderId: String, idempotencyKey: String?) async -> AcquirerOutcome<Order> {
        await send(.POST, "/v1/orders/\(escape(orderId))/cancel", body: EmptyBody(), key: idempotencyKey ?? IdempotencyKey.cancel(orderId), as: Order.self)
    }

    // MARK: charges (the terminal scanned the shopper's code)

    public func charge(_ charge: ChargeRequest, idempotencyKey: String?) async -> AcquirerOutcome<Charge> {
        await send(.POST, "/v1/charges", body: charge, key: idempotencyKey ?? charge.chargeId, as: Charge.self)
    }

    public func inquireCharge(_ chargeId: String, wait: Duration?) async -> AcquirerOutcome<Charge> {
        await send(.GET, "/v1/charges/\(escape(chargeId))", wait: wait, as: Charge.self)
    }

    /// Cancels a charge the shopper is still confirming, or reverses a paid one inside the cancel window.
    public func cancelCharge(_ chargeId: String, idempotencyKey: String?) async -> AcquirerOutcome<Charge> {
        await send(.POST, "/v1/charges/\(escape(chargeId))/cancel", body: EmptyBody(), key: idempotencyKey ?? IdempotencyKey.cancel(chargeId), as: Charge.self)
    }

    // MARK: refunds

    public func refund(_ refund: RefundRequest, idempotencyKey: String?) async -> AcquirerOutcome<Refund> {
        await send(.POST, "/v1/refunds", body: refund, key: idempotencyKey ?? refund.refundId, as: Refund.self)
    }

    public func inquireRefund(_ refundId: String) async -> AcquirerOutcome<Refund> {
        await send(.GET, "/v1/refunds/\(escape(refundId))", as: Refund.self)
    }

    // MARK: settlement (the daily close)

    /// Every movement the host booked for this terminal in [from, to).
    public func settlement(from: Date, to: Date) async -> AcquirerOutcome<Settlement> {
        await send(.GET, "/v1/settlement?from=\(WireFormat.timestamp(from))&to=\(WireFormat.timestamp(to))", as: Settlement.self)
    }

    // MARK: transport

    struct EmptyBody: Encodable {}

    private func send<Value: Decodable & Sendable>(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)? = EmptyBody?.none, key: String? = nil,
        wait: Duration? = nil, as type: Value.Type
    ) async -> AcquirerOutcome<Value> {
        var path = path
        var deadline = configuration.timeouts.request
        if let wait, wait > .zero {
            let seconds = Int(min(wait, configuration.timeouts.longestWait).components.seconds)
            path += "?wait=\(seconds)"
            deadline += .seconds(seconds)
        }
        let bytes: Data?
        do { bytes = try body.map { try WireFormat.encoder().encode($0) } } catch {
            return .refused(HostRefusal(status: 0, code: "unencodable_request", message: "\(error)"))
        }
        var attempt = 1
        var attempts = AttemptOutcomes<Value>()
        while true {
            attempts.add(await sendOnce(method, path, bytes, key: key, deadline: deadline))
            let outcome = attempts.strongest
            let uncertain = outcome.isUnknown || { if case .unreachable = outcome { true } else { false } }()
            guard uncertain, attempt < configuration.retry.attempts else {
                logger.debug("acquirer \(method) \(path) \(Self.describe(outcome))", metadata: key.map { ["idempotency-key": "\($0)"] })
                return outcome
            }
            logger.notice("acquirer \(method) \(path) attempt \(attempt) \(Self.describe(outcome)); retrying with the same key",
                          metadata: key.map { ["idempotency-key": "\($0)"] })
            attempt += 1
            try? await Task.sleep(for: configuration.retry.pause)
        }
    }

    private func sendOnce<Value: Decodable & Sendable>(
        _ method: HTTPMethod, _ path: String, _ body: Data?, key: String?, deadline: Duration
    ) async -> AcquirerOutcome<Value> {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let key { request.headers.add(name: WireFormat.idempotencyHeader, value: key) }
        for (name, value) in Self.extraHeaders { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: deadline.timeAmount, logger: logger)
            let answer = try await response.body.collect(upTo: 4 << 20)
            return AnswerReading.read(status: Int(response.status.code), body: Data(answer.readableBytesView))
        } catch {
            let (verdict, failure) = FailureClassification.classified(error)
            observer.transportFailure(failure)
            switch verdict {
            case let .unreachable(reason): return .unreachable(reason)
            case let .unknown(unknown): return .unknown(unknown)
            }
        }
    }

    private func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? id
    }

    private static func describe<Value>(_ outcome: AcquirerOutcome<Value>) -> String {
        switch outcome {
        case .done: "done"
        case let .refused(refusal): "refused \(refusal)"
        case let .unknown(unknown): "outcome unknown (\(unknown))"
        case let .unreachable(reason): "unreachable (\(reason))"
        }
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
