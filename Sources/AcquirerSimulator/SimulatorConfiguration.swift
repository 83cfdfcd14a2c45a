import Acquirer
import Foundation
import PaymentCodes

/// How an `acquirer-sim` is started: where it listens, whose certificates it uses, where its ledger lives,
/// and the rules and wallets it plays.
public struct SimulatorConfiguration: Sendable {
    public var host: String
    /// 0: any free port (read it back from `SimulatorServer.port`).
    public var port: Int
    /// A folder as `qrpos pki dev` writes it: ca.pem (clients must be signed by it), host.pem, host.key.
    public var pki: PKIFolder
    /// The SQLite ledger; created when missing, kept across restarts.
    public var databasePath: String
    public var rules: LedgerRules
    public var wallets: WalletBook
    /// When set, customer codes and shown codes are checked against the wallet registry.
    public var registry: WalletRegistry?
    /// The longest long-poll `wait` the host grants, in seconds.
    public var longestWait: Int
    /// Where terminals enroll (server-authenticated TLS, no client certificate); nil: no enrollment listener.
    public var enrollment: (host: String, port: Int)?
    /// Days a terminal certificate issued at enrollment is valid.
    public var certificateDays: Int = 365
    /// Tests move time with this; the simulator uses the system clock.
    public var clock: @Sendable () -> Date

    public init(host: String = "127.0.0.1", port: Int = 8443, pki: PKIFolder, databasePath: String, rules: LedgerRules = .init(),
                wallets: WalletBook = .init(), registry: WalletRegistry? = nil, longestWait: Int = 20,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.host = host; self.port = port; self.pki = pki; self.databasePath = databasePath; self.rules = rules
        self.wallets = wallets; self.registry = registry; self.longestWait = longestWait; self.clock = clock
        if let registry {
            self.wallets.known = Set(registry.all.map(\.id))
            self.wallets.refundRules = Dictionary(uniqueKeysWithValues: registry.all.compactMap { entry in entry.refunds.map { (entry.id, $0) } })
            self.wallets.countries = Dictionary(registry.all.compactMap { entry in entry.country.map { (entry.id, $0) } }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// "127.0.0.1:8443" or "[::1]:8443".
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
