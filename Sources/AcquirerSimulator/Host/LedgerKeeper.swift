import Acquirer
import Foundation
import Logging

/// Owns the ledger while the host runs: one step at a time, time advanced first, the touched records written
/// to SQLite before the step's answer is returned. Also holds the fault rules and the wallets' behaviour.
actor LedgerKeeper {
    private var ledger: Ledger
    private let store: LedgerStore
    private let clock: @Sendable () -> Date
    private var faults = FaultPlan()
    private let logger: Logger

    init(store: LedgerStore, rules: LedgerRules, wallets: WalletBook, clock: @escaping @Sendable () -> Date, logger: Logger) throws {
        self.store = store
        self.ledger = try store.load(rules: rules, wallets: wallets)
        self.clock = clock
        self.logger = logger
    }

    struct StoreFailure: Error, CustomStringConvertible { var description: String }

    /// Runs one step of the rules on the ledger and writes what it touched. A refusal still writes what time
    /// changed before it (an expiry, say).
    func step<T: Sendable>(_ body: @Sendable (inout Ledger, Date) throws(LedgerRefusal) -> T) throws -> T {
        let now = clock()
        ledger.advance(to: now)
        let result: Result<T, LedgerRefusal>
        do { result = .success(try body(&ledger, now)) } catch { result = .failure(error) }
        do { try store.save(ledger.takeChanges(), from: ledger) } catch {
            logger.error("ledger write failed, reloading from disk: \(error)")
            ledger = (try? store.load(rules: ledger.rules, wallets: ledger.wallets)) ?? ledger
            throw StoreFailure(description: "the ledger could not be written: \(error)")
        }
        return try result.get()
    }

    /// Reads after advancing time, and waits up to `deadline` while the record is still pending (long-poll).
    func watch<T: Sendable>(until deadline: Date, isPending: @Sendable (T) -> Bool,
                            _ read: @Sendable (Ledger) throws(LedgerRefusal) -> T) async throws -> T {
        while true {
            let value = try step { ledger, _ throws(LedgerRefusal) in try read(ledger) }
            guard isPending(value), clock() < deadline else { return value }
            // Re-checking every 20 ms is plenty for a simulated shopper and keeps the actor free between checks.
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func snapshot() -> Ledger {
        var copy = ledger
        copy.advance(to: clock())
        return copy
    }

    func now() -> Date { clock() }

    // MARK: faults and wallets

    func takeFault(method: String, path: String) -> FaultSpec? { faults.take(method: method, path: path) }
    func addFault(_ fault: FaultSpec, method: String?, pathPrefix: String?, times: Int?) -> FaultPlan.Rule {
        faults.add(fault, method: method, pathPrefix: pathPrefix, times: times)
    }
    func clearFaults() { faults.removeAll() }
    func faultRules() -> [FaultPlan.Rule] { faults.rules }

    func setBehaviour(_ behaviour: WalletBehaviour, for wallet: String) { ledger.wallets.behaviours[wallet] = behaviour }
    func wallets() -> WalletBook { ledger.wallets }
}
