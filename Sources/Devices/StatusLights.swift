import Foundation

/// Drives the lights from one timer: every pattern on every light is computed from the time since the
/// current signal began, and only changed levels are written (sysfs and GPIO writes are system calls).
public final class StatusLights: @unchecked Sendable {
    public let lights: any Lights
    public let tick: Duration
    private let now: () -> Duration
    private let log: (String) -> Void
    private let lock = NSLock()
    private var signal: StatusSignal = .off
    private var since: Duration = .zero
    private var written: [String: Int] = [:]
    private var failed = Set<String>()
    private var timer: DispatchSourceTimer?

    /// `now` is monotonic time from any origin; a test passes its own and calls `update()` itself.
    public init(lights: any Lights, tick: Duration = .milliseconds(20), now: (() -> Duration)? = nil,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(("lights: " + $0 + "\n").utf8)) }) {
        self.lights = lights; self.tick = tick; self.log = log
        let start = ContinuousClock.now
        self.now = now ?? { ContinuousClock.now - start }
    }

    public var current: StatusSignal { lock.withLock { signal } }

    /// Switches to `signal` from now on and shows its first levels at once.
    public func show(_ signal: StatusSignal) {
        lock.withLock { self.signal = signal; since = now() }
        update()
    }

    /// Writes the levels of this moment: what the timer calls every tick.
    public func update() {
        lock.withLock {
            let levels = signal.levels(for: lights.names, at: now() - since)
            for name in lights.names {
                // 256 steps is what an LED class device resolves; finer changes are not worth a write.
                let step = Int(((levels[name] ?? 0) * 255).rounded())
                guard written[name] != step else { continue }
                do {
                    try lights.set(name, level: Double(step) / 255)
                    written[name] = step
                    failed.remove(name)
                } catch {
                    if failed.insert(name).inserted { log("\(error)") }
                }
            }
        }
    }

    /// Starts the one timer that runs every pattern.
    public func start() {
        guard timer == nil else { return }
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "qrpos.lights"))
        let nanoseconds = Int(tick.components.seconds) * 1_000_000_000 + Int(tick.components.attoseconds / 1_000_000_000)
        source.schedule(deadline: .now(), repeating: .nanoseconds(max(1_000_000, nanoseconds)))
        source.setEventHandler { [weak self] in self?.update() }
        source.resume()
        timer = source
    }

    /// Stops the timer and turns every light off.
    public func stop() {
        timer?.cancel()
        timer = nil
        show(.off)
    }
}
