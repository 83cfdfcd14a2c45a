import Foundation
import Platform
// Internal: GRDB stays an implementation detail, so modules using Terminal need none of SQLite's headers.
internal import GRDB

/// The sale journal: SQLite through GRDB, WAL with synchronous=FULL so a committed transition survives a
/// power cut. Every transition is committed here before the driver acts on it.
public final class Journal: Sendable {
    let database: DatabasePool

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The journal file is damaged (not a database, or its integrity check fails). It has been moved aside, with
    /// its -wal and -shm files, so nothing is lost and nothing silently starts empty: a technician decides.
    public struct Damaged: Error, CustomStringConvertible {
        public var path: String
        /// Where the damaged files now are (`path` + ".damaged-" + a time stamp).
        public var setAside: String
        public var reason: String
        public var description: String { "the journal \(path) is damaged (\(reason)); it was set aside as \(setAside)" }
    }

    /// Opens (or creates) the journal. A damaged one is set aside and `Damaged` is thrown.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "qrpos.journal"
        // Memory over a long day: each connection keeps its own page cache (SQLite's default 2 MiB), and a day's
        // journal is a few MiB; two readers beside the writer with 512 KiB each bound it at 1.5 MiB.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            // FULL: the WAL is fsynced at every commit, so "committed" means on the flash, not in a cache.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        do {
            // Sales and masked codes are the shop's business: owner only from the first byte.
            try OwnerOnlyFile.prepare(path)
        } catch {
            throw Failure(description: "cannot open the journal \(path): \(error)")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // A torn write at a power cut leaves at most a WAL frame that fails its checksum, which SQLite drops;
            // anything else wrong with the file is damage, found here rather than in the middle of a sale.
            let check = try pool.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
            guard check == ["ok"] else { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: check.prefix(3).joined(separator: "; ")) }
            try Self.migrator.migrate(pool)
            database = pool
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode) {
            throw Self.setAside(path, reason: error.message ?? "\(error.resultCode)")
        } catch {
            throw Failure(description: "cannot open the journal \(path): \(error)")
        }
    }

    /// Moves a damaged journal and its companions out of the way, keeping every byte for the technician.
    static func setAside(_ path: String, reason: String) -> any Error {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let target = path + ".damaged-" + stamp
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            do { try FileManager.default.moveItem(atPath: path + suffix, toPath: target + suffix) } catch {
                return Failure(description: "the journal \(path) is damaged (\(reason)) and cannot be moved aside: \(error.localizedDescription)")
            }
        }
        return Damaged(path: path, setAside: target, reason: reason)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sales and their transitions") { db in
            try db.create(table: "sale") { t in
                t.primaryKey("id", .text)
                t.column("amount", .integer).notNull()
                t.column("currency", .text).notNull()
                t.column("reference", .text)
                t.column("mode", .text).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("payload", .text)
                t.column("chargeCount", .integer).notNull()
                t.column("wallet", .text)
                t.column("maskedCode", .text)
                t.column("expiresAt", .datetime).notNull()
                t.column("undo", .text)
                t.column("detail", .text)
                t.column("refundedAmount", .integer).notNull()
                t.column("refundCount", .integer).notNull()
                t.column("refundInFlight", .integer).notNull()
                t.column("acknowledged", .boolean).notNull()
                t.column("attempts", .integer).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "transition") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("saleId", .text).notNull().indexed().references("sale", onDelete: .cascade)
                t.column("at", .datetime).notNull()
                t.column("fromState", .text).notNull()
                t.column("toState", .text).notNull()
                t.column("event", .text).notNull()
            }
        }
        migrator.registerMigration("v2: what the host may hold, why a sale ended, typed events") { db in
            try db.alter(table: "sale") { t in
                t.add(column: "reach", .text).notNull().defaults(to: HostReach.none.rawValue)
                t.add(column: "cancelInFlight", .boolean).notNull().defaults(to: false)
                t.add(column: "endReason", .text)
                t.add(column: "lastError", .text)
            }
            // An acknowledged order or charge is one the host holds; an unacknowledged one may be on its way.
            try db.execute(sql: "UPDATE sale SET reach = CASE WHEN acknowledged THEN 'known' ELSE 'uncertain' END")
            try db.execute(sql: "ALTER TABLE sale DROP COLUMN acknowledged")
            try db.alter(table: "transition") { t in t.add(column: "kind", .text).notNull().defaults(to: "") }
        }
        migrator.registerMigration("v3: indexes for the register's sale list (newest first, by reference)") { db in
            try db.create(index: "sale_on_createdAt_id", on: "sale", columns: ["createdAt", "id"])
            try db.create(index: "sale_on_reference", on: "sale", columns: ["reference"])
        }
        migrator.registerMigration("v4: receipt slips, numbered per business day") { db in try Journal.createSlipTable(db) }
        migrator.registerMigration("v5: when a sale was paid and how many refunds it had, for the wallets' refund rules; closed days") { db in
            try db.alter(table: "sale") { t in
                t.add(column: "refundsMade", .integer).notNull().defaults(to: 0)
                t.add(column: "paidAt", .datetime)
            }
            // Sales paid before this version: their last change is the best time known.
            try db.execute(sql: "UPDATE sale SET paidAt = updatedAt WHERE state IN ('paid', 'refunding', 'refunded')")
            try db.execute(sql: "UPDATE sale SET refundsMade = (SELECT COUNT(*) FROM slip WHERE slip.saleId = sale.id AND slip.kind = 'refund')")
            try Journal.createCloseTable(db)
        }
        migrator.registerMigration("v6: the shopper's language: the paying wallet's country as the host named it, the register's choice") { db in
            try db.alter(table: "sale") { t in
                t.add(column: "walletCountry", .text)
                t.add(column: "language", .text)
            }
        }
        return migrator
    }

    /// Writes a new sale; refuses an id that exists (the idempotency key must stay unique).
    public func insert(_ sale: Sale) throws {
        try database.write { db in
            try SaleRow(sale).insert(db)
            try TransitionRow(Transition(saleId: sale.id, at: sale.createdAt, fromState: "", toState: sale.state.rawValue, kind: "created", event: "created")).insert(db)
        }
    }

    /// Commits a transition (the new row and its audit line) in one transaction. A back-off timer that changed
    /// no state is not worth an audit line: it would add one every 15 s to a sale waiting for the host.
    public func commit(_ sale: Sale, from previous: SaleState, event: SaleEvent) throws {
        try database.write { db in
            try SaleRow(sale).update(db)
            if previous != sale.state || event.kind != .retry {
                try TransitionRow(Transition(saleId: sale.id, at: sale.updatedAt, fromState: previous.rawValue, toState: sale.state.rawValue,
                                             kind: event.kind.rawValue, event: event.description)).insert(db)
            }
        }
    }

    public func sale(_ id: String) throws -> Sale? { try database.read { try SaleRow.fetchOne($0, key: id)?.sale } }

    /// Sales not in a final state (paid counts as final): what a restart must resume.
    public func unfinished() throws -> [Sale] {
        let finals = SaleState.allCases.filter(\.isFinal).map(\.rawValue)
        return try database.read { try SaleRow.filter(!finals.contains(Column("state"))).order(Column("createdAt")).fetchAll($0).map(\.sale) }
    }

    public func recent(_ limit: Int = 50) throws -> [Sale] {
        try database.read { try SaleRow.order(Column("createdAt").desc).limit(limit).fetchAll($0).map(\.sale) }
    }

    public func transitions(of id: String) throws -> [Transition] {
        try database.read { try TransitionRow.filter(Column("saleId") == id).order(Column("seq")).fetchAll($0).map(\.transition) }
    }
}

/// A sale as a row: its Codable fields are the columns.
struct SaleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "sale"
    var sale: Sale
    init(_ sale: Sale) { self.sale = sale }
    init(from decoder: any Decoder) throws { sale = try Sale(from: decoder) }
    func encode(to encoder: any Encoder) throws { try sale.encode(to: encoder) }
}

struct TransitionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "transition"
    var transition: Transition
    init(_ transition: Transition) { self.transition = transition }
    init(from decoder: any Decoder) throws { transition = try Transition(from: decoder) }
    func encode(to encoder: any Encoder) throws { try transition.encode(to: encoder) }
}

/// One line of a sale's history, for technicians and audits.
public struct Transition: Codable, Sendable {
    public var saleId: String
    public var at: Date
    public var fromState: String
    public var toState: String
    /// The event's kind (`SaleEvent.Kind`), for rules and queries; `event` is the same in words.
    public var kind: String
    public var event: String
}

// MARK: the register's sale list (ECR `GET /v1/sales`)

/// Which sales a register asks for: newest first, a page at a time.
public struct SaleListQuery: Sendable, Equatable {
    /// Created at or after this time.
    public var from: Date?
    /// Created before this time.
    public var to: Date?
    /// Any of these states; empty for every state.
    public var states: [SaleState]
    /// The register's own reference, exactly.
    public var reference: String?
    public var limit: Int
    /// The id of the last sale of the page before: this page starts right after it.
    public var after: String?

    public init(from: Date? = nil, to: Date? = nil, states: [SaleState] = [], reference: String? = nil, limit: Int = 50, after: String? = nil) {
        self.from = from; self.to = to; self.states = states; self.reference = reference; self.limit = limit; self.after = after
    }
}

/// One page of the list, and whether more sales follow it.
public struct SaleListPage: Sendable, Equatable {
    public var sales: [Sale]
    public var more: Bool
}

extension Journal {
    /// The page's `after` sale is not in the journal (a cursor this terminal never gave out).
    public struct UnknownCursor: Error, CustomStringConvertible {
        public var saleId: String
        public var description: String { "no sale \(saleId) to continue the list from" }
    }

    /// Sales newest first (creation time, then id, so a page boundary never splits or repeats a sale).
    public func sales(_ query: SaleListQuery) throws -> SaleListPage {
        try database.read { db in
            var request = SaleRow.all()
            if let from = query.from { request = request.filter(Column("createdAt") >= from) }
            if let to = query.to { request = request.filter(Column("createdAt") < to) }
            if !query.states.isEmpty { request = request.filter(query.states.map(\.rawValue).contains(Column("state"))) }
            if let reference = query.reference { request = request.filter(Column("reference") == reference) }
            if let after = query.after {
                guard let anchor = try Row.fetchOne(db, sql: "SELECT createdAt, id FROM sale WHERE id = ?", arguments: [after]) else {
                    throw UnknownCursor(saleId: after)
                }
                let createdAt: DatabaseValue = anchor["createdAt"]
                request = request.filter(sql: "(createdAt, id) < (?, ?)", arguments: [createdAt, after])
            }
            let limit = max(1, query.limit)
            let rows = try request.order(Column("createdAt").desc, Column("id").desc).limit(limit + 1).fetchAll(db)
            return SaleListPage(sales: rows.prefix(limit).map(\.sale), more: rows.count > limit)
        }
    }
}
