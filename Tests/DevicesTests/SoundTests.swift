import Foundation
import PaymentCodes
import Testing
@testable import Devices

/// The counter's tones as a shopper hears them: written by the simulated sounder, read back with our own WAV reader,
/// each note's pitch found with a Goertzel filter; ALSA against alsa-lib's real "null" PCM; the buzzer's rhythm;
/// the board file's [sound].
@Suite struct SoundTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What each event must sound like (the design, written down apart from Tones.swift): pitch in Hz and length in ms.
    static let expected: [SoundEvent: [(hz: Double, ms: Int)]] = [
        .codeRead: [(2_093, 70)],
        .paid: [(1_047, 120), (1_568, 200)],
        .declined: [(392, 550)],
        .attention: [(1_319, 90), (1_319, 90), (1_319, 90)],
    ]

    struct WAV {
        var format = 0, channels = 0, rate = 0, bits = 0
        var samples: [Int16] = []
    }

    /// Our own reading of a RIFF WAVE file: the fmt and data chunks, any other chunk skipped by its length.
    static func readWAV(_ path: String) throws -> WAV {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func tag(_ i: Int) -> String { String(decoding: bytes[i..<i + 4], as: UTF8.self) }
        try #require(bytes.count >= 12 && tag(0) == "RIFF" && tag(8) == "WAVE" && u32(4) == bytes.count - 8)
        var wav = WAV(), i = 12
        while i + 8 <= bytes.count {
            let size = u32(i + 4), body = i + 8
            switch tag(i) {
            case "fmt ": wav.format = u16(body); wav.channels = u16(body + 2); wav.rate = u32(body + 4); wav.bits = u16(body + 14)
            case "data":
                wav.samples = stride(from: body, to: body + size, by: 2).map { Int16(bitPattern: UInt16(u16($0))) }
            default: break
            }
            i = body + size + (size & 1)
        }
        return wav
    }

    /// The notes of a tone: runs of sound split by at least 10 ms of silence.
    static func notes(_ samples: [Int16], rate: Int) -> [ArraySlice<Int16>] {
        var runs: [ArraySlice<Int16>] = [], start: Int?, silent = 0
        for (i, s) in samples.enumerated() {
            if s != 0 {
                if start == nil { start = i }
                silent = 0
            } else if let begun = start {
                silent += 1
                if silent >= rate / 100 { runs.append(samples[begun..<(i - silent + 1)]); start = nil }
            }
        }
        if let start { runs.append(samples[start..<(samples.count - silent)]) }
        return runs
    }

    /// Goertzel: the power of one frequency in a run of samples.
    static func power(_ run: ArraySlice<Int16>, at hz: Double, rate: Int) -> Double {
        let k = 2 * cos(2 * Double.pi * hz / Double(rate))
        var s1 = 0.0, s2 = 0.0
        for sample in run { let s = Double(sample) + k * s1 - s2; s2 = s1; s1 = s }
        return s1 * s1 + s2 * s2 - k * s1 * s2
    }

    /// The strongest frequency between 100 Hz and 4 kHz, in 5 Hz steps.
    static func dominant(_ run: ArraySlice<Int16>, rate: Int) -> Double {
        stride(from: 100.0, through: 4_000, by: 5).max { power(run, at: $0, rate: rate) < power(run, at: $1, rate: rate) }!
    }

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-sound-\(UUID().uuidString.prefix(8))").path
    }

    @Test func eachEventsToneHasItsNotesPitchesAndLengths() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines: [String] = []
        let sounder = try SimulatedSounder(folder: folder + "/sounds", output: { lines.append($0) })
        for event in SoundEvent.allCases {
            try sounder.play(event, volume: 80)
            let wav = try Self.readWAV(sounder.file(for: event))
            #expect(wav.format == 1 && wav.channels == 1 && wav.bits == 16 && wav.rate == 16_000, "\(event): \(wav.format) \(wav.channels) \(wav.bits) \(wav.rate)")
            #expect(wav.samples.count == Tone.of(event).milliseconds * 16, "\(event): the file holds the whole tone")
            let heard = Self.notes(wav.samples, rate: wav.rate)
            let wanted = try #require(Self.expected[event])
            try #require(heard.count == wanted.count, "\(event): \(heard.count) notes heard, \(wanted.count) wanted")
            for (run, note) in zip(heard, wanted) {
                let ms = Double(run.count) * 1000 / Double(wav.rate)
                #expect(abs(ms - Double(note.ms)) <= 3, "\(event): a note of \(ms) ms, \(note.ms) wanted")
                let hz = Self.dominant(run, rate: wav.rate)
                #expect(abs(hz - note.hz) <= 10, "\(event): \(hz) Hz heard, \(note.hz) wanted")
            }
        }
        #expect(lines.count == 4 && lines.contains { $0.hasPrefix("sound: paid (1047 Hz, 1568 Hz; 350 ms, volume 80) -> ") }, "\(lines)")
    }

    @Test func theEventsSoundApart() {
        let codeRead = Self.expected[.codeRead]!, paid = Self.expected[.paid]!, declined = Self.expected[.declined]!, attention = Self.expected[.attention]!
        #expect(codeRead.count == 1 && codeRead[0].ms <= 100 && codeRead[0].hz >= 1_500, "one short high blip")
        #expect(paid.count == 2 && paid[1].hz > paid[0].hz, "two rising notes")
        #expect(declined.count == 1 && declined[0].hz < 500 && declined[0].ms >= 400, "one low long note")
        #expect(attention.count == 3 && attention.allSatisfy { $0.ms <= 120 }, "three short notes")
    }

    @Test func volumeScalesTheAmplitudeAndZeroIsSilent() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sounder = try SimulatedSounder(folder: folder, output: { _ in })
        var peaks: [Int: Int] = [:]
        for volume in [100, 50, 25, 0] {
            try sounder.play(.declined, volume: volume)
            peaks[volume] = try Self.readWAV(sounder.file(for: .declined)).samples.map { abs(Int($0)) }.max() ?? 0
        }
        let full = Double(try #require(peaks[100]))
        #expect(full > 0.75 * 32_767 && full < 32_767, "full volume stays under full scale: \(full)")
        #expect(abs(Double(peaks[50]!) / full - 0.5) < 0.01 && abs(Double(peaks[25]!) / full - 0.25) < 0.01, "\(peaks)")
        #expect(peaks[0] == 0)
    }

    /// Each note rises from silence and falls back to it: a hard edge is a click.
    @Test func notesFadeInAndOutWithoutAClick() throws {
        for event in SoundEvent.allCases {
            let samples = Tone.of(event).samples(volume: 100)
            for run in Self.notes(samples, rate: 16_000) {
                let edge = 16 // the first and last millisecond
                let peak = run.map { abs(Int($0)) }.max() ?? 0
                let first = run.prefix(edge).map { abs(Int($0)) }.max() ?? 0, last = run.suffix(edge).map { abs(Int($0)) }.max() ?? 0
                #expect(first < peak / 10 && last < peak / 10, "\(event): edges \(first), \(last) of \(peak)")
            }
            #expect(samples.first == 0 && abs(Int(samples.last ?? 0)) < 200, "\(event)")
        }
    }

    @Test func distinctEventsGiveDistinctFiles() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sounder = try SimulatedSounder(folder: folder, output: { _ in })
        for event in SoundEvent.allCases { try sounder.play(event, volume: 80) }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files == ["attention.wav", "code-read.wav", "declined.wav", "paid.wav"])
        let contents = try Set(files.map { try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)) })
        #expect(contents.count == 4)
        #expect(sounder.played == 4)
    }

    /// alsa-lib's own "null" PCM (pcm.null in /usr/share/alsa/alsa.conf): a real open, set_params, write and drain.
    @Test func alsaPlaysEveryToneOnTheNullDevice() throws {
        let sounder = try ALSASounder(device: "null")
        defer { sounder.close() }
        #expect(sounder.description == "alsa null 16000 Hz")
        // Twice: after a drain the PCM is prepared again for the next tone.
        for _ in 0..<2 {
            for event in SoundEvent.allCases { try sounder.play(event, volume: 80) }
        }
        sounder.close()
        try sounder.play(.paid, volume: 50) // a closed PCM is opened again for the next tone
    }

    @Test func anUnknownALSADeviceIsAClearError() {
        do {
            _ = try ALSASounder(device: "qrpos-no-such-pcm")
            Issue.record("opened a PCM that does not exist")
        } catch {
            #expect(error.call == "snd_pcm_open" && error.errno == ENOENT)
            #expect(error.description.contains("no PCM named \"qrpos-no-such-pcm\"") && error.description.contains("aplay -L"), "\(error)")
        }
    }

    static var noSoundCard: Bool {
        !((try? FileManager.default.contentsOfDirectory(atPath: "/proc/asound")) ?? []).contains { $0.hasPrefix("card") }
    }

    /// The board file says "default", the board has no card: the error says so and what to write instead.
    @Test(.enabled(if: noSoundCard, "this machine has a sound card")) func aBoardWithoutASoundCardSaysSo() {
        do {
            _ = try ALSASounder(device: "default")
            Issue.record("opened the default PCM without a sound card")
        } catch {
            #expect(error.description.contains("no sound card") && error.description.contains("backend = \"none\""), "\(error)")
        }
    }

    @Test func theBuzzerSwitchesForEachNote() {
        func steps(_ tone: Tone) -> [String] { tone.switching.map { "\($0.on ? "on" : "off") \($0.milliseconds)" } }
        #expect(steps(.of(.codeRead)) == ["on 70"])
        #expect(steps(.of(.paid)) == ["on 120", "off 30", "on 200"])
        #expect(steps(.of(.declined)) == ["on 550"])
        #expect(steps(.of(.attention)) == ["on 90", "off 70", "on 90", "off 70", "on 90"])
        // Two notes without a rest between them stay two on a buzzer; rests in a row are one.
        #expect(steps(Tone(event: .paid, notes: [Note(1_000, milliseconds: 50), Note(2_000, milliseconds: 50), .rest(10), .rest(10)])) ==
                ["on 50", "off 30", "on 50", "off 20"])
    }

    @Test func aBuzzerOnAMissingChipIsAnError() {
        let empty = Self.folder()
        try? FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        do {
            _ = try GPIOBuzzer(chip: "pinctrl-bcm2711", wiring: .init(light: "buzzer", line: .name("GPIO18")), devices: empty)
            Issue.record("a buzzer without a GPIO chip opened")
        } catch {
            #expect(error.call == "gpiod_chip_open" && error.description.contains("no GPIO chips"), "\(error)")
        }
    }

    static func sound(_ text: String) throws -> BoardDevices.SoundSetup? {
        try BoardDevices(table: TOMLText.table("[sound]\n" + text, file: "board.toml"), file: "board.toml", stateFolder: "/state").sound
    }

    @Test func theBoardFileNamesTheSound() throws {
        #expect(try Self.sound("backend = \"alsa\"") == .init(backend: .alsa, target: "default"))
        #expect(try Self.sound("device = \"plughw:CARD=Headphones\"") == .init(backend: .alsa, target: "plughw:CARD=Headphones"))
        #expect(try Self.sound("backend = \"simulated\"")?.target == "/state/sounds")
        #expect(try Self.sound("backend = \"simulated\"\nfolder = \"/tmp/s\"")?.target == "/tmp/s")
        #expect(try Self.sound("backend = \"none\"")?.backend == SoundChoice.Backend.none)
        let buzzer = try #require(try Self.sound("backend = \"gpio-buzzer\"\nchip = \"pinctrl-rp1\"\nline = \"GPIO18\"\nactive_low = true"))
        #expect(buzzer.backend == .gpioBuzzer && buzzer.chip == "pinctrl-rp1" && buzzer.buzzer == .init(light: "buzzer", line: .name("GPIO18"), activeLow: true))
        #expect(try Self.sound("backend = \"gpio-buzzer\"\nline = 13")?.buzzer?.line == .offset(13))
        for (text, words) in [("backend = \"beeper\"", "backend must be alsa, gpio-buzzer, simulated or none"),
                              ("backend = \"gpio-buzzer\"", "needs line = ")] {
            do {
                _ = try Self.sound(text)
                Issue.record("\(text) was taken")
            } catch { #expect("\(error)".contains(words), "\(error)") }
        }
        #expect(try BoardDevices(table: TOMLText.table("name = \"x\"", file: "b"), file: "b").sound == nil)
    }

    @Test func everyBoardFileSaysHowItSounds() throws {
        let wanted: [String: SoundChoice.Backend] = ["sim": .simulated, "qemu-x86_64": .none, "rpi4": .alsa, "rpi5": .alsa, "generic-arm64": .alsa, "generic-pc": .alsa]
        for (board, backend) in wanted {
            let devices = try BoardDevices(file: Self.repository.path + "/Board/\(board)/board.toml", stateFolder: "/state")
            #expect(devices.sound?.backend == backend, "\(board)")
            if backend == .alsa { #expect(devices.sound?.target == "default", "\(board)") }
        }
        #expect(try BoardDevices(file: Self.repository.path + "/Board/sim/board.toml", stateFolder: "/state").sound?.target == "/state/sounds")
        #expect(try BoardDevices(file: Self.repository.path + "/Board/qemu-x86_64/board.toml").openSounder() == nil)
    }
}
