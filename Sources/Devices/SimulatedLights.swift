/// The simulated board's lights: printed when one turns on or off, every level recorded for tests.
public final class SimulatedLights: Lights {
    public let names: [String]
    /// The levels written, in order (the latest 10,000: a terminal runs for weeks).
    public private(set) var writes: [(name: String, level: Double)] = []
    public private(set) var levels: [String: Double]
    private let output: (String) -> Void

    public init(names: [String] = ["green", "amber", "red"], output: @escaping (String) -> Void = { print($0) }) {
        self.names = names; self.output = output
        levels = Dictionary(uniqueKeysWithValues: names.map { ($0, 0) })
    }

    public var description: String { "simulated " + names.joined(separator: ",") }

    public func set(_ name: String, level: Double) throws(DeviceError) {
        guard let old = levels[name] else { throw DeviceError(device: description, call: "set", hint: "no light named \(name)") }
        if writes.count >= 10_000 { writes.removeFirst(5_000) }
        writes.append((name, level))
        levels[name] = level
        // A pulse writes every tick; print only when a light crosses on/off.
        if (old >= 0.5) != (level >= 0.5) { output("lights: " + names.map { "\($0) \((levels[$0] ?? 0) >= 0.5 ? "on " : "off")" }.joined(separator: "  ")) }
    }

    public func close() {
        for name in names where (levels[name] ?? 0) > 0 { try? set(name, level: 0) }
    }
}
