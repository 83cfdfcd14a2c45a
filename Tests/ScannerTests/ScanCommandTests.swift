import Devices
import Foundation
import Testing

/// `qrpos scan`, `qrpos present` and `qrpos lights` as a technician runs them (the built binary).
struct ScanCommandTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qrpos").path

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static func qrpos(_ arguments: [String], after: TimeInterval? = nil, then: (() throws -> Void)? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = Corpus.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        if let after, let then { Thread.sleep(forTimeInterval: after); try then() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func presentThenScanImagesNamesTheWallet() throws {
        let folder = try Fixtures.folder("cli")
        let present = try Self.qrpos(["present", "900081818812345678901234", "--into", folder])
        #expect(present.status == 0, "\(present.stderr)")
        #expect(present.stdout.contains("code128 paypay"))
        let qr = try Self.qrpos(["present", "hQVDUFYwMWEfTwigAAAAZQOSAlcTMViZAHkkKUPUkSEhAAAFEgAADw==", "--into", folder])
        #expect(qr.stdout.contains(" qr merpay"), "\(qr.stdout)")
        _ = FileManager.default.createFile(atPath: folder + "/blank.pgm", contents: Data("P5 4 4 255 ".utf8 + [UInt8](repeating: 200, count: 16)))
        let scan = try Self.qrpos(["scan", "--images", folder])
        #expect(scan.status == 1, "an image without a code makes the exit status 1")
        let lines = try Self.lines(scan.stdout)
        #expect(lines.count == 3)
        let wallets = lines.compactMap { ($0["codes"] as? [[String: Any]])?.first?["wallet"] as? String }
        #expect(Set(wallets) == ["paypay", "merpay"])
        #expect(lines.contains { ($0["file"] as? String)?.hasSuffix("blank.pgm") == true && ($0["codes"] as? [Any])?.isEmpty == true })
        let symbologies = lines.compactMap { ($0["codes"] as? [[String: Any]])?.first?["symbology"] as? String }
        #expect(Set(symbologies) == ["code128", "qr"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func watchedFolderPrintsOneLineWithATimestamp() throws {
        let folder = try Fixtures.folder("cli-watch")
        let run = try Self.qrpos(["scan", "--camera", folder, "--frames", "2", "--seconds", "20"], after: 0.5) {
            // The same code shown twice in a row is one charge: only the first is printed.
            for _ in 0..<2 { _ = try Self.qrpos(["present", "134567890123456789", "--into", folder]) }
        }
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try Self.lines(run.stdout)
        #expect(lines.count == 1, "\(run.stdout)")
        #expect(lines.first?["wallet"] as? String == "wechatpay")
        #expect((lines.first?["timestamp"] as? String).map { $0.hasSuffix("Z") && $0.contains("T") } == true)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func missingCameraIsAClearFailure() throws {
        let run = try Self.qrpos(["scan", "--camera", "/dev/video97", "--frames", "1"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("/dev/video97") && run.stderr.contains("no such camera"), "\(run.stderr)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func lightsTestCyclesEveryLight() throws {
        let run = try Self.qrpos(["lights", "test", "--board", "Board/sim", "--step", "0.05"])
        #expect(run.status == 0, "\(run.stderr)")
        for expected in ["only green", "only amber", "only red", "lights: green on   amber off  red off", "waiting:", "technician:", "all off"] {
            #expect(run.stdout.contains(expected), "missing \"\(expected)\" in \(run.stdout)")
        }
        let gpio = try Self.qrpos(["lights", "test", "--board", "Board/qemu-x86_64", "--step", "0.05"])
        if !FileManager.default.fileExists(atPath: "/dev/gpiochip0") {
            #expect(gpio.status == 1 && gpio.stderr.contains("no GPIO chips"), "\(gpio.stderr)")
        }
    }
}
