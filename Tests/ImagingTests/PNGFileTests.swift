import Foundation
import Imaging
import Testing

struct PNGFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-png-\(getpid())")

    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

    @Test func grayRoundTripIsExact() throws {
        var image = GrayImage(width: 37, height: 11)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 7) % 256) }
        let path = folder.appendingPathComponent("gray.png").path
        try PNGFile.write(image, to: path)
        #expect(try PNGFile.readGray(path) == image)
    }

    @Test func colourIsReadAsLuminance() throws {
        let path = folder.appendingPathComponent("rgb.png").path
        try PNGFile.write([255, 255, 255, 0, 0, 0], width: 2, height: 1, layout: .rgb, to: path)
        let gray = try PNGFile.readGray(path)
        #expect(gray.pixels[0] > 250 && gray.pixels[1] < 5)
    }

    @Test func brokenFilesGiveClearErrors() throws {
        let missing = folder.appendingPathComponent("missing.png").path
        #expect(throws: PNGFile.Failure.self) { try PNGFile.readGray(missing) }
        let junk = folder.appendingPathComponent("junk.png").path
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: junk))
        do { _ = try PNGFile.readGray(junk); Issue.record("junk read as a PNG") } catch {
            #expect(error.description.contains("junk.png"))
        }
        let truncated = folder.appendingPathComponent("truncated.png").path
        try PNGFile.write(GrayImage(width: 64, height: 64, fill: 9), to: truncated)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: PNGFile.Failure.self) { try PNGFile.readGray(truncated) }
    }
}
