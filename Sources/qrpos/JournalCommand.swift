import ArgumentParser
import Foundation
import Terminal

/// `qrpos journal`: the technician's view of the sale journal (check it, and let sales go on after damage).
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Check the sale journal, or let sales go on after a damaged one was set aside.",
        subcommands: [Check.self, Release.self])

    struct Where: ParsableArguments {
        @Option(help: "The state folder qrpos run uses (the journal is STATE/journal.sqlite unless the terminal file says otherwise).")
        var state: String = ".run"
        @Option(help: "The journal file itself, if not STATE/journal.sqlite.") var journal: String?
        var path: String { journal ?? state + "/journal.sqlite" }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open the journal, check it and list unfinished sales; exit 1 if it is damaged.")
        @OptionGroup var place: Where

        func run() async throws {
            if let why = JournalBlock.read(JournalBlock.notePath(journal: place.path)) { print("sales are stopped: \(why)") }
            let journal: Journal
            do { journal = try Journal(path: place.path) } catch { throw Failure("\(error)") }
            let open = try journal.unfinished()
            print("journal \(place.path): ok, \(open.count) unfinished sale(s)")
            for sale in open { print("  \(sale.id) \(sale.state.rawValue) \(sale.amount) \(sale.currency)") }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After a damaged journal was set aside and its files kept, let the terminal take sales again.")
        @OptionGroup var place: Where

        func run() async throws {
            let note = JournalBlock.notePath(journal: place.path)
            guard let why = try JournalBlock.release(note) else { print("sales were not stopped (\(note) does not exist)"); return }
            print("sales may go on; it said: \(why)")
        }
    }
}
