/// Which V4L2 pixel format to ask for and how to find the luminance in it. Pure, so every format
/// vivid and real cameras offer is tested without a device.
public enum V4L2PixelFormat {
    /// Luminance first: GREY is the Y plane itself; planar YUV starts with a Y plane; packed YUV
    /// interleaves it; RGB is what libv4l2 makes of anything else (MJPEG) when nothing better is offered.
    public static let preference = ["GREY", "NV12", "NV21", "YU12", "YV12", "NV16", "NV61", "422P",
                                    "YUYV", "YVYU", "UYVY", "VYUY", "RGB3", "BGR3"]

    public static func code(_ name: String) -> UInt32 {
        let bytes = Array(name.utf8) + [32, 32, 32, 32]
        return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    public static func name(_ code: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }
        return String(decoding: bytes.prefix { $0 != 32 && $0 != 0 }, as: UTF8.self)
    }

    /// The format to ask for among those the device lists (`emulated`: converted by libv4l2 in software,
    /// taken only when the camera itself offers nothing we can read).
    public static func choose(_ offered: [(code: UInt32, emulated: Bool)]) -> UInt32? {
        for emulated in [false, true] {
            for name in preference where offered.contains(where: { $0.code == code(name) && $0.emulated == emulated }) { return code(name) }
        }
        return nil
    }
}

/// Where the luminance sits in a frame of one format, and how to get it as packed Y800 rows.
public struct LumaLayout: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// A plane of one byte per pixel at the start of the buffer.
        case plane
        /// One byte in every `step` bytes, starting at `offset` (packed YUV 4:2:2).
        case packed(offset: Int, step: Int)
        /// Three bytes per pixel in this channel order (indices of red, green, blue).
        case rgb(red: Int, green: Int, blue: Int)
    }

    public var format: String
    public var width: Int
    public var height: Int
    public var bytesPerLine: Int
    public var source: Source

    /// GREY, and the Y plane of planar YUV, can go to zbar straight from the capture buffer.
    public var zeroCopy: Bool { source == .plane && bytesPerLine == width }

    /// Bytes a complete frame needs before its luminance can be read.
    public var minimumBytes: Int {
        guard height > 0 else { return 0 }
        let rowBytes = switch source { case .plane: width; case let .packed(offset, step): (width - 1) * step + offset + 1; case .rgb: width * 3 }
        return (height - 1) * bytesPerLine + rowBytes
    }

    /// nil for a format whose luminance we cannot read (MJPEG asked without libv4l2, Bayer, 10-bit grey, …).
    public init?(format code: UInt32, width: Int, height: Int, bytesPerLine: Int) {
        let name = V4L2PixelFormat.name(code)
        let source: Source
        switch name {
        case "GREY", "NV12", "NV21", "YU12", "YV12", "NV16", "NV61", "422P", "NV24", "NV42": source = .plane
        case "YUYV", "YVYU": source = .packed(offset: 0, step: 2)
        case "UYVY", "VYUY": source = .packed(offset: 1, step: 2)
        case "RGB3": source = .rgb(red: 0, green: 1, blue: 2)
        case "BGR3": source = .rgb(red: 2, green: 1, blue: 0)
        default: return nil
        }
        let least = switch source { case .plane: width; case .packed: width * 2; case .rgb: width * 3 }
        guard width > 0, height > 0 else { return nil }
        self.format = name; self.width = width; self.height = height
        // Drivers may leave bytesperline 0 for "packed"; never trust a value below the row's own size.
        self.bytesPerLine = max(bytesPerLine, least)
        self.source = source
    }

    /// Copies the luminance of `frame` into `luma` (width x height, rows packed).
    public func copyLuma(from frame: UnsafePointer<UInt8>, into luma: UnsafeMutablePointer<UInt8>) {
        for y in 0..<height {
            let row = frame + y * bytesPerLine, out = luma + y * width
            switch source {
            case .plane:
                out.update(from: row, count: width)
            case let .packed(offset, step):
                for x in 0..<width { out[x] = row[x * step + offset] }
            case let .rgb(r, g, b):
                // Rec. 601 luma in fixed point: what a camera's own Y would have been.
                for x in 0..<width {
                    let p = row + x * 3
                    let weighted: Int = 77 * Int(p[r]) + 150 * Int(p[g]) + 29 * Int(p[b])
                    out[x] = UInt8((weighted + 128) >> 8)
                }
            }
        }
    }
}
