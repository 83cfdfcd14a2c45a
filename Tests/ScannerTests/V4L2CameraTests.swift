import Devices
import Foundation
import Testing

/// The V4L2 backend's pure parts (format choice, where the luminance is) for every format vivid and
/// real cameras offer, and its errors on this machine, which has no camera.
struct V4L2CameraTests {
    static func code(_ name: String) -> UInt32 { V4L2PixelFormat.code(name) }

    @Test func fourccNamesRoundTrip() {
        #expect(Self.code("YUYV") == 0x5659_5559)
        #expect(V4L2PixelFormat.name(Self.code("GREY")) == "GREY")
        #expect(V4L2PixelFormat.name(Self.code("Y16")) == "Y16")
    }

    @Test func choosesGreyThenPlanarThenPackedAndEmulatedOnlyWhenNeeded() {
        // vivid's capture formats (a selection, in its own order).
        let vivid = ["YUYV", "UYVY", "YVYU", "VYUY", "422P", "YU12", "YV12", "NV12", "NV21", "NV16", "NV61", "RGBP", "RGB3", "BGR3", "GREY", "Y10 "]
        #expect(V4L2PixelFormat.choose(vivid.map { (Self.code($0), false) }) == Self.code("GREY"))
        #expect(V4L2PixelFormat.choose(["YUYV", "MJPG"].map { (Self.code($0), false) }) == Self.code("YUYV"))
        // An MJPEG-only webcam: libv4l2 lists the formats it converts to, flagged emulated.
        let webcam: [(code: UInt32, emulated: Bool)] = [(Self.code("MJPG"), false), (Self.code("RGB3"), true), (Self.code("YU12"), true)]
        #expect(V4L2PixelFormat.choose(webcam) == Self.code("YU12"))
        #expect(V4L2PixelFormat.choose([(Self.code("YUYV"), true), (Self.code("RGB3"), false)]) == Self.code("RGB3"))
        #expect(V4L2PixelFormat.choose([(Self.code("MJPG"), false)]) == nil)
    }

    @Test func lumaComesOutOfEveryLayoutAtItsRowPitch() {
        // 3x2 YUYV with 4 bytes of row padding: Y at even bytes.
        let yuyv = LumaLayout(format: Self.code("YUYV"), width: 3, height: 2, bytesPerLine: 10)!
        let frame: [UInt8] = [10, 128, 11, 128, 12, 128, 9, 9, 9, 9,
                              20, 128, 21, 128, 22, 128, 9, 9, 9, 9]
        #expect(!yuyv.zeroCopy && yuyv.minimumBytes == 15)
        #expect(Self.luma(yuyv, frame) == [10, 11, 12, 20, 21, 22])
        let uyvy = LumaLayout(format: Self.code("UYVY"), width: 2, height: 1, bytesPerLine: 4)!
        #expect(Self.luma(uyvy, [128, 30, 128, 31]) == [30, 31])
        // GREY with padded rows must be compacted; without padding it goes to zbar as it is.
        let padded = LumaLayout(format: Self.code("GREY"), width: 2, height: 2, bytesPerLine: 4)!
        #expect(!padded.zeroCopy && Self.luma(padded, [1, 2, 0, 0, 3, 4, 0, 0]) == [1, 2, 3, 4])
        #expect(LumaLayout(format: Self.code("GREY"), width: 640, height: 480, bytesPerLine: 640)!.zeroCopy)
        #expect(LumaLayout(format: Self.code("NV12"), width: 640, height: 480, bytesPerLine: 0)!.zeroCopy, "bytesperline 0 means packed")
        let rgb = LumaLayout(format: Self.code("RGB3"), width: 2, height: 1, bytesPerLine: 6)!
        #expect(Self.luma(rgb, [255, 255, 255, 0, 255, 0]) == [255, 149])
        #expect(LumaLayout(format: Self.code("MJPG"), width: 640, height: 480, bytesPerLine: 0) == nil)
    }

    static func luma(_ layout: LumaLayout, _ frame: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: layout.width * layout.height)
        frame.withUnsafeBufferPointer { source in out.withUnsafeMutableBufferPointer { layout.copyLuma(from: source.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    @Test func missingCameraSaysSo() {
        do { _ = try V4L2Camera(device: "/dev/video97", log: { _ in }); Issue.record("opened a camera that does not exist") } catch {
            #expect(error.call == "open" && error.errno == ENOENT)
            #expect(error.description.contains("no such camera"), "\(error)")
        }
    }

    @Test func nodeWithoutVideoCaptureIsRefused() {
        do { _ = try V4L2Camera(device: "/dev/null", log: { _ in }); Issue.record("/dev/null taken for a camera") } catch {
            #expect(error.errno == ENOTTY && error.description.contains("not a V4L2 video device"), "\(error)")
        }
    }
}
