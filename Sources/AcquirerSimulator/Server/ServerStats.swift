import NIOConcurrencyHelpers

/// Counters the host keeps about its connections; `handshakes` is how many full TLS handshakes it served
/// (no session resumption: a terminal that reconnects per sale shows one per sale).
public final class ServerStats: Sendable {
    public struct Counts: Sendable, Codable, Equatable {
        public var handshakes = 0
        public var tlsFailures = 0
        public var connections = 0
        public var requests = 0
    }

    private let box = NIOLockedValueBox(Counts())
    public init() {}
    public var counts: Counts { box.withLockedValue { $0 } }
    func update(_ change: (inout Counts) -> Void) { box.withLockedValue { change(&$0) } }
}
