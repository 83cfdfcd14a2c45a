import Devices
import Foundation
import Imaging
import PaymentCodes
import ShopperCodes
import Testing

/// Whatever format a technician drops into the camera folder or hands to `qrpos scan --images`, the
/// scanner reads it as zbarimg would (ImageMagick for all but PNG, JPEG and PGM/PPM), and a hostile file
/// is refused with a message instead of taking the process down.
struct ImageFormatsTests {
    static let paypay = "900081818812345678901234"

    static func scanner() -> CodeScanner {
        CodeScanner(classifier: Classifier(registry: try! WalletRegistry(toml: "")), settings: .stillImages)
    }

    static func texts(_ frames: [GrayImage]) -> [String] {
        let scanner = scanner()
        return frames.flatMap { image in Fixtures.lend(image) { scanner.scan($0).map(\.text) } }
    }

    @Test(arguments: ["bmp", "gif", "tif", "webp", "pgm", "pbm", "ppm"])
    func formatsZbarimgReadsAreReadToo(ext: String) throws {
        let folder = try Fixtures.folder("formats")
        let code = try QRSymbol(Self.paypay).image(scale: 4)
        let path = "\(folder)/code.\(ext)"
        try SampleImageFile.write([code], to: path)
        #expect(ImageFile.isImage(path))
        let frames = try ImageFile.readFrames(path)
        #expect(frames.count == 1 && frames[0].width == code.width && frames[0].height == code.height)
        #expect(Self.texts(frames) == [Self.paypay])
    }

    @Test func sixteenBitImagesKeepTheirGreyLevels() throws {
        let folder = try Fixtures.folder("depth")
        // A dim phone screen: dark modules on a mid-grey background, stored 16 bits per sample.
        let code = try QRSymbol(Self.paypay).image(scale: 4)
        let dim = GrayImage(width: code.width, height: code.height, pixels: code.pixels.map { $0 == 0 ? 40 : 110 })
        for ext in ["png", "pgm", "tif"] {
            let path = "\(folder)/dim16.\(ext)"
            try SampleImageFile.write([dim], to: path, depth: 16)
            let read = try ImageFile.readLuma(path)
            // Scaled down to 8 bits as zbarimg does, not gamma-converted (which would turn 40 into about 110).
            #expect(Set(read.pixels).isSubset(of: [39, 40, 41, 109, 110, 111]), "\(ext): \(Set(read.pixels).sorted())")
            #expect(Self.texts([read]) == [Self.paypay], "\(ext)")
        }
    }

    @Test func everyFrameOfAnAnimationIsScanned() throws {
        let folder = try Fixtures.folder("frames")
        let code = try QRSymbol(Self.paypay).image(scale: 4)
        let blank = GrayImage(width: code.width, height: code.height, fill: 255)
        let path = "\(folder)/animated.gif"
        try SampleImageFile.write([blank, code], to: path)
        let frames = try ImageFile.readFrames(path)
        #expect(frames.count == 2)
        #expect(Self.texts([frames[0]]).isEmpty && Self.texts(frames) == [Self.paypay])
        // The folder camera hands over both frames of the one file.
        let camera = ImageFolderCamera(files: [path])
        var files: [String?] = []
        let outcome = try camera.capture(timeoutMilliseconds: 0) { frame in files.append(frame.file) }
        #expect(outcome == .frame && files == [path, path])
    }

    @Test func aCraftedHugeImageIsRefusedWithoutAllocatingIt() throws {
        let folder = try Fixtures.folder("bomb")
        // A PNG header claiming 60000x60000 pixels (14 GB as RGBA), and nothing behind it.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        png += [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0, 0, 0, 0, 0]
        let path = folder + "/bomb.png"
        try Data(png).write(to: URL(fileURLWithPath: path))
        do { _ = try ImageFile.readFrames(path); Issue.record("a 60000x60000 image was read") } catch {
            #expect(error.tooLarge && error.message.hasPrefix("too large: 60000x60000"), "\(error)")
        }
        // A real JPEG whose frame header is made to claim the same size: libjpeg's header check refuses it,
        // and ImageMagick is not asked to try.
        let jpeg = folder + "/bomb.jpg"
        try SampleImageFile.writeJPEG(GrayImage(width: 16, height: 16, fill: 128), to: jpeg)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: jpeg)))
        let frame = try #require(bytes.indices.dropLast().first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((frame + 5)...(frame + 8), with: [0xEA, 0x60, 0xEA, 0x60])
        try Data(bytes).write(to: URL(fileURLWithPath: jpeg))
        do { _ = try ImageFile.readFrames(jpeg); Issue.record("a 60000x60000 JPEG was read") } catch {
            #expect(error.tooLarge && error.message == "too large: 60000x60000 pixels", "\(error)")
        }
        // The same size through ImageMagick (a BMP header): refused before pixels are allocated.
        let bmp = folder + "/bomb.bmp"
        var header = Data("BM".utf8) + Data(count: 12)
        header += Data([40, 0, 0, 0, 0x60, 0xEA, 0, 0, 0x60, 0xEA, 0, 0, 1, 0, 24, 0]) + Data(count: 24)
        try header.write(to: URL(fileURLWithPath: bmp))
        do { _ = try ImageFile.readFrames(bmp); Issue.record("a 60000x60000 BMP was read") } catch {
            #expect(!error.message.isEmpty)
        }
    }

    @Test func notAnImageSaysSo() throws {
        let folder = try Fixtures.folder("text")
        let path = folder + "/notes.bmp"
        try Data("just text".utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try ImageFile.readFrames(path); Issue.record("text was read as an image") } catch {
            #expect(error.message.contains("not a readable image"), "\(error)")
        }
    }
}
