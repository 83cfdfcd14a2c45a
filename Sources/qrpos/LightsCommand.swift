import ArgumentParser
import Devices
import Foundation

/// `qrpos lights`: a technician checks every light of a board, or shows one state.
struct LightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lights", abstract: "Check and drive the status lights.",
                                                    subcommands: [Test.self, Show.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Light each light alone, then show every state's pattern, then all off.",
            discussion: "States: \(StatusSignal.allCases.map(\.rawValue).joined(separator: ", ")).")
        @Option(help: "Board file (Board/NAME) naming the lights.") var board: String
        @Option(help: "Seconds per light and per state.") var step: Double = 1.5

        func validate() throws { guard step > 0, step <= 60 else { throw ValidationError("--step must be 0 to 60 seconds") } }

        func run() throws {
            let driver = try open(board)
            let lights = driver.lights
            print("lights test: \(lights.description)")
            defer { driver.stop(); lights.close() }
            for name in lights.names {
                print("only \(name)")
                for other in lights.names { try set(lights, other, other == name ? 1 : 0) }
                Thread.sleep(forTimeInterval: step)
            }
            for name in lights.names { try set(lights, name, 0) }
            driver.start()
            for signal in StatusSignal.allCases where signal != .off {
                print("\(signal.rawValue): " + signal.scene(for: lights.names).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                driver.show(signal)
                Thread.sleep(forTimeInterval: signal == .technician ? max(step, 0.5 * Double(lights.names.count) * 2) : step * 2)
            }
            print("all off")
        }

        private func set(_ lights: any Lights, _ name: String, _ level: Double) throws {
            do { try lights.set(name, level: level) } catch { throw Failure(error.description) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one state's pattern for a while (Ctrl-C to stop).")
        @Argument(help: "ready, waiting, paid, declined, offline, technician or off.") var signal: String
        @Option(help: "Board file (Board/NAME) naming the lights.") var board: String
        @Option(help: "Seconds to hold it.") var seconds: Double = 10

        func validate() throws {
            guard StatusSignal(rawValue: signal) != nil else { throw ValidationError("unknown state \"\(signal)\"; one of \(StatusSignal.allCases.map(\.rawValue).joined(separator: ", "))") }
        }

        func run() throws {
            let driver = try open(board)
            defer { driver.stop(); driver.lights.close() }
            driver.start()
            driver.show(StatusSignal(rawValue: signal)!)
            Thread.sleep(forTimeInterval: max(0, seconds))
        }
    }
}

private func open(_ board: String) throws -> StatusLights {
    do { return StatusLights(lights: try BoardFile.devices(board, state: ".run").openLights(), log: { printError("lights: " + $0) }) } catch let error as DeviceError {
        throw Failure(error.description)
    }
}
