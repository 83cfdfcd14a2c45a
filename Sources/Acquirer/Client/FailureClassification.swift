import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong with one attempt on the wire, by kind: what a fleet counts (`AcquirerClient.Observer`), apart from
/// what it means for the money (`FailureClassification.Verdict`). Never carries the request or its answer.
public enum TransportFailure: String, Sendable, CaseIterable {
    /// swift-nio-ssl or BoringSSL refused the connection: the handshake failed, or a certificate was refused by
    /// either side (the host's by the terminal, the terminal's by the host).
    case tlsRefused = "tls_refused"
    /// The TCP connection was made but the TLS handshake did not finish in time.
    case tlsHandshakeTimeout = "tls_handshake_timeout"
    /// No TCP connection: refused, host or network unreachable.
    case connectFailed = "connect_failed"
    /// No TCP connection within the connect timeout (or no pooled connection became free within it).
    case connectTimeout = "connect_timeout"
    /// Connected and sent (at least partly), but no whole answer within the read, write or request timeout.
    case timeout
    /// The connection closed or was reset under the request, or closed without a TLS close_notify.
    case connectionLost = "connection_lost"
}

/// Sorts a transport error into "nothing reached the host" and "it may have happened". Getting this wrong
/// one way charges twice, the other way loses a sale: when in doubt it is `unknown`.
enum FailureClassification {
    enum Verdict: Equatable { case unreachable(String), unknown(UnknownOutcome) }

    static func classify(_ error: Error) -> Verdict { classified(error).verdict }

    /// The verdict, and the kind of failure it was (counted by the client's observer).
    static func classified(_ error: Error) -> (verdict: Verdict, failure: TransportFailure) {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return (.unreachable("could not connect: \(error.shortDescription)"), .connectTimeout)
            case .tlsHandshakeTimeout:
                return (.unreachable("could not connect: \(error.shortDescription)"), .tlsHandshakeTimeout)
            case .readTimeout, .deadlineExceeded, .writeTimeout:
                return (.unknown(.init(.timeout, error.shortDescription)), .timeout)
            case .remoteConnectionClosed, .uncleanShutdown, .cancelled:
                return (.unknown(.init(.connectionLost, error.shortDescription)), .connectionLost)
            default:
                return (.unknown(.init(.connectionLost, error.shortDescription)), .connectionLost)
            }
        }
        // A TLS failure (handshake, certificate refused by either side) happens before any request is read.
        if let error = error as? NIOSSLError {
            switch error {
            case .uncleanShutdown: return (.unknown(.init(.connectionLost, "TLS connection closed uncleanly")), .connectionLost)
            default: return (.unreachable("TLS refused: \(error)"), .tlsRefused)
            }
        }
        if let error = error as? BoringSSLError { return (.unreachable("TLS refused: \(error)"), .tlsRefused) }
        if let error = error as? NIOSSLExtraError { return (.unreachable("TLS refused: \(error)"), .tlsRefused) }
        if error is NIOConnectionError { return (.unreachable("could not connect: \(error)"), .connectFailed) }
        if let error = error as? ChannelError, case .connectTimeout = error { return (.unreachable("could not connect: connect timeout"), .connectTimeout) }
        if let error = error as? IOError {
            if [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return (.unreachable("could not connect: \(error)"), .connectFailed) }
            return (.unknown(.init(.connectionLost, "\(error)")), .connectionLost)
        }
        return (.unknown(.init(.connectionLost, "\(error)")), .connectionLost)
    }
}
