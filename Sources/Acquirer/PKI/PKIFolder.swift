import Foundation
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// The files of a development PKI folder, as `qrpos pki dev` writes them and `acquirer-sim --pki` reads them.
public struct PKIFolder: Sendable {
    public var path: String
    public init(_ path: String) { self.path = path }

    public var caCertificate: String { path + "/ca.pem" }
    public var caKey: String { path + "/ca.key" }
    public var hostCertificate: String { path + "/host.pem" }
    public var hostKey: String { path + "/host.key" }
    public var terminalCertificate: String { path + "/terminal.pem" }
    public var terminalKey: String { path + "/terminal.key" }

    public var terminalIdentity: AcquirerConfiguration.TerminalIdentity {
        .init(caCertificate: caCertificate, certificate: terminalCertificate, privateKey: terminalKey)
    }

    /// What `write` did, for the technician.
    public struct Report: Sendable { public var written: [String]; public var reusedAuthority: Bool }

    /// Writes a CA (or reuses the one already in the folder, so a second terminal joins the same host), the
    /// host's certificate and the terminal's. Keys are created 0600 and never readable by others, not even briefly.
    @discardableResult
    public func write(terminalId: String, hostNames: [String] = ["localhost"], hostAddresses: [String] = ["127.0.0.1", "::1"],
                      now: Date = Date(), days: Int = 825) throws -> Report {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let fm = FileManager.default
        let reuse = fm.fileExists(atPath: caCertificate) && fm.fileExists(atPath: caKey)
        let pki = reuse
            ? try DevelopmentPKI(certificatePEM: String(contentsOfFile: caCertificate, encoding: .utf8), keyPEM: String(contentsOfFile: caKey, encoding: .utf8))
            : try DevelopmentPKI(now: now, days: days)
        let host = try pki.issueHost(names: hostNames, addresses: hostAddresses, now: now, days: days)
        let terminal = try pki.issueTerminal(id: terminalId, notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(Double(days) * 86_400))
        var written: [String] = []
        if !reuse {
            try Self.writeFile(caCertificate, pki.authority.certificatePEM, mode: 0o644); written.append(caCertificate)
            try Self.writeFile(caKey, pki.authority.keyPEM, mode: 0o600); written.append(caKey)
        }
        for (file, text, mode) in [(hostCertificate, host.certificatePEM, 0o644), (hostKey, host.keyPEM, 0o600),
                                   (terminalCertificate, terminal.certificatePEM, 0o644), (terminalKey, terminal.keyPEM, 0o600)] {
            try Self.writeFile(file, text, mode: mode_t(mode)); written.append(file)
        }
        return Report(written: written, reusedAuthority: reuse)
    }

    /// Creates the file with its final mode from the first byte (OwnerOnlyFile), then writes and syncs.
    public static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        do { try OwnerOnlyFile.write(path, Data(text.utf8), mode: mode) } catch { throw PKIError(description: error.description) }
    }
}
