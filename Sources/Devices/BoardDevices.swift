import Foundation
import PaymentCodes
import TOMLKit

/// The camera, lights, printer and sound a board file names (`[camera]`, `[lights]`, `[printer]`, `[sound]` of `Board/NAME/board.toml`).
/// Relative folders (the images camera's) are taken from the state folder `qrpos run --state` uses (`.run` for
/// `make run`), so a board file works from any working directory.
public struct BoardDevices: Sendable {
    public struct CameraSetup: Equatable, Sendable {
        public enum Backend: String, Sendable { case v4l2, images }
        public var backend: Backend
        /// /dev/videoN for v4l2; the watched folder for images.
        public var device: String
        public var width: Int
        public var height: Int
        public init(backend: Backend, device: String, width: Int = 1280, height: Int = 720) {
            self.backend = backend; self.device = device; self.width = width; self.height = height
        }
    }

    public struct LightsSetup: Equatable, Sendable {
        public enum Backend: String, Sendable { case gpiod, sysfs, simulated }
        public var backend: Backend
        /// Colour names in board order: green, amber, red first, then any other.
        public var names: [String]
        /// gpiod: chip label or path (nil: find the named lines on any chip).
        public var chip: String?
        public var gpio: [GPIOLights.Wiring]
        /// sysfs: the LED class folder and each light's LED name.
        public var root: String
        public var leds: [String: String]
    }

    public struct PrinterSetup: Equatable, Sendable {
        public var backend: PrinterChoice.Backend
        /// The usblp device, HOST:PORT, or the simulated board's folder (relative: in the state folder).
        public var target: String
        public var paper: PrinterChoice.Paper
    }

    public struct SoundSetup: Equatable, Sendable {
        public var backend: SoundChoice.Backend
        /// The ALSA PCM name, the simulated board's folder (relative: in the state folder), or the buzzer's line.
        public var target: String
        /// gpio-buzzer: the chip (label or path; nil: find the line on any chip) and the line with its polarity.
        public var chip: String?
        public var buzzer: GPIOLights.Wiring?
    }

    public var file: String
    public var camera: CameraSetup?
    public var lights: LightsSetup?
    public var printer: PrinterSetup?
    public var sound: SoundSetup?

    public init(file: String, stateFolder: String = ".run") throws(DeviceError) {
        let table: TOMLTable
        do { table = try TOMLText.table(try TOMLText.read(file), file: file) } catch {
            throw DeviceError(device: file, call: error.line == 0 ? "read" : "parse", hint: error.located)
        }
        try self.init(table: table, file: file, stateFolder: stateFolder)
    }

    /// From a table already read (the terminal's BoardConfig keeps the whole file).
    public init(table: TOMLTable, file: String, stateFolder: String = ".run") throws(DeviceError) {
        self.file = file
        func problem(_ key: String, _ text: String) -> DeviceError { DeviceError(device: file, call: "[\(key)]", hint: text) }
        if let section = table["camera"]?.table {
            let backend = section["backend"]?.string ?? "v4l2"
            guard let kind = CameraSetup.Backend(rawValue: backend) else { throw problem("camera", "backend must be v4l2 or images, found \"\(backend)\"") }
            let device = kind == .images ? section["folder"]?.string.map { Self.resolve($0, in: stateFolder) } : section["device"]?.string ?? "/dev/video0"
            guard let device else { throw problem("camera", "the images backend needs folder = \"…\"") }
            let size = (section["size"]?.string ?? "1280x720").lowercased().split(separator: "x").compactMap { Int($0) }
            guard size.count == 2, size.allSatisfy({ (16...8192).contains($0) }) else { throw problem("camera", "size must be WxH, e.g. 1280x720") }
            camera = CameraSetup(backend: kind, device: device, width: size[0], height: size[1])
        }
        if let section = table["printer"]?.table {
            let backend = section["backend"]?.string ?? "usb"
            guard let kind = PrinterChoice.Backend(rawValue: backend) else { throw problem("printer", "backend must be usb, network or simulated, found \"\(backend)\"") }
            guard let width = section["paper"]?.int ?? (section["paper"] == nil ? 58 : nil), let paper = PrinterChoice.Paper(rawValue: width) else {
                throw problem("printer", "paper must be 58 or 80 (millimetres)")
            }
            let target: String?
            switch kind {
            case .usb: target = section["device"]?.string ?? "/dev/usb/lp0"
            case .network: target = section["address"]?.string
            case .simulated: target = section["folder"]?.string.map { Self.resolve($0, in: stateFolder) }
            }
            guard let target else { throw problem("printer", kind == .network ? "the network printer needs address = \"HOST:9100\"" : "the simulated printer needs folder = \"…\"") }
            printer = PrinterSetup(backend: kind, target: target, paper: paper)
        }
        if let section = table["sound"]?.table {
            let backend = section["backend"]?.string ?? "alsa"
            guard let kind = SoundChoice.Backend(rawValue: backend) else { throw problem("sound", "backend must be alsa, gpio-buzzer, simulated or none, found \"\(backend)\"") }
            var setup = SoundSetup(backend: kind, target: "")
            switch kind {
            case .alsa: setup.target = section["device"]?.string ?? "default"
            case .simulated: setup.target = Self.resolve(section["folder"]?.string ?? "sounds", in: stateFolder)
            case .none: break
            case .gpioBuzzer:
                let line: GPIOLights.LineReference
                if let offset = section["line"]?.int { line = .offset(offset) } else if let name = section["line"]?.string { line = .name(name) } else {
                    throw problem("sound", "the gpio-buzzer backend needs line = \"NAME\" or line = OFFSET (and chip = \"LABEL\" for an offset)")
                }
                setup.buzzer = .init(light: "buzzer", line: line, activeLow: section["active_low"]?.bool ?? false)
                setup.target = line.description
                setup.chip = section["chip"]?.string
            }
            sound = setup
        }
        if let section = table["lights"]?.table {
            let backend = section["backend"]?.string ?? "simulated"
            guard let kind = LightsSetup.Backend(rawValue: backend) else { throw problem("lights", "backend must be gpiod, sysfs or simulated, found \"\(backend)\"") }
            let colours = section.keys.filter { section[$0]?.table != nil }
            let known = ["green", "amber", "red"]
            let names = known.filter(colours.contains) + colours.filter { !known.contains($0) }.sorted()
            var gpio: [GPIOLights.Wiring] = [], leds: [String: String] = [:]
            for name in names {
                let light = section[name]!.table!
                if let offset = light["line"]?.int {
                    gpio.append(.init(light: name, line: .offset(offset), activeLow: light["active_low"]?.bool ?? false))
                } else if let line = light["line"]?.string {
                    gpio.append(.init(light: name, line: .name(line), activeLow: light["active_low"]?.bool ?? false))
                } else if kind == .gpiod {
                    throw problem("lights.\(name)", "needs line = \"NAME\" or line = OFFSET")
                }
                if let led = light["led"]?.string { leds[name] = led } else if kind == .sysfs { throw problem("lights.\(name)", "needs led = \"NAME\" (under /sys/class/leds)") }
            }
            guard !names.isEmpty || kind == .simulated else { throw problem("lights", "name the lights: green = { line = \"…\" }, …") }
            lights = LightsSetup(backend: kind, names: names.isEmpty ? known : names, chip: section["chip"]?.string, gpio: gpio,
                                 root: section["root"]?.string ?? "/sys/class/leds", leds: leds)
        }
    }

    /// A relative path in a board file, taken from the state folder.
    public static func resolve(_ path: String, in stateFolder: String) -> String { path.hasPrefix("/") ? path : stateFolder + "/" + path }

    public func openLights(output: @escaping (String) -> Void = { print($0) }) throws(DeviceError) -> any Lights {
        guard let lights else { throw DeviceError(device: file, call: "[lights]", hint: "this board file has no [lights] section") }
        switch lights.backend {
        case .simulated: return SimulatedLights(names: lights.names, output: output)
        case .gpiod: return try GPIOLights(chip: lights.chip, wiring: lights.gpio)
        case .sysfs: return try LEDClassLights(leds: lights.names.map { ($0, lights.leds[$0]!) }, root: lights.root)
        }
    }

    public func openPrinter() throws(DeviceError) -> any Printer {
        guard let printer else { throw DeviceError(device: file, call: "[printer]", hint: "this board file has no [printer] section") }
        return try PrinterChoice.open(printer.backend, target: printer.target, paper: printer.paper)
    }

    /// nil when the board file says `backend = "none"`.
    public func openSounder(output: @escaping (String) -> Void = { print($0) }) throws(DeviceError) -> (any Sounder)? {
        guard let sound else { throw DeviceError(device: file, call: "[sound]", hint: "this board file has no [sound] section") }
        return try SoundChoice.open(sound, output: output)
    }

    public func openCamera(log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(("camera: " + $0 + "\n").utf8)) }) throws(DeviceError) -> any Camera {
        guard let camera else { throw DeviceError(device: file, call: "[camera]", hint: "this board file has no [camera] section") }
        switch camera.backend {
        case .images: return try ImageFolderCamera(watching: camera.device)
        case .v4l2: return try V4L2Camera(device: camera.device, width: camera.width, height: camera.height, log: log)
        }
    }
}
