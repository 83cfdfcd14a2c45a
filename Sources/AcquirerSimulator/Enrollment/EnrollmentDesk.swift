import Acquirer
import Crypto
import Foundation
import Logging
import SwiftASN1
import X509

/// The host's enrollment side: checks a terminal's certificate request and its one-time code, signs the
/// terminal's own public key with the host's CA and hands back the chain and the merchant profile.
struct EnrollmentDesk: Sendable {
    let store: LedgerStore
    let authorityPEM: String
    let authorityKeyPEM: String
    /// How long an issued terminal certificate is valid.
    let certificateDays: Int
    let clock: @Sendable () -> Date
    let logger: Logger

    init(store: LedgerStore, pki: PKIFolder, certificateDays: Int, clock: @escaping @Sendable () -> Date, logger: Logger) throws {
        self.store = store
        authorityPEM = try String(contentsOfFile: pki.caCertificate, encoding: .utf8)
        authorityKeyPEM = try String(contentsOfFile: pki.caKey, encoding: .utf8)
        _ = try DevelopmentPKI(certificatePEM: authorityPEM, keyPEM: authorityKeyPEM)
        self.certificateDays = certificateDays; self.clock = clock; self.logger = logger
    }

    /// GET cacerts: the CA, for a terminal that pins it by fingerprint.
    func caCertificates() -> HostResponse {
        HostAPI.json(200, ["certificates": [authorityPEM]])
    }

    /// POST simpleenroll: HTTP Basic (terminal id, enrollment code) and a PKCS#10 request.
    func enroll(_ request: HostRequest) -> HostResponse {
        do {
            let (terminalId, code) = try Self.basicCredentials(request.header("authorization"))
            let csr = try Self.certificateRequest(request.body, terminalId: terminalId)
            let now = clock()
            let answer = try store.redeemEnrollmentCode(code, terminalId: terminalId, now: now) { profile in try issue(csr, for: profile, now: now) }
            logger.notice("terminal \(terminalId) enrolled; certificate valid for \(certificateDays) days")
            return HostAPI.json(201, answer)
        } catch let refusal as LedgerRefusal {
            logger.notice("enrollment refused: \(refusal)")
            return HostAPI.error(refusal.status, refusal.code, refusal.message)
        } catch {
            return HostAPI.error(500, "internal", "enrollment failed: \(error)")
        }
    }

    /// POST simplereenroll over mutual TLS: the terminal's current certificate says who it is.
    func reenroll(_ request: HostRequest) -> HostResponse {
        do {
            let csr = try Self.certificateRequest(request.body, terminalId: request.terminalId)
            guard let profile = try store.enrolledProfile(terminalId: request.terminalId) else {
                throw LedgerRefusal(404, "not_enrolled", "terminal \(request.terminalId) was never enrolled at this host: enroll it with a code first")
            }
            let now = clock()
            let issued = try issue(csr, for: profile, now: now)
            try store.recordRenewal(terminalId: request.terminalId, issued: issued, now: now)
            logger.notice("terminal \(request.terminalId) renewed its certificate")
            return HostAPI.json(201, issued.answer)
        } catch let refusal as LedgerRefusal {
            logger.notice("renewal refused: \(refusal)")
            return HostAPI.error(refusal.status, refusal.code, refusal.message)
        } catch {
            return HostAPI.error(500, "internal", "renewal failed: \(error)")
        }
    }

    private func issue(_ csr: CertificateSigningRequest, for profile: MerchantProfile, now: Date) throws -> (answer: EnrollmentAnswer, notAfter: Date) {
        let pki = try DevelopmentPKI(certificatePEM: authorityPEM, keyPEM: authorityKeyPEM)
        let notAfter = now.addingTimeInterval(Double(certificateDays) * 86_400)
        let certificate = try pki.issueTerminal(id: profile.terminalId, publicKey: csr.publicKey, notBefore: now.addingTimeInterval(-60), notAfter: notAfter)
        var issuedProfile = profile
        issuedProfile.issuedAt = now
        return (EnrollmentAnswer(certificateChain: [try certificate.serializeAsPEM().pemString, authorityPEM], profile: issuedProfile), notAfter)
    }

    static func basicCredentials(_ header: String?) throws -> (String, String) {
        guard let header, header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            throw LedgerRefusal(401, "enrollment_code_missing", "send the terminal id and the enrollment code as HTTP Basic credentials")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// EST's body is base64 DER; PEM is taken too. The request must be signed by its own key (proof the terminal
    /// holds it), be a P-256 key, and name the terminal as its common name.
    static func certificateRequest(_ body: Data, terminalId: String) throws -> CertificateSigningRequest {
        let text = String(decoding: body, as: UTF8.self)
        let csr: CertificateSigningRequest
        do {
            if text.contains("-----BEGIN") {
                csr = try CertificateSigningRequest(pemEncoded: text)
            } else {
                guard let der = Data(base64Encoded: text.filter { !$0.isWhitespace }) else { throw LedgerRefusal.badRequest("the body is not base64") }
                csr = try CertificateSigningRequest(derEncoded: Array(der))
            }
        } catch let refusal as LedgerRefusal { throw refusal } catch {
            throw LedgerRefusal.badRequest("the body is not a PKCS#10 certificate request: \(error)")
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw LedgerRefusal.badRequest("the certificate request is not signed by its own key")
        }
        guard P256.Signing.PublicKey(csr.publicKey) != nil else {
            throw LedgerRefusal.badRequest("the certificate request's key must be ECDSA P-256")
        }
        let commonNames = csr.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
        guard commonNames == [terminalId] else {
            throw LedgerRefusal(403, "terminal_mismatch", "the certificate request names \(commonNames.first ?? "no terminal"), not \(terminalId)")
        }
        return csr
    }
}

/// The enrollment listener's API (server-authenticated TLS only: the terminal has no certificate yet).
struct EnrollmentAPI: Sendable {
    let desk: EnrollmentDesk
    let stats: ServerStats

    func handle(_ request: HostRequest) async -> HostAction {
        stats.update { $0.requests += 1 }
        let route = RoutePattern(method: request.method, path: request.path)
        if route.match("GET", EnrollmentPath.caCertificates) != nil { return .respond(desk.caCertificates()) }
        if route.match("POST", EnrollmentPath.simpleEnroll) != nil { return .respond(desk.enroll(request)) }
        return .respond(HostAPI.error(404, "no_such_endpoint", "the enrollment listener answers only \(EnrollmentPath.caCertificates) and \(EnrollmentPath.simpleEnroll)"))
    }
}
