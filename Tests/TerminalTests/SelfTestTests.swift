import Acquirer
import AcquirerSimulator
import Foundation
import Logging
import Testing
@testable import Terminal

/// `qrpos selftest` on the simulated board against a real host over loopback TLS, and with parts missing.
@Suite(.serialized) struct SelfTestTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("selftest-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func terminalFile(in folder: String, port: Int) throws -> String {
        let text = try String(contentsOf: repository.appendingPathComponent("Board/sim/terminal.toml"), encoding: .utf8)
            .replacingOccurrences(of: "https://127.0.0.1:8443", with: "https://127.0.0.1:\(port)")
        try text.write(toFile: folder + "/terminal.toml", atomically: true, encoding: .utf8)
        return folder + "/terminal.toml"
    }

    @Test func theSimulatedBoardPassesAgainstARealHost() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = PKIFolder(folder + "/pki")
        try pki.write(terminalId: "SIM-0001")
        var logger = Logger(label: "acquirer-sim")
        logger.logLevel = .warning
        let server = try await SimulatorServer.start(SimulatorConfiguration(port: 0, pki: pki, databasePath: folder + "/ledger.sqlite"), logger: logger)
        let result = await SelfTest.run(.init(boardFolder: Self.repository.path + "/Board/sim", terminalFile: try Self.terminalFile(in: folder, port: server.port),
                                              stateFolder: folder, lightStep: .milliseconds(1)))
        await server.stop()
        let byName = Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0) })
        #expect(result.failures == 0, "\(result.table)")
        for name in ["board", "terminal", "display", "camera", "lights", "clock", "acquirer", "certificate", "journal", "disk"] {
            #expect(byName[name]?.status == .pass, "\(name): \(byName[name]?.detail ?? "missing")")
        }
        #expect(byName["acquirer"]?.detail.contains("answers") == true)
        // Nothing was sold: the host's books are empty.
        #expect(try LedgerStore(path: folder + "/ledger.sqlite").counts().values.allSatisfy { $0 == 0 })
        // The technician sees the same result on the panel.
        let screens = try FileManager.default.contentsOfDirectory(atPath: folder + "/screens").filter { $0.hasPrefix("screen-") }
        #expect(screens.count == 2, "test pattern, then the result: \(screens)")
    }

    @Test func missingPartsAreSkippedAndADeadHostFails() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/board", withIntermediateDirectories: true)
        try """
        name = "bare"
        [display]
        backend = "png"
        folder = "screens"
        size = "480x320"
        [keypad]
        backend = "none"
        [clock]
        source = "simulated"
        synchronised = false
        """.write(toFile: folder + "/board/board.toml", atomically: true, encoding: .utf8)
        // A port nothing listens on, and no PKI at all.
        let result = await SelfTest.run(.init(boardFolder: folder + "/board", terminalFile: try Self.terminalFile(in: folder, port: 1), stateFolder: folder))
        let status = Dictionary(uniqueKeysWithValues: result.checks.map { ($0.name, $0.status) })
        #expect(status["camera"] == .skip && status["lights"] == .skip && status["keypad"] == .skip)
        #expect(status["clock"] == .fail && status["acquirer"] == .fail && status["certificate"] == .fail)
        #expect(status["display"] == .pass && status["journal"] == .pass)
        #expect(result.failures == 3, "\(result.table)")
        #expect(result.table.hasSuffix("3 checks failed"))
    }
}
