import CZint
import Imaging

/// A Code 128 bar pattern encoded by libzint (which picks code sets A/B/C, so digits pack two per symbol).
public struct Code128Symbol: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { "Code 128: \(message)" }
    }

    /// One entry per module, left to right; true = bar.
    public let modules: [Bool]

    public init(_ text: String) throws(Failure) {
        guard let symbol = ZBarcode_Create() else { throw Failure(message: "libzint could not allocate a symbol") }
        defer { ZBarcode_Delete(symbol) }
        symbol.pointee.symbology = BARCODE_CODE128
        let bytes = Array(text.utf8)
        let result = ZBarcode_Encode(symbol, bytes, Int32(bytes.count))
        guard result < ZINT_ERROR else {
            let message = withUnsafeBytes(of: symbol.pointee.errtxt) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw Failure(message: message.isEmpty ? "libzint error \(result)" : message)
        }
        let width = Int(symbol.pointee.width)
        // zint 2.11 keeps row 0 bit-packed, least significant bit first (its module_is_set()).
        modules = withUnsafeBytes(of: symbol.pointee.encoded_data.0) { row in
            (0..<width).map { x in (row[x >> 3] >> (x & 7)) & 1 == 1 }
        }
    }

    /// Bars `moduleWidth` pixels wide and `height` tall, with the 10-module quiet zone Code 128 requires.
    public func image(moduleWidth: Int, height: Int, quietZone: Int = 10) -> GrayImage {
        let scale = max(1, moduleWidth), quiet = max(10, quietZone)
        var image = GrayImage(width: (modules.count + 2 * quiet) * scale, height: max(1, height))
        for (x, bar) in modules.enumerated() where bar {
            image.fill(x: (x + quiet) * scale, y: 0, width: scale, height: image.height, value: 0)
        }
        return image
    }
}
