import CDRM
import Foundation
import Imaging
import Platform
import SystemPackage

/// The counter screen through DRM/KMS (legacy API), double-buffered with page flips.
/// Call sequence after dvdhrm's drm-howto: pick the card, pick connector/mode/CRTC, save the CRTC,
/// two dumb buffers, SetCrtc once, then PageFlip and wait for its event; restore everything on close.
public final class DRMDisplay: Display {
    struct Buffer {
        var handle: UInt32, pitch: Int, size: Int, framebuffer: UInt32
        var memory: UnsafeMutableRawPointer
    }

    public let width: Int
    public let height: Int
    public let device: String
    public let plan: DRMPlan
    private let card: FileDescriptor
    /// libdrm's calls take the bare descriptor.
    private var fd: Int32 { card.rawValue }
    private var mode: drmModeModeInfo
    private var savedCRTC: UnsafeMutablePointer<drmModeCrtc>?
    private var buffers: [Buffer] = []
    private var front = 0
    private var modeSet = false
    private var closed = false

    public var description: String { "drm \(device) \(plan.connectorName) \(width)x\(height)@\(plan.mode.refresh)" }

    /// Opens `device`, or with nil every /dev/dri/cardN in turn, keeping the first card that has dumb
    /// buffers and a connected display (card numbers change between boots on a Pi).
    public init(device: String? = nil, mode wanted: String? = nil) throws(DeviceError) {
        let found = try Self.findCard(device: device, mode: wanted)
        card = found.card; self.device = found.path; plan = found.plan; mode = found.mode
        width = plan.mode.width; height = plan.mode.height
        // Saved so close() can give the console (or whatever ran before) its picture back.
        savedCRTC = drmModeGetCrtc(fd, plan.crtcID)
        do {
            for _ in 0..<2 { buffers.append(try createBuffer()) }
        } catch {
            close()
            throw error
        }
    }

    private static func findCard(device: String?, mode wanted: String?) throws(DeviceError) -> (card: FileDescriptor, path: String, plan: DRMPlan, mode: drmModeModeInfo) {
        let candidates = device.map { [$0] } ?? (0..<16).map { "/dev/dri/card\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
        guard !candidates.isEmpty else {
            throw DeviceError(device: "/dev/dri", call: "open", errno: ENOENT, hint: "no DRM card: is the display driver loaded (vc4, bochs, …)?")
        }
        var reasons: [String] = []
        for path in candidates {
            let card: FileDescriptor
            do { card = try SystemCall.open(path, .readWrite) } catch {
                reasons.append("\(path): \(String(cString: strerror(error.errno.rawValue)))"); continue
            }
            do {
                let plan = try DRMPlan.choose(try describe(fd: card.rawValue, path: path), mode: wanted)
                return (card, path, plan, try modeInfo(fd: card.rawValue, connector: plan.connectorID, index: plan.modeIndex, path: path))
            } catch let error as DRMPlan.Failure {
                reasons.append("\(path): \(error)")
            } catch {
                reasons.append("\(error)")
            }
            SystemCall.close(card)
        }
        throw DeviceError(device: device ?? "/dev/dri", call: "choose card", hint: reasons.joined(separator: "; "))
    }

    /// Reads the card's connectors, encoders and CRTCs.
    static func describe(fd: Int32, path: String) throws(DeviceError) -> DRMCard {
        var dumb: UInt64 = 0
        let hasDumb = drmGetCap(fd, UInt64(DRM_CAP_DUMB_BUFFER), &dumb) == 0 && dumb != 0
        guard let resources = drmModeGetResources(fd) else {
            throw DeviceError(device: path, call: "drmModeGetResources", errno: errno, hint: "not a KMS device")
        }
        defer { drmModeFreeResources(resources) }
        let res = resources.pointee
        var connectors: [DRMCard.Connector] = []
        for i in 0..<Int(res.count_connectors) {
            guard let c = drmModeGetConnector(fd, res.connectors[i]) else { continue }
            defer { drmModeFreeConnector(c) }
            let modes = (0..<Int(c.pointee.count_modes)).map { m in
                let info = c.pointee.modes[m]
                return DRMCard.Mode(name: withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) },
                                    width: Int(info.hdisplay), height: Int(info.vdisplay), refresh: Int(info.vrefresh),
                                    preferred: info.type & UInt32(DRM_MODE_TYPE_PREFERRED) != 0)
            }
            let typeName = drmModeGetConnectorTypeName(c.pointee.connector_type).map { String(cString: $0) } ?? "Unknown"
            connectors.append(DRMCard.Connector(
                id: c.pointee.connector_id, name: "\(typeName)-\(c.pointee.connector_type_id)",
                connected: c.pointee.connection == DRM_MODE_CONNECTED, modes: modes, encoderID: c.pointee.encoder_id,
                encoderIDs: (0..<Int(c.pointee.count_encoders)).map { c.pointee.encoders[$0] }))
        }
        var encoders: [DRMCard.Encoder] = []
        for i in 0..<Int(res.count_encoders) {
            guard let e = drmModeGetEncoder(fd, res.encoders[i]) else { continue }
            encoders.append(DRMCard.Encoder(id: e.pointee.encoder_id, crtcID: e.pointee.crtc_id, possibleCRTCs: e.pointee.possible_crtcs))
            drmModeFreeEncoder(e)
        }
        return DRMCard(connectors: connectors, encoders: encoders, crtcIDs: (0..<Int(res.count_crtcs)).map { res.crtcs[$0] }, dumbBuffers: hasDumb)
    }

    static func modeInfo(fd: Int32, connector: UInt32, index: Int, path: String) throws(DeviceError) -> drmModeModeInfo {
        guard let c = drmModeGetConnector(fd, connector) else { throw DeviceError(device: path, call: "drmModeGetConnector", errno: errno) }
        defer { drmModeFreeConnector(c) }
        return c.pointee.modes[index]
    }

    private func createBuffer() throws(DeviceError) -> Buffer {
        var create = drm_mode_create_dumb(height: UInt32(height), width: UInt32(width), bpp: 32, flags: 0, handle: 0, pitch: 0, size: 0)
        do { try SystemCall.control(card, Self.createDumb, &create) } catch { throw DeviceError(device: device, error) }
        var handles: (UInt32, UInt32, UInt32, UInt32) = (create.handle, 0, 0, 0)
        var pitches: (UInt32, UInt32, UInt32, UInt32) = (create.pitch, 0, 0, 0)
        var offsets: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        var framebuffer: UInt32 = 0
        let added = withUnsafeMutablePointer(to: &handles) { h in withUnsafeMutablePointer(to: &pitches) { p in withUnsafeMutablePointer(to: &offsets) { o in
            drmModeAddFB2(fd, UInt32(width), UInt32(height), qrpos_drm_format_xrgb8888(),
                          UnsafeRawPointer(h).assumingMemoryBound(to: UInt32.self), UnsafeRawPointer(p).assumingMemoryBound(to: UInt32.self),
                          UnsafeRawPointer(o).assumingMemoryBound(to: UInt32.self), &framebuffer, 0)
        } } }
        guard added == 0 else {
            let err = errno
            destroy(handle: create.handle)
            throw DeviceError(device: device, call: "drmModeAddFB2 XRGB8888", errno: err)
        }
        var map = drm_mode_map_dumb(handle: create.handle, pad: 0, offset: 0)
        let memory: UnsafeMutableRawPointer
        do {
            try SystemCall.control(card, Self.mapDumb, &map)
            memory = try SystemCall.mapShared(card, length: Int(create.size), offset: Int(map.offset), call: "mmap dumb buffer")
        } catch {
            drmModeRmFB(fd, framebuffer); destroy(handle: create.handle)
            throw DeviceError(device: device, error)
        }
        return Buffer(handle: create.handle, pitch: Int(create.pitch), size: Int(create.size), framebuffer: framebuffer, memory: memory)
    }

    private func destroy(handle: UInt32) {
        var destroy = drm_mode_destroy_dumb(handle: handle)
        _ = try? SystemCall.control(card, Self.destroyDumb, &destroy)
    }

    // The dumb-buffer ioctls as plain ioctl(2): SystemCall retries EINTR, which is what libdrm's drmIoctl adds.
    static let createDumb = IOControl<drm_mode_create_dumb>("DRM_IOCTL_MODE_CREATE_DUMB", qrpos_drm_ioctl_create_dumb())
    static let mapDumb = IOControl<drm_mode_map_dumb>("DRM_IOCTL_MODE_MAP_DUMB", qrpos_drm_ioctl_map_dumb())
    static let destroyDumb = IOControl<drm_mode_destroy_dumb>("DRM_IOCTL_MODE_DESTROY_DUMB", qrpos_drm_ioctl_destroy_dumb())

    public func show(_ frame: Frame) throws(DeviceError) {
        guard !closed else { throw DeviceError(device: device, call: "show", hint: "the display is closed") }
        guard frame.canvas.width == width, frame.canvas.height == height else {
            throw DeviceError(device: device, call: "show", hint: "frame is \(frame.canvas.width)x\(frame.canvas.height), mode is \(width)x\(height)")
        }
        let back = buffers[1 - front]
        // Rows are copied at the buffer's pitch, which drivers may pad beyond width * 4.
        frame.canvas.pixels.withUnsafeBytes { source in
            for y in 0..<height {
                (back.memory + y * back.pitch).copyMemory(from: source.baseAddress! + y * width * 4, byteCount: width * 4)
            }
        }
        if !modeSet {
            var connector = plan.connectorID
            guard drmModeSetCrtc(fd, plan.crtcID, back.framebuffer, 0, 0, &connector, 1, &mode) == 0 else {
                let err = errno
                let hint = err == EACCES || err == EPERM ? "another process is DRM master (a desktop, a console program, another qrpos?)" : "cannot set the mode"
                throw DeviceError(device: device, call: "drmModeSetCrtc", errno: err, hint: hint)
            }
            modeSet = true
        } else {
            try flip(to: back.framebuffer)
        }
        front = 1 - front
    }

    /// Queues the flip for the next vblank and waits for its event: a second flip before it gives EBUSY.
    private func flip(to framebuffer: UInt32) throws(DeviceError) {
        let done = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        done.initialize(to: false)
        defer { done.deallocate() }
        guard drmModePageFlip(fd, plan.crtcID, framebuffer, UInt32(DRM_MODE_PAGE_FLIP_EVENT), done) == 0 else {
            throw DeviceError(device: device, call: "drmModePageFlip", errno: errno)
        }
        var context = drmEventContext()
        context.version = 2
        context.page_flip_handler = { _, _, _, _, data in data?.assumingMemoryBound(to: Bool.self).pointee = true }
        while !done.pointee {
            let event: SystemCall.Events?
            do { event = try SystemCall.poll(card, for: .readable, timeout: .seconds(1)) } catch {
                throw DeviceError(device: device, call: "wait for page flip", errno: error.errno.rawValue)
            }
            guard event != nil else { throw DeviceError(device: device, call: "wait for page flip", errno: ETIMEDOUT) }
            _ = drmHandleEvent(fd, &context)
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        if let saved = savedCRTC {
            var connector = plan.connectorID
            var savedMode = saved.pointee.mode
            _ = drmModeSetCrtc(fd, saved.pointee.crtc_id, saved.pointee.buffer_id, saved.pointee.x, saved.pointee.y, &connector, 1, &savedMode)
            drmModeFreeCrtc(saved)
            savedCRTC = nil
        }
        for buffer in buffers {
            SystemCall.unmap(buffer.memory, length: buffer.size)
            drmModeRmFB(fd, buffer.framebuffer)
            destroy(handle: buffer.handle)
        }
        buffers = []
        SystemCall.close(card)
    }

    deinit { close() }
}
