import Foundation
import Platform
import SystemPackage

/// Status lights through the kernel's LED class (`/sys/class/leds/NAME/brightness`), which many boards
/// use for their LEDs. The LED's trigger is set to "none" while qrpos drives it and given back on close.
public final class LEDClassLights: Lights {
    struct LED { var folder: String; var maximum: Int; var savedTrigger: String? }

    public let names: [String]
    public let description: String
    private var leds: [String: LED] = [:]

    /// `leds` maps each light to its LED's name under `root` (tests pass a folder of their own).
    public init(leds wiring: [(light: String, led: String)], root: String = "/sys/class/leds") throws(DeviceError) {
        names = wiring.map(\.light)
        var found: [String: LED] = [:]
        for (light, name) in wiring {
            let folder = root + "/" + name
            guard FileManager.default.fileExists(atPath: folder + "/brightness") else {
                let present = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
                throw DeviceError(device: folder, call: "open brightness", errno: ENOENT,
                                  hint: "no LED named \"\(name)\" for the \(light) light; LEDs here: " + (present.isEmpty ? "none" : present.joined(separator: ", ")))
            }
            let maximum = Self.read(folder + "/max_brightness").flatMap { Int($0) } ?? 1
            // The active trigger is the bracketed word: "none [heartbeat] timer".
            let trigger = Self.read(folder + "/trigger")?.split(separator: " ").first { $0.hasPrefix("[") }.map { String($0.dropFirst().dropLast()) }
            if trigger != nil, trigger != "none" { try Self.write("none", to: folder + "/trigger") }
            found[light] = LED(folder: folder, maximum: max(1, maximum), savedTrigger: trigger)
        }
        leds = found
        description = "sysfs-leds " + wiring.map { "\($0.light)=\($0.led)" }.joined(separator: " ")
    }

    deinit { close() }

    public func set(_ name: String, level: Double) throws(DeviceError) {
        guard let led = leds[name] else { throw DeviceError(device: description, call: "set", hint: "no light named \(name)") }
        let value = led.maximum == 1 ? (level >= 0.5 ? 1 : 0) : Int((max(0, min(1, level)) * Double(led.maximum)).rounded())
        try Self.write(String(value), to: led.folder + "/brightness")
    }

    public func close() {
        for led in leds.values {
            try? Self.write("0", to: led.folder + "/brightness")
            if let trigger = led.savedTrigger, trigger != "none" { try? Self.write(trigger, to: led.folder + "/trigger") }
        }
        leds = [:]
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One open-write-close per change: sysfs attributes take one value per write from offset 0.
    static func write(_ value: String, to path: String) throws(DeviceError) {
        let fd: FileDescriptor
        do { fd = try SystemCall.open(path, .writeOnly, options: .truncate) } catch {
            throw DeviceError(device: path, error, hint: error.errno == .permissionDenied ? "run as a user allowed to drive the LEDs (udev rule)" : "")
        }
        defer { SystemCall.close(fd) }
        do { try SystemCall.writeAll(fd, Array((value + "\n").utf8)) } catch { throw DeviceError(device: path, error) }
    }
}
