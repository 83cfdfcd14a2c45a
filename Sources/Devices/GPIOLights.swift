import CGPIOD
import Foundation

/// Status lights on GPIO lines through libgpiod v1 (Debian 12 ships 1.6.3; v2 is another API, so every
/// libgpiod call stays in this file). The chip is found by label or path and lines by name (or offset),
/// never by chip number: a Pi 5 kernel update moved the RP1 chip from gpiochip4 to gpiochip0.
public final class GPIOLights: Lights {
    /// A GPIO line: its name in the device tree or gpio-sim (preferred), or its offset on the chip.
    public enum LineReference: Equatable, Sendable, CustomStringConvertible {
        case name(String), offset(Int)
        public var description: String { switch self { case let .name(n): n; case let .offset(o): "offset \(o)" } }
    }

    public struct Wiring: Equatable, Sendable {
        public var light: String
        public var line: LineReference
        /// The LED lights when the line is low (wired to the supply through the LED).
        public var activeLow: Bool
        public init(light: String, line: LineReference, activeLow: Bool = false) { self.light = light; self.line = line; self.activeLow = activeLow }
    }

    public static let consumer = "qrpos"
    public let names: [String]
    public let description: String
    private var chips: [OpaquePointer] = []
    private var lines: [String: OpaquePointer] = [:]

    /// `chip`: a label ("pinctrl-rp1"; a unique label starting with it also matches, as gpio-sim's
    /// "gpio-sim.0-node0" matches "gpio-sim"), a path (/dev/gpiochip0), or nil to find named lines on any chip.
    public init(chip: String?, wiring: [Wiring], devices: String = "/dev") throws(DeviceError) {
        names = wiring.map(\.light)
        var opened: [OpaquePointer] = []
        var requested: [String: OpaquePointer] = [:]
        var used: [OpaquePointer] = []
        do throws(DeviceError) {
            opened = try Self.openChips(chip, devices: devices)
            var found: [String] = []
            for wire in wiring {
                let (line, owner, chipName) = try Self.find(wire.line, in: opened, chip: chip)
                if !used.contains(owner) { used.append(owner) }
                let flags = wire.activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
                guard gpiod_line_request_output_flags(line, Self.consumer, flags, 0) == 0 else {
                    let code = errno
                    let holder = gpiod_line_consumer(line).map { String(cString: $0) }
                    throw DeviceError(device: chipName, call: "gpiod_line_request_output_flags", errno: code,
                                      hint: "line \(wire.line) for the \(wire.light) light" + (holder.map { " is held by \"\($0)\"" } ?? ""))
                }
                requested[wire.light] = line
                found.append("\(wire.light)=\(wire.line)\(wire.activeLow ? " (active low)" : "")")
            }
            // Chips searched for named lines but holding none of them are given back at once.
            for other in opened where !used.contains(other) { gpiod_chip_close(other) }
            opened = used
            let labels = opened.map { String(cString: gpiod_chip_label($0)) }
            description = "gpiod \(labels.joined(separator: ",")) " + found.joined(separator: " ")
        } catch {
            for line in requested.values { gpiod_line_release(line) }
            for chip in opened { gpiod_chip_close(chip) }
            throw error
        }
        chips = opened
        lines = requested
    }

    deinit { close() }

    private static func openChips(_ chip: String?, devices: String) throws(DeviceError) -> [OpaquePointer] {
        if let chip, chip.hasPrefix("/") {
            guard let opened = gpiod_chip_open(chip) else {
                let code = errno
                throw DeviceError(device: chip, call: "gpiod_chip_open", errno: code,
                                  hint: code == ENOENT ? "no such GPIO chip: is its driver loaded (gpio-sim, pinctrl-…)?" : "cannot open the GPIO chip")
            }
            return [opened]
        }
        let paths = ((try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? []).filter { $0.hasPrefix("gpiochip") }
            .sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }.map { devices + "/" + $0 }
        guard !paths.isEmpty else {
            throw DeviceError(device: chip ?? "\(devices)/gpiochip*", call: "gpiod_chip_open", errno: ENOENT,
                              hint: "no GPIO chips on this machine (\(devices)/gpiochip*): is the GPIO driver loaded (gpio-sim, pinctrl-…)?")
        }
        var opened: [(chip: OpaquePointer, label: String, path: String)] = []
        var refused: [String] = []
        for path in paths {
            if let handle = gpiod_chip_open(path) { opened.append((handle, String(cString: gpiod_chip_label(handle)), path)) } else { refused.append("\(path): \(String(cString: strerror(errno)))") }
        }
        guard let chip else { return opened.map(\.chip) }
        let exact = opened.filter { $0.label == chip }
        let prefixed = opened.filter { $0.label.hasPrefix(chip) }
        let chosen = exact.count == 1 ? exact : prefixed.count == 1 ? prefixed : []
        for other in opened where !chosen.contains(where: { $0.chip == other.chip }) { gpiod_chip_close(other.chip) }
        guard let first = chosen.first else {
            let seen = opened.map { "\($0.path) \"\($0.label)\"" } + refused
            throw DeviceError(device: chip, call: "gpiod_chip_open", errno: ENOENT,
                              hint: (prefixed.count > 1 ? "more than one GPIO chip is labelled \(chip)…" : "no GPIO chip labelled \"\(chip)\"") + "; chips here: \(seen.joined(separator: ", "))")
        }
        return [first.chip]
    }

    private static func find(_ reference: LineReference, in chips: [OpaquePointer], chip: String?) throws(DeviceError) -> (OpaquePointer, OpaquePointer, String) {
        switch reference {
        case let .offset(offset):
            guard chips.count == 1, let only = chips.first else {
                throw DeviceError(device: "gpio", call: "gpiod_chip_get_line", hint: "line offset \(offset) needs the chip named (label or path)")
            }
            let label = String(cString: gpiod_chip_label(only))
            guard offset >= 0, offset < Int(gpiod_chip_num_lines(only)), let line = gpiod_chip_get_line(only, UInt32(offset)) else {
                throw DeviceError(device: label, call: "gpiod_chip_get_line", errno: EINVAL, hint: "offset \(offset) is not on this chip (\(gpiod_chip_num_lines(only)) lines)")
            }
            return (line, only, label)
        case let .name(name):
            for candidate in chips {
                if let line = gpiod_chip_find_line(candidate, name) { return (line, candidate, String(cString: gpiod_chip_label(candidate))) }
            }
            throw DeviceError(device: chip ?? "gpio", call: "gpiod_chip_find_line", errno: ENOENT, hint: "no line named \"\(name)\"")
        }
    }

    public func set(_ name: String, level: Double) throws(DeviceError) {
        guard let line = lines[name] else { throw DeviceError(device: description, call: "set", hint: "no light named \(name)") }
        // Active-low lines were requested with the flag: 1 always means "lit".
        guard gpiod_line_set_value(line, level >= 0.5 ? 1 : 0) == 0 else {
            throw DeviceError(device: description, call: "gpiod_line_set_value", errno: errno, hint: "the \(name) light")
        }
    }

    public func close() {
        for line in lines.values {
            _ = gpiod_line_set_value(line, 0)
            gpiod_line_release(line)
        }
        lines = [:]
        for chip in chips { gpiod_chip_close(chip) }
        chips = []
    }
}
