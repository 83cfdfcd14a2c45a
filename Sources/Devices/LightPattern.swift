#if canImport(Glibc)
import Glibc
#endif

/// How one light behaves over time. Pure: the level follows from the time since the pattern began.
public enum LightPattern: Equatable, Sendable {
    case off
    case steady
    /// On for the first half of each period (so a new state shows at once).
    case blink(period: Duration)
    /// Bright at the start, fading smoothly out and back in over each period.
    case pulse(period: Duration)
    /// On during its own `step` in a round of `count` lights (a technician's check of every light).
    case cycle(slot: Int, count: Int, step: Duration)

    /// Level from 0 to 1 after `elapsed` since the pattern began.
    public func level(at elapsed: Duration) -> Double {
        switch self {
        case .off: return 0
        case .steady: return 1
        case let .blink(period):
            return Self.phase(elapsed, period) < 0.5 ? 1 : 0
        case let .pulse(period):
            return 0.5 + 0.5 * cos(2 * Double.pi * Self.phase(elapsed, period))
        case let .cycle(slot, count, step):
            guard count > 0, step > .zero, elapsed >= .zero else { return 0 }
            return Int(elapsed / step) % count == slot ? 1 : 0
        }
    }

    /// Where `elapsed` falls in a period, from 0 up to (not including) 1.
    static func phase(_ elapsed: Duration, _ period: Duration) -> Double {
        guard period > .zero else { return 0 }
        let turns = max(0, elapsed / period)
        return turns - turns.rounded(.down)
    }
}
