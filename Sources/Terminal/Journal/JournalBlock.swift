import Foundation
import Platform

/// The note that stops sales after a damaged journal was set aside. Sales wait while it exists, so a counter never
/// carries on as if its unfinished sales had not happened; `qrpos journal release` removes it once a technician has
/// kept the damaged files (they may hold sales to resolve with the acquirer).
public enum JournalBlock {
    public static func notePath(journal: String) -> String { journal + ".stopped" }

    /// The reason sales are stopped, or nil when they may go on.
    public static func read(_ note: String) -> String? {
        guard let text = try? String(contentsOfFile: note, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map(String.init) ?? "sales are stopped (\(note))"
    }

    static func write(_ note: String, damaged: Journal.Damaged, state: String) throws(FileProblem) {
        let text = """
        journal damaged and set aside as \(damaged.setAside): sales wait for a technician (qrpos journal release --state \(state))
        reason: \(damaged.reason)
        Keep the damaged files: unfinished sales in them may need to be checked with the acquirer. Then run
        `qrpos journal release --state \(state)` to take sales again on the new, empty journal.

        """
        try OwnerOnlyFile.write(note, Data(text.utf8))
    }

    /// Lets sales go on again; answers what was released, or nil when nothing was stopped.
    public static func release(_ note: String) throws -> String? {
        guard let why = read(note) else { return nil }
        try FileManager.default.removeItem(atPath: note)
        return why
    }
}
