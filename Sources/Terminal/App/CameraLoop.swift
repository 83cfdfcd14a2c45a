import Devices
import Foundation
import Logging

/// Whether frames are scanned: only while a sale waits for a shopper's code (scanning costs a core).
public final class ScanGate: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public var open: Bool {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Takes frames on its own thread (V4L2 and inotify block) and hands each new code to the counter.
final class CameraLoop: @unchecked Sendable {
    let camera: any Camera
    let scanner: CodeScanner
    let gate: ScanGate
    let health: HealthBoard
    let logger: Logger
    let found: @Sendable (String) -> Void
    let metrics: CounterMetrics
    private let lock = NSLock()
    private var stopping = false

    init(camera: any Camera, scanner: CodeScanner, gate: ScanGate, health: HealthBoard, logger: Logger, metrics: CounterMetrics = .off,
         found: @escaping @Sendable (String) -> Void) {
        self.camera = camera; self.scanner = scanner; self.gate = gate; self.health = health; self.logger = logger; self.metrics = metrics
        self.found = found
    }

    func stop() { lock.withLock { stopping = true } }
    private var stopped: Bool { lock.withLock { stopping } }

    func start() {
        let thread = Thread { [self] in
            var failing = false
            while !stopped {
                do {
                    let outcome = try camera.capture(timeoutMilliseconds: 200) { frame in
                        // Asked per frame: the gate may open while this call waits for one.
                        guard gate.open else { return }
                        let started = ContinuousClock.now
                        let codes = scanner.scan(frame)
                        metrics.frameScanned(in: ContinuousClock.now - started)
                        for code in codes { found(code.text) }
                    }
                    if case let .unreadable(file, reason) = outcome { logger.warning("camera: \(file): \(reason)") }
                    if !gate.open { scanner.resetWindow() }
                    if failing { logger.notice("camera: working again") }
                    failing = false
                    health["camera"] = .ok(camera.description)
                } catch {
                    // A camera that fails keeps being retried; the shown-code sales go on meanwhile.
                    if !failing { logger.error("camera: \(error)") }
                    failing = true
                    health["camera"] = .failing("\(error)")
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        thread.name = "qrpos.camera"
        thread.start()
    }
}
