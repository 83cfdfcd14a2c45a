/// A rectangle in pixels.
public struct Rect: Equatable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public func contains(_ other: Rect) -> Bool {
        other.isEmpty || (other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY)
    }
    public func inset(by d: Int) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    public func union(_ o: Rect) -> Rect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        let nx = min(x, o.x), ny = min(y, o.y)
        return Rect(x: nx, y: ny, width: max(maxX, o.maxX) - nx, height: max(maxY, o.maxY) - ny)
    }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// An XRGB8888 colour (0x00RRGGBB), the layout DRM dumb buffers and 32 bpp framebuffers use.
public struct Color: Equatable, Sendable {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value & 0xFFFFFF }
    public init(red: UInt8, green: UInt8, blue: UInt8) { value = UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue) }
    public var red: UInt8 { UInt8(value >> 16 & 0xFF) }
    public var green: UInt8 { UInt8(value >> 8 & 0xFF) }
    public var blue: UInt8 { UInt8(value & 0xFF) }

    public static let white = Color(0xFFFFFF), black = Color(0x000000)

    /// Mixes `other` over self by `alpha` (0–255): anti-aliased glyph edges.
    func blend(_ other: Color, alpha: UInt32) -> Color {
        let inverse = 255 - alpha
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((UInt32(a) * inverse + UInt32(b) * alpha + 127) / 255) }
        return Color(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue))
    }
}

/// A frame being drawn: XRGB8888 pixels, rows packed. Screens are drawn here, then handed to a display.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt32]

    public init(width: Int, height: Int, background: Color = .white) {
        self.width = width; self.height = height
        pixels = [UInt32](repeating: background.value, count: width * height)
    }

    public subscript(x: Int, y: Int) -> Color {
        get { Color(pixels[y * width + x]) }
        set { pixels[y * width + x] = newValue.value }
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public mutating func fill(_ rect: Rect, _ color: Color) {
        let x0 = max(0, rect.x), y0 = max(0, rect.y), x1 = min(width, rect.maxX), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let value = color.value
        let width = self.width
        pixels.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            // A row at a time as one block store: fast in a debug build too (the whole screen is filled per frame).
            for row in y0..<y1 { (base + row * width + x0).update(repeating: value, count: x1 - x0) }
        }
    }

    /// Draws a QR symbol with integer modules of `scale` pixels; the symbol's own quiet zone is left as
    /// `light` so it shows on any background. Returns the area covered, quiet zone included.
    @discardableResult
    public mutating func draw(_ symbol: QRSymbol, at origin: (x: Int, y: Int), scale: Int, quietZone: Int = 4,
                              dark: Color = .black, light: Color = .white) -> Rect {
        let quiet = max(4, quietZone)
        let side = (symbol.size + 2 * quiet) * scale
        let area = Rect(x: origin.x, y: origin.y, width: side, height: side)
        fill(area, light)
        for y in 0..<symbol.size {
            var x = 0
            while x < symbol.size {
                guard symbol[x, y] else { x += 1; continue }
                var run = 1 // one fill per horizontal run of dark modules
                while x + run < symbol.size, symbol[x + run, y] { run += 1 }
                fill(Rect(x: origin.x + (x + quiet) * scale, y: origin.y + (y + quiet) * scale, width: run * scale, height: scale), dark)
                x += run
            }
        }
        return area
    }

    /// Blends an 8-bit coverage mask (a glyph) in `color` with its top-left at (x, y); returns the inked area.
    @discardableResult
    mutating func blend(mask: UnsafeBufferPointer<UInt8>, maskWidth: Int, maskHeight: Int, pitch: Int, at x: Int, y: Int, color: Color) -> Rect {
        // The inked bounds as plain integers, and the pixels through one pointer: this loop runs for every pixel
        // of every glyph, on slow boards too.
        var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
        let width = self.width, height = self.height
        pixels.withUnsafeMutableBufferPointer { out in
            for row in 0..<maskHeight {
                let py = y + row
                guard py >= 0, py < height else { continue }
                for column in 0..<maskWidth {
                    let alpha = UInt32(mask[row * pitch + column])
                    let px = x + column
                    guard alpha > 0, px >= 0, px < width else { continue }
                    let index = py * width + px
                    out[index] = alpha == 255 ? color.value : Color(out[index]).blend(color, alpha: alpha).value
                    if px < minX { minX = px }
                    if px > maxX { maxX = px }
                    if py < minY { minY = py }
                    if py > maxY { maxY = py }
                }
            }
        }
        guard minX <= maxX else { return Rect(x: 0, y: 0, width: 0, height: 0) }
        return Rect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// The frame turned for a panel mounted on its side (degrees clockwise: 0, 90, 180, 270).
    public func rotated(_ degrees: Int) -> Canvas {
        switch ((degrees % 360) + 360) % 360 {
        case 90:
            var out = Canvas(width: height, height: width)
            for y in 0..<height { for x in 0..<width { out.pixels[x * out.width + (height - 1 - y)] = pixels[y * width + x] } }
            return out
        case 180:
            var out = self
            out.pixels.reverse()
            return out
        case 270:
            var out = Canvas(width: height, height: width)
            for y in 0..<height { for x in 0..<width { out.pixels[(width - 1 - x) * out.width + y] = pixels[y * width + x] } }
            return out
        default:
            return self
        }
    }

    /// RGB bytes for PNG files.
    public var rgbBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for (i, p) in pixels.enumerated() {
            out[3 * i] = UInt8(p >> 16 & 0xFF); out[3 * i + 1] = UInt8(p >> 8 & 0xFF); out[3 * i + 2] = UInt8(p & 0xFF)
        }
        return out
    }

    /// Luminance (BT.601), for zbar and tests.
    public var gray: GrayImage {
        GrayImage(width: width, height: height, pixels: pixels.map { p in
            let r: UInt32 = (p >> 16) & 0xFF, g: UInt32 = (p >> 8) & 0xFF, b: UInt32 = p & 0xFF
            return UInt8((299 * r + 587 * g + 114 * b) / 1000)
        })
    }

    /// One row as RGB565 little-endian, what 16 bpp SPI panels take.
    public func rgb565Row(_ y: Int, into out: UnsafeMutablePointer<UInt16>) {
        for x in 0..<width {
            let p = pixels[y * width + x]
            let r: UInt32 = (p >> 8) & 0xF800, g: UInt32 = (p >> 5) & 0x07E0, b: UInt32 = (p >> 3) & 0x001F
            out[x] = UInt16(r | g | b)
        }
    }

    public func writePNG(to path: String) throws(PNGFile.Failure) {
        try PNGFile.write(rgbBytes, width: width, height: height, layout: .rgb, to: path)
    }
}
