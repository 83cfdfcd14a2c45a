import Foundation

/// Tones on a buzzer wired to one GPIO line. An active piezo buzzer sounds its own pitch whenever the line is on,
/// so each tone is played as its rhythm (`Tone.switching`): on for each note, off for each rest. The line is
/// requested through GPIOLights, which keeps every libgpiod v1 call in one file (found by label and name).
/// Volume cannot be set on a buzzer: any volume above 0 sounds, 0 is silent.
public final class GPIOBuzzer: Sounder {
    private let line: GPIOLights
    private static let name = "buzzer"
    public var description: String { line.description }

    public init(chip: String?, wiring: GPIOLights.Wiring, devices: String = "/dev") throws(DeviceError) {
        line = try GPIOLights(chip: chip, wiring: [GPIOLights.Wiring(light: Self.name, line: wiring.line, activeLow: wiring.activeLow)], devices: devices)
    }

    public func play(_ event: SoundEvent, volume: Int) throws(DeviceError) {
        guard volume > 0 else { return }
        // The line is switched off again whatever happens, so a failed write never leaves the buzzer sounding.
        defer { try? line.set(Self.name, level: 0) }
        for step in Tone.of(event).switching {
            try line.set(Self.name, level: step.on ? 1 : 0)
            Thread.sleep(forTimeInterval: Double(step.milliseconds) / 1000)
        }
    }

    public func close() { line.close() }
}
