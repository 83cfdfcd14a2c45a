import Devices
import Foundation
import PaymentCodes
import TOMLKit

/// A board file (`Board/NAME/board.toml`): which devices this board has and how they are mounted.
public struct BoardConfig {
    public var name: String
    public var folder: String
    public var displayBackend: DisplayChoice.Backend
    public var displayDevice: String?
    public var displayMode: String?
    /// PNG folder for the simulated board (a relative path is taken from the state folder).
    public var displayFolder: String?
    public var displaySize: (width: Int, height: Int)
    public var rotation: Int
    /// Also preview screens in the terminal when there is one (the simulated board).
    public var terminalPreview: Bool
    public var keypadBackend: KeypadChoice.Backend
    public var keypadDevice: String?
    /// Where the terminal learns whether its clock can be trusted for payments.
    public enum ClockSource: String, CaseIterable, Sendable {
        /// Ask the kernel whether NTP has synchronised the clock.
        case kernel
        /// The simulated board: `clockSynchronised` decides.
        case simulated
    }
    public var clockSource: ClockSource
    public var clockSynchronised: Bool
    /// The whole file, for device sections other modules read (camera, lights).
    public var table: TOMLTable

    public init(folder: String, stateFolder: String = ".run", read: (String) throws -> String = { try TOMLText.read($0) }) throws(ConfigError) {
        let path = folder + "/board.toml"
        let table = try ConfigFile.load(path, read: read)
        let f = ConfigFile(path: path, table: table)
        self.folder = folder
        self.table = table
        name = try f.string("name", default: (folder as NSString).lastPathComponent)
        displayBackend = try f.choice("display.backend", default: .drm)
        displayDevice = try f.optionalString("display.device")
        displayMode = try f.optionalString("display.mode")
        displayFolder = try f.optionalString("display.folder").map { BoardDevices.resolve($0, in: stateFolder) }
        let size = try f.string("display.size", default: "800x480")
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (320...3840).contains(parts[0]), (320...3840).contains(parts[1]) else {
            throw ConfigError(file: path, key: "display.size", problem: "must be WxH with sides from 320 to 3840, found \"\(size)\"")
        }
        displaySize = (parts[0], parts[1])
        rotation = try f.int("display.rotation", default: 0, range: 0...270)
        guard rotation % 90 == 0 else { throw ConfigError(file: path, key: "display.rotation", problem: "must be 0, 90, 180 or 270") }
        terminalPreview = try f.bool("display.terminal_preview", default: false)
        keypadBackend = try f.choice("keypad.backend", default: .none)
        keypadDevice = try f.optionalString("keypad.device")
        if keypadBackend == .evdev, keypadDevice == nil {
            throw ConfigError(file: path, key: "keypad.device", problem: "the evdev keypad needs its /dev/input/… device")
        }
        clockSource = try f.choice("clock.source", default: .kernel)
        clockSynchronised = try f.bool("clock.synchronised", default: true)
    }
}
