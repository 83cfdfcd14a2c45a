import Foundation
import Testing

/// The `qrpos` command as a technician runs it, with zbarimg (zbar-tools) as an independent reader.
struct CommandLineTests {
    static let binaryFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ executable: String, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : binaryFolder.appendingPathComponent(executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func qrpos(_ arguments: String...) throws -> Run { try run("qrpos", arguments) }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-cli-\(getpid())")
    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

    @Test func dynamicJPQRSurvivesZbarimgByteForByte() throws {
        let encode = try Self.qrpos("code", "encode", "jpqr", "--jpqr-id", "0000000000001-0001-000001-000001", "--name", "QRPOS CAFE",
                                    "--city", "OSAKA", "--postal", "5540044", "--mcc", "5812", "--alt-name", "キューアールポス喫茶",
                                    "--amount", "1200", "--reference", "S20251121001", "--terminal", "T1")
        #expect(encode.status == 0, "\(encode.stderr)")
        let payload = encode.stdout.trimmingCharacters(in: .newlines)
        let png = folder.appendingPathComponent("jpqr.png").path
        let render = try Self.qrpos("code", "render", payload, "--png", png, "--scale", "6")
        #expect(render.status == 0, "\(render.stderr)")
        let zbarimg = try Self.run("/usr/bin/zbarimg", ["-q", "--raw", png])
        #expect(zbarimg.stdout.trimmingCharacters(in: .newlines) == payload)
        let decode = try Self.qrpos("code", "decode", payload)
        #expect(decode.status == 0)
        let report = try Self.json(decode.stdout)
        #expect(report["valid"] as? Bool == true && report["scheme"] as? String == "jpqr" && report["amount"] as? String == "1200")
        #expect(report["pointOfInitiation"] as? String == "dynamic")
        let scan = try Self.qrpos("code", "scan", png)
        #expect(try Self.json(scan.stdout)["merchantName"] as? String == "QRPOS CAFE")
    }

    @Test func exitCodesTellValidInvalidAndUsage() throws {
        let invalid = try Self.qrpos("code", "decode", "00020101021229370016A0000006770101110113006680111111153037645802TH540520.156304FFFF")
        #expect(invalid.status == 1)
        let report = try Self.json(invalid.stdout)
        #expect(report["valid"] as? Bool == false)
        #expect((report["errors"] as? [String])?.contains { $0.contains("FFFF") && $0.contains("42BE") } == true)
        #expect(try Self.qrpos("code", "decode").status == 2)
        #expect(try Self.qrpos("code", "decode", "x", "--scheme", "nosuch").status == 2)
        #expect(try Self.qrpos("code", "frobnicate").status == 2)
    }

    @Test func missingIdentifiersListTheKeys() throws {
        let run = try Self.qrpos("code", "encode", "promptpay", "--name", "X", "--city", "Bangkok")
        #expect(run.status == 2)
        #expect(run.stderr.contains("--set mobile="))
    }

    @Test func scanSaysWhenThereIsNoCode() throws {
        let blank = folder.appendingPathComponent("blank.png").path
        _ = try Self.qrpos("code", "render", " ", "--png", blank)
        let notPNG = folder.appendingPathComponent("text.png")
        try Data("hello".utf8).write(to: notPNG)
        let run = try Self.qrpos("code", "scan", notPNG.path)
        #expect(run.status == 1)
        #expect(run.stderr.contains("text.png"))
    }
}
