/// A request the acquirer's rules refuse: the HTTP status, a stable code for programs and a message for people.
public struct LedgerRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(_ status: Int, _ code: String, _ message: String) { self.status = status; self.code = code; self.message = message }

    public var description: String { "\(status) \(code): \(message)" }

    static func badRequest(_ message: String) -> Self { .init(400, "bad_request", message) }
    static func notFound(_ what: String, _ id: String) -> Self { .init(404, "not_found", "no \(what) '\(id)' at this host") }
    static func conflict(_ code: String, _ message: String) -> Self { .init(409, code, message) }
    static func unprocessable(_ code: String, _ message: String) -> Self { .init(422, code, message) }
}
