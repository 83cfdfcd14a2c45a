import CV4L2
import Foundation
import Platform
import SystemPackage

/// A live camera through libv4l2 (which converts MJPEG and odd formats in software), streaming into
/// mmap buffers. The luminance goes to the scanner straight from the driver's buffer when the format
/// allows (GREY, planar YUV with no row padding); otherwise it is copied out once per frame.
public final class V4L2Camera: Camera {
    public let device: String
    public private(set) var layout: LumaLayout
    public private(set) var driver = ""
    private let wantedWidth: Int, wantedHeight: Int, bufferCount: Int
    private let log: (String) -> Void
    private var fd: Int32 = -1
    private var buffers: [(memory: UnsafeMutableRawPointer, length: Int)] = []
    private var scratch: [UInt8] = []
    private var streaming = false
    /// Set while the camera is unplugged: when to try opening it again.
    private var reopenAt: ContinuousClock.Instant?

    public var description: String {
        "v4l2 \(device) \(driver) \(layout.format) \(layout.width)x\(layout.height)" + (reopenAt == nil ? "" : " (unplugged)")
    }

    /// Opens `device` and starts streaming at the size nearest `width`x`height` the driver allows.
    public init(device: String, width: Int = 1280, height: Int = 720, buffers: Int = 4,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(("camera: " + $0 + "\n").utf8)) }) throws(DeviceError) {
        self.device = device; wantedWidth = width; wantedHeight = height; bufferCount = max(2, buffers); self.log = log
        layout = LumaLayout(format: V4L2PixelFormat.code("GREY"), width: 1, height: 1, bytesPerLine: 1)!
        try start()
    }

    deinit { close() }

    // MARK: opening

    private func start() throws(DeviceError) {
        do { fd = try SystemCall.check("open") { qrpos_v4l2_open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC) } } catch {
            throw openError(error.errno.rawValue)
        }
        do {
            try checkCapabilities()
            try negotiateFormat()
            try mapBuffers()
            for index in buffers.indices { try queue(index) }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try ioctl(Request.streamOn, &type)
            streaming = true
        } catch {
            teardown()
            throw error
        }
    }

    private func openError(_ code: Int32) -> DeviceError {
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter { $0.hasPrefix("video") }.sorted().map { "/dev/" + $0 }
        let hint = switch code {
        case ENOENT: "no such camera: is it plugged in and its driver loaded (uvcvideo, vivid, …)? " +
            (present.isEmpty ? "no /dev/video* nodes exist" : "cameras here: \(present.joined(separator: ", "))")
        case EACCES, EPERM: "permission denied: run as a member of the video group"
        case EBUSY: "another program is using the camera"
        // libv4l2 asks VIDIOC_QUERYCAP inside v4l2_open: a node that is not V4L2 fails there.
        case ENOTTY: "not a V4L2 video device"
        default: "cannot open the camera"
        }
        return DeviceError(device: device, call: "open", errno: code, hint: hint)
    }

    private func checkCapabilities() throws(DeviceError) {
        var caps = v4l2_capability()
        do { try ioctl(Request.capabilities, &caps) } catch {
            throw DeviceError(device: device, call: "VIDIOC_QUERYCAP", errno: error.errno, hint: "not a V4L2 video device")
        }
        driver = withUnsafeBytes(of: caps.driver) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        // device_caps describes this node; capabilities the whole device (which may have other nodes).
        let nodeCaps = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
        guard nodeCaps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else {
            let why = nodeCaps & UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE) != 0 ? "multi-planar capture only, which libv4l2 did not convert"
                : "this node does not capture video (an output, metadata or radio node? try the camera's other /dev/videoN)"
            throw DeviceError(device: device, call: "VIDIOC_QUERYCAP", hint: "\(driver): \(why)")
        }
        guard nodeCaps & UInt32(V4L2_CAP_STREAMING) != 0 else {
            throw DeviceError(device: device, call: "VIDIOC_QUERYCAP", hint: "\(driver): no streaming I/O (mmap buffers)")
        }
    }

    /// Asks for the best format the device lists, then reads back what the driver actually chose.
    private func negotiateFormat() throws(DeviceError) {
        var offered: [(code: UInt32, emulated: Bool)] = []
        var description = v4l2_fmtdesc()
        description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        while (try? SystemCall.control(node, Request.enumerateFormats, &description)) != nil {
            offered.append((description.pixelformat, description.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0))
            description.index += 1
        }
        let names = offered.map { V4L2PixelFormat.name($0.code) }
        guard let wanted = V4L2PixelFormat.choose(offered) else {
            throw DeviceError(device: device, call: "VIDIOC_ENUM_FMT", hint: "no format with readable luminance among \(names.joined(separator: ", "))")
        }
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(wantedWidth)
        format.fmt.pix.height = UInt32(wantedHeight)
        format.fmt.pix.pixelformat = wanted
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try ioctl(Request.setFormat, &format)
        // The driver decides: size, format and row padding may all differ from what was asked.
        try ioctl(Request.getFormat, &format)
        let pix = format.fmt.pix
        guard let chosen = LumaLayout(format: pix.pixelformat, width: Int(pix.width), height: Int(pix.height), bytesPerLine: Int(pix.bytesperline)) else {
            throw DeviceError(device: device, call: "VIDIOC_G_FMT", hint: "the driver chose \(V4L2PixelFormat.name(pix.pixelformat)), whose luminance we cannot read")
        }
        layout = chosen
        scratch = chosen.zeroCopy ? [] : [UInt8](repeating: 0, count: chosen.width * chosen.height)
    }

    private func mapBuffers() throws(DeviceError) {
        var request = v4l2_requestbuffers()
        request.count = UInt32(bufferCount)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try ioctl(Request.requestBuffers, &request)
        guard request.count >= 2 else { throw DeviceError(device: device, call: "VIDIOC_REQBUFS", hint: "the driver granted \(request.count) buffer(s); streaming needs 2") }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.index = index
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            try ioctl(Request.queryBuffer, &buffer)
            let memory = v4l2_mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(buffer.m.offset))
            guard let memory, memory != MAP_FAILED else { throw DeviceError(device: device, call: "v4l2_mmap", errno: errno, hint: "buffer \(index)") }
            buffers.append((memory, Int(buffer.length)))
        }
    }

    private func queue(_ index: Int) throws(DeviceError) {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        try ioctl(Request.queueBuffer, &buffer)
    }

    private var node: FileDescriptor { FileDescriptor(rawValue: fd) }

    private func ioctl<T>(_ request: IOControl<T>, _ argument: inout T) throws(DeviceError) {
        do { try SystemCall.control(node, request, &argument) } catch { throw DeviceError(device: device, error) }
    }

    /// Every ioctl goes through libv4l2, so its conversions apply.
    private enum Request {
        static func v4l2<Argument>(_ name: String, _ request: UInt) -> IOControl<Argument> {
            IOControl(name, request) { qrpos_v4l2_ioctl($0, $1, $2) }
        }
        static let capabilities: IOControl<v4l2_capability> = v4l2("VIDIOC_QUERYCAP", qrpos_vidioc_querycap())
        static let enumerateFormats: IOControl<v4l2_fmtdesc> = v4l2("VIDIOC_ENUM_FMT", qrpos_vidioc_enum_fmt())
        static let setFormat: IOControl<v4l2_format> = v4l2("VIDIOC_S_FMT", qrpos_vidioc_s_fmt())
        static let getFormat: IOControl<v4l2_format> = v4l2("VIDIOC_G_FMT", qrpos_vidioc_g_fmt())
        static let requestBuffers: IOControl<v4l2_requestbuffers> = v4l2("VIDIOC_REQBUFS", qrpos_vidioc_reqbufs())
        static let queryBuffer: IOControl<v4l2_buffer> = v4l2("VIDIOC_QUERYBUF", qrpos_vidioc_querybuf())
        static let queueBuffer: IOControl<v4l2_buffer> = v4l2("VIDIOC_QBUF", qrpos_vidioc_qbuf())
        static let dequeueBuffer: IOControl<v4l2_buffer> = v4l2("VIDIOC_DQBUF", qrpos_vidioc_dqbuf())
        static let streamOn: IOControl<Int32> = v4l2("VIDIOC_STREAMON", qrpos_vidioc_streamon())
        static let streamOff: IOControl<Int32> = v4l2("VIDIOC_STREAMOFF", qrpos_vidioc_streamoff())
    }

    // MARK: frames

    public func capture(timeoutMilliseconds: Int, _ handle: (LumaFrame) -> Void) throws(DeviceError) -> CaptureOutcome {
        if let reopenAt { return try reopen(after: reopenAt, timeoutMilliseconds: timeoutMilliseconds) }
        let events: SystemCall.Events?
        do { events = try SystemCall.poll(node, for: .readable, timeout: .milliseconds(timeoutMilliseconds)) } catch {
            throw DeviceError(device: device, error)
        }
        guard let events else { return .nothing }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        do { try ioctl(Request.dequeueBuffer, &buffer) } catch {
            // The descriptor is non-blocking: no buffer is filled yet, nothing to show.
            if error.errno == EAGAIN { return .nothing }
            if error.errno == ENODEV || error.errno == EIO && events.contains(.error) { unplugged(); return .nothing }
            throw error
        }
        let index = Int(buffer.index)
        defer {
            do { try queue(index) } catch where error.errno == ENODEV { unplugged() } catch { log("\(error)") }
        }
        let used = buffer.bytesused == 0 ? buffers[index].length : Int(buffer.bytesused)
        // A frame the driver marks damaged, or shorter than the format, is skipped rather than misread.
        guard buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) == 0, used >= layout.minimumBytes else { return .nothing }
        let frame = UnsafePointer(buffers[index].memory.assumingMemoryBound(to: UInt8.self))
        let sequence = Int(buffer.sequence) + 1
        if layout.zeroCopy {
            handle(LumaFrame(pixels: frame, width: layout.width, height: layout.height, sequence: sequence, borrowed: true))
        } else {
            scratch.withUnsafeMutableBufferPointer { luma in
                layout.copyLuma(from: frame, into: luma.baseAddress!)
                handle(LumaFrame(pixels: UnsafePointer(luma.baseAddress!), width: layout.width, height: layout.height, sequence: sequence))
            }
        }
        return .frame
    }

    /// The camera went away (USB unplugged, cable, driver reset): say so, free it and try again each second.
    private func unplugged() {
        guard reopenAt == nil else { return }
        log("\(device) unplugged (no such device); waiting for it to come back")
        teardown()
        reopenAt = .now
    }

    private func reopen(after instant: ContinuousClock.Instant, timeoutMilliseconds: Int) throws(DeviceError) -> CaptureOutcome {
        let wait = instant - .now
        if wait > .zero {
            let milliseconds = Int(wait.components.seconds) * 1000 + Int(wait.components.attoseconds / 1_000_000_000_000_000)
            usleep(UInt32(max(1, min(milliseconds, timeoutMilliseconds))) * 1000)
            return .nothing
        }
        do {
            try start()
            reopenAt = nil
            log("\(device) is back: \(description)")
        } catch {
            reopenAt = .now + .seconds(1)
        }
        return .nothing
    }

    private func teardown() {
        if fd >= 0, streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = try? SystemCall.control(node, Request.streamOff, &type)
        }
        streaming = false
        for buffer in buffers { _ = v4l2_munmap(buffer.memory, buffer.length) }
        buffers = []
        if fd >= 0 {
            // Giving the buffers back lets the next open (or another program) set a new format.
            var release = v4l2_requestbuffers()
            release.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            release.memory = V4L2_MEMORY_MMAP.rawValue
            _ = try? SystemCall.control(node, Request.requestBuffers, &release)
            _ = v4l2_close(fd)
        }
        fd = -1
    }

    public func close() {
        teardown()
        reopenAt = nil
    }
}
