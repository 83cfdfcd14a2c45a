/// One greyscale frame lent by a camera: the luminance plane, rows packed (what zbar reads as Y800).
/// The pixels may be the driver's own buffer: valid only inside the `capture` call that lends them.
public struct LumaFrame {
    public var pixels: UnsafePointer<UInt8>
    public var width: Int
    public var height: Int
    /// Counts frames from 1 since the camera opened (the driver's sequence for V4L2).
    public var sequence: Int
    /// Where the frame came from: the image file, or nil for a live camera.
    public var file: String?
    /// True when `pixels` is the capture buffer itself (no copy was made).
    public var borrowed: Bool

    public init(pixels: UnsafePointer<UInt8>, width: Int, height: Int, sequence: Int, file: String? = nil, borrowed: Bool = false) {
        self.pixels = pixels; self.width = width; self.height = height; self.sequence = sequence; self.file = file; self.borrowed = borrowed
    }
}

/// What a camera had when asked for a frame.
public enum CaptureOutcome: Equatable, Sendable {
    /// A frame was lent to the handler.
    case frame
    /// Nothing new within the timeout (a quiet folder, a camera between frames, an unplugged camera).
    case nothing
    /// A finite source (a list of image files) has no more frames.
    case finished
    /// An image file that could not be read; the camera goes on with the next one.
    case unreadable(file: String, reason: String)
}

/// Where shoppers' codes come from. One file per backend: V4L2 (live cameras), image files (the simulated board).
public protocol Camera: AnyObject {
    /// "v4l2 /dev/video0 uvcvideo GREY 1280x720", for logs and health (`GET /v1/health`).
    var description: String { get }
    /// Waits up to `timeoutMilliseconds` for the next frame and lends it to `handle`.
    func capture(timeoutMilliseconds: Int, _ handle: (LumaFrame) -> Void) throws(DeviceError) -> CaptureOutcome
    /// Stops streaming and frees the buffers. Safe to call twice.
    func close()
}
