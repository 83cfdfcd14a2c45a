import Acquirer
import AcquirerSimulator
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
import Testing

/// Who may talk to whom: only terminals with a certificate from the host's CA, only hosts from the pinned CA,
/// host names checked, nothing expired, nothing below TLS 1.2. A refused terminal moves no money.
struct MutualTLSTests {
    /// Another CA with its own terminal, as a stranger would have.
    static func strangerPKI(in host: TestHost) throws -> PKIFolder {
        let folder = PKIFolder(host.folder + "/stranger")
        try folder.write(terminalId: "STRANGER")
        return folder
    }

    func expectNothingMoved(_ host: TestHost, _ outcome: AcquirerOutcome<Charge>) async throws {
        if case .done = outcome { Issue.record("the charge went through: \(outcome)") }
        #expect(try await host.control.ledger().charges.isEmpty)
    }

    @Test func aTerminalWithoutACertificateIsRefused() async throws {
        try await TestHost.with { host in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(host.pki.caCertificate))
            let anonymous = try SimControl(url: host.url, identity: host.pki.terminalIdentity, tls: tls)
            await #expect(throws: (any Error).self) {
                _ = try await anonymous.raw(.POST, "/v1/charges", body: "{}", headers: [("Idempotency-Key", "A")])
            }
            try await anonymous.shutdown()
            #expect(try await host.control.stats().tlsFailures >= 1)
            #expect(try await host.control.ledger().charges.isEmpty)
        }
    }

    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        try await TestHost.with { host in
            let stranger = try Self.strangerPKI(in: host)
            let identity = AcquirerConfiguration.TerminalIdentity(caCertificate: host.pki.caCertificate, certificate: stranger.terminalCertificate,
                                                                  privateKey: stranger.terminalKey)
            let outcome = try await host.withClient(identity: identity) { await $0.charge(Sample.charge("S-1")) }
            guard case .unreachable = outcome else { Issue.record("expected unreachable, got \(outcome)"); return }
            try await expectNothingMoved(host, outcome)
            #expect(host.server.stats.counts.tlsFailures >= 1)
        }
    }

    /// What the client's observer is told (the terminal's metrics count it): one handshake for a connection that is
    /// reused, and a refused handshake as `tls_refused`, not as a handshake.
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var handshakes = 0, failures: [TransportFailure] = []
        var observer: AcquirerClient.Observer {
            .init(transportFailure: { kind in self.lock.withLock { self.failures.append(kind) } },
                  tlsHandshakeCompleted: { self.lock.withLock { self.handshakes += 1 } })
        }
        var counts: (handshakes: Int, failures: [TransportFailure]) { lock.withLock { (handshakes, failures) } }
    }

    @Test func theObserverCountsHandshakesAndTLSRefusals() async throws {
        try await TestHost.with { host in
            let good = Seen()
            try await host.withClient(observer: good.observer) { client in
                for n in 1...3 { guard case .done = await client.charge(Sample.charge("S-OBS-\(n)")) else { Issue.record("charge \(n)"); return } }
            }
            #expect(good.counts.handshakes == 1 && good.counts.failures.isEmpty, "\(good.counts)")
            let stranger = try Self.strangerPKI(in: host)
            let identity = AcquirerConfiguration.TerminalIdentity(caCertificate: stranger.caCertificate, certificate: host.pki.terminalCertificate,
                                                                  privateKey: host.pki.terminalKey)
            let refused = Seen()
            let outcome = try await host.withClient(identity: identity, observer: refused.observer) { await $0.charge(Sample.charge("S-OBS-4")) }
            guard case .unreachable = outcome else { Issue.record("expected unreachable, got \(outcome)"); return }
            #expect(refused.counts.handshakes == 0 && refused.counts.failures == [.tlsRefused], "\(refused.counts)")
        }
    }

    @Test func aHostNotFromThePinnedCAIsRefusedByTheTerminal() async throws {
        try await TestHost.with { host in
            let stranger = try Self.strangerPKI(in: host)
            // The terminal's own certificate is good; it pins a CA that did not sign this host.
            let identity = AcquirerConfiguration.TerminalIdentity(caCertificate: stranger.caCertificate, certificate: host.pki.terminalCertificate,
                                                                  privateKey: host.pki.terminalKey)
            let outcome = try await host.withClient(identity: identity) { await $0.charge(Sample.charge("S-2")) }
            guard case let .unreachable(reason) = outcome else { Issue.record("expected unreachable, got \(outcome)"); return }
            #expect(reason.contains("TLS"))
            try await expectNothingMoved(host, outcome)
        }
    }

    @Test func anExpiredTerminalCertificateIsRefused() async throws {
        try await TestHost.with { host in
            let ca = try DevelopmentPKI(certificatePEM: String(contentsOfFile: host.pki.caCertificate, encoding: .utf8),
                                        keyPEM: String(contentsOfFile: host.pki.caKey, encoding: .utf8))
            let expired = try ca.issueTerminal(id: "T-OLD", notBefore: Date().addingTimeInterval(-30 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
            let folder = host.folder
            try PKIFolder.writeFile(folder + "/old.pem", expired.certificatePEM, mode: 0o644)
            try PKIFolder.writeFile(folder + "/old.key", expired.keyPEM, mode: 0o600)
            let identity = AcquirerConfiguration.TerminalIdentity(caCertificate: host.pki.caCertificate, certificate: folder + "/old.pem", privateKey: folder + "/old.key")
            let outcome = try await host.withClient(identity: identity) { await $0.charge(Sample.charge("S-3")) }
            try await expectNothingMoved(host, outcome)
        }
    }

    @Test func anExpiredHostCertificateIsRefusedByTheTerminal() async throws {
        let folder = TestHost.newFolder()
        let pki = PKIFolder(folder + "/pki")
        try pki.write(terminalId: "T-0001")
        let ca = try DevelopmentPKI(certificatePEM: String(contentsOfFile: pki.caCertificate, encoding: .utf8),
                                    keyPEM: String(contentsOfFile: pki.caKey, encoding: .utf8))
        let old = try ca.issueHost(now: Date().addingTimeInterval(-40 * 86_400), days: 30)
        try PKIFolder.writeFile(pki.hostCertificate, old.certificatePEM, mode: 0o644)
        try PKIFolder.writeFile(pki.hostKey, old.keyPEM, mode: 0o600)
        try await TestHost.start(folder: folder).use { host in
            let outcome = try await host.withClient { await $0.charge(Sample.charge("S-4")) }
            guard case .unreachable = outcome else { Issue.record("expected unreachable, got \(outcome)"); return }
            // No terminal can reach this host, so ask the server itself: no request arrived. The server counts the
            // failed handshake when the terminal's alert reaches it, which may be a moment after the client gave up.
            for _ in 0..<40 where host.server.stats.counts.tlsFailures == 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(host.server.stats.counts.requests == 0 && host.server.stats.counts.tlsFailures >= 1)
        }
    }

    @Test func theHostNameIsChecked() async throws {
        // The host answers on 127.0.0.2 with a certificate for localhost, 127.0.0.1 and ::1 only.
        try await TestHost.start(listen: "127.0.0.2").use { host in
            let outcome = try await host.withClient { await $0.charge(Sample.charge("S-5")) }
            guard case .unreachable = outcome else { Issue.record("expected unreachable, got \(outcome)"); return }
            #expect(host.server.stats.counts.requests == 0)
        }
        // The same certificate is good for the names it carries.
        try await TestHost.with { host in
            let localhost = URL(string: "https://localhost:\(host.server.port)")!
            let status = try await host.withClient(url: localhost) { await $0.health().value?.status }
            #expect(status == "ok")
        }
    }

    @Test func tlsBelow12IsRefused() async throws {
        try await TestHost.with { host in
            var tls = try TerminalTLS.configuration(host.pki.terminalIdentity)
            tls.minimumTLSVersion = .tlsv1
            tls.maximumTLSVersion = .tlsv11
            let old = try SimControl(url: host.url, identity: host.pki.terminalIdentity, tls: tls)
            await #expect(throws: (any Error).self) { _ = try await old.raw(.GET, "/v1/health") }
            try await old.shutdown()
            #expect(host.server.stats.counts.tlsFailures >= 1)
        }
    }
}
