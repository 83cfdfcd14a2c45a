import Acquirer
import Devices
import Foundation
import Imaging
import Logging
import Platform

/// `qrpos selftest`: each device as the board file names it, the clock, the acquirer with this terminal's
/// certificate, the journal and the disk. It never takes a sale. One result per check; a part the board does not
/// have is skipped, not failed.
public enum SelfTest {
    public enum Status: String, Encodable, Sendable { case pass, warn, fail, skip }

    public struct Check: Encodable, Sendable {
        public var name: String
        public var status: Status
        public var detail: String
    }

    public struct Result: Encodable, Sendable {
        public var board: String
        public var checks: [Check]
        public var failures: Int { checks.filter { $0.status == .fail }.count }

        enum CodingKeys: String, CodingKey { case board, checks, failures }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(board, forKey: .board); try c.encode(checks, forKey: .checks); try c.encode(failures, forKey: .failures)
        }

        /// For a person: one line per check, then the count.
        public var table: String {
            let width = max(8, checks.map(\.name.count).max() ?? 8)
            var lines = ["qrpos selftest, board \(board)"]
            for check in checks {
                lines.append("  \(check.status.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0))  \(check.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(check.detail)")
            }
            lines.append(failures == 0 ? "all checks passed" : "\(failures) check\(failures == 1 ? "" : "s") failed")
            return lines.joined(separator: "\n")
        }
    }

    public struct Options: Sendable {
        public var boardFolder: String
        public var terminalFile: String?
        public var stateFolder: String
        /// How long each light stays on while it is toggled.
        public var lightStep: Duration
        public init(boardFolder: String, terminalFile: String? = nil, stateFolder: String, lightStep: Duration = .milliseconds(400)) {
            self.boardFolder = boardFolder.hasSuffix("/") ? String(boardFolder.dropLast()) : boardFolder
            self.terminalFile = terminalFile; self.stateFolder = stateFolder; self.lightStep = lightStep
        }
    }

    /// Smallest free space in the state folder before the journal is at risk.
    static let diskFailBytes: UInt64 = 50 << 20, diskWarnBytes: UInt64 = 500 << 20

    public static func run(_ options: Options) async -> Result {
        var checks: [Check] = []
        func add(_ name: String, _ status: Status, _ detail: String) { checks.append(Check(name: name, status: status, detail: detail)) }
        try? FileManager.default.createDirectory(atPath: options.stateFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let board: BoardConfig
        do { board = try BoardConfig(folder: options.boardFolder, stateFolder: options.stateFolder) } catch {
            add("board", .fail, "\(error)")
            return Result(board: options.boardFolder, checks: checks)
        }
        add("board", .pass, "\(options.boardFolder)/board.toml")
        let terminal: TerminalConfig?
        do {
            terminal = try TerminalConfig(path: options.terminalFile ?? options.boardFolder + "/terminal.toml", stateFolder: options.stateFolder)
            add("terminal", .pass, "terminal \(terminal!.terminalID), merchant from \(terminal!.merchantSource)")
        } catch {
            terminal = nil
            add("terminal", .fail, "\(error)")
        }

        let merchantName = terminal?.merchant.alternateName ?? terminal?.merchant.merchantName ?? "qrpos"
        let (display, presenter) = await displayCheck(board, merchantName: merchantName)
        checks.append(display)
        checks.append(cameraCheck(board, options: options))
        checks.append(await lightsCheck(board, options: options))
        checks.append(soundCheck(board, options: options, volume: terminal?.sound.volume))
        checks.append(keypadCheck(board))
        checks.append(clockCheck(board, requireSync: terminal?.requireClockSync ?? true))
        if let terminal {
            checks.append(await acquirerCheck(terminal))
            checks.append(certificateCheck(terminal))
            checks.append(journalCheck(terminal))
        } else {
            for name in ["acquirer", "certificate", "journal"] { add(name, .fail, "needs a usable terminal file (see above)") }
        }
        checks.append(diskCheck(options.stateFolder))
        let result = Result(board: board.name, checks: checks)
        // The same result on the panel, for the technician standing at the counter.
        if let presenter {
            let lines = checks.map { "\($0.status.rawValue.uppercased())  \($0.name): \($0.detail)" }.joined(separator: "\n")
            await presenter.show(ScreenContent(.selfTest, merchantName: merchantName, languages: ["en", "ja"], detail: lines))
            await presenter.close()
        }
        return result
    }

    /// The test pattern on the panel, and on DRM the connector and mode it drives. The panel stays open for the result.
    static func displayCheck(_ board: BoardConfig, merchantName: String) async -> (Check, ScreenPresenter?) {
        let (width, height) = board.displaySize
        do {
            let display = try DisplayChoice.open(board.displayBackend, device: board.displayDevice ?? board.displayFolder, mode: board.displayMode,
                                                 width: width, height: height)
            let description = display.description
            let languages = try CounterAssets.languages()
            let presenter = ScreenPresenter(display: display, preview: nil, fonts: try CounterAssets.fonts(languages),
                                            strings: try CounterAssets.strings(languages), rotation: board.rotation, logger: Logger(label: "qrpos.selftest"))
            await presenter.show(ScreenContent(.testPattern, merchantName: merchantName))
            if let failure = await presenter.lastFailure {
                await presenter.close()
                return (Check(name: "display", status: .fail, detail: "\(description): \(failure)"), nil)
            }
            return (Check(name: "display", status: .pass, detail: "\(description): test pattern shown"), presenter)
        } catch {
            return (Check(name: "display", status: .fail, detail: "\(error)"), nil)
        }
    }

    /// Frames arrive, in the format the driver negotiated (the camera's description names it).
    static func cameraCheck(_ board: BoardConfig, options: Options) -> Check {
        let devices: BoardDevices
        do { devices = try BoardDevices(table: board.table, file: options.boardFolder + "/board.toml", stateFolder: options.stateFolder) } catch {
            return Check(name: "camera", status: .fail, detail: "\(error)")
        }
        guard let setup = devices.camera else { return Check(name: "camera", status: .skip, detail: "the board has no camera") }
        do {
            let camera = try devices.openCamera(log: { _ in })
            defer { camera.close() }
            var size = ""
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline {
                switch try camera.capture(timeoutMilliseconds: 1000, { frame in size = "\(frame.width)x\(frame.height)" }) {
                case .frame: return Check(name: "camera", status: .pass, detail: "\(camera.description): a \(size) frame arrived")
                case .finished, .nothing: continue
                case let .unreadable(file, reason): return Check(name: "camera", status: .fail, detail: "\(file): \(reason)")
                }
            }
            // A folder of images (the simulated board) is fine empty: shoppers' codes are put there when a sale waits.
            if setup.backend == .images { return Check(name: "camera", status: .pass, detail: "\(camera.description): watching, no image waiting") }
            return Check(name: "camera", status: .fail, detail: "\(camera.description): no frame within 3 s")
        } catch {
            return Check(name: "camera", status: .fail, detail: "\(error)")
        }
    }

    /// Each light on alone for a moment, then all off: the technician watches them.
    static func lightsCheck(_ board: BoardConfig, options: Options) async -> Check {
        let devices: BoardDevices
        do { devices = try BoardDevices(table: board.table, file: options.boardFolder + "/board.toml", stateFolder: options.stateFolder) } catch {
            return Check(name: "lights", status: .fail, detail: "\(error)")
        }
        guard devices.lights != nil else { return Check(name: "lights", status: .skip, detail: "the board has no status lights") }
        do {
            let lights = try devices.openLights(output: { _ in })
            defer { lights.close() }
            for name in lights.names {
                for other in lights.names { try lights.set(other, level: other == name ? 1 : 0) }
                try? await Task.sleep(for: options.lightStep)
            }
            for name in lights.names { try lights.set(name, level: 0) }
            return Check(name: "lights", status: .pass, detail: "\(lights.description): \(lights.names.joined(separator: ", ")) toggled")
        } catch {
            return Check(name: "lights", status: .fail, detail: "\(error)")
        }
    }

    /// Each tone once, in turn, at the terminal file's volume (quiet hours do not apply: a technician asked).
    static func soundCheck(_ board: BoardConfig, options: Options, volume: Int?) -> Check {
        let devices: BoardDevices
        do { devices = try BoardDevices(table: board.table, file: options.boardFolder + "/board.toml", stateFolder: options.stateFolder) } catch {
            return Check(name: "sound", status: .fail, detail: "\(error)")
        }
        guard let setup = devices.sound else { return Check(name: "sound", status: .skip, detail: "the board file has no [sound]") }
        guard setup.backend != .none else { return Check(name: "sound", status: .skip, detail: "the board has no sound (backend = \"none\")") }
        do {
            guard let sounder = try devices.openSounder(output: { _ in }) else { return Check(name: "sound", status: .skip, detail: "the board has no sound") }
            defer { sounder.close() }
            // A technician who set the volume to 0 still hears the check.
            let level = volume.map { $0 > 0 ? $0 : 80 } ?? 80
            for event in SoundEvent.allCases { try sounder.play(event, volume: level) }
            return Check(name: "sound", status: .pass, detail: "\(sounder.description): \(SoundEvent.allCases.map(\.rawValue).joined(separator: ", ")) played at volume \(level)")
        } catch {
            return Check(name: "sound", status: .fail, detail: "\(error)")
        }
    }

    static func keypadCheck(_ board: BoardConfig) -> Check {
        guard board.keypadBackend != .none else { return Check(name: "keypad", status: .skip, detail: "the board has no keypad") }
        // The terminal's own keyboard needs a terminal; a service has none, and that is not a wiring fault.
        if board.keypadBackend == .terminal, isatty(STDIN_FILENO) != 1 {
            return Check(name: "keypad", status: .skip, detail: "terminal keyboard: no terminal on standard input")
        }
        do {
            guard let keypad = try KeypadChoice.open(board.keypadBackend, device: board.keypadDevice) else {
                return Check(name: "keypad", status: .skip, detail: "the board has no keypad")
            }
            keypad.close()
            return Check(name: "keypad", status: .pass, detail: "\(board.keypadBackend.rawValue) \(board.keypadDevice ?? "") present")
        } catch {
            return Check(name: "keypad", status: .fail, detail: "\(error)")
        }
    }

    static func clockCheck(_ board: BoardConfig, requireSync: Bool) -> Check {
        let synchronised: Bool
        switch board.clockSource {
        case .kernel: synchronised = ClockCheck.kernelSynchronised()
        case .simulated: synchronised = board.clockSynchronised
        }
        let now = ISO8601DateFormatter().string(from: Date())
        if synchronised { return Check(name: "clock", status: .pass, detail: "synchronised (\(board.clockSource.rawValue)), \(now)") }
        return Check(name: "clock", status: requireSync ? .fail : .warn, detail: "not synchronised (\(board.clockSource.rawValue)), reads \(now): check NTP (timedatectl)")
    }

    /// The host answers over mutual TLS with this terminal's certificate.
    static func acquirerCheck(_ terminal: TerminalConfig) async -> Check {
        let identity = AcquirerConfiguration.TerminalIdentity(pkiFolder: terminal.pkiFolder)
        let client: AcquirerClient
        do {
            client = try AcquirerClient(AcquirerConfiguration(host: terminal.acquirerURL, identity: identity,
                                                              timeouts: .init(connect: .seconds(terminal.connectTimeout), read: .seconds(10), request: .seconds(10))))
        } catch { return Check(name: "acquirer", status: .fail, detail: "\(error)") }
        let outcome = await client.clockOffset()
        // Closed before the answer is read out: the command exits right after, and a detached shutdown would be cut off.
        try? await client.shutdown()
        let url = terminal.acquirerURL.absoluteString
        switch outcome {
        case let .done(offset): return Check(name: "acquirer", status: .pass, detail: "\(url) answers; clock offset \(String(format: "%+.2f", offset)) s")
        case let .unreachable(why): return Check(name: "acquirer", status: .fail, detail: "\(url) unreachable: \(why)")
        case let .unknown(u): return Check(name: "acquirer", status: .fail, detail: "\(url): \(u)")
        case let .refused(r): return Check(name: "acquirer", status: .fail, detail: "\(url) refused: \(r)")
        }
    }

    static func certificateCheck(_ terminal: TerminalConfig) -> Check {
        let expiry = Provisioning.certificateExpiry(pkiFolder: terminal.pkiFolder)
        let health = PartHealth.certificate(notAfter: expiry?.notAfter, daysLeft: expiry?.daysLeft)
        let status: Status = switch health { case .ok, .absent: .pass; case .warning: .warn; case .failing: .fail }
        return Check(name: "certificate", status: status, detail: health.detail ?? "")
    }

    /// The journal opens (created on a new board) and its folder takes a synced write; a damaged journal's note is named.
    static func journalCheck(_ terminal: TerminalConfig) -> Check {
        if let blocked = JournalBlock.read(JournalBlock.notePath(journal: terminal.journalPath)) {
            return Check(name: "journal", status: .fail, detail: blocked)
        }
        let folder = (terminal.journalPath as NSString).deletingLastPathComponent
        let probe = folder + "/.selftest-\(getpid())"
        do {
            defer { unlink(probe) }
            try OwnerOnlyFile.write(probe, Data("qrpos selftest\n".utf8))
            _ = try Journal(path: terminal.journalPath)
            return Check(name: "journal", status: .pass, detail: "\(terminal.journalPath) opens; \(folder) is writable")
        } catch {
            return Check(name: "journal", status: .fail, detail: "\(error)")
        }
    }

    static func diskCheck(_ folder: String) -> Check {
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return Check(name: "disk", status: .fail, detail: "cannot read free space of \(folder)") }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        let text = "\(free >> 20) MiB free in \(folder)"
        if free < diskFailBytes { return Check(name: "disk", status: .fail, detail: text + ": the journal needs room") }
        if free < diskWarnBytes { return Check(name: "disk", status: .warn, detail: text) }
        return Check(name: "disk", status: .pass, detail: text)
    }
}
