import Foundation
internal import GRDB
import Imaging

/// Receipt slips in the journal: each numbered once per terminal and business day (伝票番号), with what it says,
/// so a restart never renumbers a slip and a slip that could not print is kept for reprint.
extension Journal {
    /// One slip of a sale: the sale slip, its cancel slip, or its n-th refund slip.
    public struct SlipRecord: Sendable, Equatable {
        public var saleId: String
        public var kind: SlipContent.Kind
        /// 0 for the sale and the cancel slip, the refund's number for a refund slip.
        public var sequence: Int
        public var businessDay: String
        public var content: SlipContent
        public var printed: Bool
        /// Why it did not print, when it did not.
        public var problem: String?
    }

    static func createSlipTable(_ db: Database) throws {
        try db.create(table: "slip") { t in
            t.column("saleId", .text).notNull()
            t.column("kind", .text).notNull()
            t.column("sequence", .integer).notNull()
            t.column("businessDay", .text).notNull()
            t.column("number", .integer).notNull()
            t.column("content", .text).notNull()
            t.column("printed", .boolean).notNull().defaults(to: false)
            t.column("problem", .text)
            t.primaryKey(["saleId", "kind", "sequence"])
            t.uniqueKey(["businessDay", "number"])
        }
    }

    /// The slip for (sale, kind, sequence): numbered now if new (the next number of its business day), or as it
    /// was numbered before. `content` fills in the slip with its number. A day already closed takes no more slips:
    /// `nextDay` names the day after, where the movement is counted instead (a closed day never changes).
    public func slip(saleId: String, kind: SlipContent.Kind, sequence: Int, businessDay: String, nextDay: (String) -> String? = { _ in nil },
                     content: (Int) -> SlipContent) throws -> SlipRecord {
        try database.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM slip WHERE saleId = ? AND kind = ? AND sequence = ?",
                                          arguments: [saleId, kind.rawValue, sequence]) {
                return try Self.record(row)
            }
            var businessDay = businessDay
            while try Bool.fetchOne(db, sql: "SELECT 1 FROM close WHERE businessDay = ?", arguments: [businessDay]) ?? false,
                  let next = nextDay(businessDay) { businessDay = next }
            let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM slip WHERE businessDay = ?", arguments: [businessDay]) ?? 0) + 1
            let slip = content(number)
            let json = String(decoding: try JSONEncoder().encode(slip), as: UTF8.self)
            try db.execute(sql: "INSERT INTO slip (saleId, kind, sequence, businessDay, number, content) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [saleId, kind.rawValue, sequence, businessDay, number, json])
            return SlipRecord(saleId: saleId, kind: kind, sequence: sequence, businessDay: businessDay, content: slip, printed: false, problem: nil)
        }
    }

    public func markSlip(_ slip: SlipRecord, printed: Bool, problem: String?) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE slip SET printed = ?, problem = ? WHERE saleId = ? AND kind = ? AND sequence = ?",
                           arguments: [printed, problem, slip.saleId, slip.kind.rawValue, slip.sequence])
        }
    }

    /// Every slip of a sale, oldest first.
    public func slips(of saleId: String) throws -> [SlipRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM slip WHERE saleId = ? ORDER BY number", arguments: [saleId]).map(Self.record)
        }
    }

    /// Slips that could not print, for the cashier to reprint.
    public func unprintedSlips() throws -> [SlipRecord] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM slip WHERE printed = 0 ORDER BY businessDay, number").map(Self.record) }
    }

    static func slipRecord(_ row: Row) throws -> SlipRecord { try record(row) }

    private static func record(_ row: Row) throws -> SlipRecord {
        let json: String = row["content"]
        return SlipRecord(saleId: row["saleId"], kind: SlipContent.Kind(rawValue: row["kind"]) ?? .sale, sequence: row["sequence"],
                          businessDay: row["businessDay"], content: try JSONDecoder().decode(SlipContent.self, from: Data(json.utf8)),
                          printed: row["printed"], problem: row["problem"])
    }
}
