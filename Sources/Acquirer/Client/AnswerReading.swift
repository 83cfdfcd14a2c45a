import Foundation

/// Turns the host's HTTP answer into an outcome: 2xx the resource, 4xx a definite refusal, 5xx unknown
/// (a host that failed may have committed before failing).
enum AnswerReading {
    static func read<Value: Decodable & Sendable>(status: Int, body: Data) -> AcquirerOutcome<Value> {
        switch status {
        case 200..<300:
            do { return .done(try WireFormat.decoder().decode(Value.self, from: body)) } catch {
                return .unknown(.init(.unreadableAnswer, "HTTP \(status) with a body that is not a \(Value.self): \(WireFormat.explain(error))"))
            }
        case 400..<500:
            let error = try? WireFormat.decoder().decode(HostErrorBody.self, from: body)
            // Programs match on the code: an empty one (`"error": ""`, found by fuzzing) is no code at all.
            let code = error.map(\.error).flatMap { $0.isEmpty ? nil : $0 } ?? "http_\(status)"
            return .refused(HostRefusal(status: status, code: code,
                                        message: error?.message ?? String(decoding: body.prefix(200), as: UTF8.self)))
        default:
            return .unknown(.init(.serverError, "HTTP \(status)"))
        }
    }
}
