import Imaging

/// A second look at a frame zbar found nothing in. Pure image transforms, each for a failure seen at
/// counters: dark-mode wallets (inverted), dim or washed-out screens (stretched), tiny codes
/// (upscaled), sensor noise (smoothed), soft focus (sharpened), large noisy codes (halved).
public enum ScanAttempt: String, CaseIterable, Sendable {
    // Cheapest first: a still image stops at the first look that finds a code.
    case asIs = "as-is", inverted, stretched, stretchedInverted = "stretched-inverted", smoothed, smoothedInverted = "smoothed-inverted",
         sharpened, halved, halvedInverted = "halved-inverted", upscaled, upscaledInverted = "upscaled-inverted"

    /// What a camera tries on an empty frame: cheap, and a phone held up is seen again next frame.
    public static let video: [ScanAttempt] = [.asIs, .inverted]
    /// What a still image gets: it is the only look there will be.
    public static let still: [ScanAttempt] = allCases

    /// Upscaling helps codes with too few pixels per module; a photo of several megapixels has enough.
    public func worthTrying(width: Int, height: Int) -> Bool {
        switch self {
        case .upscaled, .upscaledInverted: width * height <= 4_000_000
        default: true
        }
    }

    /// The transformed image (the caller reads `.asIs` in place, without a copy).
    public func apply(_ image: GrayImage) -> GrayImage {
        switch self {
        case .asIs: image
        case .inverted: image.inverted
        case .stretched: Transforms.stretched(image)
        case .stretchedInverted: Transforms.stretched(image).inverted
        case .smoothed: Transforms.smoothed(image)
        case .smoothedInverted: Transforms.smoothed(image).inverted
        case .upscaled: Transforms.upscaled(image)
        case .upscaledInverted: Transforms.upscaled(image).inverted
        case .sharpened: Transforms.sharpened(image)
        case .halved: Transforms.halved(image)
        case .halvedInverted: Transforms.halved(image).inverted
        }
    }
}

enum Transforms {
    /// Maps the 1st–99th percentile of brightness onto 0–255.
    static func stretched(_ image: GrayImage) -> GrayImage {
        var histogram = [Int](repeating: 0, count: 256)
        image.pixels.withUnsafeBufferPointer { for p in $0 { histogram[Int(p)] += 1 } }
        let cut = image.pixels.count / 100
        var low = 0, high = 255, sum = 0
        while low < 255, sum + histogram[low] <= cut { sum += histogram[low]; low += 1 }
        sum = 0
        while high > 0, sum + histogram[high] <= cut { sum += histogram[high]; high -= 1 }
        guard high > low else { return image }
        let table = (0..<256).map { UInt8(max(0, min(255, ($0 - low) * 255 / (high - low)))) }
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = table[Int(p[i])] } }
        return out
    }

    /// 3x3 box average (edges copied).
    static func smoothed(_ image: GrayImage) -> GrayImage {
        let w = image.width, h = image.height
        guard w > 2, h > 2 else { return image }
        var out = image
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 1..<(h - 1) {
                    for x in 1..<(w - 1) {
                        let c = y * w + x
                        var sum = Int(src[c - w - 1]) + Int(src[c - w]) + Int(src[c - w + 1])
                        sum += Int(src[c - 1]) + Int(src[c]) + Int(src[c + 1])
                        sum += Int(src[c + w - 1]) + Int(src[c + w]) + Int(src[c + w + 1])
                        dst[c] = UInt8(sum / 9)
                    }
                }
            }
        }
        return out
    }

    /// Unsharp mask: the image plus twice its difference from the 3x3 average.
    static func sharpened(_ image: GrayImage) -> GrayImage {
        let blurred = smoothed(image)
        var out = image
        image.pixels.withUnsafeBufferPointer { src in
            blurred.pixels.withUnsafeBufferPointer { soft in
                out.pixels.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<dst.count { dst[i] = UInt8(max(0, min(255, 3 * Int(src[i]) - 2 * Int(soft[i])))) }
                }
            }
        }
        return out
    }

    /// Twice the size, bilinear: zbar needs about 3 pixels per module, tiny codes have fewer.
    static func upscaled(_ image: GrayImage) -> GrayImage {
        let w = image.width, h = image.height
        var out = GrayImage(width: w * 2, height: h * 2)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<(h * 2) {
                    // Sample centres: output pixel y covers source (y + 0.5) / 2 - 0.5, in quarters.
                    let sy = max(0, 2 * y - 1), y0 = sy / 4, fy = sy % 4, y1 = min(h - 1, y0 + 1)
                    for x in 0..<(w * 2) {
                        let sx = max(0, 2 * x - 1), x0 = sx / 4, fx = sx % 4, x1 = min(w - 1, x0 + 1)
                        let a = Int(src[y0 * w + x0]), b = Int(src[y0 * w + x1]), c = Int(src[y1 * w + x0]), d = Int(src[y1 * w + x1])
                        let top = a * (4 - fx) + b * fx
                        let bottom = c * (4 - fx) + d * fx
                        dst[y * w * 2 + x] = UInt8((top * (4 - fy) + bottom * fy + 8) / 16)
                    }
                }
            }
        }
        return out
    }

    /// Half the size, 2x2 averages: averages away noise that breaks zbar's edges.
    static func halved(_ image: GrayImage) -> GrayImage {
        let w = image.width / 2, h = image.height / 2
        guard w > 0, h > 0 else { return image }
        var out = GrayImage(width: w, height: h)
        let sw = image.width
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let c = 2 * y * sw + 2 * x
                        let sum: Int = Int(src[c]) + Int(src[c + 1]) + Int(src[c + sw]) + Int(src[c + sw + 1])
                        dst[y * w + x] = UInt8((sum + 2) / 4)
                    }
                }
            }
        }
        return out
    }
}
