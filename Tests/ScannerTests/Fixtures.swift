import Devices
import ShopperCodes
import Foundation
import Imaging

/// Temporary folders and frames shared by the scanner, camera and lights tests.
enum Fixtures {
    static func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A phone showing `payload` as a camera sees it (640x480).
    static func frame(_ payload: String, as symbology: ShopperCode.Symbology? = nil) throws -> GrayImage {
        ShopperCode.phoneFrame(try ShopperCode.render(payload, as: symbology, module: 3))
    }

    /// Lends `image` to `body` as a camera frame.
    static func lend<T>(_ image: GrayImage, sequence: Int = 1, _ body: (LumaFrame) throws -> T) rethrows -> T {
        try image.pixels.withUnsafeBufferPointer { try body(LumaFrame(pixels: $0.baseAddress!, width: image.width, height: image.height, sequence: sequence)) }
    }
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    var now: Duration = .zero
    func advance(to time: Duration) { now = time }
}
