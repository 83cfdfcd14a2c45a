import Foundation
import Testing

/// TOML that aborted the released `qrpos` inside toml++ (exit 134): run as a child process, since an abort
/// would take the test runner with it. Each must exit 1 with the file, the line and what is wrong.
struct TOMLFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-toml-\(getpid())")
    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func write(_ name: String, _ text: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func expectRefused(_ run: CommandLineTests.Run, file: String, _ place: String, _ reason: String) {
        #expect(run.status == 1, "exit \(run.status) (134 is an abort): \(run.stderr)")
        #expect(run.stderr.contains(file) && run.stderr.contains(place) && run.stderr.contains(reason), "\(run.stderr)")
    }

    @Test(arguments: [
        ("[}\n", "line 1, column 2", "a table name must start"),
        ("[ストア]\n", "line 1, column 2", "must be quoted: [\"ストア\"]"),
        ("[[wallet]]\nid = \"x\"\nmodes = [\"merchant-presented\", }\n", "line 3, column 32", "found '}'"),
        ("[[wallet]]\nid = \"x\"\0\n[}", "line 2, column 9", "NUL"),
        ("[[wallet]]\nid = \"x\"\nd = 1979-05-2w 2 \n", "line 3, column 17", "two-digit hour"), // found by FuzzTOML
    ])
    func decodeWithABrokenRegistry(text: String, place: String, reason: String) throws {
        let registry = try write("registry-\(UUID().uuidString).toml", text)
        let run = try CommandLineTests.qrpos("code", "decode", "--registry", registry, "000201010211")
        Self.expectRefused(run, file: registry, place, reason)
    }

    @Test(arguments: [
        ("[merchant]\nname = \"X\"\ncity = \"OSAKA\"\n[}\n", "line 4, column 2", "a table name must start"),
        ("[店]\n", "line 1, column 2", "must be quoted"),
        ("[merchant]\nname = \"X\"\ncity = \"OSAKA\"\nmcc = [\"5812\", }\n", "line 4, column 16", "found '}'"),
        ("[merchant]\ncity = \"OSAKA\"\n", "[merchant]", "missing key merchant.name"),
    ])
    func encodeWithABrokenProfile(text: String, place: String, reason: String) throws {
        let profile = try write("profile-\(UUID().uuidString).toml", text)
        let run = try CommandLineTests.qrpos("code", "encode", "jpqr", "--profile", profile, "--amount", "100")
        Self.expectRefused(run, file: profile, place, reason)
        #expect(!run.stderr.contains("merchant.name.name"))
    }

    @Test func runWithABrokenBoardOrTerminalFile() throws {
        let board = try String(contentsOf: Self.repository.appendingPathComponent("Board/sim/board.toml"), encoding: .utf8)
        let terminal = try String(contentsOf: Self.repository.appendingPathComponent("Board/sim/terminal.toml"), encoding: .utf8)
        let state = folder.appendingPathComponent("state").path

        let badBoard = try write("board-a/board.toml", board.replacingOccurrences(of: "[display]", with: "[ストア]"))
        _ = try write("board-a/terminal.toml", terminal)
        Self.expectRefused(try CommandLineTests.qrpos("run", "--board", folder.appendingPathComponent("board-a").path, "--state", state),
                           file: badBoard, "line 5, column 2", "must be quoted")

        _ = try write("board-b/board.toml", board)
        let badTerminal = try write("board-b/terminal.toml", terminal.replacingOccurrences(
            of: "accepted_wallets = [\"paypay\", \"rakutenpay\"", with: "accepted_wallets = [\"paypay\", \"merpay\", }, \"rakutenpay\""))
        Self.expectRefused(try CommandLineTests.qrpos("run", "--board", folder.appendingPathComponent("board-b").path, "--state", state),
                           file: badTerminal, "line 31, column 41", "found '}'")
    }
}
