import Foundation

/// The simulated board's sounder: each tone played is written as a WAV file named after its event
/// (`sounds/paid.wav`, replaced by a rename so a player never reads half a file) and said in one printed line.
/// `aplay .run/sounds/paid.wav` plays what the counter played.
public final class SimulatedSounder: Sounder {
    public let folder: String
    public let sampleRate: Int
    /// How many tones were played, for the printed line.
    public private(set) var played = 0
    private let output: (String) -> Void
    public var description: String { "simulated \(folder)" }

    public init(folder: String, sampleRate: Int = Tone.sampleRate, output: @escaping (String) -> Void = { print($0) }) throws(DeviceError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw DeviceError(device: folder, call: "create the sounds folder", hint: "\(error.localizedDescription)")
        }
        self.folder = folder; self.sampleRate = sampleRate; self.output = output
    }

    /// The file a tone for `event` is written to.
    public func file(for event: SoundEvent) -> String { folder + "/" + event.rawValue + ".wav" }

    public func play(_ event: SoundEvent, volume: Int) throws(DeviceError) {
        let tone = Tone.of(event)
        let path = file(for: event), partial = path + ".partial"
        do { try WAVFile.data(tone.samples(sampleRate: sampleRate, volume: volume), sampleRate: sampleRate).write(to: URL(fileURLWithPath: partial)) } catch {
            throw DeviceError(device: partial, call: "write", hint: "\(error.localizedDescription)")
        }
        guard rename(partial, path) == 0 else { throw DeviceError(device: path, call: "rename", errno: errno) }
        played += 1
        let notes = tone.sounding.map { "\(Int($0.frequency)) Hz" }.joined(separator: ", ")
        output("sound: \(event.rawValue) (\(notes); \(tone.milliseconds) ms, volume \(volume)) -> \(path)")
    }

    public func close() {}
}
