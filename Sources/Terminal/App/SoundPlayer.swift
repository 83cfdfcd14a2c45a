import Devices
import Foundation

/// Plays the counter's tones on their own thread, so the counter's loop never waits for a speaker. One tone plays
/// at a time and at most one waits behind it: a newer tone replaces the waiting one (what happened last is what
/// the cashier needs to hear; code read then paid within a moment plays both). The terminal file's volume and
/// quiet hours are applied here (`SoundSettings.plays`).
public final class SoundPlayer: @unchecked Sendable {
    /// nil on a board without sound: every tone is dropped.
    private let sounder: (any Sounder)?
    private let settings: SoundSettings
    private let now: @Sendable () -> Date
    private let timeZone: TimeZone
    /// Told when playing fails (once until it works again) and when it works again, for health and the log.
    private let report: @Sendable (DeviceError?) -> Void
    private let queue = DispatchQueue(label: "qrpos.sound")
    private let lock = NSLock()
    private var playing = false
    private var waiting: SoundEvent?
    private var failing = false
    private var closed = false

    public init(sounder: sending (any Sounder)?, settings: SoundSettings, timeZone: TimeZone = .current, now: @escaping @Sendable () -> Date = { Date() },
                report: @escaping @Sendable (DeviceError?) -> Void = { _ in }) {
        self.sounder = sounder; self.settings = settings; self.timeZone = timeZone; self.now = now; self.report = report
    }

    public var description: String { sounder?.description ?? "no sound" }

    /// Queues a tone and returns at once.
    public func play(_ event: SoundEvent) {
        guard sounder != nil, settings.plays(event, at: now(), in: timeZone) else { return }
        let start: Bool = lock.withLock {
            guard !closed else { return false }
            if playing { waiting = event; return false }
            playing = true
            return true
        }
        if start { queue.async { self.drain(from: event) } }
    }

    /// Plays `first`, then whatever waits, until nothing does.
    private func drain(from first: SoundEvent) {
        var next: SoundEvent? = first
        while let event = next {
            do throws(DeviceError) {
                try sounder?.play(event, volume: settings.volume)
                if lock.withLock({ defer { failing = false }; return failing }) { report(nil) }
            } catch {
                if lock.withLock({ defer { failing = true }; return !failing }) { report(error) }
            }
            next = lock.withLock {
                defer { waiting = nil }
                if waiting == nil || closed { playing = false; return nil }
                return waiting
            }
        }
    }

    /// Waits for the tone that is playing, drops any waiting, and gives the device back.
    public func close() {
        lock.withLock { closed = true; waiting = nil }
        queue.sync { sounder?.close() }
    }

    /// Waits until every queued tone has played (tests and the self-test).
    public func settle() {
        while lock.withLock({ playing }) { queue.sync {} }
    }
}
