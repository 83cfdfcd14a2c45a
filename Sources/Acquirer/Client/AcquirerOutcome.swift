/// What the terminal knows after asking the host. Only `done` and `refused` are certain; `unknown` means the
/// request may have moved money, and the sale machine resolves it with inquiry -> cancel -> refund.
public enum AcquirerOutcome<Value: Sendable>: Sendable {
    /// The host answered with the resource (which may itself be declined, expired, …).
    case done(Value)
    /// The host answered no (4xx): this request moved nothing.
    case refused(HostRefusal)
    /// Timeout, 5xx, connection reset or closed mid-request: it may or may not have happened.
    case unknown(UnknownOutcome)
    /// Nothing reached the host (no connection, TLS refused): nothing moved; the terminal is offline for QR.
    case unreachable(String)

    public var value: Value? { if case let .done(value) = self { value } else { nil } }
    public var isUnknown: Bool { if case .unknown = self { true } else { false } }

    public func map<Other: Sendable>(_ transform: (Value) -> Other) -> AcquirerOutcome<Other> {
        switch self {
        case let .done(value): .done(transform(value))
        case let .refused(refusal): .refused(refusal)
        case let .unknown(unknown): .unknown(unknown)
        case let .unreachable(reason): .unreachable(reason)
        }
    }
}

/// A definite "no" from the host: HTTP status, the stable error code and the host's message.
public struct HostRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public init(status: Int, code: String, message: String) { self.status = status; self.code = code; self.message = message }
    public var description: String { "\(status) \(code): \(message)" }
}

public struct UnknownOutcome: Sendable, Equatable, CustomStringConvertible {
    public enum Cause: String, Sendable { case timeout, serverError = "server error", connectionLost = "connection lost", unreadableAnswer = "unreadable answer" }
    public var cause: Cause
    public var detail: String
    public init(_ cause: Cause, _ detail: String) { self.cause = cause; self.detail = detail }
    public var description: String { "\(cause.rawValue): \(detail)" }
}

/// The outcome of a request sent several times with the same key: the strongest of its attempts. An attempt that
/// may have reached the host (unknown) outweighs a later one that could not connect: once any attempt may have
/// moved money, the request's outcome stays unknown until an inquiry says otherwise. An answer (done, refused)
/// settles it.
public struct AttemptOutcomes<Value: Sendable>: Sendable {
    private var unknown: UnknownOutcome?
    private var last: AcquirerOutcome<Value>?
    public init() {}

    public mutating func add(_ outcome: AcquirerOutcome<Value>) {
        if case let .unknown(why) = outcome { unknown = why }
        last = outcome
    }

    public var strongest: AcquirerOutcome<Value> {
        switch last {
        case let .unreachable(reason)?:
            guard let unknown else { return .unreachable(reason) }
            return .unknown(UnknownOutcome(unknown.cause, "\(unknown.detail); a later attempt could not connect (\(reason))"))
        case let outcome?: return outcome
        case nil: return .unreachable("not sent")
        }
    }
}
