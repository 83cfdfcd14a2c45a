import Foundation
import Imaging
import Platform
import SystemPackage

/// The simulated board's camera: image files, decoded through the same scanner as live frames.
/// Either a folder watched for new images (inotify: a file closed after writing or renamed into it),
/// or a fixed list of files and folders read once in order.
public final class ImageFolderCamera: Camera {
    public let description: String
    private var queue: [String]
    private let watched: String?
    private var inotify: FileDescriptor?
    private var sequence = 0
    private var finite: Bool

    /// Watches `folder` (created if missing) for images that arrive from now on.
    public init(watching folder: String) throws(DeviceError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw DeviceError(device: folder, call: "mkdir", hint: "cannot create the camera folder")
        }
        let inotify: FileDescriptor
        do { inotify = FileDescriptor(rawValue: try SystemCall.check("inotify_init1") { inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC)) }) } catch {
            throw DeviceError(device: folder, error)
        }
        do { try SystemCall.check("inotify_add_watch") { inotify_add_watch(inotify.rawValue, folder, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) } } catch {
            SystemCall.close(inotify)
            throw DeviceError(device: folder, error)
        }
        self.inotify = inotify
        watched = folder; queue = []; finite = false
        description = "images watching \(folder)"
    }

    /// Reads each file once, in order; a folder stands for its images sorted by name.
    public init(files: [String]) {
        var list: [String] = []
        for path in files {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter(ImageFile.isImage).sorted()
                list += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                list.append(path)
            }
        }
        queue = list; watched = nil; finite = true
        description = "images \(list.count) file(s)"
    }

    deinit { close() }

    public func capture(timeoutMilliseconds: Int, _ handle: (LumaFrame) -> Void) throws(DeviceError) -> CaptureOutcome {
        if queue.isEmpty, !finite { try waitForImages(timeoutMilliseconds) }
        guard !queue.isEmpty else { return finite ? .finished : .nothing }
        let path = queue.removeFirst()
        let images: [GrayImage]
        do { images = try ImageFile.readFrames(path) } catch { return .unreadable(file: path, reason: error.message) }
        // A GIF or TIFF with several frames hands each one over, as zbarimg scans each.
        for image in images {
            sequence += 1
            image.pixels.withUnsafeBufferPointer { pixels in
                handle(LumaFrame(pixels: pixels.baseAddress!, width: image.width, height: image.height, sequence: sequence, file: path, borrowed: true))
            }
        }
        return .frame
    }

    private func waitForImages(_ timeoutMilliseconds: Int) throws(DeviceError) {
        guard let inotify, let watched else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count: Int
        do {
            guard try SystemCall.poll(inotify, for: .readable, timeout: .milliseconds(timeoutMilliseconds)) != nil else { return }
            count = try SystemCall.read(inotify, into: &buffer)
        } catch {
            // The descriptor is non-blocking: no event after all, nothing yet.
            if error.wouldBlock { return }
            throw DeviceError(device: watched, call: "\(error.call) inotify", errno: error.errno.rawValue)
        }
        guard count > 0 else { return }
        // struct inotify_event: wd, mask, cookie, len, then `len` bytes of NUL-padded name.
        var offset = 0
        while offset + 16 <= count {
            let length = Int(buffer[offset + 12]) | Int(buffer[offset + 13]) << 8 | Int(buffer[offset + 14]) << 16 | Int(buffer[offset + 15]) << 24
            let name = String(decoding: buffer[(offset + 16)..<min(count, offset + 16 + length)].prefix { $0 != 0 }, as: UTF8.self)
            if !name.isEmpty, ImageFile.isImage(name) { queue.append((watched as NSString).appendingPathComponent(name)) }
            offset += 16 + length
        }
    }

    public func close() {
        if let inotify { SystemCall.close(inotify) }
        inotify = nil
    }
}
