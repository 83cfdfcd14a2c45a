import Foundation
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

    /// Creates the file with its final mode from the start (open with O_CREAT and the mode), fixes the mode of a
    /// file that already existed, then writes and syncs.
    public static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PKIError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw PKIError(description: "cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PKIError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw PKIError(description: "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }
}
