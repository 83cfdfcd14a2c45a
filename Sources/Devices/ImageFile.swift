import CJPEG
import Foundation
import Imaging

/// Still images read as luminance the way zbarimg sees them (ImageMagick's intensity: Rec. 709 luma
/// of the stored values, alpha ignored), so a code zbarimg reads in a file, we read too.
public enum ImageFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        /// Refused for its size before decoding: no other reader should try it either.
        public var tooLarge = false
        public var description: String { "\(path): \(message)" }
    }

    /// Extensions the image-file camera picks up in a folder: what zbarimg reads through ImageMagick.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif", "pgm", "ppm", "pnm", "pbm", "pam",
                                                 "bmp", "gif", "tif", "tiff", "webp", "heic", "heif", "jp2", "j2k"]

    /// Larger images are refused before anything is allocated: a phone photo is 12–50 megapixels,
    /// and a crafted header must not take the terminal's memory.
    public static let maximumPixels = 100_000_000
    /// The widest or tallest image read, in every format (ImageMagick is set up with the same limit).
    public static let maximumSide = Magick.maximumSide

    public static func isImage(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        // Dot files are half-written images (written, then renamed into place).
        return !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The first frame of an image file.
    public static func readLuma(_ path: String) throws(Failure) -> GrayImage {
        try readFrames(path)[0]
    }

    /// Every frame of an image file (a GIF or TIFF may hold several), never empty.
    /// 8-bit PNG, JPEG and binary PGM/PPM are read directly; everything else, and anything those readers
    /// refuse, goes through ImageMagick as zbarimg's does.
    public static func readFrames(_ path: String) throws(Failure) -> [GrayImage] {
        let head: Data
        do { head = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 16 * 1024) ?? Data() } catch {
            throw Failure(path: path, message: "cannot open (\((error as NSError).localizedDescription))")
        }
        let bytes = [UInt8](head)
        var direct: Failure?
        do throws(Failure) {
            if bytes.first == UInt8(ascii: "P"), bytes.count > 1, bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "6") {
                return [try PortableAnymap.read(path)]
            }
            if bytes.starts(with: [0xFF, 0xD8]) { return [try jpeg(path)] }
            if let header = PNGHeader(bytes) {
                try checkSize(path, header.width, header.height)
                // libpng's simplified reader gamma-converts 16-bit samples and files with a gAMA chunk;
                // ImageMagick (zbarimg) does not, so those go there.
                if header.bitDepth <= 8, !header.hasGamma { return [try png(path)] }
            }
        } catch {
            if error.tooLarge { throw error }
            direct = error
        }
        do { return try MagickImage.frames(path) } catch {
            throw Failure(path: path, message: direct.map { "\($0.message); ImageMagick: \(error.message)" } ?? error.message)
        }
    }

    static func checkSize(_ path: String, _ width: Int, _ height: Int) throws(Failure) {
        guard width > 0, height > 0, width <= maximumSide, height <= maximumSide, width * height <= maximumPixels else {
            throw Failure(path: path, message: "too large: \(width)x\(height) pixels (at most \(maximumPixels / 1_000_000) megapixels)", tooLarge: true)
        }
    }

    static func png(_ path: String) throws(Failure) -> GrayImage {
        let rgba: (width: Int, height: Int, pixels: [UInt8])
        do { rgba = try PNGFile.read(path, as: .rgba) } catch { throw Failure(path: path, message: error.message) }
        var image = GrayImage(width: rgba.width, height: rgba.height)
        rgba.pixels.withUnsafeBufferPointer { source in
            image.pixels.withUnsafeMutableBufferPointer { luma in
                for i in 0..<luma.count {
                    let p = i * 4
                    luma[i] = luma709(source[p], source[p + 1], source[p + 2])
                }
            }
        }
        return image
    }
}

/// The fields of a PNG's IHDR chunk that decide how it is read (size first: nothing is allocated before).
struct PNGHeader {
    var width: Int, height: Int, bitDepth: Int
    /// A gAMA chunk before the image data (within the bytes given).
    var hasGamma = false

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 25, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
              Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = be32(16); height = be32(20); bitDepth = Int(bytes[24])
        // Chunks: length, type, data, CRC; ancillary chunks that change the pixels come before IDAT.
        var at = 8
        while at + 8 <= bytes.count {
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            if type == "IDAT" || type == "IEND" { break }
            if type == "gAMA" { hasGamma = true; break }
            at += 12 + be32(at)
        }
    }
}

extension ImageFile {
    /// JPEG decoded to RGB by libjpeg (as ImageMagick does for zbarimg), then the same luma as PNG.
    static func jpeg(_ path: String) throws(Failure) -> GrayImage {
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        var tooLarge: Int32 = 0
        guard let rgb = qrpos_jpeg_read_rgb(path, &width, &height, ImageFile.maximumPixels, &tooLarge, &message, message.count) else {
            throw Failure(path: path, message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                          tooLarge: tooLarge != 0)
        }
        defer { free(rgb) }
        var image = GrayImage(width: Int(width), height: Int(height))
        image.pixels.withUnsafeMutableBufferPointer { luma in
            for i in 0..<luma.count { luma[i] = luma709(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) }
        }
        return image
    }
}

/// Binary PGM and PPM (P5, P6): what `v4l2-ctl --stream-to` dumps convert to and technicians keep.
enum PortableAnymap {
    static func read(_ path: String) throws(ImageFile.Failure) -> GrayImage {
        guard let data = FileManager.default.contents(atPath: path) else { throw ImageFile.Failure(path: path, message: "cannot read") }
        let bytes = [UInt8](data)
        var position = 2
        func number() -> Int? {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") { while position < bytes.count, bytes[position] != 10 { position += 1 } }
                else if [9, 10, 13, 32].contains(bytes[position]) { position += 1 } else { break }
            }
            var value = 0, digits = 0
            while position < bytes.count, (48...57).contains(bytes[position]), digits < 9 { value = value * 10 + Int(bytes[position] - 48); position += 1; digits += 1 }
            return digits > 0 ? value : nil
        }
        let kind = bytes.count > 1 ? bytes[1] : 0
        guard kind == UInt8(ascii: "5") || kind == UInt8(ascii: "6"), let width = number(), let height = number(), let maxValue = number(),
              width > 0, height > 0, (1...255).contains(maxValue) else {
            throw ImageFile.Failure(path: path, message: "not a binary 8-bit PGM or PPM (P5/P6)")
        }
        position += 1
        let channels = kind == UInt8(ascii: "5") ? 1 : 3
        guard bytes.count - position >= width * height * channels else { throw ImageFile.Failure(path: path, message: "truncated image data") }
        var image = GrayImage(width: width, height: height)
        for i in 0..<width * height {
            let p = position + i * channels
            let value = channels == 1 ? Int(bytes[p]) : Int(luma709(bytes[p], bytes[p + 1], bytes[p + 2]))
            image.pixels[i] = UInt8(min(255, value * 255 / maxValue))
        }
        return image
    }
}

/// 0.2126 R + 0.7152 G + 0.0722 B of the stored (gamma-encoded) values in 16-bit fixed point, rounded:
/// ImageMagick's default intensity, which zbarimg reads.
@inline(__always) func luma709(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
    let r = 13933 * Int(red), g = 46871 * Int(green), b = 4732 * Int(blue)
    return UInt8((r + g + b + 32768) >> 16)
}
