import Foundation
import Testing
@testable import Terminal

/// The journal at a power cut and when damaged: committed transitions survive a cut at any byte of the WAL, and a
/// damaged file is set aside, never silently replaced by an empty journal.
struct JournalTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-journal-\(UUID().uuidString.prefix(8))").path
    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    static func sale(_ n: Int) -> Sale {
        Sale(id: "S\(n)", amount: 100 * n, currency: "JPY", mode: .show, payload: "000201…", expiresAt: Date().addingTimeInterval(180), now: Date())
    }

    /// SQLite's own crash-testing idea on our schema: snapshot the database and its WAL after every commit, then cut
    /// the WAL at many byte offsets, as a power cut in the middle of a write would. Every cut opens, and what it
    /// holds is exactly a prefix of what was committed (a torn frame fails its checksum and is dropped).
    @Test func aCutAtAnyByteOfTheWALKeepsAPrefixOfTheCommittedHistory() throws {
        let path = folder + "/journal.sqlite"
        let journal = try Journal(path: path)
        var history: [[String: SaleState]] = [[:]]
        var states: [String: SaleState] = [:]
        for n in 1...6 {
            var sale = Self.sale(n)
            try journal.insert(sale)
            states[sale.id] = sale.state; history.append(states)
            for state in [SaleState.pending, .paid] {
                let previous = sale.state
                sale.state = state
                sale.updatedAt = Date()
                try journal.commit(sale, from: previous, event: .answer(.status(state == .paid ? .paid : .pending)))
                states[sale.id] = state; history.append(states)
            }
        }
        // The files as the flash holds them now (the journal is still open: nothing checkpointed into the database).
        let database = try Data(contentsOf: URL(fileURLWithPath: path))
        let wal = try Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
        #expect(wal.count > 4096, "the commits are in the WAL")
        var cuts = Set(stride(from: 0, through: wal.count, by: max(1, wal.count / 60)))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 { cuts.insert(Int.random(in: 0...wal.count, using: &generator)) }
        for cut in cuts.sorted() {
            let copy = folder + "/cut-\(cut).sqlite"
            try database.write(to: URL(fileURLWithPath: copy))
            try wal.prefix(cut).write(to: URL(fileURLWithPath: copy + "-wal"))
            let reopened = try Journal(path: copy)
            var seen: [String: SaleState] = [:]
            for n in 1...6 { if let sale = try reopened.sale("S\(n)") { seen[sale.id] = sale.state } }
            #expect(history.contains(seen), "a cut at byte \(cut) of \(wal.count) left \(seen), which was never committed")
        }
    }

    @Test func aDamagedJournalIsSetAsideAndNotReplacedSilently() throws {
        let path = folder + "/journal.sqlite"
        do {
            let journal = try Journal(path: path)
            try journal.insert(Self.sale(1))
        }
        // Scribble over the header and the first page, as a failing SD card would.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        handle.write(Data(repeating: 0xA5, count: 2048))
        try handle.close()
        try? FileManager.default.removeItem(atPath: path + "-wal")
        do {
            _ = try Journal(path: path)
            Issue.record("a damaged journal opened")
        } catch let damaged as Journal.Damaged {
            #expect(damaged.setAside.hasPrefix(path + ".damaged-"))
            #expect(FileManager.default.fileExists(atPath: damaged.setAside), "every byte kept for the technician")
            #expect(!FileManager.default.fileExists(atPath: path))
            let note = JournalBlock.notePath(journal: path)
            try JournalBlock.write(note, damaged: damaged, state: folder)
            #expect(JournalBlock.read(note)?.contains("set aside as \(damaged.setAside)") == true)
            let attributes = try FileManager.default.attributesOfItem(atPath: note)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try JournalBlock.release(note) != nil && JournalBlock.read(note) == nil)
        }
    }

    @Test func theJournalIsOwnerOnlyFromTheStart() throws {
        let path = folder + "/journal.sqlite"
        let old = umask(0o022)
        defer { umask(old) }
        _ = try Journal(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    /// The shopper's language survives a restart: a terminal killed on the paid screen shows it again in Khmer.
    @Test func theShoppersLanguageAndTheWalletsCountryAreKeptAcrossARestart() throws {
        let path = folder + "/journal.sqlite"
        var sale = Self.sale(1)
        sale.language = "th"
        do {
            let journal = try Journal(path: path)
            try journal.insert(sale)
            sale.state = .pending
            sale.wallet = "khqr"; sale.walletCountry = "KH"
            try journal.commit(sale, from: .created, event: .walletNamed("khqr", country: "KH"))
        }
        let reopened = try #require(try Journal(path: path).sale("S1"))
        #expect(reopened.language == "th" && reopened.walletCountry == "KH" && reopened.wallet == "khqr")
    }

    @Test func anEventThatChangesNothingWritesNothing() throws {
        let journal = try Journal(path: folder + "/journal.sqlite")
        var sale = Self.sale(1)
        try journal.insert(sale)
        sale.state = .pending
        try journal.commit(sale, from: .created, event: .begin)
        try journal.commit(sale, from: .pending, event: .retryDue)
        let kinds = try journal.transitions(of: "S1").map(\.kind)
        #expect(kinds == ["created", "begin"], "a back-off timer with no change adds no audit line")
    }
}
