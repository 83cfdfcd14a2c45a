import Acquirer
import ArgumentParser
import Devices
import Foundation
import Imaging
import Logging
import PaymentCodes
import Terminal

/// `qrpos run`: the production entry point. Runs with or without a terminal.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the counter terminal on a board.")

    @Option(help: "Board folder with board.toml.") var board: String = "Board/sim"
    @Option(help: "Terminal file (merchant, acquirer, ECR); default: the board's terminal.toml.") var config: String?
    @Option(help: "Folder for the journal, PKI, ECR token and logs.") var state: String = ".run"
    @Flag(help: "Simulated board: play a clock that has not synchronised yet.") var unsynchronisedClock = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"

    func run() async throws {
        let boardFolder = board.hasSuffix("/") ? String(board.dropLast()) : board
        let boardConfig: BoardConfig
        let terminal: TerminalConfig
        do {
            boardConfig = try BoardConfig(folder: boardFolder)
            terminal = try TerminalConfig(path: config ?? boardFolder + "/terminal.toml", stateFolder: state)
        } catch { throw Failure("configuration: \(error)") }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)

        let interactive = isatty(STDOUT_FILENO) == 1 && boardConfig.terminalPreview
        let level = Logger.Level(rawValue: logLevel) ?? .info
        if interactive {
            // The terminal shows the counter screen; the log goes to a file beside the journal.
            let factory = try FileLogHandler.opening(state + "/qrpos.log")
            LoggingSystem.bootstrap { label in var h = factory(label); h.logLevel = level; return h }
        } else {
            // No terminal (a service, or `make run </dev/null`): standard error for the journal, and the same file as ever.
            let factory = try FileLogHandler.opening(state + "/qrpos.log")
            LoggingSystem.bootstrap { label in
                var h = MultiplexLogHandler([factory(label), StreamLogHandler.standardError(label: label)]); h.logLevel = level; return h
            }
        }
        let logger = Logger(label: "qrpos")

        let registry = try Assets.registry(nil)
        let token = try ecrToken(terminal.ecrTokenFile)
        let journal = try Journal(path: terminal.journalPath)
        let identity = AcquirerConfiguration.TerminalIdentity(pkiFolder: terminal.pkiFolder)
        let timeouts = AcquirerConfiguration.Timeouts(connect: .seconds(terminal.connectTimeout), read: .seconds(terminal.readTimeout),
                                                      request: .seconds(terminal.requestTimeout))
        let client: AcquirerClient
        do { client = try AcquirerClient(AcquirerConfiguration(host: terminal.acquirerURL, identity: identity, timeouts: timeouts), logger: logger) } catch {
            throw Failure("acquirer link: \(error) (create the PKI with `qrpos pki dev --out \(terminal.pkiFolder)`)")
        }
        let runner = SaleRunner(journal: journal, client: client, merchant: terminal.merchant,
                                settings: .init(codeLifetime: terminal.codeLifetime, terminalLabel: terminal.terminalID,
                                                longPoll: min(.seconds(20), timeouts.longestWait), maximumAmount: terminal.maximumAmount),
                                logger: logger)

        let (width, height) = boardConfig.displaySize
        let display: any Display
        do {
            display = try DisplayChoice.open(DisplayChoice.Backend(rawValue: boardConfig.displayBackend)!,
                                             device: boardConfig.displayDevice ?? boardConfig.displayFolder, mode: boardConfig.displayMode,
                                             width: width, height: height)
        } catch { throw Failure("display: \(error)") }
        let preview: (any Display)? = interactive && boardConfig.displayBackend != "terminal" ? {
            let t = TerminalDisplay.terminalSize()
            return TerminalDisplay(width: max(320, t.columns * 8), height: max(320, t.rows * 16), clearsScreen: true)
        }() : nil
        let displayName = display.description
        let presenter = ScreenPresenter(display: display, preview: preview, fonts: try Assets.fonts(), strings: try Assets.strings(),
                                        rotation: boardConfig.rotation, logger: logger)
        // Camera and lights as the board file names them; a board without them still takes shown-code sales.
        let devices: BoardDevices?
        do { devices = try BoardDevices(table: boardConfig.table, file: boardFolder + "/board.toml") } catch { throw Failure("board: \(error)") }
        var statusLights: StatusLights?
        var lightsHealth = "none"
        if devices?.lights != nil {
            do {
                let lights = try devices!.openLights(output: { line in if interactive { logger.info("\(line)") } else { print(line); fflush(nil) } })
                statusLights = StatusLights(lights: lights, log: { logger.warning("lights: \($0)") })
                statusLights?.start()
                lightsHealth = "ok \(lights.description)"
            } catch {
                lightsHealth = "error: \(error)"
                logger.error("lights: \(error)")
            }
        }
        let gate = ScanGate()
        var cameraHealth = "none"
        var camera: (any Camera)?
        if devices?.camera != nil {
            do {
                camera = try devices!.openCamera(log: { logger.notice("camera: \($0)") })
                cameraHealth = "ok \(camera!.description)"
            } catch {
                cameraHealth = "error: \(error)"
                logger.error("camera: \(error)")
            }
        }
        let simulatedClock = boardConfig.clockSource == "simulated" ? (boardConfig.clockSynchronised && !unsynchronisedClock) : nil
        let requireSync = terminal.requireClockSync
        let counter = Counter(.init(runner: runner, presenter: presenter, client: client, registry: registry,
                                    merchantName: terminal.merchant.alternateName ?? terminal.merchant.merchantName,
                                    acceptedWallets: terminal.acceptedWallets, currency: terminal.currency,
                                    clock: { !requireSync || (simulatedClock ?? ClockCheck.kernelSynchronised()) },
                                    lights: { [statusLights] signal in statusLights?.show(signal) }),
                              logger: logger)
        await runner.onChange { sale in
            // Set here, in step with the journal, so a code held up the moment the sale waits is not missed.
            gate.open = sale.wantsCustomerCode
            Task { await counter.saleChanged(sale) }
        }
        await counter.tick(second: 0)

        let resumed = try await runner.recover()
        if !resumed.isEmpty { logger.notice("resumed \(resumed.count) unfinished sale(s) from the journal") }

        let ecr = ECRServer.application(
            runner: runner,
            options: .init(token: token, currency: terminal.currency, maximumAmount: terminal.maximumAmount,
                           refusal: { await counter.refusal() },
                           health: { [cameraHealth, lightsHealth] in await counter.health(display: "ok \(displayName)", camera: cameraHealth, lights: lightsHealth) }),
            host: terminal.ecrListen.host, port: terminal.ecrListen.port, logger: logger)
        let listen = "\(terminal.ecrListen.host):\(terminal.ecrListen.port)"
        Task {
            do { try await ecr.run() } catch {
                // Without its API a counter cannot take register sales: say why and stop, for systemd to restart.
                logger.critical("ECR API stopped: \(error)")
                FileHandle.standardError.write(Data("qrpos: the ECR API cannot run on \(listen): \(error)\n".utf8))
                Foundation.exit(1)
            }
        }

        let keypad: (any Keypad)? = switch boardConfig.keypadBackend {
        case "terminal": TerminalKeypad()
        case "evdev": try? EvdevKeypad(device: boardConfig.keypadDevice!)
        default: nil
        }
        if let camera {
            let scanner = CodeScanner(classifier: Classifier(registry: registry), settings: .video)
            CameraLoop(camera: camera, scanner: scanner, gate: gate, logger: logger) { text in Task { await counter.codeRead(text) } }.start()
        }
        let stop = Stopper(presenter: presenter, keypad: keypad, lights: statusLights, logger: logger)
        stop.install()
        if let keypad {
            Task { for await key in keypad.keys() { await counter.key(key) } }
        }
        logger.notice("qrpos running", metadata: ["board": "\(boardConfig.name)", "display": "\(displayName)",
                                                   "ecr": "\(terminal.ecrListen.host):\(terminal.ecrListen.port)"])
        if !interactive {
            print("qrpos running on board \(boardConfig.name): screens on \(displayName); ECR API http://\(terminal.ecrListen.host):\(terminal.ecrListen.port) (token in \(terminal.ecrTokenFile))")
            fflush(nil)
        }
        var second = 1
        while true {
            try? await Task.sleep(for: .seconds(1))
            await counter.tick(second: second)
            second += 1
        }
    }

    /// The register's token: created once (0600) and kept, so integrators configure it one time.
    private func ecrToken(_ path: String) throws -> String {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure("cannot write the ECR token to \(path): \(String(cString: strerror(errno)))") }
        _ = (token + "\n").withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        return token
    }
}

/// Ctrl-C, SIGTERM: give the panel and the keyboard back, then leave.
final class Stopper: @unchecked Sendable {
    let presenter: ScreenPresenter
    let keypad: (any Keypad)?
    let lights: StatusLights?
    let logger: Logger
    private var sources: [DispatchSourceSignal] = []

    init(presenter: ScreenPresenter, keypad: (any Keypad)?, lights: StatusLights?, logger: Logger) {
        self.presenter = presenter; self.keypad = keypad; self.lights = lights; self.logger = logger
    }

    func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                keypad?.close()
                lights?.stop()
                lights?.lights.close()
                logger.notice("stopping (signal \(number))")
                let done = DispatchSemaphore(value: 0)
                Task { await self.presenter.close(); done.signal() }
                _ = done.wait(timeout: .now() + 2)
                exit(0)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Whether frames are scanned: only while a sale waits for a shopper's code (scanning costs a core).
final class ScanGate: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var open: Bool {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Takes frames on its own thread (V4L2 and inotify block) and hands each new code to the counter.
final class CameraLoop: @unchecked Sendable {
    let camera: any Camera
    let scanner: CodeScanner
    let gate: ScanGate
    let logger: Logger
    let found: @Sendable (String) -> Void

    init(camera: any Camera, scanner: CodeScanner, gate: ScanGate, logger: Logger, found: @escaping @Sendable (String) -> Void) {
        self.camera = camera; self.scanner = scanner; self.gate = gate; self.logger = logger; self.found = found
    }

    func start() {
        let thread = Thread { [self] in
            var failing = false
            while true {
                do {
                    let outcome = try camera.capture(timeoutMilliseconds: 200) { frame in
                        // Asked per frame: the gate may open while this call waits for one.
                        guard gate.open else { return }
                        for code in scanner.scan(frame) { found(code.text) }
                    }
                    if case let .unreadable(file, reason) = outcome { logger.warning("camera: \(file): \(reason)") }
                    if !gate.open { scanner.resetWindow() }
                    failing = false
                } catch {
                    // A camera that fails keeps being retried; the shown-code sales go on meanwhile.
                    if !failing { logger.error("camera: \(error)") }
                    failing = true
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        thread.name = "qrpos.camera"
        thread.start()
    }
}
