import CLinux
import Foundation
import Imaging
import Platform
import SystemPackage

/// The counter screen through the Linux framebuffer (/dev/fbN): small SPI panels at 16 bpp (RGB565)
/// and simple HDMI setups at 32 bpp. Rows are written at line_length, which may exceed width x bytes.
public final class FramebufferDisplay: Display {
    public let width: Int
    public let height: Int
    public let device: String
    public let bitsPerPixel: Int
    private let lineLength: Int
    private let variable: fb_var_screeninfo
    private var fd: FileDescriptor?
    private var memory: UnsafeMutableRawPointer?
    private let mappedLength: Int

    public var description: String { "fbdev \(device) \(width)x\(height) \(bitsPerPixel) bpp" }

    public init(device: String = "/dev/fb0") throws(DeviceError) {
        self.device = device
        let fd: FileDescriptor
        do { fd = try SystemCall.open(device, .readWrite) } catch {
            throw DeviceError(device: device, error,
                              hint: error.errno == .noSuchFileOrDirectory ? "no framebuffer: is the panel's driver loaded (or use the DRM backend)?" : "")
        }
        func closing(_ error: DeviceError) -> DeviceError { SystemCall.close(fd); return error }
        var v = fb_var_screeninfo(), f = fb_fix_screeninfo()
        do {
            try SystemCall.control(fd, Self.variableScreenInfo, &v)
            try SystemCall.control(fd, Self.fixedScreenInfo, &f)
        } catch { throw closing(DeviceError(device: device, error)) }
        guard v.bits_per_pixel == 16 || v.bits_per_pixel == 32 else {
            throw closing(DeviceError(device: device, call: "FBIOGET_VSCREENINFO", hint: "\(v.bits_per_pixel) bpp is not supported (16 or 32)"))
        }
        let mapped: UnsafeMutableRawPointer
        do { mapped = try SystemCall.mapShared(fd, length: Int(f.smem_len)) } catch { throw closing(DeviceError(device: device, error)) }
        self.fd = fd
        variable = v
        width = Int(v.xres); height = Int(v.yres); bitsPerPixel = Int(v.bits_per_pixel)
        lineLength = Int(f.line_length)
        mappedLength = Int(f.smem_len)
        memory = mapped
    }

    public func show(_ frame: Frame) throws(DeviceError) {
        guard let memory else { throw DeviceError(device: device, call: "show", hint: "the display is closed") }
        guard frame.canvas.width == width, frame.canvas.height == height else {
            throw DeviceError(device: device, call: "show", hint: "frame is \(frame.canvas.width)x\(frame.canvas.height), panel is \(width)x\(height)")
        }
        // The visible area starts at the panning offset, which some drivers leave non-zero.
        let origin = memory + Int(variable.yoffset) * lineLength + Int(variable.xoffset) * bitsPerPixel / 8
        let v = variable
        let standardOrder = v.red.offset == 16 && v.green.offset == 8 && v.blue.offset == 0
        for y in 0..<height {
            let row = origin + y * lineLength
            if bitsPerPixel == 16 {
                frame.canvas.rgb565Row(y, into: row.assumingMemoryBound(to: UInt16.self))
            } else if standardOrder {
                frame.canvas.pixels.withUnsafeBytes { row.copyMemory(from: $0.baseAddress! + y * width * 4, byteCount: width * 4) }
            } else {
                let out = row.assumingMemoryBound(to: UInt32.self)
                for x in 0..<width {
                    let p = frame.canvas.pixels[y * width + x]
                    out[x] = (p >> 16 & 0xFF) << v.red.offset | (p >> 8 & 0xFF) << v.green.offset | (p & 0xFF) << v.blue.offset
                }
            }
        }
    }

    public func close() {
        if let memory { SystemCall.unmap(memory, length: mappedLength) }
        memory = nil
        if let fd { SystemCall.close(fd) }
        fd = nil
    }

    deinit { close() }

    static let variableScreenInfo = IOControl<fb_var_screeninfo>("FBIOGET_VSCREENINFO", qrpos_fbioget_vscreeninfo())
    static let fixedScreenInfo = IOControl<fb_fix_screeninfo>("FBIOGET_FSCREENINFO", qrpos_fbioget_fscreeninfo())
}
