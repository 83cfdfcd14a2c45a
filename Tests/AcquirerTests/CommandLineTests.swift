import Acquirer
import Foundation
import Testing
import X509

/// The two commands as a technician runs them: `qrpos pki dev` and `acquirer-sim --listen … --pki …`.
struct AcquirerCommandLineTests {
    static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent(name)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    @Test func qrposPkiDevWritesKeysOnlyTheOwnerCanRead() throws {
        let scratch = TestHost.newFolder(), folder = scratch + "/pki"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try Self.run("qrpos", ["pki", "dev", "--out", folder, "--terminal-id", "KIOSK-7"])
        #expect(run.status == 0, "\(run.errors)")
        for (file, mode) in [("ca.pem", 0o644), ("ca.key", 0o600), ("host.pem", 0o644), ("host.key", 0o600), ("terminal.pem", 0o644), ("terminal.key", 0o600)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + file)
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(file)")
        }
        let terminal = try Certificate(pemEncoded: String(contentsOfFile: folder + "/terminal.pem", encoding: .utf8))
        #expect(terminal.subject.description.contains("CN=KIOSK-7"))
        #expect(try Self.run("qrpos", ["pki", "dev", "--out", folder, "--terminal-id", "bad id"]).status == 2)
    }

    @Test func acquirerSimStartsFromItsCommandLineAndServesASale() async throws {
        let folder = TestHost.newFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try PKIFolder(folder + "/pki").write(terminalId: "T-CLI")
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("acquirer-sim")
        process.arguments = ["--listen", "127.0.0.1:0", "--pki", folder + "/pki", "--db", folder + "/sim.sqlite", "--wallet", "alipay=decline",
                             "--registry", TestHost.repository.appendingPathComponent("Assets/wallets.toml").path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let address = try #require(text.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(text)")
        let client = try AcquirerClient(AcquirerConfiguration(host: try #require(URL(string: address)), identity: PKIFolder(folder + "/pki").terminalIdentity))
        #expect(await client.charge(Sample.charge("CLI-1")).value?.status == .paid)
        #expect(await client.charge(Sample.charge("CLI-2", wallet: "alipay", code: Sample.alipayCode)).value?.status == .declined)
        try await client.shutdown()
        process.terminate()
        process.waitUntilExit()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("134567********6789"), "the charge is logged, masked")
        #expect(!log.contains(Sample.wechatCode) && !log.contains(Sample.alipayCode), "no whole customer code in the log")

        let usage = try Self.run("acquirer-sim", ["--listen", "nowhere", "--pki", folder + "/pki"])
        #expect(usage.status != 0 && usage.errors.contains("--listen must be HOST:PORT"))
        let missing = try Self.run("acquirer-sim", ["--listen", "127.0.0.1:0", "--pki", folder + "/none"])
        #expect(missing.status != 0 && missing.errors.contains("qrpos pki dev"))
    }
}
