import Foundation

/// JSON as both ends write it: ISO 8601 times (milliseconds), keys sorted so equal requests are equal bytes.
public enum WireFormat {
    /// The header carrying the terminal's idempotency key on every request that moves money.
    public static let idempotencyHeader = "Idempotency-Key"
    /// Set by the host when it answered from an earlier request with the same key.
    public static let replayedHeader = "Idempotent-Replayed"
    /// Ask the simulator for a fault on this one request (see `FaultSpec` in AcquirerSimulator).
    public static let faultHeader = "X-Sim-Fault"

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// ISO 8601 in UTC to the nearest millisecond ("2026-11-21T10:15:30.002Z").
    public static func timestamp(_ date: Date) -> String {
        // The formatter truncates the binary fraction: "…30.002Z" reads as 30.00199…, which it wrote back as
        // "…30.001Z", so half of all times lost a millisecond at each read and write (found by fuzzing).
        let millis = (date.timeIntervalSinceReferenceDate * 1000).rounded()
        let seconds = (millis / 1000).rounded(.down)
        let whole = Date(timeIntervalSinceReferenceDate: seconds).formatted(Date.ISO8601FormatStyle())
        return "\(whole.dropLast()).\(String(1000 + Int(millis - seconds * 1000)).dropFirst())Z"
    }

    public static func date(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// A decoding error as one line a technician can act on: which field, what was wrong.
    public static func explain(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : "field '\(names.joined(separator: "."))'"
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing field '\(key.stringValue)'\(parent)"
        case let .typeMismatch(type, context): return "\(path(context)): expected \(describe(type))"
        case let .valueNotFound(type, context): return "\(path(context)): expected \(describe(type)), found null"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }
}
