/// What the lights tell the cashier and the shopper without either looking at the screen.
public enum StatusSignal: String, CaseIterable, Sendable {
    case ready, waiting, paid, declined, offline, technician, off

    /// The pattern of each light for this state, for a board with `lights` (colour names, board order).
    /// A board without a light a state wants shows the rest; `technician` runs every light in turn.
    public func scene(for lights: [String]) -> [String: LightPattern] {
        var scene = Dictionary(uniqueKeysWithValues: lights.map { ($0, LightPattern.off) })
        func put(_ name: String, _ pattern: LightPattern) { if scene[name] != nil { scene[name] = pattern } }
        switch self {
        case .ready: put("green", .steady)
        case .waiting: put("amber", .blink(period: .seconds(1)))
        case .paid: put("green", .pulse(period: .milliseconds(1500)))
        case .declined: put("red", .steady)
        case .offline: put("red", .blink(period: .seconds(2)))
        case .technician:
            for (slot, name) in lights.enumerated() { scene[name] = .cycle(slot: slot, count: lights.count, step: .milliseconds(500)) }
        case .off: break
        }
        return scene
    }

    /// Levels of every light after `elapsed` in this state: the whole pattern logic, pure.
    public func levels(for lights: [String], at elapsed: Duration) -> [String: Double] {
        scene(for: lights).mapValues { $0.level(at: elapsed) }
    }
}
