import Acquirer
import Foundation
import GRDB
import Platform

/// The simulator's books on disk (SQLite through GRDB): one row per order, charge, refund and idempotency key,
/// with the record as JSON beside the columns a technician queries (`sqlite3 sim.db 'select * from charges'`).
/// WAL with synchronous=FULL: a step is on disk before its answer is sent, and survives a restart.
public final class LedgerStore: Sendable {
    let database: DatabasePool

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        // The idempotency table keeps whole shopper codes: owner only (SQLite gives its -wal and -shm the same mode).
        try OwnerOnlyFile.prepare(path)
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("ledger v1") { db in
            for table in ["orders", "charges", "refunds"] {
                try db.create(table: table) { t in
                    t.primaryKey("id", .text)
                    t.column("terminal", .text).notNull()
                    t.column("status", .text).notNull()
                    t.column("amount", .integer).notNull()
                    t.column("record", .text).notNull()
                }
            }
            try db.create(table: "idempotency_keys") { t in
                t.column("terminal", .text).notNull()
                t.column("key", .text).notNull()
                t.column("operation", .text).notNull()
                t.column("resource", .text).notNull()
                t.column("record", .text).notNull()
                t.primaryKey(["terminal", "key"])
            }
        }
        migrator.registerMigration("enrollment v1") { db in try LedgerStore.createEnrollmentTables(db) }
        return migrator
    }

    /// Everything, to rebuild the ledger at start.
    public func load(rules: LedgerRules, wallets: WalletBook) throws -> Ledger {
        try database.read { db in
            func all<T: Decodable>(_ table: String, _ type: T.Type) throws -> [T] {
                try String.fetchAll(db, sql: "SELECT record FROM \(table)").map { try WireFormat.decoder().decode(T.self, from: Data($0.utf8)) }
            }
            return Ledger(rules: rules, wallets: wallets,
                          orders: try all("orders", OrderRecord.self), charges: try all("charges", ChargeRecord.self),
                          refunds: try all("refunds", RefundRecord.self), keys: try all("idempotency_keys", IdempotencyRecord.self))
        }
    }

    /// Writes the records `changes` names, as they are in `ledger`, in one transaction.
    public func save(_ changes: LedgerChanges, from ledger: Ledger) throws {
        guard !changes.isEmpty else { return }
        let encoder = WireFormat.encoder()
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        try database.write { db in
            let upsert = "INSERT OR REPLACE INTO %@ (id, terminal, status, amount, record) VALUES (?, ?, ?, ?, ?)"
            for id in changes.orders {
                guard let r = ledger.orders[id] else { continue }
                try db.execute(sql: upsert.replacingOccurrences(of: "%@", with: "orders"),
                               arguments: [id, r.terminalId, r.order.status.rawValue, r.order.amount, try json(r)])
            }
            for id in changes.charges {
                guard let r = ledger.charges[id] else { continue }
                try db.execute(sql: upsert.replacingOccurrences(of: "%@", with: "charges"),
                               arguments: [id, r.terminalId, r.charge.status.rawValue, r.charge.amount, try json(r)])
            }
            for id in changes.refunds {
                guard let r = ledger.refunds[id] else { continue }
                try db.execute(sql: upsert.replacingOccurrences(of: "%@", with: "refunds"),
                               arguments: [id, r.terminalId, r.refund.status.rawValue, r.refund.amount, try json(r)])
            }
            for scope in changes.keys {
                guard let r = ledger.keys[scope] else { continue }
                try db.execute(sql: "INSERT OR REPLACE INTO idempotency_keys (terminal, key, operation, resource, record) VALUES (?, ?, ?, ?, ?)",
                               arguments: [scope.terminalId, scope.key, r.operation, r.resourceId, try json(r)])
            }
        }
    }

    /// Row counts per table, for `GET /sim/stats` and tests that look at the file itself.
    public func counts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for table in ["orders", "charges", "refunds", "idempotency_keys"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }
}
