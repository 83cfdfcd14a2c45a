import Foundation

/// Where the host is, who the terminal is, and how long to wait: every timeout explicit (AsyncHTTPClient's read
/// timeout is none by default, which would leave a sale hanging on a silent host).
public struct AcquirerConfiguration: Sendable {
    /// e.g. https://127.0.0.1:8443 — the host name (or address) must be in the host's certificate.
    public var host: URL
    public var identity: TerminalIdentity
    public var timeouts: Timeouts
    public var retry: RetryPolicy

    public init(host: URL, identity: TerminalIdentity, timeouts: Timeouts = .init(), retry: RetryPolicy = .init()) {
        self.host = host; self.identity = identity; self.timeouts = timeouts; self.retry = retry
    }

    /// The files `qrpos pki dev` writes: ca.pem (the only CA trusted), terminal.pem and terminal.key.
    public struct TerminalIdentity: Sendable {
        public var caCertificate: String
        public var certificate: String
        public var privateKey: String
        public init(caCertificate: String, certificate: String, privateKey: String) {
            self.caCertificate = caCertificate; self.certificate = certificate; self.privateKey = privateKey
        }
        public init(pkiFolder: String) {
            self.init(caCertificate: pkiFolder + "/ca.pem", certificate: pkiFolder + "/terminal.pem", privateKey: pkiFolder + "/terminal.key")
        }
    }

    public struct Timeouts: Sendable {
        /// TCP connect plus TLS handshake.
        public var connect: Duration
        /// Longest silence while reading an answer; bounds a long-poll too, so `wait` is kept below it.
        public var read: Duration
        /// Whole request, connect to last byte, for everything but long-polls.
        public var request: Duration
        /// An unused open connection is closed after this; a sale reuses the one left open.
        public var idleConnection: Duration

        public init(connect: Duration = .seconds(3), read: Duration = .seconds(25), request: Duration = .seconds(10),
                    idleConnection: Duration = .seconds(120)) {
            self.connect = connect; self.read = read; self.request = request; self.idleConnection = idleConnection
        }

        /// The longest long-poll `wait` the read timeout allows, with a second of margin.
        public var longestWait: Duration { max(.zero, read - .seconds(1)) }
    }

    /// Retries happen only for `unknown` and `unreachable` outcomes, only with the same idempotency key and body.
    public struct RetryPolicy: Sendable {
        public var attempts: Int
        public var pause: Duration
        public init(attempts: Int = 2, pause: Duration = .milliseconds(200)) { self.attempts = max(1, attempts); self.pause = pause }
        public static let never = RetryPolicy(attempts: 1, pause: .zero)
    }
}
