import Acquirer
import Crypto
import Foundation
import GRDB

/// Enrollment codes and enrolled terminals, beside the ledger in the same SQLite file, so `acquirer-sim enroll-code`
/// (another process) issues codes a running host accepts. Only a code's SHA-256 is stored, never the code.
extension LedgerStore {
    static func createEnrollmentTables(_ db: Database) throws {
        try db.create(table: "enrollment_codes") { t in
            t.primaryKey("code_hash", .text)
            t.column("terminal", .text).notNull()
            t.column("profile", .text).notNull()
            t.column("issued_at", .double).notNull()
            t.column("expires_at", .double).notNull()
            t.column("used_at", .double)
        }
        try db.create(table: "terminals") { t in
            t.primaryKey("id", .text)
            t.column("profile", .text).notNull()
            t.column("certificate", .text).notNull()
            t.column("not_after", .double).notNull()
            t.column("enrolled_at", .double).notNull()
        }
    }

    static func codeHash(_ code: String) -> String {
        SHA256.hash(data: Data(EnrollmentCode.normalised(code).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Stores a new one-time code for `terminalId` with the profile it will receive; returns the code to hand over.
    public func issueEnrollmentCode(terminalId: String, profile: MerchantProfile, validFor: TimeInterval, now: Date = Date()) throws -> String {
        let code = EnrollmentCode.make()
        let json = String(decoding: try WireFormat.encoder().encode(profile), as: UTF8.self)
        try database.write { db in
            try db.execute(sql: "INSERT INTO enrollment_codes (code_hash, terminal, profile, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.codeHash(code), terminalId, json, now.timeIntervalSince1970, now.addingTimeInterval(validFor).timeIntervalSince1970])
        }
        return code
    }

    /// Takes the code once: checks it, runs `issue` with its profile and records the terminal, all in one
    /// transaction, so a certificate that cannot be made leaves the code unused and a code is never used twice.
    func redeemEnrollmentCode(_ code: String, terminalId: String, now: Date,
                              issue: (MerchantProfile) throws -> (answer: EnrollmentAnswer, notAfter: Date)) throws -> EnrollmentAnswer {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT terminal, profile, expires_at, used_at FROM enrollment_codes WHERE code_hash = ?",
                                             arguments: [Self.codeHash(code)]) else {
                throw LedgerRefusal(401, "enrollment_code_wrong", "this enrollment code is not known to the host: check it, or ask for a new one")
            }
            let owner: String = row["terminal"]
            guard owner == terminalId else {
                throw LedgerRefusal(401, "enrollment_code_wrong", "this enrollment code was issued for another terminal, not \(terminalId)")
            }
            if let used: Double = row["used_at"] {
                throw LedgerRefusal(401, "enrollment_code_used", "this enrollment code was already used (\(WireFormat.timestamp(Date(timeIntervalSince1970: used)))); a code works once: ask for a new one")
            }
            let expires: Double = row["expires_at"]
            guard now.timeIntervalSince1970 < expires else {
                throw LedgerRefusal(401, "enrollment_code_expired", "this enrollment code expired at \(WireFormat.timestamp(Date(timeIntervalSince1970: expires))): ask for a new one")
            }
            let profileJSON: String = row["profile"]
            var profile = try WireFormat.decoder().decode(MerchantProfile.self, from: Data(profileJSON.utf8))
            profile.issuedAt = now
            let issued = try issue(profile)
            try db.execute(sql: "UPDATE enrollment_codes SET used_at = ? WHERE code_hash = ?", arguments: [now.timeIntervalSince1970, Self.codeHash(code)])
            try Self.record(db, terminalId: terminalId, issued: issued, now: now)
            return issued.answer
        }
    }

    /// The profile of a terminal enrolled before, for renewal.
    func enrolledProfile(terminalId: String) throws -> MerchantProfile? {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT profile FROM terminals WHERE id = ?", arguments: [terminalId])
                .map { try WireFormat.decoder().decode(MerchantProfile.self, from: Data($0.utf8)) }
        }
    }

    func recordRenewal(terminalId: String, issued: (answer: EnrollmentAnswer, notAfter: Date), now: Date) throws {
        try database.write { db in try Self.record(db, terminalId: terminalId, issued: issued, now: now) }
    }

    private static func record(_ db: Database, terminalId: String, issued: (answer: EnrollmentAnswer, notAfter: Date), now: Date) throws {
        let json = String(decoding: try WireFormat.encoder().encode(issued.answer.profile), as: UTF8.self)
        try db.execute(sql: "INSERT OR REPLACE INTO terminals (id, profile, certificate, not_after, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [terminalId, json, issued.answer.certificateChain.first ?? "", issued.notAfter.timeIntervalSince1970, now.timeIntervalSince1970])
    }
}

/// One-time enrollment codes as a technician reads them off a screen and types them: 16 characters in groups of
/// four from an alphabet without look-alikes (no 0/O, 1/I/L), about 79 bits.
public enum EnrollmentCode {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// Case and dashes or spaces do not matter when it is typed.
    public static func normalised(_ code: String) -> String {
        code.uppercased().filter { $0 != "-" && $0 != " " }
    }
}
