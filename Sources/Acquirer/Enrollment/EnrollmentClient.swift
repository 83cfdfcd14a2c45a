import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwiftASN1
import X509

/// The terminal's side of enrollment (EnrollmentPath): the key is made here and never leaves; the host's CA is
/// pinned from a file shipped in the image or by the fingerprint the technician typed; the answer is checked
/// (our key, signed by that CA, our terminal id) before anything is written.
public enum EnrollmentClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// What a successful enrollment gives the terminal.
    public struct Result: Sendable {
        /// The terminal's new private key, PEM: written owner-only by the caller, never sent anywhere.
        public var keyPEM: String
        public var certificatePEM: String
        public var authorityPEM: String
        public var profile: MerchantProfile
        public var notAfter: Date
    }

    /// SHA-256 of a certificate's DER as a technician reads it: 32 hex pairs separated by colons.
    public static func fingerprint(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// Typed fingerprints match whatever the case and separators (colons, spaces, dashes).
    public static func sameFingerprint(_ typed: String, _ actual: String) -> Bool {
        func hex(_ s: String) -> String { s.lowercased().filter { $0.isHexDigit } }
        return hex(typed).count == 64 && hex(typed) == hex(actual)
    }

    /// Fetches the host's CA without trusting it, then keeps it only if its fingerprint is the one typed.
    public static func pinAuthority(at base: URL, fingerprint typed: String) async throws(Failure) -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        // Nothing is trusted yet: the fingerprint check below is what authenticates the answer.
        tls.certificateVerification = .none
        struct Answer: Decodable { var certificates: [String] }
        let answer: Answer = try await exchange(base, EnrollmentPath.caCertificates, method: .GET, body: nil, headers: [:], tls: tls)
        for pem in answer.certificates {
            guard let certificate = try? Certificate(pemEncoded: pem), let actual = try? fingerprint(certificate) else { continue }
            if sameFingerprint(typed, actual) { return pem }
        }
        let offered = answer.certificates.compactMap { try? fingerprint(Certificate(pemEncoded: $0)) }
        throw Failure("the host's CA fingerprint is \(offered.first ?? "unreadable"), not the one typed: check it with the acquirer; nothing was written")
    }

    /// First enrollment with a one-time code, over TLS that trusts only `authorityPEM`.
    public static func enroll(at base: URL, authorityPEM: String, terminalId: String, code: String) async throws(Failure) -> Result {
        let key = P256.Signing.PrivateKey()
        let tls = try clientTLS(authorityPEM: authorityPEM, identity: nil)
        let credentials = Data("\(terminalId):\(code)".utf8).base64EncodedString()
        let answer: EnrollmentAnswer = try await exchange(base, EnrollmentPath.simpleEnroll, method: .POST, body: try request(for: key, terminalId: terminalId),
                                                          headers: ["Authorization": "Basic \(credentials)", "Content-Type": "application/pkcs10"], tls: tls)
        return try check(answer, key: key, authorityPEM: authorityPEM, terminalId: terminalId)
    }

    /// Renewal over the usual mutual TLS with the current certificate; a new key is made for the new certificate.
    public static func renew(at base: URL, identity: AcquirerConfiguration.TerminalIdentity, terminalId: String) async throws(Failure) -> Result {
        let authorityPEM: String
        do { authorityPEM = try String(contentsOfFile: identity.caCertificate, encoding: .utf8) } catch {
            throw Failure("cannot read the pinned CA \(identity.caCertificate): enroll with a code first")
        }
        let key = P256.Signing.PrivateKey()
        let tls = try clientTLS(authorityPEM: authorityPEM, identity: identity)
        let answer: EnrollmentAnswer = try await exchange(base, EnrollmentPath.simpleReenroll, method: .POST, body: try request(for: key, terminalId: terminalId),
                                                          headers: ["Content-Type": "application/pkcs10"], tls: tls)
        return try check(answer, key: key, authorityPEM: authorityPEM, terminalId: terminalId)
    }

    /// PKCS#10 signed by the new key, the terminal id as common name, base64 DER as EST sends it.
    static func request(for key: P256.Signing.PrivateKey, terminalId: String) throws(Failure) -> Data {
        do {
            let subject = try DistinguishedName { CommonName(terminalId) }
            let csr = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: .init(key), attributes: .init(),
                                                    signatureAlgorithm: .ecdsaWithSHA256)
            var serializer = DER.Serializer()
            try serializer.serialize(csr)
            return Data(Data(serializer.serializedBytes).base64EncodedString().utf8)
        } catch { throw Failure("cannot make the certificate request: \(error)") }
    }

    /// The certificate must be for our key, name our terminal and be signed by the pinned CA.
    static func check(_ answer: EnrollmentAnswer, key: P256.Signing.PrivateKey, authorityPEM: String, terminalId: String) throws(Failure) -> Result {
        guard let pem = answer.certificateChain.first, let certificate = try? Certificate(pemEncoded: pem),
              let authority = try? Certificate(pemEncoded: authorityPEM) else {
            throw Failure("the host's answer carries no readable certificate")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else { throw Failure("the host issued a certificate for another key") }
        guard authority.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw Failure("the certificate is not signed by the pinned CA")
        }
        let names = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
        guard names == [terminalId], answer.profile.terminalId == terminalId else {
            throw Failure("the certificate or profile names \(names.first ?? answer.profile.terminalId), not \(terminalId)")
        }
        return Result(keyPEM: key.pemRepresentation, certificatePEM: pem, authorityPEM: authorityPEM, profile: answer.profile, notAfter: certificate.notValidAfter)
    }

    static func clientTLS(authorityPEM: String, identity: AcquirerConfiguration.TerminalIdentity?) throws(Failure) -> TLSConfiguration {
        do {
            if let identity {
                return try TerminalTLS.configuration(identity)
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .fullVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(authorityPEM.utf8)))
            tls.additionalTrustRoots = []
            return tls
        } catch let failure as TerminalTLS.SetupError { throw Failure(failure.description) } catch {
            throw Failure("the pinned CA is not usable PEM: \(error)")
        }
    }

    static func exchange<Answer: Decodable>(_ base: URL, _ path: String, method: HTTPMethod, body: Data?, headers: [String: String],
                                            tls: TLSConfiguration) async throws(Failure) -> Answer {
        guard base.scheme == "https", base.host != nil else { throw Failure("the enrollment address must be https://HOST:PORT, not \(base)") }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: .seconds(20)))
        configuration.httpVersion = .http1Only
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let result: Swift.Result<Answer, Failure>
        do throws(Failure) { result = .success(try await send(http, base, path, method: method, body: body, headers: headers)) } catch { result = .failure(error) }
        // Shut down on every path: a client left running keeps its event-loop work (and the process) alive.
        try? await http.shutdown()
        return try result.get()
    }

    struct Refusal: Decodable { var error: String; var message: String }

    private static func send<Answer: Decodable>(_ http: HTTPClient, _ base: URL, _ path: String, method: HTTPMethod, body: Data?,
                                                headers: [String: String]) async throws(Failure) -> Answer {
        let root = base.absoluteString.hasSuffix("/") ? String(base.absoluteString.dropLast()) : base.absoluteString
        var request = HTTPClientRequest(url: root + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let status: Int, data: Data
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: 256 * 1024).readableBytesView)
        } catch { throw Failure("cannot reach \(root): \(error)") }
        guard (200..<300).contains(status) else {
            let refusal = try? WireFormat.decoder().decode(Refusal.self, from: data)
            throw Failure("the host refused (\(status)\(refusal.map { " \($0.error)" } ?? "")): \(refusal?.message ?? String(decoding: data.prefix(200), as: UTF8.self))")
        }
        do { return try WireFormat.decoder().decode(Answer.self, from: data) } catch {
            throw Failure("the host's answer is not what enrollment expects: \(WireFormat.explain(error))")
        }
    }
}
