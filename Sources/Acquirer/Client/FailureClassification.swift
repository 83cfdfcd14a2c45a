import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

/// Sorts a transport error into "nothing reached the host" and "it may have happened". Getting this wrong
/// one way charges twice, the other way loses a sale: when in doubt it is `unknown`.
enum FailureClassification {
    enum Verdict: Equatable { case unreachable(String), unknown(UnknownOutcome) }

    static func classify(_ error: Error) -> Verdict {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return .unreachable("could not connect: \(error.shortDescription)")
            case .readTimeout, .deadlineExceeded, .writeTimeout:
                return .unknown(.init(.timeout, error.shortDescription))
            case .remoteConnectionClosed, .uncleanShutdown, .cancelled:
                return .unknown(.init(.connectionLost, error.shortDescription))
            default:
                return .unknown(.init(.connectionLost, error.shortDescription))
            }
        }
        // A TLS failure (handshake, certificate refused by either side) happens before any request is read.
        if let error = error as? NIOSSLError {
            switch error {
            case .uncleanShutdown: return .unknown(.init(.connectionLost, "TLS connection closed uncleanly"))
            default: return .unreachable("TLS refused: \(error)")
            }
        }
        if let error = error as? BoringSSLError { return .unreachable("TLS refused: \(error)") }
        if let error = error as? NIOSSLExtraError { return .unreachable("TLS refused: \(error)") }
        if error is NIOConnectionError { return .unreachable("could not connect: \(error)") }
        if let error = error as? ChannelError, case .connectTimeout = error { return .unreachable("could not connect: connect timeout") }
        if let error = error as? IOError {
            if [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return .unreachable("could not connect: \(error)") }
            return .unknown(.init(.connectionLost, "\(error)"))
        }
        return .unknown(.init(.connectionLost, "\(error)"))
    }
}
