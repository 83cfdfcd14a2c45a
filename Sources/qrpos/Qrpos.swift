import ArgumentParser
import Foundation

@main
struct Qrpos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qrpos",
        abstract: "QR-payment counter terminal: payment codes, screens, camera, lights, acquirer.",
        subcommands: [RunCommand.self, TerminalBenchCommand.self, CodeCommand.self, ScreenCommand.self, DemoCommand.self, BenchCommand.self, PKICommand.self,
                      ScanCommand.self, PresentCommand.self, LightsCommand.self, JournalCommand.self, ProvisionCommand.self, SelfTestCommand.self, PINCommand.self]
    )

    /// Exit 0 on success, 1 when the command ran and found the input invalid, 2 on a usage error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure || error is ValidationError {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// A failure the user caused with input that parsed but is wrong (a bad payload, a missing file): exit 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data(("qrpos: " + text + "\n").utf8))
}
