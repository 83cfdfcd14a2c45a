import _CryptoExtras
import Crypto
import Foundation
import Platform

/// Who may do what at the counter. A cashier takes sales; a supervisor cancels or refunds a paid sale, reprints an
/// old slip and closes the day; a technician runs the self-test and changes settings. The register's ECR token
/// acts as a supervisor (Docs/ecr-api.yaml): the register has its own operator controls.
public enum OperatorRole: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case cashier, supervisor, technician
}

public enum OperatorAction: String, Sendable, CaseIterable {
    case sale, refund, cancelPaid = "cancel-paid", reprintOld = "reprint-old", close, selfTest = "self-test", settings

    /// The one place the rule is written: which role an action needs.
    public var role: OperatorRole {
        switch self {
        case .sale: .cashier
        case .refund, .cancelPaid, .reprintOld, .close: .supervisor
        case .selfTest, .settings: .technician
        }
    }
}

/// The supervisor's and technician's PINs, kept only as salted scrypt hashes (swift-crypto) in an owner-only file
/// of the state folder, with a lockout after repeated wrong entries that a restart does not reset.
public final class OperatorPINs: @unchecked Sendable {
    /// Wrong entries in a row before a role is locked, and for how long.
    public static let attempts = 5
    public static let lockout: TimeInterval = 300

    struct Hashed: Codable, Equatable {
        var salt: Data
        var hash: Data
        /// scrypt's N, r and p: 2^14, 8, 1 is 16 MiB and tens of milliseconds on a Raspberry Pi.
        var rounds: Int
        var blockSize: Int
        var parallelism: Int
    }

    struct Book: Codable, Equatable {
        var pins: [OperatorRole: Hashed] = [:]
        var failures: [OperatorRole: Int] = [:]
        var lockedUntil: [OperatorRole: Date] = [:]
    }

    public enum Verdict: Equatable, Sendable {
        case accepted
        case wrong(attemptsLeft: Int)
        case locked(until: Date)
        /// No PIN is set for the role: nobody may act as it at the keypad.
        case notSet
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    private let lock = NSLock()

    public init(path: String) { self.path = path }

    /// 4 to 8 ASCII digits, typed on a numeric keypad.
    public static func isWellFormed(_ pin: String) -> Bool { (4...8).contains(pin.count) && pin.unicodeScalars.allSatisfy { (48...57).contains($0.value) } }

    public func set(_ role: OperatorRole, pin: String) throws(Problem) {
        guard role != .cashier else { throw Problem(description: "the cashier role has no PIN: every cashier may take sales") }
        guard Self.isWellFormed(pin) else { throw Problem(description: "a PIN is 4 to 8 digits") }
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        let hashed = try Self.hash(pin, salt: Data(salt), rounds: 1 << 14, blockSize: 8, parallelism: 1)
        lock.lock()
        defer { lock.unlock() }
        var book = try read()
        book.pins[role] = hashed
        book.failures[role] = nil
        book.lockedUntil[role] = nil
        try write(book)
    }

    public func isSet(_ role: OperatorRole) -> Bool { lock.withLock { ((try? read())?.pins[role]) != nil } }

    /// Checks a PIN typed for `role`; wrong ones count toward the lockout, a right one clears the count.
    public func verify(_ role: OperatorRole, pin: String, now: Date = Date()) -> Verdict {
        lock.withLock {
            guard var book = try? read(), let stored = book.pins[role] else { return .notSet }
            if let until = book.lockedUntil[role], until > now { return .locked(until: until) }
            let typed = try? Self.hash(pin, salt: stored.salt, rounds: stored.rounds, blockSize: stored.blockSize, parallelism: stored.parallelism)
            // SymmetricKey's == compares in constant time.
            if let typed, SymmetricKey(data: typed.hash) == SymmetricKey(data: stored.hash) {
                book.failures[role] = nil
                book.lockedUntil[role] = nil
                try? write(book)
                return .accepted
            }
            let failures = (book.failures[role] ?? 0) + 1
            if failures >= Self.attempts {
                book.failures[role] = nil
                book.lockedUntil[role] = now.addingTimeInterval(Self.lockout)
                try? write(book)
                return .locked(until: now.addingTimeInterval(Self.lockout))
            }
            book.failures[role] = failures
            try? write(book)
            return .wrong(attemptsLeft: Self.attempts - failures)
        }
    }

    static func hash(_ pin: String, salt: Data, rounds: Int, blockSize: Int, parallelism: Int) throws(Problem) -> Hashed {
        do {
            let key = try KDF.Scrypt.deriveKey(from: Data(pin.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
            return Hashed(salt: salt, hash: key.withUnsafeBytes { Data($0) }, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        } catch { throw Problem(description: "scrypt: \(error)") }
    }

    private func read() throws(Problem) -> Book {
        guard FileManager.default.fileExists(atPath: path) else { return Book() }
        do { return try JSONDecoder().decode(Book.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw Problem(description: "the PIN file \(path) cannot be read: \(error)")
        }
    }

    private func write(_ book: Book) throws(Problem) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try OwnerOnlyFile.write(path, try encoder.encode(book))
        } catch { throw Problem(description: "the PIN file \(path) cannot be written: \(error)") }
    }
}
