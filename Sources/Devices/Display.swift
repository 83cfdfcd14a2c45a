import Imaging
import Platform

/// A finished frame for a panel: the pixels (physical size, already rotated) and what they say,
/// so a text-only preview can print the words and the QR exactly.
public struct Frame: Sendable {
    public var canvas: Canvas
    public var texts: [String]
    public var codes: [String]
    public init(canvas: Canvas, texts: [String] = [], codes: [String] = []) { self.canvas = canvas; self.texts = texts; self.codes = codes }
}

/// Where the counter screen goes. One file per backend: DRM/KMS, fbdev, PNG, terminal preview.
public protocol Display: AnyObject {
    /// "drm /dev/dri/card0 HDMI-A-1 1920x1080@60", for logs and health (`GET /v1/health`).
    var description: String { get }
    /// Physical pixels of the panel.
    var width: Int { get }
    var height: Int { get }
    /// Shows a frame of exactly `width`x`height`; returns once it is on the panel (or queued for the next vblank).
    func show(_ frame: Frame) throws(DeviceError)
    /// Gives the panel back as it was found. Safe to call twice.
    func close()
}

/// A device call that failed, with the device and the call named for the technician.
public struct DeviceError: Error, CustomStringConvertible, Sendable {
    public var device: String
    public var call: String
    public var errno: Int32
    public var hint: String

    public init(device: String, call: String, errno: Int32 = 0, hint: String = "") {
        self.device = device; self.call = call; self.errno = errno; self.hint = hint
    }

    /// A failed system call on `device`, said as every device error is.
    public init(device: String, _ failure: SystemCallError, hint: String = "") {
        self.init(device: device, call: failure.call, errno: failure.errno.rawValue, hint: hint)
    }

    public var description: String {
        var text = "\(device): \(call) failed"
        if errno != 0 { text += " (\(String(cString: strerror(errno))))" }
        if !hint.isEmpty { text += ": \(hint)" }
        return text
    }
}

#if canImport(Glibc)
import Glibc
#endif
