/// A 1-bit picture as receipt printers take it: rows of bytes, the leftmost dot in the most significant bit,
/// 1 = black (ink). The width is a whole number of bytes, as ESC/POS raster commands count it.
public struct MonoImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var bytesPerRow: Int { width / 8 }
    public var bits: [UInt8]

    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(width % 8 == 0 && bits.count == width / 8 * height, "a raster row is whole bytes")
        self.width = width; self.height = height; self.bits = bits
    }

    /// Dark where the canvas is darker than mid-grey (slips are black text and QR on white: no dithering needed).
    public init(_ canvas: Canvas, threshold: Int = 128) {
        let width = (canvas.width + 7) / 8 * 8
        var bits = [UInt8](repeating: 0, count: width / 8 * canvas.height)
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let c = canvas[x, y]
                let luma = (Int(c.red) * 299 + Int(c.green) * 587 + Int(c.blue) * 114) / 1000
                if luma < threshold { bits[y * width / 8 + x / 8] |= 0x80 >> UInt8(x % 8) }
            }
        }
        self.init(width: width, height: canvas.height, bits: bits)
    }

    public func isInk(x: Int, y: Int) -> Bool { bits[y * bytesPerRow + x / 8] & (0x80 >> UInt8(x % 8)) != 0 }

    /// Grey pixels (0 ink, 255 paper), for a PNG of the slip and for reading its QR back.
    public var gray: GrayImage {
        var pixels = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height { for x in 0..<width where isInk(x: x, y: y) { pixels[y * width + x] = 0 } }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}
