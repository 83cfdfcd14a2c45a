import Acquirer
import AcquirerSimulator
import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import PaymentCodes
import Testing
import X509
@testable import Terminal

/// `qrpos provision` against the real simulator over loopback TLS: a key made by the terminal, a one-time code,
/// the host's CA pinned by fingerprint, and the new certificate then taking a sale over mutual TLS.
@Suite(.serialized) struct ProvisioningTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registry = try! WalletRegistry(toml: String(contentsOf: repository.appendingPathComponent("Assets/wallets.toml"), encoding: .utf8))

    /// A host with an enrollment listener, its own PKI (the terminal has none of it but the CA's fingerprint).
    struct Desk {
        let folder: String
        let server: SimulatorServer
        let store: LedgerStore
        let fingerprint: String
        var terminalFile: String { folder + "/terminal.toml" }
        var state: String { folder + "/state" }

        static func start() async throws -> Desk {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provision-\(UUID().uuidString.prefix(8))").path
            let pki = PKIFolder(folder + "/host-pki")
            try pki.write(terminalId: "BENCH")
            var configuration = SimulatorConfiguration(port: 0, pki: pki, databasePath: folder + "/ledger.sqlite", registry: ProvisioningTests.registry)
            configuration.enrollment = ("127.0.0.1", 0)
            var logger = Logger(label: "acquirer-sim")
            logger.logLevel = .warning
            let server = try await SimulatorServer.start(configuration, logger: logger)
            let ca = try Certificate(pemEncoded: String(contentsOfFile: pki.caCertificate, encoding: .utf8))
            try """
            [acquirer]
            url = "https://127.0.0.1:\(server.port)"
            enroll_url = "https://127.0.0.1:\(server.enrollmentPort!)"
            pki = "pki"
            [ecr]
            listen = "127.0.0.1:8417"
            """.write(toFile: folder + "/terminal.toml", atomically: true, encoding: .utf8)
            return Desk(folder: folder, server: server, store: try LedgerStore(path: folder + "/ledger.sqlite"),
                        fingerprint: try EnrollmentClient.fingerprint(ca))
        }

        func code(for terminal: String = "T-0042", validFor: TimeInterval = 600) throws -> String {
            let profile = try MerchantProfileFile.read(ProvisioningTests.repository.appendingPathComponent("Assets/acquirer/demo-merchant.toml").path,
                                                       terminalId: terminal, registry: ProvisioningTests.registry)
            return try store.issueEnrollmentCode(terminalId: terminal, profile: profile, validFor: validFor)
        }

        func provision(code: String?, terminal: String = "T-0042", fingerprint: String? = nil, renew: Bool = false) async throws(StartFailure) -> Provisioning.Report {
            try await Provisioning.run(.init(terminalFile: terminalFile, stateFolder: state, terminalID: renew ? nil : terminal, code: code,
                                             fingerprint: renew ? nil : (fingerprint ?? self.fingerprint), renew: renew))
        }

        func stop() async {
            await server.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    static func refusal(_ body: () async throws(StartFailure) -> Provisioning.Report) async -> String {
        do { _ = try await body(); return "no refusal" } catch { return error.description }
    }

    @Test func aProvisionedTerminalTakesASaleWithItsNewCertificate() async throws {
        let desk = try await Desk.start()
        defer { Task { await desk.stop() } }
        let report = try await desk.provision(code: try desk.code())
        #expect(report.terminalID == "T-0042" && report.merchantName == "QRPOS DEMO NOODLES")

        // Key, certificate and profile are owner-only from birth; the key is the terminal's own.
        for file in ["pki/terminal.key", "pki/terminal.pem", "pki/ca.pem", "merchant-profile.json"] {
            let mode = try FileManager.default.attributesOfItem(atPath: desk.state + "/" + file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) is \(String(mode ?? 0, radix: 8))")
        }
        // The counter starts from the profile: no merchant in the terminal file.
        let config = try TerminalConfig(path: desk.terminalFile, stateFolder: desk.state)
        #expect(config.terminalID == "T-0042" && config.merchant.account["jpqr-id"] == "0000000000001-0001-000001-000001")
        #expect(config.acceptedWallets.contains("paypay") && config.codeLifetime == 180)
        let expiry = try #require(Provisioning.certificateExpiry(pkiFolder: config.pkiFolder))
        #expect((363...365).contains(expiry.daysLeft))

        // A sale over mutual TLS with the new certificate: the host knows the terminal by it.
        let client = try AcquirerClient(AcquirerConfiguration(host: config.acquirerURL, identity: .init(pkiFolder: config.pkiFolder)))
        var merchant = config.merchant
        merchant.amount = "1200"
        let payload = try config.scheme.build(merchant)
        let order = await client.registerOrder(OrderRequest(orderId: "S-1", amount: 1200, currency: "JPY", qrPayload: payload, expiresInSeconds: 120),
                                               idempotencyKey: "S-1")
        guard case let .done(registered) = order else { Issue.record("order: \(order)"); try await client.shutdown(); return }
        #expect(registered.status == .pending)
        // The host's books name the terminal its certificate says (the order row, as a technician would query it).
        let books = try DatabaseQueue(path: desk.folder + "/ledger.sqlite")
        let owner = try await books.read { db in try String.fetchOne(db, sql: "SELECT terminal FROM orders WHERE id = 'S-1'") }
        #expect(owner == "T-0042")
        try await client.shutdown()
    }

    @Test func aReusedAWrongAndAnExpiredCodeAreRefused() async throws {
        let desk = try await Desk.start()
        defer { Task { await desk.stop() } }
        let code = try desk.code()
        _ = try await desk.provision(code: code)
        let firstKey = try String(contentsOfFile: desk.state + "/pki/terminal.key", encoding: .utf8)
        let reused = await Self.refusal { () async throws(StartFailure) in try await desk.provision(code: code) }
        #expect(reused.contains("enrollment_code_used") && reused.contains("already used"), "\(reused)")
        let wrong = await Self.refusal { () async throws(StartFailure) in try await desk.provision(code: "AAAA-BBBB-CCCC-DDDD") }
        #expect(wrong.contains("enrollment_code_wrong"), "\(wrong)")
        let otherTerminal = await Self.refusal { () async throws(StartFailure) in try await desk.provision(code: try! desk.code(for: "T-0099")) }
        #expect(otherTerminal.contains("another terminal"), "\(otherTerminal)")
        let expired = await Self.refusal { () async throws(StartFailure) in try await desk.provision(code: try! desk.code(validFor: -1)) }
        #expect(expired.contains("enrollment_code_expired"), "\(expired)")
        // Refusals leave the identity the terminal had.
        #expect(try String(contentsOfFile: desk.state + "/pki/terminal.key", encoding: .utf8) == firstKey)
    }

    @Test func aWrongFingerprintWritesNothing() async throws {
        let desk = try await Desk.start()
        defer { Task { await desk.stop() } }
        let typed = String(repeating: "AB:", count: 31) + "AB"
        let refused = await Self.refusal { () async throws(StartFailure) in try await desk.provision(code: try! desk.code(), fingerprint: typed) }
        #expect(refused.contains("fingerprint"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: desk.state + "/pki/terminal.key"))
        // Case and separators do not matter when the right one is typed.
        let spaced = desk.fingerprint.lowercased().replacingOccurrences(of: ":", with: " ")
        _ = try await desk.provision(code: try desk.code(), fingerprint: spaced)
    }

    @Test func renewalGivesANewKeyAndCertificateOverMutualTLS() async throws {
        let desk = try await Desk.start()
        defer { Task { await desk.stop() } }
        _ = try await desk.provision(code: try desk.code())
        let before = try String(contentsOfFile: desk.state + "/pki/terminal.pem", encoding: .utf8)
        let renewed = try await desk.provision(code: nil, renew: true)
        #expect(renewed.terminalID == "T-0042")
        #expect(try String(contentsOfFile: desk.state + "/pki/terminal.pem", encoding: .utf8) != before)
        let config = try TerminalConfig(path: desk.terminalFile, stateFolder: desk.state)
        let client = try AcquirerClient(AcquirerConfiguration(host: config.acquirerURL, identity: .init(pkiFolder: config.pkiFolder)))
        guard case .done = await client.health() else { Issue.record("the renewed certificate is refused"); try await client.shutdown(); return }
        try await client.shutdown()
    }

    @Test func theCertificateHealthWarnsThirtyDaysBefore() {
        let soon = Date().addingTimeInterval(10 * 86_400)
        #expect(PartHealth.certificate(notAfter: soon, daysLeft: 10).status == "warning")
        #expect(PartHealth.certificate(notAfter: soon, daysLeft: 10).isHealthy)
        #expect(PartHealth.certificate(notAfter: Date().addingTimeInterval(-60), daysLeft: -1).status == "failing")
        #expect(PartHealth.certificate(notAfter: nil, daysLeft: nil).status == "failing")
        #expect(PartHealth.certificate(notAfter: Date().addingTimeInterval(200 * 86_400), daysLeft: 200).status == "ok")
    }
}
