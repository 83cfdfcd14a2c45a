import Foundation

/// `GET /v1/health`.
public struct HostHealth: Codable, Sendable, Equatable {
    public var status: String
    public var host: String
    public init(status: String, host: String) { self.status = status; self.host = host }
}

/// `GET /v1/time`: the host's clock, so a terminal without a real-time clock can tell it is far off.
public struct HostTime: Codable, Sendable, Equatable {
    public var now: Date
    public var epochMillis: Int64
    public init(now: Date) { self.now = now; self.epochMillis = Int64((now.timeIntervalSince1970 * 1000).rounded()) }
}

/// The body of every 4xx and 5xx answer.
public struct HostErrorBody: Codable, Sendable, Equatable {
    /// Stable, for programs: `bad_request`, `not_found`, `idempotency_conflict`, `cancel_window_closed`, …
    public var error: String
    /// For people: what was wrong and what to do.
    public var message: String
    public init(error: String, message: String) { self.error = error; self.message = message }
}
