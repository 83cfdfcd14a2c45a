import Foundation
import PaymentCodes
import TOMLKit

/// A board file (`Board/NAME/board.toml`): which devices this board has and how they are mounted.
public struct BoardConfig {
    public var name: String
    public var folder: String
    public var displayBackend: String
    public var displayDevice: String?
    public var displayMode: String?
    /// PNG folder for the simulated board (relative paths from the working directory).
    public var displayFolder: String?
    public var displaySize: (width: Int, height: Int)
    public var rotation: Int
    /// Also preview screens in the terminal when there is one (the simulated board).
    public var terminalPreview: Bool
    public var keypadBackend: String
    public var keypadDevice: String?
    /// "kernel": ask the kernel whether NTP has synchronised the clock; "simulated": `clockSynchronised` decides.
    public var clockSource: String
    public var clockSynchronised: Bool
    /// The whole file, for device sections other modules read (camera, lights).
    public var table: TOMLTable

    public init(folder: String, read: (String) throws -> String = { try TOMLText.read($0) }) throws(ConfigError) {
        let path = folder + "/board.toml"
        let table = try ConfigFile.load(path, read: read)
        let f = ConfigFile(path: path, table: table)
        self.folder = folder
        self.table = table
        name = try f.string("name", default: (folder as NSString).lastPathComponent)
        displayBackend = try f.string("display.backend", default: "drm")
        guard ["drm", "fbdev", "png", "terminal"].contains(displayBackend) else {
            throw ConfigError(file: path, key: "display.backend", problem: "must be drm, fbdev, png or terminal, found \"\(displayBackend)\"")
        }
        displayDevice = try? f.string("display.device")
        displayMode = try? f.string("display.mode")
        displayFolder = try? f.string("display.folder")
        let size = try f.string("display.size", default: "800x480")
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (320...3840).contains(parts[0]), (320...3840).contains(parts[1]) else {
            throw ConfigError(file: path, key: "display.size", problem: "must be WxH with sides from 320 to 3840, found \"\(size)\"")
        }
        displaySize = (parts[0], parts[1])
        rotation = try f.int("display.rotation", default: 0, range: 0...270)
        guard rotation % 90 == 0 else { throw ConfigError(file: path, key: "display.rotation", problem: "must be 0, 90, 180 or 270") }
        terminalPreview = try f.bool("display.terminal_preview", default: false)
        keypadBackend = try f.string("keypad.backend", default: "none")
        guard ["none", "terminal", "evdev"].contains(keypadBackend) else {
            throw ConfigError(file: path, key: "keypad.backend", problem: "must be none, terminal or evdev, found \"\(keypadBackend)\"")
        }
        keypadDevice = try? f.string("keypad.device")
        if keypadBackend == "evdev", keypadDevice == nil {
            throw ConfigError(file: path, key: "keypad.device", problem: "the evdev keypad needs its /dev/input/… device")
        }
        clockSource = try f.string("clock.source", default: "kernel")
        guard ["kernel", "simulated"].contains(clockSource) else {
            throw ConfigError(file: path, key: "clock.source", problem: "must be kernel or simulated, found \"\(clockSource)\"")
        }
        clockSynchronised = try f.bool("clock.synchronised", default: true)
    }
}
