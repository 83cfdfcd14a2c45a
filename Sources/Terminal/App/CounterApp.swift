import Acquirer
import Devices
import Foundation
import Imaging
import Installation
import Logging
import PaymentCodes
import Platform

/// Why the counter could not start, in words for the technician (the file and key, the device, the port).
public struct StartFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The counter assembled from its typed configuration and run: the composition root of `qrpos run`.
/// It owns the wiring (journal, acquirer link, sale runner, counter, ECR API, display, camera, lights, keypad),
/// start-up (recovery of unfinished sales) and an orderly shutdown.
public enum CounterApp {
    public struct Options: Sendable {
        public var boardFolder: String
        /// The terminal file; default: the board's terminal.toml.
        public var terminalFile: String?
        /// Journal, PKI, ECR token and logs.
        public var stateFolder: String
        /// Simulated board: play a clock that has not synchronised yet.
        public var unsynchronisedClock: Bool
        public var logLevel: Logger.Level
        public init(boardFolder: String, terminalFile: String? = nil, stateFolder: String, unsynchronisedClock: Bool = false, logLevel: Logger.Level = .info) {
            self.boardFolder = boardFolder.hasSuffix("/") ? String(boardFolder.dropLast()) : boardFolder
            self.terminalFile = terminalFile; self.stateFolder = stateFolder; self.unsynchronisedClock = unsynchronisedClock; self.logLevel = logLevel
        }
    }

    /// Everything the files say, parsed once into typed values.
    public struct Configuration {
        public var board: BoardConfig
        public var terminal: TerminalConfig
        public var devices: BoardDevices?
        public var options: Options

        public init(_ options: Options) throws(StartFailure) {
            do {
                board = try BoardConfig(folder: options.boardFolder, stateFolder: options.stateFolder)
                terminal = try TerminalConfig(path: options.terminalFile ?? options.boardFolder + "/terminal.toml", stateFolder: options.stateFolder)
            } catch { throw StartFailure("configuration: \(error)") }
            do { devices = try BoardDevices(table: board.table, file: options.boardFolder + "/board.toml", stateFolder: options.stateFolder) } catch { throw StartFailure("board: \(error)") }
            self.options = options
        }

        /// Whether the clock can be trusted for payments, as this board learns it.
        var clock: @Sendable () -> Bool {
            guard terminal.requireClockSync else { return { true } }
            switch board.clockSource {
            case .kernel: return { ClockCheck.kernelSynchronised() }
            case .simulated:
                let synchronised = board.clockSynchronised && !options.unsynchronisedClock
                return { synchronised }
            }
        }
    }

    /// Runs the counter until SIGINT or SIGTERM, then stops in order and exits.
    public static func run(_ options: Options) async throws(StartFailure) -> Never {
        let configuration = try Configuration(options)
        do { try FileManager.default.createDirectory(atPath: options.stateFolder, withIntermediateDirectories: true) } catch {
            throw StartFailure("cannot create the state folder \(options.stateFolder): \(error.localizedDescription)")
        }
        let interactive = isatty(STDOUT_FILENO) == 1 && configuration.board.terminalPreview
        let logger = try bootstrapLogging(state: options.stateFolder, interactive: interactive, level: options.logLevel)
        let parts = try await Assembly(configuration, interactive: interactive, logger: logger)
        await parts.start()
        // Signals are handled once the counter is up; the handler stops it in order.
        let stopped = StopSignals { number in
            Task { await parts.stop(signal: number); exit(0) }
        }
        _ = stopped
        while true { try? await Task.sleep(for: .seconds(3600)) }
    }

    private static func bootstrapLogging(state: String, interactive: Bool, level: Logger.Level) throws(StartFailure) -> Logger {
        let factory: @Sendable (String) -> any LogHandler
        do { factory = try FileLogHandler.opening(state + "/qrpos.log") } catch { throw StartFailure("cannot open the log \(state)/qrpos.log: \(error)") }
        if interactive {
            // The terminal shows the counter screen; the log goes to a file beside the journal.
            LoggingSystem.bootstrap { label in var h = factory(label); h.logLevel = level; return h }
        } else {
            // No terminal (a service, or `make run </dev/null`): standard error for the journal, and the same file as ever.
            LoggingSystem.bootstrap { label in
                var h = MultiplexLogHandler([factory(label), StreamLogHandler.standardError(label: label)]); h.logLevel = level; return h
            }
        }
        return Logger(label: "qrpos")
    }
}

/// The counter's parts, wired; `start` brings them up, `stop` takes them down in order.
final class Assembly: @unchecked Sendable {
    let configuration: CounterApp.Configuration
    let logger: Logger
    let interactive: Bool
    let runner: SaleRunner
    let client: AcquirerClient
    let counter: Counter
    let presenter: ScreenPresenter
    let lights: StatusLights?
    /// The counter's tones, played off its loop; drops every tone on a board without sound.
    let sound: SoundPlayer
    let camera: CameraLoop?
    let keypad: (any Keypad)?
    let health: HealthBoard
    let gate = ScanGate()
    let token: String
    /// Off (records nothing) unless the terminal file has `[metrics] listen`.
    let metrics: CounterMetrics
    /// Slips: numbered for every money movement, printed when the board has a printer.
    let receipts: ReceiptDesk
    /// The daily close (日計).
    let closeDesk: CloseDesk
    let journal: Journal
    /// While this file exists, sales are refused: a damaged journal was set aside (JournalBlock).
    let blockNote: String
    private let stopping = StopFlag()
    /// The languages the counter speaks (a register may name one for a sale's shopper).
    private var languageIds: [String] = []

    init(_ configuration: CounterApp.Configuration, interactive: Bool, logger: Logger) async throws(StartFailure) {
        self.configuration = configuration; self.interactive = interactive; self.logger = logger
        let terminal = configuration.terminal, board = configuration.board
        let registry: WalletRegistry
        do { registry = try Installation.registry() } catch { throw StartFailure(error.description) }
        do { token = try ECRToken.loadOrCreate(terminal.ecrTokenFile) } catch { throw StartFailure("ECR token: \(error)") }
        let journal: Journal
        blockNote = JournalBlock.notePath(journal: terminal.journalPath)
        do { journal = try Journal(path: terminal.journalPath) } catch let damaged as Journal.Damaged {
            // Never silently start empty: the damaged journal is kept aside and sales wait for a technician.
            logger.critical("\(damaged)")
            do { try JournalBlock.write(blockNote, damaged: damaged, state: configuration.options.stateFolder) } catch {
                throw StartFailure("\(damaged); and the note that stops sales cannot be written: \(error)")
            }
            do { journal = try Journal(path: terminal.journalPath) } catch { throw StartFailure("\(error)") }
        } catch { throw StartFailure("\(error)") }
        metrics = terminal.metricsListen != nil ? CounterMetrics.bootstrapPrometheus(wallets: Set(registry.all.map(\.id))) : .off
        let identity = AcquirerConfiguration.TerminalIdentity(pkiFolder: terminal.pkiFolder)
        let timeouts = AcquirerConfiguration.Timeouts(connect: .seconds(terminal.connectTimeout), read: .seconds(terminal.readTimeout),
                                                      request: .seconds(terminal.requestTimeout))
        do {
            client = try AcquirerClient(AcquirerConfiguration(host: terminal.acquirerURL, identity: identity, timeouts: timeouts), logger: logger,
                                        observer: metrics.acquirerObserver)
        } catch {
            throw StartFailure("acquirer link: \(error) (create the PKI with `qrpos pki dev --out \(terminal.pkiFolder)`)")
        }
        runner = SaleRunner(journal: journal, client: client, merchant: terminal.merchant,
                            settings: .init(codeLifetime: terminal.codeLifetime, terminalLabel: terminal.terminalID,
                                            longPoll: min(.seconds(20), timeouts.longestWait), maximumAmount: terminal.maximumAmount,
                                            scheme: terminal.scheme,
                                            refunds: RefundPolicy(registry: registry, dayStarts: terminal.receipts.dayStarts)),
                            logger: logger, metrics: metrics)
        if terminal.metricsListen != nil { metrics.watchCertificate(identity.certificate, logger: logger) }

        let (width, height) = board.displaySize
        let display: any Display
        do {
            display = try DisplayChoice.open(board.displayBackend, device: board.displayDevice ?? board.displayFolder, mode: board.displayMode,
                                             width: width, height: height)
        } catch { throw StartFailure("display: \(error)") }
        let preview: (any Display)? = interactive && board.displayBackend != .terminal ? {
            let t = TerminalDisplay.terminalSize()
            return TerminalDisplay(width: max(320, t.columns * 8), height: max(320, t.rows * 16), clearsScreen: true)
        }() : nil
        health = HealthBoard(["display": .ok(display.description), "camera": .absent, "lights": .absent])
        let languages: Languages
        do {
            languages = try CounterAssets.languages()
            languageIds = languages.ids
            presenter = ScreenPresenter(display: display, preview: preview, fonts: try CounterAssets.fonts(languages),
                                        strings: try CounterAssets.strings(languages), rotation: board.rotation, logger: logger)
        } catch { throw StartFailure(error.description) }

        // Camera and lights as the board file names them; a board without them still takes shown-code sales.
        let devices = configuration.devices
        var statusLights: StatusLights?
        if devices?.lights != nil {
            do {
                let opened = try devices!.openLights(output: { [interactive, logger] line in
                    if interactive { logger.info("\(line)") } else { print(line); fflush(nil) }
                })
                statusLights = StatusLights(lights: opened, log: { [logger] in logger.warning("lights: \($0)") })
                health["lights"] = .ok(opened.description)
            } catch {
                health["lights"] = .failing("\(error)")
                logger.error("lights: \(error)")
            }
        }
        lights = statusLights
        var openedCamera: (any Camera)?
        if devices?.camera != nil {
            do {
                openedCamera = try devices!.openCamera(log: { [logger] in logger.notice("camera: \($0)") })
                health["camera"] = .ok(openedCamera!.description)
            } catch {
                health["camera"] = .failing("\(error)")
                logger.error("camera: \(error)")
            }
        }
        do { keypad = try KeypadChoice.open(board.keypadBackend, device: board.keypadDevice) } catch {
            logger.error("keypad: \(error)")
            keypad = nil
        }
        var view = CounterView(merchantName: terminal.merchant.alternateName ?? terminal.merchant.merchantName,
                               acceptedWallets: terminal.acceptedWallets, currency: terminal.currency, registry: registry, languages: languages)
        view.strings = try? CounterAssets.strings(languages)
        view.largeText = terminal.largeText
        var printer: (any Printer)?
        if devices?.printer != nil {
            do {
                printer = try devices!.openPrinter()
                health["printer"] = .ok(printer!.description)
            } catch {
                health["printer"] = .failing("\(error)")
                logger.error("printer: \(error)")
            }
        } else {
            health["printer"] = .absent
        }
        do {
            receipts = ReceiptDesk(printer: printer, fonts: try CounterAssets.fonts(languages), strings: try CounterAssets.strings(languages), journal: journal,
                                   shop: .init(terminalID: terminal.terminalID, merchant: terminal.merchant, settings: terminal.receipts, registry: registry,
                                                languages: languages),
                                   logger: logger)
        } catch { throw StartFailure(error.description) }
        self.journal = journal
        closeDesk = CloseDesk(journal: journal, link: client, paper: receipts,
                              shop: .init(terminalID: terminal.terminalID, merchantName: terminal.merchant.alternateName ?? terminal.merchant.merchantName,
                                          currency: terminal.currency, dayStarts: terminal.receipts.dayStarts, registry: registry),
                              logger: logger)
        var sounder: (any Sounder)?
        health["sound"] = .absent
        if let setup = devices?.sound, setup.backend != .none {
            do {
                sounder = try devices!.openSounder(output: { [interactive, logger] line in
                    if interactive { logger.info("\(line)") } else { print(line); fflush(nil) }
                })
                health["sound"] = .ok(sounder!.description)
            } catch {
                // A counter without its speaker still takes sales: the screen and the lights say everything.
                health["sound"] = .failing("\(error)")
                logger.error("sound: \(error)")
            }
        }
        let soundDescription = sounder?.description ?? ""
        sound = SoundPlayer(sounder: sounder, settings: terminal.sound, report: { [health, logger] failure in
            if let failure { logger.error("sound: \(failure)") } else { logger.notice("sound: working again") }
            health["sound"] = failure.map { .failing("\($0)") } ?? .ok(soundDescription)
        })
        let watchdog = ServiceManager.watchdogInterval != nil
        let menu = Self.menuDesks(runner: runner, receipts: receipts, close: closeDesk, dayStarts: terminal.receipts.dayStarts,
                                  pins: OperatorPINs(path: configuration.options.stateFolder + "/operators.json"))
        counter = Counter(.init(runner: runner, screen: presenter, view: view, clock: configuration.clock,
                                lights: { [statusLights] signal in statusLights?.show(signal) },
                                heartbeat: { if watchdog { ServiceManager.watchdog() } }, menu: menu,
                                sound: { [sound] event in sound.play(event) }),
                          logger: logger)
        camera = openedCamera.map { [counter, gate, health, metrics] opened in
            CameraLoop(camera: opened, scanner: CodeScanner(classifier: Classifier(registry: registry), settings: .video), gate: gate,
                       health: health, logger: logger, metrics: metrics) { text in counter.send(.code(text)) }
        }
    }

    /// The cashier's menu wired to the journal, the printer and the close.
    static func menuDesks(runner: SaleRunner, receipts: ReceiptDesk, close: CloseDesk, dayStarts: Int, pins: OperatorPINs) -> Counter.MenuDesks {
        Counter.MenuDesks(
            history: {
                let now = Date()
                let day = SlipRule.businessDay(now, starts: dayStarts, in: .current)
                let from = CloseReport.range(of: day, starts: dayStarts, in: .current)?.from ?? now.addingTimeInterval(-86_400)
                let page = (try? await runner.sales(SaleListQuery(from: from, limit: 200))) ?? SaleListPage(sales: [], more: false)
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.dateFormat = "HH:mm"
                return page.sales.map { HistoryLine($0, time: formatter.string(from: $0.createdAt)) }
            },
            reprint: { id in
                do {
                    let slips = try await receipts.reprint(saleId: id)
                    return slips.isEmpty ? "no slip for this sale" : slips.map { "\($0.slipNumber) \($0.kind): \($0.result)" }.joined(separator: "; ")
                } catch { return "\(error)" }
            },
            close: {
                do {
                    let report = try await close.close(nil)
                    let check = report.reconciliation.map { $0.matched ? "matches the acquirer" : "\($0.differences.count) difference(s) with the acquirer" } ?? "not checked"
                    return "day \(report.businessDay) closed: net \(ScreenContent.formatAmount(report.total.net, currency: report.currency)); \(check)"
                } catch { return "\(error)" }
            },
            pins: pins)
    }

    /// Brings the counter up: first screen, unfinished sales resumed, the ECR API, camera, keypad, clock and link.
    func start() async {
        let counter = self.counter, gate = self.gate, receipts = self.receipts
        await runner.onChange { change in
            // In step with the journal (this runs inside the runner): a code held up the moment the sale waits is
            // not missed, and the gate follows the sale that waits for a code, not whichever sale changed last.
            gate.open = change.waitingForCode
            counter.send(.sale(change.sale))
            if [.paid, .cancelled, .refunded].contains(change.sale.state) { receipts.send(change.sale) }
        }
        await receipts.onNumbered { id, number in counter.send(.slipNumbered(saleId: id, number: number)) }
        Task { await receipts.run() }
        lights?.start()
        Task { await counter.run() }
        counter.send(.blocked(JournalBlock.read(blockNote)))
        do {
            let resumed = try await runner.recover()
            if !resumed.isEmpty { logger.notice("resumed \(resumed.count) unfinished sale(s) from the journal") }
            // A crash between a sale's end and its slip would leave the daily close short: number what is missing.
            await receipts.catchUp(try journal.recent(200))
        } catch {
            logger.critical("the journal cannot be read: \(error)")
        }
        if let closeAt = configuration.terminal.receipts.closeAt {
            Task { [closeDesk, stopping] in
                while !stopping.isSet {
                    await closeDesk.closeIfDue(at: closeAt)
                    try? await Task.sleep(for: .seconds(30))
                }
            }
        }
        startECR()
        startMetrics()
        camera?.start()
        if let keypad { Task { for await key in keypad.keys() { counter.send(.key(key)) } } }
        Task { while true { try? await Task.sleep(for: .seconds(1)); counter.send(.tick) } }
        Task { [weak self] in
            while let self {
                let offline = await self.checkLink()
                try? await Task.sleep(for: .seconds(offline ? 2 : 10))
            }
        }
        let terminal = configuration.terminal, board = configuration.board
        logger.notice("qrpos running", metadata: ["board": "\(board.name)", "merchant": "\(terminal.merchantSource)", "display": "\(health["display"]?.detail ?? "")",
                                                   "ecr": "\(terminal.ecrListen.host):\(terminal.ecrListen.port)"])
        ServiceManager.ready(status: "counter up on board \(board.name); ECR API on \(terminal.ecrListen.host):\(terminal.ecrListen.port)")
        if !interactive {
            print("qrpos running on board \(board.name): screens on \(health["display"]?.detail ?? "?"); ECR API http://\(terminal.ecrListen.host):\(terminal.ecrListen.port) (token in \(terminal.ecrTokenFile))\(terminal.metricsListen.map { "; metrics http://\($0.host):\($0.port)/metrics" } ?? "")")
            fflush(nil)
        }
    }

    /// Asks the host whether it is there and tells the counter; true when it is not. Also tells the counter when
    /// the certificate needs renewing (from 30 days before it expires).
    @discardableResult
    func checkLink() async -> Bool {
        var attention: [String] = []
        let expiry = Provisioning.certificateExpiry(pkiFolder: configuration.terminal.pkiFolder)
        switch PartHealth.certificate(notAfter: expiry?.notAfter, daysLeft: expiry?.daysLeft) {
        case let .warning(text), let .failing(text): attention.append("certificate \(text)")
        case .ok, .absent: break
        }
        let printer = await receipts.checkStatus()
        if printer != .absent { health["printer"] = printer }
        switch printer {
        case let .warning(text), let .failing(text): attention.append(text)
        case .ok, .absent: break
        }
        counter.send(.attention(attention.isEmpty ? nil : attention.joined(separator: "; ")))
        return await probeLink() != nil
    }

    /// Why the host cannot be reached now (nil: it can), also told to the counter.
    func probeLink() async -> String? {
        let reason: String?
        switch await client.health() {
        case .done: reason = nil
        case let .unreachable(why): reason = why
        case let .unknown(u): reason = u.description
        case let .refused(r): reason = r.description
        }
        counter.send(.link(reason))
        return reason
    }

    private func startECR() {
        let terminal = configuration.terminal
        let counter = self.counter, health = self.health, stopping = self.stopping, blockNote = self.blockNote
        let desk = receipts
        let reprint: @Sendable (String) async throws -> [ReceiptDesk.Reprint] = { id in try await desk.reprint(saleId: id) }
        var options = ECRServer.Options(token: token, currency: terminal.currency, maximumAmount: terminal.maximumAmount,
                           refusal: { [weak self] in
                               if stopping.isSet { return "the terminal is stopping" }
                               // Read each time: `qrpos journal release` lets sales go on without a restart.
                               let blocked = JournalBlock.read(blockNote)
                               counter.send(.blocked(blocked))
                               if let blocked { return blocked }
                               var now = CounterState()
                               now.clockSynchronised = await counter.clockSynchronised
                               now.offlineReason = await counter.offlineReason
                               // Offline a moment ago: ask again now, so a host that is back is not refused for seconds.
                               if now.offlineReason != nil, let self { now.offlineReason = await self.probeLink() }
                               return now.refusal
                           },
                           health: {
                               var parts = health.all
                               parts["acquirer"] = await counter.offlineReason.map { .failing("offline: \($0)") } ?? .ok("reachable")
                               parts["clock"] = await counter.clockSynchronised ? .ok("synchronised") : .failing("not synchronised")
                               parts["journal"] = JournalBlock.read(blockNote).map { .failing($0) } ?? .ok("open")
                               let expiry = Provisioning.certificateExpiry(pkiFolder: terminal.pkiFolder)
                               parts["certificate"] = .certificate(notAfter: expiry?.notAfter, daysLeft: expiry?.daysLeft)
                               return HealthReport(parts)
                           },
                           reprint: reprint, close: closeDesk)
        options.languages = languageIds
        let ecr = ECRServer.application(runner: runner, options: options,
            host: terminal.ecrListen.host, port: terminal.ecrListen.port, logger: logger)
        let listen = "\(terminal.ecrListen.host):\(terminal.ecrListen.port)"
        Task { [logger] in
            do { try await ecr.run() } catch {
                // Without its API a counter cannot take register sales: say why and stop, for systemd to restart.
                logger.critical("ECR API stopped: \(error)")
                FileHandle.standardError.write(Data("qrpos: the ECR API cannot run on \(listen): \(error)\n".utf8))
                Foundation.exit(1)
            }
        }
    }

    /// GET /metrics on `[metrics] listen`, and the clock offset measured for it once a minute (one `GET /v1/time`).
    private func startMetrics() {
        guard let listen = configuration.terminal.metricsListen else { return }
        let server = MetricsServer.application(metrics: metrics, host: listen.host, port: listen.port, logger: logger)
        Task { [logger] in
            do { try await server.run() } catch {
                // Metrics are for the fleet, not for sales: the counter goes on without them, and says so.
                logger.error("metrics: GET /metrics cannot be served on \(listen.host):\(listen.port): \(error)")
                FileHandle.standardError.write(Data("qrpos: metrics cannot be served on \(listen.host):\(listen.port): \(error)\n".utf8))
            }
        }
        Task { [weak self] in
            while let self, !self.stopping.isSet {
                if case let .done(offset) = await self.client.clockOffset() { self.metrics.clockOffset(offset) }
                try? await Task.sleep(for: .seconds(60))
            }
        }
        logger.notice("metrics on http://\(listen.host):\(listen.port)/metrics")
    }

    /// Orderly shutdown: no new sales, in-flight work is already journalled (every transition is committed before
    /// it is sent, and resumed at the next start), the camera and keypad stop, the panel and lights are given back.
    func stop(signal number: Int32) async {
        stopping.set()
        ServiceManager.stopping()
        logger.notice("stopping (signal \(number)); unfinished sales resume at the next start")
        camera?.stop()
        keypad?.close()
        counter.finish()
        receipts.finish()
        lights?.stop()
        lights?.lights.close()
        sound.close()
        await presenter.close()
        try? await client.shutdown()
    }
}

/// Set once, read from anywhere.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
