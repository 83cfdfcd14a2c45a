import CZbar

/// Reads QR, Code 128 and EAN-13 symbols out of a greyscale image with zbar.
/// One reader owns one zbar scanner; it is not for sharing between threads.
public final class CodeReader {
    public struct Symbol: Equatable, Sendable {
        public enum Kind: String, Sendable { case qr = "qr", code128 = "code128", ean13 = "ean13", other }
        public var kind: Kind
        public var text: String
        /// zbar's confidence: how many times the symbol was read in the image.
        public var quality: Int
    }

    private let scanner: OpaquePointer
    private let y800 = qrpos_zbar_fourcc(89, 56, 48, 48) // "Y800": 8-bit luminance, one plane

    /// `density` 1 scans every line (slowest, most thorough), 2 every other line.
    public init(density: Int = 1) {
        scanner = zbar_image_scanner_create()
        // Only the symbologies a payment counter meets: fewer decoders, fewer false reads.
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        for symbology in [ZBAR_QRCODE, ZBAR_CODE128, ZBAR_EAN13] {
            zbar_image_scanner_set_config(scanner, symbology, ZBAR_CFG_ENABLE, 1)
        }
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, Int32(density))
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, Int32(density))
    }

    deinit { zbar_image_scanner_destroy(scanner) }

    public func read(_ image: GrayImage) -> [Symbol] {
        image.pixels.withUnsafeBufferPointer { read(luma: $0.baseAddress!, width: image.width, height: image.height) }
    }

    /// Reads a Y800 plane in place (no copy: zbar is given no cleanup handler for memory it does not own).
    public func read(luma: UnsafePointer<UInt8>, width: Int, height: Int) -> [Symbol] {
        guard let zimage = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(zimage) }
        zbar_image_set_format(zimage, y800)
        zbar_image_set_size(zimage, UInt32(width), UInt32(height))
        zbar_image_set_data(zimage, luma, UInt(width * height), nil)
        guard zbar_scan_image(scanner, zimage) > 0 else { return [] }
        var symbols: [Symbol] = []
        var symbol = zbar_image_first_symbol(zimage)
        while let current = symbol {
            let length = Int(zbar_symbol_get_data_length(current))
            let text = zbar_symbol_get_data(current).map { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
            } ?? ""
            let kind: Symbol.Kind = switch zbar_symbol_get_type(current) {
            case ZBAR_QRCODE: .qr
            case ZBAR_CODE128: .code128
            case ZBAR_EAN13: .ean13
            default: .other
            }
            symbols.append(Symbol(kind: kind, text: text, quality: Int(zbar_symbol_get_quality(current))))
            symbol = zbar_symbol_next(current)
        }
        return symbols
    }
}
