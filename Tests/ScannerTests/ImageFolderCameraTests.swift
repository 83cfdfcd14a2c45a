import Devices
import Foundation
import Imaging
import ShopperCodes
import Testing

/// The simulated board's camera, end to end: images arrive in a folder, the scanner names the wallet.
struct ImageFolderCameraTests {
    /// What `qrpos present` does: write under a dot name, then rename into place.
    static func present(_ payload: String, into folder: String, name: String) throws {
        let partial = folder + "/." + name
        try PNGFile.write(try Fixtures.frame(payload), to: partial)
        try FileManager.default.moveItem(atPath: partial, toPath: folder + "/" + name)
    }

    @Test func watchedFolderDeliversNewImagesToTheScanner() throws {
        let folder = try Fixtures.folder("watch")
        try Self.present("9000010012345678", into: folder, name: "before.png") // there before the camera: not new
        let camera = try ImageFolderCamera(watching: folder)
        defer { camera.close() }
        let scanner = CodeScanner(classifier: Corpus.classifier)
        #expect(try camera.capture(timeoutMilliseconds: 50) { _ in Issue.record("no frame expected yet") } == .nothing)

        try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        try Self.present("3158990012345678901", into: folder, name: "merpay.png")
        // Copied in place (closed after writing) rather than renamed: also picked up.
        try FileManager.default.copyItem(atPath: folder + "/before.png", toPath: folder + "/rakuten.png")

        var seen: [(file: String, wallet: String?)] = []
        for _ in 0..<10 where seen.count < 2 {
            _ = try camera.capture(timeoutMilliseconds: 500) { frame in
                seen.append(((frame.file! as NSString).lastPathComponent, scanner.scan(frame).first?.report.wallet))
            }
        }
        #expect(seen.map(\.file) == ["merpay.png", "rakuten.png"])
        #expect(seen.map(\.wallet) == ["merpay", "rakutenpay"])
    }

    @Test func fileListIsReadOnceInOrderAndSaysWhatItCannotRead() throws {
        let folder = try Fixtures.folder("list")
        try Self.present("134567890123456789", into: folder, name: "b.png")
        try Self.present("6212345678901234567", into: folder, name: "a.png")
        try Data("PNG? no".utf8).write(to: URL(fileURLWithPath: folder + "/broken.png"))
        let camera = ImageFolderCamera(files: [folder, folder + "/missing.png"])
        var outcomes: [CaptureOutcome] = [], files: [String] = []
        while outcomes.last != .finished {
            outcomes.append(try camera.capture(timeoutMilliseconds: 0) { files.append(($0.file! as NSString).lastPathComponent) })
        }
        #expect(files == ["a.png", "b.png"])
        #expect(outcomes.count == 5)
        guard case let .unreadable(file, reason) = outcomes[2], case let .unreadable(missing, _) = outcomes[3] else {
            Issue.record("expected two unreadable files: \(outcomes)"); return
        }
        #expect(file.hasSuffix("broken.png") && !reason.isEmpty)
        #expect(missing.hasSuffix("missing.png"))
    }

    @Test func colourImagesBecomeTheLumaZbarimgSees() throws {
        let folder = try Fixtures.folder("luma")
        let path = folder + "/colours.png"
        try PNGFile.write([255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 150, 200], width: 4, height: 1, layout: .rgb, to: path)
        // ImageMagick's intensity (Rec. 709 luma) of these pixels, as zbarimg exports them.
        #expect(try ImageFile.readLuma(path).pixels == [54, 182, 18, 143])
        let pgm = folder + "/grey.pgm"
        try Data("P5\n# a comment\n3 1\n255\n".utf8 + [0, 128, 255]).write(to: URL(fileURLWithPath: pgm))
        #expect(try ImageFile.readLuma(pgm).pixels == [0, 128, 255])
        // JPEG: decoded through libjpeg; a broken one is an error that names the problem, not a crash.
        let jpeg = folder + "/grey.jpg"
        try SampleImageFile.writeJPEG(GrayImage(width: 16, height: 8, fill: 200), quality: 95, to: jpeg)
        let decoded = try ImageFile.readLuma(jpeg)
        #expect(decoded.width == 16 && decoded.height == 8 && decoded.pixels.allSatisfy { abs(Int($0) - 200) <= 1 })
        let broken = folder + "/broken.jpg"
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: URL(fileURLWithPath: broken))
        do { _ = try ImageFile.readLuma(broken); Issue.record("a broken JPEG was read") } catch {
            #expect(error.message.hasPrefix("not a readable JPEG"), "\(error)")
        }
    }
}
