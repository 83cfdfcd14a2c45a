import CZbar
import Devices
import ShopperCodes
import Foundation
import Imaging
import PaymentCodes

/// `qrpos bench`, camera part: camera-sized frames through the whole scanning pipeline (zero-copy frame,
/// zbar, classification, de-duplication) and, in the same run on the same frames, through a bare
/// `zbar_scan_image` call with the same configuration.
extension BenchCommand {
    func scanning(_ classifier: Classifier) throws {
        let payloads = ["900081818812345678901234", "hQVDUFYwMWEfTwigAAAAZQOSAlcTMViZAHkkKUPUkSEhAAAFEgAADw==", "134567890123456789",
                        "6212345678901234567", "3158990012345678901", "2612345678901234"]
        let passes = max(3, rounds / 400)
        print("camera frames through the scanner (density 2, one code per frame, sensor grain, \(passes) passes, best pass):")
        for (w, h) in [(640, 480), (1280, 720)] {
            let frames = try payloads.enumerated().map { index, payload in
                // Codes at camera-like sizes: 3 px per module in VGA, 4 in 720p, alternating barcode and QR.
                sensorNoise(ShopperCode.phoneFrame(try ShopperCode.render(payload, module: w == 640 ? 3 : 4), width: w, height: h), seed: UInt64(index + 1))
            }
            let blank = [sensorNoise(GrayImage(width: w, height: h, fill: 90), seed: 99)]
            let pipeline = CodeScanner(classifier: classifier, settings: .init(window: .zero))
            let bare = BareZbar(density: 2)
            // Every frame must hold a code zbar reads at first look, or the comparison would time second looks.
            for (index, image) in frames.enumerated() {
                let read = image.pixels.withUnsafeBufferPointer { bare.scan(LumaFrame(pixels: $0.baseAddress!, width: w, height: h, sequence: 1)) }
                guard read > 0 else { throw Failure("bench frame \(index + 1) (\(w)x\(h), \(Mask.scanned(payloads[index]))) holds no readable code") }
            }
            let (ours, theirs) = compare(passes, frames, { frame in _ = pipeline.scan(frame) }, { frame in _ = bare.scan(frame) })
            print(String(format: "  %4dx%-4d pipeline %6.2f ms/frame (%5.1f fps)   bare zbar_scan_image %6.2f ms/frame (%5.1f fps)   ratio %.3f",
                         w, h, ours * 1e3, 1 / ours, theirs * 1e3, 1 / theirs, ours / theirs))
            let (emptyOurs, emptyBare) = compare(passes * 3, blank, { frame in _ = pipeline.scan(frame) }, { frame in _ = bare.scan(frame) })
            print(String(format: "  %4dx%-4d no code in view: pipeline %6.2f ms/frame (with the inverted second look), bare %6.2f ms/frame",
                         w, h, emptyOurs * 1e3, emptyBare * 1e3))
        }
    }

    /// A camera's grain (±4 levels): flat synthetic frames would flatter zbar, which works per edge.
    private func sensorNoise(_ image: GrayImage, seed: UInt64) -> GrayImage {
        var out = image, state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in out.pixels.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            out.pixels[i] = UInt8(clamping: Int(out.pixels[i]) + Int(state % 9) - 4)
        }
        return out
    }

    /// Seconds per frame for each body, the best of `passes` alternating passes (so both see the same machine state).
    private func compare(_ passes: Int, _ frames: [GrayImage], _ first: (LumaFrame) -> Void, _ second: (LumaFrame) -> Void) -> (Double, Double) {
        var best = (Double.infinity, Double.infinity)
        let clock = ContinuousClock()
        func pass(_ body: (LumaFrame) -> Void) -> Double {
            let elapsed = clock.measure {
                for (index, image) in frames.enumerated() {
                    image.pixels.withUnsafeBufferPointer { body(LumaFrame(pixels: $0.baseAddress!, width: image.width, height: image.height, sequence: index + 1, borrowed: true)) }
                }
            }
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(frames.count)
        }
        _ = pass(first); _ = pass(second) // warm-up
        for _ in 0..<passes {
            best.0 = min(best.0, pass(first))
            best.1 = min(best.1, pass(second))
        }
        return best
    }
}

/// zbar as it comes: one image scanner configured like the pipeline's, one zbar_scan_image per frame.
final class BareZbar {
    private let scanner: OpaquePointer
    private let y800 = qrpos_zbar_fourcc(89, 56, 48, 48)

    init(density: Int) {
        scanner = zbar_image_scanner_create()
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        for symbology in [ZBAR_QRCODE, ZBAR_CODE128, ZBAR_EAN13] { zbar_image_scanner_set_config(scanner, symbology, ZBAR_CFG_ENABLE, 1) }
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, Int32(density))
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, Int32(density))
    }

    deinit { zbar_image_scanner_destroy(scanner) }

    func scan(_ frame: LumaFrame) -> Int32 {
        let image = zbar_image_create()
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, y800)
        zbar_image_set_size(image, UInt32(frame.width), UInt32(frame.height))
        zbar_image_set_data(image, frame.pixels, UInt(frame.width * frame.height), nil)
        return zbar_scan_image(scanner, image)
    }
}
