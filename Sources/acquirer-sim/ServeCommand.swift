import Acquirer
import AcquirerSimulator
import ArgumentParser
import Dispatch
import Foundation
import Platform
import Installation
import Logging
import PaymentCodes
import X509

/// `acquirer-sim --listen 127.0.0.1:8443 --pki DIR [--db FILE]`: runs until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the simulated acquirer host (the default).")

    @Option(help: "Address and port to listen on (port 0: any free port, printed at start).") var listen = "127.0.0.1:8443"
    @Option(help: "Folder written by `qrpos pki dev`: ca.pem, host.pem, host.key.") var pki: String
    @Option(help: "SQLite ledger file; kept across restarts.") var db = "acquirer-sim.sqlite"
    @Option(name: .customLong("auto-pay"), help: "Demo: a shopper pays every order this many seconds after it is registered.")
    var autoPay: Double?
    @Option(help: "The wallet the demo shopper pays with.") var autoPayWallet = "paypay"
    @Option(help: "Seconds after a sale is created during which it can be cancelled (reversed) instead of refunded.")
    var cancelWindow: Double = 600
    @Option(name: .customLong("wallet"), help: "Wallet behaviour ID=BEHAVIOUR (\(WalletBehaviour.syntax)); repeat for several wallets.")
    var walletBehaviours: [String] = []
    @Option(help: "Wallet registry (default: Assets/wallets.toml found from $QRPOS_HOME, the checkout or /usr/share/qrpos).")
    var registry: String?
    @Option(help: "Also enroll terminals here (server-authenticated TLS; codes from `acquirer-sim enroll-code`), HOST:PORT.")
    var enrollListen: String?
    @Option(help: "Days a certificate issued at enrollment is valid.") var certificateDays = 365
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func validate() throws {
        guard SimulatorConfiguration.parseListen(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8443") }
        if let enrollListen, SimulatorConfiguration.parseListen(enrollListen) == nil { throw ValidationError("--enroll-listen must be HOST:PORT, such as 127.0.0.1:8444") }
        guard (1...3650).contains(certificateDays) else { throw ValidationError("--certificate-days must be 1 to 3650") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning or error") }
        if let autoPay, autoPay < 0 { throw ValidationError("--auto-pay must be zero or more seconds") }
        guard cancelWindow >= 0 else { throw ValidationError("--cancel-window must be zero or more seconds") }
        for entry in walletBehaviours {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, WalletBehaviour(parts[1]) != nil else {
                throw ValidationError("--wallet \(entry): write ID=BEHAVIOUR with BEHAVIOUR one of \(WalletBehaviour.syntax)")
            }
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "acquirer-sim")
        let registry = try RegistryFile.load(registry)
        var behaviours: [String: WalletBehaviour] = [:]
        for entry in walletBehaviours {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard registry.entry(parts[0]) != nil else { throw ValidationError("--wallet \(entry): no wallet '\(parts[0])' in the registry") }
            behaviours[parts[0]] = WalletBehaviour(parts[1])
        }
        guard registry.entry(autoPayWallet) != nil else { throw ValidationError("--auto-pay-wallet: no wallet '\(autoPayWallet)' in the registry") }
        let (host, port) = SimulatorConfiguration.parseListen(listen)!
        var configuration = SimulatorConfiguration(
            host: host, port: port, pki: PKIFolder(pki), databasePath: db,
            rules: LedgerRules(cancelWindow: cancelWindow, autoPayAfter: autoPay, autoPayWallet: autoPayWallet),
            wallets: WalletBook(behaviours: behaviours), registry: registry)
        configuration.enrollment = enrollListen.flatMap(SimulatorConfiguration.parseListen)
        configuration.certificateDays = certificateDays
        let server: SimulatorServer
        do { server = try await SimulatorServer.start(configuration, logger: logger) } catch {
            throw ValidationError("cannot start: \(error)")
        }
        // The first line on stdout names the address, so scripts and tests can start it on port 0.
        let address = "https://\(host.contains(":") ? "[\(host)]" : host):\(server.port)"
        FileHandle.standardOutput.write(Data("acquirer-sim listening on \(address)\n".utf8))
        if let enrollmentPort = server.enrollmentPort, let (enrollHost, _) = configuration.enrollment {
            // The fingerprint a technician types into `qrpos provision --fingerprint` to pin this host's CA.
            let fingerprint = (try? String(contentsOfFile: PKIFolder(pki).caCertificate, encoding: .utf8))
                .flatMap { try? EnrollmentClient.fingerprint(Certificate(pemEncoded: $0)) } ?? "unreadable"
            FileHandle.standardOutput.write(Data("acquirer-sim enrolling on https://\(enrollHost.contains(":") ? "[\(enrollHost)]" : enrollHost):\(enrollmentPort), CA fingerprint SHA256 \(fingerprint)\n".utf8))
        }
        await Signals.waitForStop()
        logger.info("stopping")
        await server.stop()
    }
}

/// SIGINT and SIGTERM end the simulator cleanly (connections closed, ledger already on disk).
enum Signals {
    static func waitForStop() async {
        let (stopped, continuation) = AsyncStream.makeStream(of: Int32.self)
        let signals = StopSignals { continuation.yield($0) }
        for await _ in stopped { break }
        signals.cancel()
    }
}

/// Finds and reads the wallet registry the same way `qrpos` does.
enum RegistryFile {
    static func load(_ explicit: String?) throws -> WalletRegistry {
        do { return try Installation.registry(explicit) } catch { throw ValidationError(error.description) }
    }
}
