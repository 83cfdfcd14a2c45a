import CJPEG
import Imaging

/// Sample image files for the scanner's tests and benches, in formats the terminal reads but never writes:
/// JPEG at a chosen quality (libjpeg), and anything ImageMagick writes (GIF and TIFF with several frames,
/// 16-bit samples). The firmware reads such files (Devices' ImageFile); only fixtures make them.
public enum SampleImageFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// A greyscale frame as JPEG (the corpus's compressed frames).
    public static func writeJPEG(_ image: GrayImage, quality: Int = 85, to path: String) throws(Failure) {
        var message = [CChar](repeating: 0, count: 256)
        let result = image.pixels.withUnsafeBufferPointer {
            qrpos_jpeg_write_gray(path, $0.baseAddress, Int32(image.width), Int32(image.height), Int32(max(1, min(100, quality))), &message, message.count)
        }
        guard result == 0 else { throw Failure(path: path, message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
    }

    /// Greyscale frames in the format the extension names, through ImageMagick (one file; GIF and TIFF keep every frame).
    public static func write(_ frames: [GrayImage], to path: String, depth: Int = 8) throws(Failure) {
        let magick: Magick
        do { magick = try Magick.load() } catch { throw Failure(path: path, message: error.description) }
        let m = magick.call
        guard let wand = m.NewMagickWand(), let white = m.NewPixelWand() else { throw Failure(path: path, message: "ImageMagick could not start") }
        defer { _ = m.DestroyMagickWand(wand); _ = m.DestroyPixelWand(white) }
        _ = m.PixelSetColor(white, "white")
        for frame in frames {
            guard m.MagickNewImage(wand, frame.width, frame.height, white) == Magick.yes else { throw failure(path, magick, wand, "cannot make an image") }
            let imported = frame.pixels.withUnsafeBytes {
                m.MagickImportImagePixels(wand, 0, 0, frame.width, frame.height, "I", Magick.bytes, $0.baseAddress!)
            }
            guard imported == Magick.yes else { throw failure(path, magick, wand, "cannot import the pixels") }
            _ = m.MagickSetImageDepth(wand, depth)
        }
        guard m.MagickWriteImages(wand, path, Magick.yes) == Magick.yes else { throw failure(path, magick, wand, "cannot write") }
    }

    private static func failure(_ path: String, _ magick: Magick, _ wand: OpaquePointer, _ what: String) -> Failure {
        Failure(path: path, message: magick.exception(wand).map { "\(what) (\($0))" } ?? what)
    }
}
