import Devices
import ShopperCodes
import Foundation
import Imaging

/// How a camera at a counter spoils a phone's code. Each makes a whole frame from a code image.
enum Distortion: String, CaseIterable, Sendable {
    case clean, rotation, blur, lowContrast = "low-contrast", noise, perspective, glare, small = "small-in-720p", inverted
    /// Saved as a JPEG at quality 30 after a little sensor noise: what a camera or a phone photo hands over.
    case jpeg = "jpeg-q30"

    func frame(_ code: GrayImage, symbology: ShopperCode.Symbology, seed: UInt64) -> GrayImage {
        var rng = SplitMix(seed: seed &+ UInt64(Distortion.allCases.firstIndex(of: self)!) &* 1000)
        let phone = Scene.phone(code)
        let (w, h) = self == .small ? (1280, 720) : (640, 480)
        let cx = Double(w) / 2 + rng.range(-20, 20), cy = Double(h) / 2 + rng.range(-20, 20)
        var scale = min(1, 0.9 * min(Double(w) / Double(phone.width), Double(h) / Double(phone.height)))
        var angle = 0.0
        var tilt = 0.0
        switch self {
        case .rotation:
            // Barcodes are read along scan lines, so a tilted phone is only slightly tilted; a QR can be at any angle.
            angle = symbology == .qr ? rng.range(15, 345) : rng.range(4, 12) * (rng.unit() < 0.5 ? -1 : 1)
            if symbology == .qr { scale = min(scale, 0.62 * Double(h) / Double(max(phone.width, phone.height))) }
        case .perspective:
            tilt = rng.range(0.18, 0.30)
        case .small:
            // A code far from the camera: about 1.6–2 pixels per module (QR drawn at 4, barcodes at 2).
            scale = symbology == .qr ? rng.range(0.4, 0.5) : rng.range(0.8, 0.95)
        default: break
        }
        var frame = Scene.place(phone, in: w, h, centre: (cx, cy), scale: scale, degrees: angle, tilt: tilt)
        switch self {
        case .blur: frame = Scene.boxBlur(Scene.boxBlur(frame, radius: 1), radius: 1)
        case .lowContrast: frame = Scene.contrast(frame, low: 110, high: 140)
        case .noise: frame = Scene.noise(frame, amplitude: 70, rng: &rng)
        case .glare: frame = Scene.glare(frame, spots: 2, rng: &rng)
        case .inverted: frame = frame.inverted
        case .jpeg: frame = Scene.noise(frame, amplitude: 24, rng: &rng)
        default: break
        }
        return frame
    }
}

enum Scene {
    /// The phone's screen: the code on white with a margin.
    static func phone(_ code: GrayImage) -> GrayImage {
        var screen = GrayImage(width: code.width + 40, height: code.height + 40, fill: 240)
        for y in 0..<code.height { for x in 0..<code.width { screen[x + 20, y + 20] = code[x, y] == 255 ? 240 : 25 } }
        return screen
    }

    /// Draws `source` into a dim (70) `w`x`h` frame: centred, scaled, rotated and tilted (top edge narrower).
    static func place(_ source: GrayImage, in w: Int, _ h: Int, centre: (Double, Double), scale: Double, degrees: Double, tilt: Double) -> GrayImage {
        let sw = Double(source.width) * scale, sh = Double(source.height) * scale
        let corners = [(-sw / 2 * (1 - tilt), -sh / 2), (sw / 2 * (1 - tilt), -sh / 2), (sw / 2, sh / 2), (-sw / 2, sh / 2)]
        let r = degrees * Double.pi / 180
        let quad = corners.map { (centre.0 + $0.0 * cos(r) - $0.1 * sin(r), centre.1 + $0.0 * sin(r) + $0.1 * cos(r)) }
        let inverse = Homography.squareToQuad(quad).inverted
        var frame = GrayImage(width: w, height: h, fill: 70)
        let sourceW = source.width, sourceH = source.height
        let xs = quad.map(\.0), ys = quad.map(\.1)
        let left = max(0, Int(xs.min()!) - 1), right = min(w, Int(xs.max()!) + 2), top = max(0, Int(ys.min()!) - 1), bottom = min(h, Int(ys.max()!) + 2)
        source.pixels.withUnsafeBufferPointer { src in
            frame.pixels.withUnsafeMutableBufferPointer { dst in
                for y in top..<bottom {
                    for x in left..<right {
                        let (u, v) = inverse.apply(Double(x) + 0.5, Double(y) + 0.5)
                        let sx = u * Double(sourceW) - 0.5, sy = v * Double(sourceH) - 0.5
                        guard sx >= 0, sy >= 0, sx < Double(sourceW - 1), sy < Double(sourceH - 1) else { continue }
                        let x0 = Int(sx), y0 = Int(sy), fx = sx - Double(x0), fy = sy - Double(y0)
                        let a = Double(src[y0 * sourceW + x0]), b = Double(src[y0 * sourceW + x0 + 1])
                        let c = Double(src[(y0 + 1) * sourceW + x0]), d = Double(src[(y0 + 1) * sourceW + x0 + 1])
                        let top = a + (b - a) * fx, bottom = c + (d - c) * fx
                        dst[y * w + x] = UInt8(top + (bottom - top) * fy)
                    }
                }
            }
        }
        return frame
    }

    static func boxBlur(_ image: GrayImage, radius: Int) -> GrayImage {
        var out = image
        let w = image.width, h = image.height, n = 2 * radius + 1
        var temp = [Int](repeating: 0, count: w * h)
        image.pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { mid in
                for y in 0..<h { for x in 0..<w {
                    var sum = 0
                    for k in -radius...radius { sum += Int(src[y * w + min(w - 1, max(0, x + k))]) }
                    mid[y * w + x] = sum
                } }
                out.pixels.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<h { for x in 0..<w {
                        var sum = 0
                        for k in -radius...radius { sum += mid[min(h - 1, max(0, y + k)) * w + x] }
                        dst[y * w + x] = UInt8(sum / (n * n))
                    } }
                }
            }
        }
        return out
    }

    static func contrast(_ image: GrayImage, low: Int, high: Int) -> GrayImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = UInt8(low + Int(p[i]) * (high - low) / 255) } }
        return out
    }

    /// Sensor noise: each pixel moved by up to ±amplitude/2, triangular distribution.
    static func noise(_ image: GrayImage, amplitude: Int, rng: inout SplitMix) -> GrayImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                let r = rng.next()
                let delta = (Int(r & 0xFF) + Int((r >> 8) & 0xFF)) * amplitude / 510 - amplitude / 2
                p[i] = UInt8(max(0, min(255, Int(p[i]) + delta)))
            }
        }
        return out
    }

    /// Reflections of shop lights: bright soft ellipses over the middle of the frame.
    static func glare(_ image: GrayImage, spots: Int, rng: inout SplitMix) -> GrayImage {
        var out = image
        let w = image.width, h = image.height
        for _ in 0..<spots {
            let cx = rng.range(0.3, 0.7) * Double(w), cy = rng.range(0.3, 0.7) * Double(h)
            let rx = rng.range(0.07, 0.12) * Double(w), ry = rx * rng.range(0.5, 1.0)
            out.pixels.withUnsafeMutableBufferPointer { p in
                for y in max(0, Int(cy - ry))..<min(h, Int(cy + ry) + 1) {
                    for x in max(0, Int(cx - rx))..<min(w, Int(cx + rx) + 1) {
                        let d = pow((Double(x) - cx) / rx, 2) + pow((Double(y) - cy) / ry, 2)
                        guard d < 1 else { continue }
                        let strength = 1 - d * d
                        p[y * w + x] = UInt8(min(255, Double(p[y * w + x]) + strength * 255))
                    }
                }
            }
        }
        return out
    }
}

/// A projective map from the unit square to a quadrilateral (Heckbert), and its inverse.
struct Homography {
    var m: [Double] // row-major 3x3

    static func squareToQuad(_ q: [(Double, Double)]) -> Homography {
        let (x0, y0) = q[0], (x1, y1) = q[1], (x2, y2) = q[2], (x3, y3) = q[3]
        let dx1 = x1 - x2, dx2 = x3 - x2, dx3 = x0 - x1 + x2 - x3
        let dy1 = y1 - y2, dy2 = y3 - y2, dy3 = y0 - y1 + y2 - y3
        let den = dx1 * dy2 - dx2 * dy1
        let g = abs(dx3) < 1e-9 && abs(dy3) < 1e-9 ? 0 : (dx3 * dy2 - dx2 * dy3) / den
        let h = abs(dx3) < 1e-9 && abs(dy3) < 1e-9 ? 0 : (dx1 * dy3 - dx3 * dy1) / den
        return Homography(m: [x1 - x0 + g * x1, x3 - x0 + h * x3, x0,
                              y1 - y0 + g * y1, y3 - y0 + h * y3, y0,
                              g, h, 1])
    }

    var inverted: Homography {
        let a = m
        let c00 = a[4] * a[8] - a[5] * a[7], c01 = a[2] * a[7] - a[1] * a[8], c02 = a[1] * a[5] - a[2] * a[4]
        let c10 = a[5] * a[6] - a[3] * a[8], c11 = a[0] * a[8] - a[2] * a[6], c12 = a[2] * a[3] - a[0] * a[5]
        let c20 = a[3] * a[7] - a[4] * a[6], c21 = a[1] * a[6] - a[0] * a[7], c22 = a[0] * a[4] - a[1] * a[3]
        return Homography(m: [c00, c01, c02, c10, c11, c12, c20, c21, c22])
    }

    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let w = m[6] * x + m[7] * y + m[8]
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }
}
