import Foundation

/// One HTTP request as the host's rules see it, with the terminal id taken from the client certificate.
struct HostRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: Data
    var terminalId: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

struct HostResponse: Sendable {
    var status: Int
    var body: Data
    var headers: [(String, String)] = []
}

/// What the connection does with a request: answer, or play a network fault.
enum HostAction: Sendable {
    case respond(HostResponse)
    /// Close without an answer.
    case drop
    /// TCP reset.
    case reset
    /// Never answer.
    case hang
}
