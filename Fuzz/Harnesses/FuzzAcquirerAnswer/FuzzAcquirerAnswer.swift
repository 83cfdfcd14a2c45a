import Foundation
import FuzzSupport
@testable import AcquirerAnswers

/// The acquirer's answers: `AnswerReading.read(status:body:)` for every resource the terminal asks for.
/// The first byte picks the HTTP status (from `statuses`), the second the resource type; the rest is the body.
///
/// Invariants besides "no crash":
/// - 2xx is `.done` or `.unknown(.unreadableAnswer)`; 4xx is `.refused` with that status, a non-empty error
///   code and, when the body is not a host error, at most 200 bytes of it as the message; anything else is
///   `.unknown(.serverError)` (a host that failed may have moved money: never a refusal);
/// - a resource read from a 2xx body, written with `WireFormat.encoder()` and read again, is written the
///   same way again (times keep milliseconds) and the date strings it writes read back.
let statuses = [200, 201, 202, 204, 299, 400, 401, 404, 409, 422, 499, 500, 502, 503, 100, 302, 0, -1, 600]

@_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let status = statuses[Int(data[0]) % statuses.count]
    let body = Data(bytes: data + 2, count: size - 2)
    switch data[1] % 6 {
    case 0: read(Order.self, status, body)
    case 1: read(Charge.self, status, body)
    case 2: read(Refund.self, status, body)
    case 3: read(HostHealth.self, status, body)
    case 4: read(HostTime.self, status, body)
    default: read(HostErrorBody.self, status, body)
    }
    return 0
}

func read<Value: Codable & Sendable & Equatable>(_ type: Value.Type, _ status: Int, _ body: Data) {
    let outcome: AcquirerOutcome<Value> = AnswerReading.read(status: status, body: body)
    switch (status, outcome) {
    case let (200..<300, .done(value)):
        do {
            let written = try WireFormat.encoder().encode(value)
            let again = try WireFormat.decoder().decode(Value.self, from: written)
            let rewritten = try WireFormat.encoder().encode(again)
            invariant(written == rewritten, "\(Value.self) written twice differs:\n\(String(decoding: written, as: UTF8.self))\n\(String(decoding: rewritten, as: UTF8.self))")
        } catch {
            invariant(false, "\(Value.self) read from the host cannot be written and read back: \(error)")
        }
    case let (200..<300, .unknown(why)):
        invariant(why.cause == .unreadableAnswer && !why.detail.isEmpty, "2xx unknown: \(why)")
    case let (400..<500, .refused(refusal)):
        invariant(refusal.status == status && !refusal.code.isEmpty, "4xx refusal \(refusal)")
        if (try? WireFormat.decoder().decode(HostErrorBody.self, from: body)) == nil {
            invariant(refusal.message.utf8.count <= 200 * 3, "4xx message of \(refusal.message.utf8.count) bytes")
        }
    case let (_, .unknown(why)) where !(200..<300).contains(status) && !(400..<500).contains(status):
        invariant(why.cause == .serverError, "status \(status): \(why)")
    default:
        invariant(false, "status \(status) read as \(outcome)")
    }
}
