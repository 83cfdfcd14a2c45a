import ArgumentParser
import Foundation
import Terminal

/// `qrpos selftest`: checks the board's devices, the clock, the acquirer link, the journal and the disk.
/// The exit status is the number of failed checks. Argument parsing and printing only.
struct SelfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "selftest", abstract: "Check that this board is wired and set up right (never takes a sale).")

    @Option(help: "Board folder with board.toml.") var board: String = "Board/sim"
    @Option(help: "Terminal file; default: the board's terminal.toml.") var config: String?
    @Option(help: "State folder (PKI, journal).") var state: String = ".run"
    @Flag(help: "Print the result as JSON, for scripts.") var json = false

    func run() async throws {
        let result = await SelfTest.run(.init(boardFolder: board, terminalFile: config, stateFolder: state))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.table)
        }
        fflush(nil)
        if result.failures > 0 { throw ExitCode(Int32(min(result.failures, 125))) }
    }
}
