import Devices
import Foundation

/// Which tone the counter plays, and when it keeps quiet. Pure: decided from the counter's state around each input,
/// so a tone comes once per transition (a sale that ends paid), never once per redraw or clock tick.
public enum CounterSound {
    /// The tone an input calls for, given the counter's state just before and just after it was handled.
    /// - codeRead: a sale at the counter took the shopper's code (its masked code is new);
    /// - paid, declined: a sale at the counter ends so (not a background refund, nor a void that leaves it paid);
    /// - attention: the link to the acquirer is lost, sales are stopped, a technician is needed (a printer fault, the
    ///   certificate near its end), or the camera read a code that is not a shopper's payment code.
    public static func cue(for input: CounterInput, before: CounterState, after: CounterState) -> SoundEvent? {
        switch input {
        case let .sale(sale):
            guard let was = before.open[sale.id] else { return nil }
            if sale.state == .paid { return was.undo == .void ? nil : .paid }
            if sale.state == .declined { return .declined }
            if let code = sale.maskedCode, code != was.maskedCode, !sale.state.isFinal { return .codeRead }
            return nil
        case .code:
            // The counter answers each code read afresh: a notice after it means the code was refused.
            return after.noticeKey != nil || after.notice != nil ? .attention : nil
        case .link:
            return before.offlineReason == nil && after.offlineReason != nil ? .attention : nil
        case .blocked:
            return before.blocked == nil && after.blocked != nil ? .attention : nil
        case .attention:
            return before.attention == nil && after.attention != nil ? .attention : nil
        case .key, .tick, .slipNumbered:
            return nil
        }
    }
}

/// Volume and quiet hours, from the terminal file's `[sound]`.
public struct SoundSettings: Sendable, Equatable {
    /// 0…100; 0 plays nothing.
    public var volume: Int
    public var quiet: QuietHours?
    public init(volume: Int = 80, quiet: QuietHours? = nil) { self.volume = volume; self.quiet = quiet }

    /// Whether `event` plays at `now`. During quiet hours only the tones that answer someone at the counter play
    /// (code read, paid, declined: a person started that sale and listens for its end); attention tones stay silent,
    /// since at night nobody is there to hear them but the neighbours (a shop that switches its router off at
    /// closing would beep "offline" all night). The screen and the lights still show everything.
    public func plays(_ event: SoundEvent, at now: Date, in timeZone: TimeZone = .current) -> Bool {
        guard volume > 0 else { return false }
        guard event == .attention, let quiet else { return true }
        return !quiet.contains(now, in: timeZone)
    }
}

/// A daily span of local time, `from` up to (not including) `to`, in minutes after midnight; when `from` is later
/// than `to` the span wraps midnight (22:00 to 07:00 is the night).
public struct QuietHours: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public init(from: Int, to: Int) { self.from = from; self.to = to }

    public func contains(minute: Int) -> Bool {
        from <= to ? (from..<to).contains(minute) : minute >= from || minute < to
    }

    public func contains(_ date: Date, in timeZone: TimeZone = .current) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return contains(minute: (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }
}
