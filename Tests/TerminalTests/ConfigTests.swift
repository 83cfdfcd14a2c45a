import Foundation
import Testing
@testable import Terminal

/// A bad configuration stops start-up with the file, the key and what is wrong.
struct ConfigTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let simTerminal = try! String(contentsOf: repository.appendingPathComponent("Board/sim/terminal.toml"), encoding: .utf8)

    static func load(_ text: String) throws(ConfigError) -> TerminalConfig {
        try TerminalConfig(path: "/x/terminal.toml", stateFolder: "/state") { _ in text }
    }

    @Test func theSimulatedBoardsFilesLoad() throws {
        let config = try Self.load(Self.simTerminal)
        #expect(config.terminalID == "SIM-0001" && config.currency == "JPY" && config.ecrListen.port == 8417)
        #expect(config.pkiFolder == "/state/pki" && config.journalPath == "/state/journal.sqlite")
        let board = try BoardConfig(folder: Self.repository.appendingPathComponent("Board/sim").path)
        #expect(board.displayBackend == .png && board.displaySize.width == 800 && board.keypadBackend == .terminal)
    }

    @Test(arguments: [
        ("url = \"https://127.0.0.1:8443\"", "url = \"http://127.0.0.1:8443\"", "acquirer.url"),
        ("code_lifetime = 180", "code_lifetime = 2", "sale.code_lifetime"),
        ("code_lifetime = 180", "code_lifetime = \"soon\"", "sale.code_lifetime"),
        ("listen = \"127.0.0.1:8417\"", "listen = \"127.0.0.1\"", "ecr.listen"),
        ("currency = \"JPY\"\nmaximum", "currency = \"XYZ\"\nmaximum", "sale.currency"),
        ("id = \"SIM-0001\"", "id = \"SIM 0001; rm -rf\"", "terminal.id"),
        ("jpqr-id = ", "jpqr_id = ", "merchant.account.jpqr-id"),
        ("[merchant]\nname", "[merchant]\nnome", "merchant"),
        ("[acquirer]", "[acquirer", "line"),
        ("volume = 80", "volume = 101", "sound.volume"),
        ("volume = 80", "volume = \"loud\"", "sound.volume"),
        ("# quiet_from = \"22:00\"", "quiet_from = \"22:00\"", "sound.quiet_to"),
        ("# quiet_to = \"07:00\"", "quiet_to = \"07:00\"", "sound.quiet_from"),
        ("# quiet_from = \"22:00\"\n# quiet_to", "quiet_from = \"25:00\"\nquiet_to", "sound.quiet_from"),
        ("# quiet_from = \"22:00\"\n# quiet_to = \"07:00\"", "quiet_from = \"07:00\"\nquiet_to = \"07:00\"", "sound.quiet_to"),
    ])
    func mistakesNameTheKey(original: String, broken: String, key: String) {
        let text = Self.simTerminal.replacingOccurrences(of: original, with: broken)
        #expect(text != Self.simTerminal, "the replacement must change the file")
        do {
            _ = try Self.load(text)
            Issue.record("accepted a broken \(key)")
        } catch {
            #expect(error.description.hasPrefix("/x/terminal.toml"))
            #expect(error.description.contains(key), "\(error)")
        }
    }

    /// `[metrics] listen` turns GET /metrics on; absent (or an empty `[metrics]` table) leaves it off.
    @Test func metricsAreOffUnlessTheFileNamesAnAddress() throws {
        #expect(try Self.load(Self.simTerminal).metricsListen == nil)
        #expect(try Self.load(Self.simTerminal + "\n[metrics]\n").metricsListen == nil)
        let on = try Self.load(Self.simTerminal + "\n[metrics]\nlisten = \"127.0.0.1:9464\"\n")
        #expect(on.metricsListen?.host == "127.0.0.1" && on.metricsListen?.port == 9464)
        let named = try Self.load(Self.simTerminal + "\n[metrics]\nlisten = \"localhost:9100\"\n")
        #expect(named.metricsListen?.host == "localhost" && named.metricsListen?.port == 9100)
    }

    @Test(arguments: [
        ("\"127.0.0.1\"", "must be HOST:PORT"), ("\"127.0.0.1:0\"", "must be HOST:PORT"), ("\"127.0.0.1:65536\"", "must be HOST:PORT"),
        ("\":9464\"", "must be HOST:PORT"), ("\"127.0.0.1:\"", "must be HOST:PORT"), ("\"127.0.0.1:x\"", "must be HOST:PORT"),
        ("\"127.0.0.1:9464:1\"", "must be HOST:PORT"), ("\"host name:9464\"", "must be HOST:PORT"), ("\"\"", "must be HOST:PORT"),
        ("9464", "must be a quoted string"), ("true", "must be a quoted string"),
        ("\"127.0.0.1:8417\"", "must differ from ecr.listen"), ("\"0.0.0.0:8417\"", "must differ from ecr.listen"),
    ])
    func aBadMetricsAddressStopsStartUp(listen: String, problem: String) {
        do {
            _ = try Self.load(Self.simTerminal + "\n[metrics]\nlisten = \(listen)\n")
            Issue.record("accepted metrics.listen = \(listen)")
        } catch {
            #expect(error.key == "metrics.listen" && error.problem.hasPrefix(problem), "\(error)")
            #expect(error.description.hasPrefix("/x/terminal.toml: metrics.listen: "), "\(error)")
        }
    }

    /// Inputs that aborted the terminal inside toml++ now stop start-up with the file, the line and the reason.
    @Test(arguments: [
        ("accepted_wallets = [\"paypay\", \"rakutenpay\", \"dbarai\", \"aupay\", \"merpay\", \"alipayplus\", \"wechatpay\", \"unionpay\"]",
         "accepted_wallets = [\"paypay\", \"merpay\", }", "line 31, column 41: expected a value or ']' here, found '}'"),
        ("[merchant]\nname", "[ストア]\n[merchant]\nname", "line 8, column 2: a table name with letters other than"),
        ("[ecr]", "[}", "line 33, column 2: a table name must start with"),
        ("[clock]", "[clock]\0[}", "line 37, column 8: a NUL byte"),
    ])
    func syntaxThatAbortedTomlPlusPlusNamesTheLine(original: String, broken: String, message: String) {
        let text = Self.simTerminal.replacingOccurrences(of: original, with: broken)
        #expect(text != Self.simTerminal, "the replacement must change the file")
        do { _ = try Self.load(text); Issue.record("accepted \(broken)") } catch {
            #expect(error.description == "/x/terminal.toml: " + error.problem && error.problem.hasPrefix(message), "\(error)")
        }
    }

    @Test func aMissingMerchantNameIsNamedOnce() {
        let text = Self.simTerminal.replacingOccurrences(of: "name = \"QRPOS DEMO NOODLES\"\n", with: "")
        do { _ = try Self.load(text); Issue.record("accepted a merchant without a name") } catch {
            #expect(error.description == "/x/terminal.toml: merchant: missing key merchant.name", "\(error)")
        }
    }

    @Test func boardSyntaxNamesTheFileAndLine() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-syntax-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (text, message) in [("name = \"x\"\n[}\n", "line 2, column 2: a table name must start"),
                                ("[display]\nsize = [\"800x480\", }\n", "line 2, column 20: expected a value"),
                                ("[ディスプレイ]\n", "line 1, column 2: a table name with letters"),
                                ("name = \"x\"\0[}", "line 1, column 11: a NUL byte")] {
            try? text.write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
            do { _ = try BoardConfig(folder: folder); Issue.record("accepted \(text)") } catch {
                #expect(error.file == folder + "/board.toml" && error.problem.hasPrefix(message), "\(error)")
            }
        }
        try? Data([0x6E, 0x61, 0x6D, 0x65, 0x3D, 0x22, 0xFF, 0x22, 0x0A]).write(to: URL(fileURLWithPath: folder + "/board.toml"))
        do { _ = try BoardConfig(folder: folder); Issue.record("accepted invalid UTF-8") } catch {
            #expect(error.problem.hasPrefix("line 1, column 7: the file is not valid UTF-8"), "\(error)")
        }
    }

    @Test func boardMistakesNameTheKey() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (text, key) in [("[display]\nbackend = \"vga\"", "display.backend"), ("[display]\nsize = \"10x10\"", "display.size"),
                            ("[display]\nrotation = 45", "display.rotation"), ("[keypad]\nbackend = \"evdev\"", "keypad.device")] {
            try? text.write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
            do { _ = try BoardConfig(folder: folder); Issue.record("accepted \(text)") } catch {
                #expect(error.description.contains(key) && error.description.contains("board.toml"), "\(error)")
            }
        }
    }
}
