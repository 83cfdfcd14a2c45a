import Foundation
import NIOSSL

/// The terminal's TLS settings: its own certificate and key, only the acquirer's CA trusted (no system roots),
/// the host name checked against the host's certificate, TLS 1.2 at least.
public enum TerminalTLS {
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public static func configuration(_ identity: AcquirerConfiguration.TerminalIdentity) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(try load("CA certificate", identity.caCertificate) { try NIOSSLCertificate.fromPEMFile($0) })
        tls.additionalTrustRoots = []
        tls.certificateChain = try load("terminal certificate", identity.certificate) { try NIOSSLCertificate.fromPEMFile($0) }
            .map { .certificate($0) }
        tls.privateKey = .privateKey(try load("terminal key", identity.privateKey) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        return tls
    }

    static func load<T>(_ what: String, _ path: String, _ read: (String) throws -> T) throws -> T {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SetupError(description: "cannot read the \(what) \(path) (write a development set with `qrpos pki dev --out DIR`)")
        }
        do {
            let value = try read(path)
            if let list = value as? [Any], list.isEmpty { throw SetupError(description: "no certificate in \(path)") }
            return value
        } catch let error as SetupError { throw error } catch {
            throw SetupError(description: "the \(what) \(path) is not usable PEM: \(error)")
        }
    }
}
