import Acquirer
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

/// The development PKI, checked with swift-certificates' own verifier (RFC 5280 and server identity).
struct PKITests {
    @Test func theHostAndTerminalChainToTheCA() async throws {
        let scratch = TestHost.newFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder = PKIFolder(scratch + "/pki")
        let report = try folder.write(terminalId: "T-0042")
        #expect(!report.reusedAuthority && report.written.count == 6)
        let ca = try Certificate(pemEncoded: String(contentsOfFile: folder.caCertificate, encoding: .utf8))
        let host = try Certificate(pemEncoded: String(contentsOfFile: folder.hostCertificate, encoding: .utf8))
        let terminal = try Certificate(pemEncoded: String(contentsOfFile: folder.terminalCertificate, encoding: .utf8))

        var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy(validationTime: Date())
            ServerIdentityPolicy(serverHostname: "localhost", serverIP: nil)
        }
        guard case .validCertificate = await verifier.validate(leaf: host, intermediates: CertificateStore()) else {
            Issue.record("the host certificate does not verify for localhost"); return
        }
        var byAddress = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy(validationTime: Date())
            ServerIdentityPolicy(serverHostname: nil, serverIP: "127.0.0.1")
        }
        guard case .validCertificate = await byAddress.validate(leaf: host, intermediates: CertificateStore()) else {
            Issue.record("the host certificate does not verify for 127.0.0.1"); return
        }
        var client = Verifier(rootCertificates: CertificateStore([ca])) { RFC5280Policy(validationTime: Date()) }
        guard case .validCertificate = await client.validate(leaf: terminal, intermediates: CertificateStore()) else {
            Issue.record("the terminal certificate does not verify"); return
        }
        #expect(terminal.subject.description.contains("CN=T-0042"))
        #expect(try terminal.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try host.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        // The key files hold the keys of the certificates.
        let key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: folder.terminalKey, encoding: .utf8))
        #expect(terminal.publicKey == Certificate.PublicKey(key.publicKey))
    }

    @Test func aSecondTerminalIsIssuedUnderTheSameCA() throws {
        let scratch = TestHost.newFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder = PKIFolder(scratch + "/pki")
        try folder.write(terminalId: "T-1")
        let ca = try String(contentsOfFile: folder.caCertificate, encoding: .utf8)
        let report = try folder.write(terminalId: "T-2")
        #expect(report.reusedAuthority && !report.written.contains(folder.caKey))
        #expect(try String(contentsOfFile: folder.caCertificate, encoding: .utf8) == ca)
        #expect(try Certificate(pemEncoded: String(contentsOfFile: folder.terminalCertificate, encoding: .utf8)).subject.description.contains("CN=T-2"))
    }

    @Test func keysAreCreated0600EvenOverAnOpenFile() throws {
        let scratch = TestHost.newFolder(), path = scratch + "/secret.key"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: path, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        try PKIFolder.writeFile(path, "new", mode: 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    }

    @Test func aCAKeyThatDoesNotMatchItsCertificateIsRefused() throws {
        let one = try DevelopmentPKI(), two = try DevelopmentPKI()
        #expect(throws: PKIError.self) { try DevelopmentPKI(certificatePEM: one.authority.certificatePEM, keyPEM: two.authority.keyPEM) }
    }
}
