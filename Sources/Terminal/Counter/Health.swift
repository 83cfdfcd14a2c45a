import Foundation

/// How one part of the terminal is doing. A part the board does not have is `absent`, which is healthy:
/// a counter without a camera still takes shown-code sales.
public enum PartHealth: Equatable, Sendable {
    case ok(String)
    case absent
    /// Works today but needs a technician soon (a certificate near its end): healthy, and said.
    case warning(String)
    case failing(String)

    public var isHealthy: Bool { if case .failing = self { false } else { true } }

    /// "ok", "absent" or "failing", for the register and the log.
    public var status: String {
        switch self {
        case .ok: "ok"
        case .absent: "absent"
        case .warning: "warning"
        case .failing: "failing"
        }
    }

    public var detail: String? {
        switch self {
        case let .ok(what), let .warning(what), let .failing(what): what
        case .absent: nil
        }
    }
}

/// The health of every part, as `GET /v1/health` answers it: 200 when everything the board has works.
public struct HealthReport: Equatable, Sendable, Encodable {
    public var parts: [String: PartHealth]
    public init(_ parts: [String: PartHealth]) { self.parts = parts }

    public var isHealthy: Bool { parts.values.allSatisfy(\.isHealthy) }

    public func encode(to encoder: any Encoder) throws {
        struct Part: Encodable { var status: String; var detail: String? }
        var container = encoder.singleValueContainer()
        try container.encode(parts.mapValues { Part(status: $0.status, detail: $0.detail) })
    }
}

/// Health that devices report from their own threads (the camera loop), read by the ECR API.
public final class HealthBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String: PartHealth]
    public init(_ parts: [String: PartHealth] = [:]) { self.parts = parts }

    public subscript(part: String) -> PartHealth? {
        get { lock.withLock { parts[part] } }
        set { lock.withLock { parts[part] = newValue } }
    }

    public var all: [String: PartHealth] { lock.withLock { parts } }
}

extension PartHealth {
    /// The terminal certificate: failing once expired (the host refuses it), a warning from 30 days before.
    public static func certificate(notAfter: Date?, daysLeft: Int?) -> PartHealth {
        guard let notAfter, let daysLeft else { return .failing("no terminal certificate: provision the terminal (`qrpos provision`)") }
        let day = ISO8601DateFormatter.string(from: notAfter, timeZone: .gmt, formatOptions: [.withFullDate])
        if notAfter <= Date() { return .failing("expired on \(day): provision again with a new code") }
        if daysLeft < Provisioning.renewalWarningDays { return .warning("expires on \(day), in \(daysLeft) days: run `qrpos provision --renew`") }
        return .ok("valid until \(day) (\(daysLeft) days)")
    }
}
