import CPNG

/// PNG files through libpng's simplified API (screenshots, the simulated display, camera images).
public enum PNGFile {
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    public enum Layout: Sendable {
        case gray, rgb, rgba
        var format: png_uint_32 {
            switch self { case .gray: qrpos_png_format_gray(); case .rgb: qrpos_png_format_rgb(); case .rgba: qrpos_png_format_rgba() }
        }
        public var channels: Int { switch self { case .gray: 1; case .rgb: 3; case .rgba: 4 } }
    }

    private static func newImage() -> png_image {
        var image = png_image()
        image.version = qrpos_png_image_version()
        return image
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Writes packed pixels (`layout.channels` bytes each, rows of `width` pixels).
    public static func write(_ pixels: [UInt8], width: Int, height: Int, layout: Layout, to path: String) throws(Failure) {
        precondition(pixels.count == width * height * layout.channels, "pixel buffer does not match the size")
        var image = newImage()
        image.width = png_uint_32(width); image.height = png_uint_32(height); image.format = layout.format
        let ok = pixels.withUnsafeBytes { raw in
            png_image_write_to_file(&image, path, 0, raw.baseAddress, png_int_32(width * layout.channels), nil)
        }
        guard ok != 0 else { throw Failure(path: path, message: "cannot write PNG: \(message(&image))") }
    }

    /// A grey image as PNG bytes in memory (for an HTTP answer), through libpng's write-to-memory.
    public static func encode(_ gray: GrayImage) throws(Failure) -> [UInt8] {
        var image = newImage()
        image.width = png_uint_32(gray.width); image.height = png_uint_32(gray.height); image.format = Layout.gray.format
        var size = 0
        let measured = gray.pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, png_int_32(gray.width), nil)
        }
        guard measured != 0, size > 0 else { throw Failure(path: "(memory)", message: "cannot size the PNG: \(message(&image))") }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeMutableBytes { out in
            gray.pixels.withUnsafeBytes { raw in png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, png_int_32(gray.width), nil) }
        }
        guard ok != 0 else { throw Failure(path: "(memory)", message: "cannot write the PNG: \(message(&image))") }
        return Array(bytes.prefix(size))
    }

    public static func write(_ gray: GrayImage, to path: String) throws(Failure) {
        try write(gray.pixels, width: gray.width, height: gray.height, layout: .gray, to: path)
    }

    /// Reads any PNG converted to the given layout (colour to grey uses libpng's luminance).
    public static func read(_ path: String, as layout: Layout) throws(Failure) -> (width: Int, height: Int, pixels: [UInt8]) {
        var image = newImage()
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let text = message(&image)
            throw Failure(path: path, message: text.isEmpty ? "cannot open" : "not a readable PNG (\(text))")
        }
        image.format = layout.format
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * layout.channels)
        let ok = pixels.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, png_int_32(width * layout.channels), nil)
        }
        guard ok != 0 else {
            let text = message(&image)
            png_image_free(&image)
            throw Failure(path: path, message: "broken PNG (\(text))")
        }
        return (width, height, pixels)
    }

    public static func readGray(_ path: String) throws(Failure) -> GrayImage {
        let (w, h, pixels) = try read(path, as: .gray)
        return GrayImage(width: w, height: h, pixels: pixels)
    }
}
