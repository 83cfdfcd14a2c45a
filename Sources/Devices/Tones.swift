#if canImport(Glibc)
import Glibc
#endif

/// What the counter has to say out loud: a noisy food court hears "paid" when it cannot see the screen.
public enum SoundEvent: String, CaseIterable, Sendable {
    /// The camera read the shopper's code and the sale took it.
    case codeRead = "code-read"
    case paid
    case declined
    /// Something the cashier must look at: offline, sales stopped, a printer fault, a refused code.
    case attention
}

/// One note of a tone: a pitch held for a time, or a rest (frequency 0).
public struct Note: Equatable, Sendable {
    public var frequency: Double
    public var milliseconds: Int
    public init(_ frequency: Double, milliseconds: Int) { self.frequency = frequency; self.milliseconds = milliseconds }
    public static func rest(_ milliseconds: Int) -> Note { Note(0, milliseconds: milliseconds) }
    public var isRest: Bool { frequency <= 0 }
}

/// Each event's tone as plain data, and its rendering to 16-bit mono PCM. Pure: no device, no clock.
/// The tones differ in pitch, length and rhythm, so they are told apart without looking: one short high blip,
/// two rising notes, one low long note, three short ones.
public struct Tone: Equatable, Sendable {
    public var event: SoundEvent
    public var notes: [Note]

    /// What every backend plays at: 16 kHz is plenty for tones under 3 kHz and what small boards' codecs take.
    public static let sampleRate = 16_000
    /// Each note fades in and out over this long (or a quarter of the note if shorter): a hard edge clicks.
    public static let fadeMilliseconds = 6
    /// Full volume stays under full scale, so a speaker amplifier turned up does not clip the sine.
    public static let peakAtFullVolume = 0.8

    public static func of(_ event: SoundEvent) -> Tone {
        switch event {
        case .codeRead: Tone(event: event, notes: [Note(2_093, milliseconds: 70)])                       // C7
        case .paid: Tone(event: event, notes: [Note(1_047, milliseconds: 120), .rest(30), Note(1_568, milliseconds: 200)]) // C6, G6
        case .declined: Tone(event: event, notes: [Note(392, milliseconds: 550)])                         // G4
        case .attention:
            Tone(event: event, notes: [Note(1_319, milliseconds: 90), .rest(70), Note(1_319, milliseconds: 90), .rest(70),
                                       Note(1_319, milliseconds: 90)])                                   // E6 three times
        }
    }

    public var milliseconds: Int { notes.map(\.milliseconds).reduce(0, +) }
    public var sounding: [Note] { notes.filter { !$0.isRest } }

    /// The tone as signed 16-bit samples at `sampleRate`; `volume` 0…100 scales the amplitude linearly (50 is half).
    public func samples(sampleRate: Int = Tone.sampleRate, volume: Int) -> [Int16] {
        let peak = Double(max(0, min(100, volume))) / 100 * Self.peakAtFullVolume * Double(Int16.max)
        var out: [Int16] = []
        out.reserveCapacity(milliseconds * sampleRate / 1000)
        for note in notes {
            let count = note.milliseconds * sampleRate / 1000
            guard !note.isRest, peak > 0 else { out.append(contentsOf: repeatElement(0, count: count)); continue }
            let fade = min(Self.fadeMilliseconds * sampleRate / 1000, count / 4)
            let step = 2 * Double.pi * note.frequency / Double(sampleRate)
            for i in 0..<count {
                // Raised-cosine ramps at both ends: the note starts and stops at zero, without a click.
                let edge = min(i, count - 1 - i)
                let envelope = edge >= fade ? 1 : 0.5 - 0.5 * cos(Double.pi * Double(edge) / Double(fade))
                out.append(Int16((peak * envelope * sin(step * Double(i))).rounded()))
            }
        }
        return out
    }

    /// For a buzzer that can only switch: on for each note, off for each rest, and a short gap between two notes
    /// that follow each other without a rest (so they stay two). Adjacent steps of the same kind are merged.
    public var switching: [(on: Bool, milliseconds: Int)] {
        var steps: [(on: Bool, milliseconds: Int)] = []
        func add(_ on: Bool, _ ms: Int) {
            guard ms > 0 else { return }
            if let last = steps.last, last.on == on { steps[steps.count - 1].milliseconds += ms } else { steps.append((on, ms)) }
        }
        for (i, note) in notes.enumerated() {
            if !note.isRest, i > 0, !notes[i - 1].isRest { add(false, 30) }
            add(!note.isRest, note.milliseconds)
        }
        return steps
    }
}
