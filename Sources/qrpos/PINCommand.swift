import ArgumentParser
import Foundation
import Terminal

/// `qrpos pin set`: a supervisor's or technician's PIN for the keypad, typed without echo and stored only as a
/// salted scrypt hash in STATE/operators.json (owner-only).
struct PINCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Set the supervisor's or the technician's keypad PIN (refunds, the daily close, settings).",
        subcommands: [Set.self, Status.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a role's PIN: 4 to 8 digits, read from the terminal without echo (or one line of standard input).")
        @Option(help: "supervisor or technician.") var role: String
        @Option(help: "The state folder qrpos run uses.") var state: String = ".run"

        func run() async throws {
            guard let role = OperatorRole(rawValue: role), role != .cashier else { throw Failure("--role must be supervisor or technician") }
            let first = try Self.readPIN("New \(role.rawValue) PIN: ")
            if isatty(0) == 1, try Self.readPIN("Again: ") != first { throw Failure("the two PINs differ; nothing was changed") }
            do { try OperatorPINs(path: state + "/operators.json").set(role, pin: first) } catch { throw Failure(error.description) }
            print("the \(role.rawValue) PIN is set (\(state)/operators.json, salted scrypt hash only)")
        }

        /// One line from standard input; on a terminal, echo is off while it is typed.
        static func readPIN(_ prompt: String) throws -> String {
            var saved = termios()
            let interactive = isatty(0) == 1 && tcgetattr(0, &saved) == 0
            if interactive {
                FileHandle.standardError.write(Data(prompt.utf8))
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(0, TCSANOW, &quiet)
            }
            defer { if interactive { tcsetattr(0, TCSANOW, &saved); FileHandle.standardError.write(Data("\n".utf8)) } }
            guard let line = readLine(strippingNewline: true) else { throw Failure("no PIN was given") }
            return line
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which roles have a PIN.")
        @Option(help: "The state folder qrpos run uses.") var state: String = ".run"
        func run() async throws {
            let pins = OperatorPINs(path: state + "/operators.json")
            for role in [OperatorRole.supervisor, .technician] { print("\(role.rawValue): \(pins.isSet(role) ? "set" : "not set")") }
        }
    }
}
