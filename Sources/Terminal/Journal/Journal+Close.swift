import Foundation
internal import GRDB

/// Closed business days (日計): the report as it was closed, kept for ever and never changed.
extension Journal {
    static func createCloseTable(_ db: Database) throws {
        try db.create(table: "close") { t in
            t.primaryKey("businessDay", .text)
            t.column("closedAt", .datetime).notNull()
            t.column("report", .text).notNull()
        }
    }

    /// Every slip (money movement) of a business day, in slip-number order.
    public func slips(businessDay: String) throws -> [SlipRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM slip WHERE businessDay = ? ORDER BY number", arguments: [businessDay]).map(Self.slipRecord)
        }
    }

    public func isClosed(_ businessDay: String) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM close WHERE businessDay = ?", arguments: [businessDay]) ?? false }
    }

    /// The stored report of a closed day, as JSON; nil while the day is open.
    public func closedReport(_ businessDay: String) throws -> Data? {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT report FROM close WHERE businessDay = ?", arguments: [businessDay]).map { Data($0.utf8) }
        }
    }

    public struct AlreadyClosed: Error, CustomStringConvertible {
        public var businessDay: String
        public var description: String { "the business day \(businessDay) is already closed; its report does not change" }
    }

    /// Stores the closing report; a day closes once (a second close is refused, never overwrites the first).
    public func close(_ businessDay: String, at closedAt: Date, report: Data) throws {
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM close WHERE businessDay = ?", arguments: [businessDay]) ?? false {
                throw AlreadyClosed(businessDay: businessDay)
            }
            try db.execute(sql: "INSERT INTO close (businessDay, closedAt, report) VALUES (?, ?, ?)",
                           arguments: [businessDay, closedAt, String(decoding: report, as: UTF8.self)])
        }
    }

    /// Closed days, newest first.
    public func closedDays(limit: Int = 31) throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT businessDay FROM close ORDER BY businessDay DESC LIMIT ?", arguments: [limit]) }
    }
}
