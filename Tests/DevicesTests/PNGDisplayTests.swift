import Devices
import Foundation
import Imaging
import Testing

struct PNGDisplayTests {
    @Test func framesBecomeNumberedFilesAndLatest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-pngdisplay-\(getpid())").path
        let display = try PNGDisplay(width: 64, height: 32, folder: folder)
        var canvas = Canvas(width: 64, height: 32)
        canvas.fill(Rect(x: 0, y: 0, width: 32, height: 32), Color(0xFF0000))
        try display.show(Frame(canvas: canvas))
        try display.show(Frame(canvas: Canvas(width: 64, height: 32)))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/screen-0001.png"))
        let latest = try PNGFile.read("\(folder)/latest.png", as: .rgb)
        #expect(latest.pixels.allSatisfy { $0 == 255 }, "latest.png is the second, white frame")
        let first = try PNGFile.read("\(folder)/screen-0001.png", as: .rgb)
        #expect(Array(first.pixels[0..<3]) == [255, 0, 0])
    }

    @Test func wrongFrameSizeIsRefused() throws {
        let display = PNGDisplay(width: 64, height: 32, path: "/tmp/qrpos-wrong-\(getpid()).png")
        #expect(throws: DeviceError.self) { try display.show(Frame(canvas: Canvas(width: 32, height: 64))) }
    }

    @Test func terminalPreviewPrintsTheQRModuleForModule() throws {
        let pipe = Pipe()
        let display = TerminalDisplay(width: 640, height: 480, output: pipe.fileHandleForWriting)
        try display.show(Frame(canvas: Canvas(width: 640, height: 480), texts: ["¥1,200"], codes: ["HELLO"]))
        pipe.fileHandleForWriting.closeFile()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let symbol = try QRSymbol("HELLO")
        #expect(text.components(separatedBy: "\n").filter { $0.contains("▀") }.count == (symbol.size + 8 + 1) / 2)
        #expect(text.contains("¥1,200"))
    }
}
