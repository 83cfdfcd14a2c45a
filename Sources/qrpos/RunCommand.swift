import ArgumentParser
import Logging
import Terminal

/// `qrpos run`: the production entry point. Runs with or without a terminal; the counter itself is assembled and
/// run by the Terminal library (CounterApp), so this is argument parsing only.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the counter terminal on a board.")

    @Option(help: "Board folder with board.toml.") var board: String = "Board/sim"
    @Option(help: "Terminal file (merchant, acquirer, ECR); default: the board's terminal.toml.") var config: String?
    @Option(help: "Folder for the journal, PKI, ECR token and logs.") var state: String = ".run"
    @Flag(help: "Simulated board: play a clock that has not synchronised yet.") var unsynchronisedClock = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        do {
            try await CounterApp.run(.init(boardFolder: board, terminalFile: config, stateFolder: state,
                                           unsynchronisedClock: unsynchronisedClock, logLevel: level))
        } catch { throw Failure(error.description) }
    }
}
