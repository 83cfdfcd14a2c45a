import Acquirer
import Foundation
import Platform
import X509

/// `qrpos provision`: gives a new terminal its identity and merchant profile from the acquirer (EnrollmentClient),
/// and renews the certificate before it expires. Writes the PKI folder's terminal.key, terminal.pem and ca.pem
/// and the merchant profile, each owner-only from its first byte and replaced only once the host's answer checked.
public enum Provisioning {
    public struct Request: Sendable {
        public var terminalFile: String
        public var stateFolder: String
        public var terminalID: String?
        public var code: String?
        public var enrollURL: URL?
        /// The host's CA as shipped in the image, or nil.
        public var authorityFile: String?
        /// The SHA-256 fingerprint of the host's CA the technician typed, or nil.
        public var fingerprint: String?
        public var renew: Bool
        public init(terminalFile: String, stateFolder: String, terminalID: String? = nil, code: String? = nil, enrollURL: URL? = nil,
                    authorityFile: String? = nil, fingerprint: String? = nil, renew: Bool = false) {
            self.terminalFile = terminalFile; self.stateFolder = stateFolder; self.terminalID = terminalID; self.code = code
            self.enrollURL = enrollURL; self.authorityFile = authorityFile; self.fingerprint = fingerprint; self.renew = renew
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var terminalID: String
        public var merchantName: String
        public var notAfter: Date
        public var written: [String]
        public var description: String {
            let day = ISO8601DateFormatter.string(from: notAfter, timeZone: .gmt, formatOptions: [.withFullDate])
            return "terminal \(terminalID) provisioned for \(merchantName); certificate valid until \(day)\n" + written.map { "  wrote \($0)" }.joined(separator: "\n")
        }
    }

    public static func run(_ request: Request) async throws(StartFailure) -> Report {
        let link: TerminalConfig.Link
        do { link = try TerminalConfig.Link(path: request.terminalFile, stateFolder: request.stateFolder) } catch { throw StartFailure("\(error)") }
        let identity = AcquirerConfiguration.TerminalIdentity(pkiFolder: link.pkiFolder)
        let result: EnrollmentClient.Result
        do {
            if request.renew {
                guard let id = currentTerminalID(identity) else {
                    throw StartFailure("there is no terminal certificate in \(link.pkiFolder) to renew: enroll with a code first")
                }
                result = try await EnrollmentClient.renew(at: link.acquirerURL, identity: identity, terminalId: id)
            } else {
                guard let id = request.terminalID ?? link.terminalID else { throw StartFailure("name the terminal: --terminal-id ID (as the acquirer issued the code for)") }
                guard id.range(of: TerminalConfig.Link.idPattern, options: .regularExpression) != nil else {
                    throw StartFailure("--terminal-id must be 1 to 32 letters, digits, '.', '_' or '-'")
                }
                guard let code = request.code, !code.isEmpty else { throw StartFailure("give the one-time enrollment code: --code CODE") }
                guard let url = request.enrollURL ?? link.enrollURL else {
                    throw StartFailure("where does this terminal enroll? --enroll-url https://HOST:PORT, or acquirer.enroll_url in \(request.terminalFile)")
                }
                let authority = try await pinnedAuthority(request, url: url, existing: identity.caCertificate)
                result = try await EnrollmentClient.enroll(at: url, authorityPEM: authority, terminalId: id, code: code)
            }
        } catch let failure as StartFailure { throw failure } catch let failure as EnrollmentClient.Failure {
            throw StartFailure(failure.description)
        } catch { throw StartFailure("\(error)") }
        let written = try store(result, identity: identity, profilePath: link.profilePath)
        return Report(terminalID: result.profile.terminalId, merchantName: result.profile.merchant.merchantName, notAfter: result.notAfter, written: written)
    }

    /// The CA the host must prove itself with: a file shipped in the image, a fingerprint typed by the technician
    /// (checked against what the host offers), or the CA pinned at an earlier enrollment.
    static func pinnedAuthority(_ request: Request, url: URL, existing: String) async throws -> String {
        if let file = request.authorityFile {
            do { return try String(contentsOfFile: file, encoding: .utf8) } catch { throw StartFailure("cannot read the CA file \(file)") }
        }
        if let fingerprint = request.fingerprint { return try await EnrollmentClient.pinAuthority(at: url, fingerprint: fingerprint) }
        if let pinned = try? String(contentsOfFile: existing, encoding: .utf8) { return pinned }
        throw StartFailure("pin the acquirer's CA first: --ca FILE (shipped with the image) or --fingerprint SHA256 (from the acquirer)")
    }

    /// New files next to the old ones, then renamed over them: a failed enrollment leaves the old identity as it was.
    /// (A power cut between the renames can leave a key and a certificate that do not match: provision again.)
    static func store(_ result: EnrollmentClient.Result, identity: AcquirerConfiguration.TerminalIdentity, profilePath: String) throws(StartFailure) -> [String] {
        let profile: Data
        do { profile = try WireFormat.encoder().encode(result.profile) } catch { throw StartFailure("cannot encode the merchant profile: \(error)") }
        let files: [(String, Data)] = [(identity.privateKey, Data(result.keyPEM.utf8)),
                                       (identity.certificate, Data(result.certificatePEM.utf8)),
                                       (identity.caCertificate, Data(result.authorityPEM.utf8)),
                                       (profilePath, profile)]
        do {
            for (path, _) in files {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            for (path, data) in files { try OwnerOnlyFile.write(path + ".new", data) }
            for (path, _) in files {
                guard rename(path + ".new", path) == 0 else { throw FileProblem(path: path, call: "replace", errno: errno) }
            }
        } catch { throw StartFailure("cannot store the new identity: \(error)") }
        return files.map(\.0)
    }

    /// The common name of the terminal certificate in use, if there is one.
    static func currentTerminalID(_ identity: AcquirerConfiguration.TerminalIdentity) -> String? {
        guard let certificate = certificate(identity.certificate) else { return nil }
        return certificate.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
    }

    static func certificate(_ path: String) -> Certificate? {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return try? Certificate(pemEncoded: pem)
    }

    /// When the terminal certificate stops being valid, and how many whole days are left; nil without one.
    public static func certificateExpiry(pkiFolder: String, now: Date = Date()) -> (notAfter: Date, daysLeft: Int)? {
        guard let certificate = certificate(AcquirerConfiguration.TerminalIdentity(pkiFolder: pkiFolder).certificate) else { return nil }
        let notAfter = certificate.notValidAfter
        return (notAfter, Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down)))
    }

    /// Days before expiry from which health and the technician screen warn.
    public static let renewalWarningDays = 30
}
