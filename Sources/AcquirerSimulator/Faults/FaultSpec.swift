import Foundation

/// One fault the simulator plays on a request, written as in the `X-Sim-Fault` header or a rule:
/// `latency=MS`, `drop`, `status=CODE` (or `5xx`), `reset`, `hang`, optionally followed by `;before` or `;after`
/// (whether the request is committed to the ledger first). Defaults: drop and hang after, the others before.
public struct FaultSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable, Codable {
        /// Waits this long, then answers normally.
        case latency(milliseconds: Int)
        /// Closes the connection without an answer.
        case drop
        /// Answers with this 5xx status.
        case serverError(status: Int)
        /// Resets the TCP connection (RST).
        case reset
        /// Never answers; the connection stays open until the client gives up.
        case hang
    }

    public var kind: Kind
    /// The request is applied (and committed) before the fault: the money moved, the answer is lost.
    public var afterCommit: Bool

    public init(_ kind: Kind, afterCommit: Bool? = nil) {
        self.kind = kind
        switch kind {
        case .drop, .hang: self.afterCommit = afterCommit ?? true
        default: self.afterCommit = afterCommit ?? false
        }
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public var description: String
    }

    public static let syntax = "latency=MS, drop, status=CODE (500-599), 5xx, reset or hang, optionally followed by ;before or ;after"

    public init(parsing text: String) throws(SyntaxError) {
        let tokens = text.lowercased().split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = tokens.first, tokens.count <= 2 else { throw SyntaxError(description: "empty or too long fault '\(text)': use \(Self.syntax)") }
        let kind: Kind
        let pair = first.split(separator: "=", maxSplits: 1).map(String.init)
        switch (pair[0], pair.count) {
        case ("drop", 1): kind = .drop
        case ("reset", 1): kind = .reset
        case ("hang", 1): kind = .hang
        case ("5xx", 1): kind = .serverError(status: 500)
        case ("status", 2):
            guard let status = Int(pair[1]), (500...599).contains(status) else { throw SyntaxError(description: "status must be 500 to 599 in '\(text)'") }
            kind = .serverError(status: status)
        case ("latency", 2):
            guard let ms = Int(pair[1]), (0...120_000).contains(ms) else { throw SyntaxError(description: "latency must be 0 to 120000 ms in '\(text)'") }
            kind = .latency(milliseconds: ms)
        default: throw SyntaxError(description: "unknown fault '\(first)': use \(Self.syntax)")
        }
        var after: Bool?
        if tokens.count == 2 {
            switch tokens[1] {
            case "before": after = false
            case "after": after = true
            default: throw SyntaxError(description: "'\(tokens[1])' is neither before nor after in '\(text)'")
            }
        }
        self.init(kind, afterCommit: after)
    }

    public var description: String {
        let kind = switch self.kind {
        case let .latency(ms): "latency=\(ms)"
        case .drop: "drop"
        case let .serverError(status): "status=\(status)"
        case .reset: "reset"
        case .hang: "hang"
        }
        return kind + (afterCommit ? ";after" : ";before")
    }
}
