import CMagickWand

/// ImageMagick 6's MagickWand, loaded at its first use (CMagickWand): the formats zbarimg reads that libpng and
/// libjpeg do not. The one place that loads it and reads its error text, for the image-file reader (Devices)
/// and the fixtures' writer (ShopperCodes).
public struct Magick: @unchecked Sendable {
    /// The library's functions, each found by dlsym when it was loaded (none is nil).
    public let call: QrposMagick

    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var reason: String
        public var description: String {
            "ImageMagick cannot be loaded (Debian package libmagickwand-6.q16-6; PNG, JPEG and PGM/PPM need none): \(reason)"
        }
    }

    /// The widest or tallest image ImageMagick is let read: the image-file reader's limit for every format.
    public static let maximumSide = 65535

    /// Loaded and set up once per process, with `maximumSide` as ImageMagick's own width and height limits.
    public static func load() throws(Unavailable) -> Magick {
        var error = [CChar](repeating: 0, count: 512)
        guard let table = qrpos_magick(UInt64(maximumSide), &error, error.count) else {
            throw Unavailable(reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return Magick(call: table.pointee)
    }

    /// What ImageMagick says went wrong with `wand`'s last call, or nil when it says nothing.
    public func exception(_ wand: OpaquePointer) -> String? {
        var severity = Int32(QRPOS_MAGICK_UNDEFINED_EXCEPTION)
        guard let text = call.MagickGetException(wand, &severity) else { return nil }
        defer { _ = call.MagickRelinquishMemory(text) }
        let reason = String(cString: text)
        return reason.isEmpty ? nil : reason
    }

    /// MagickBooleanType's true.
    public static let yes = Int32(QRPOS_MAGICK_TRUE)
    /// StorageType CharPixel: one byte a sample.
    public static let bytes = Int32(QRPOS_MAGICK_CHAR_PIXEL)
}
