import Foundation
import Imaging

/// The simulated board's panel: every frame becomes a PNG file (numbered in a folder, or one fixed path).
public final class PNGDisplay: Display {
    public let width: Int
    public let height: Int
    private let folder: String?
    private let path: String?
    private var count = 0
    public private(set) var lastPath: String?

    /// Numbered files kept in the folder: a ring, so a counter running for weeks does not fill the disk.
    public static let kept = 100

    /// Writes each frame to `folder/screen-NNNN.png` (the last 100) and `folder/latest.png`, its texts to `folder/latest.txt`.
    public init(width: Int, height: Int, folder: String) throws(DeviceError) {
        self.width = width; self.height = height; self.folder = folder; path = nil
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw DeviceError(device: folder, call: "mkdir", hint: "cannot create the screen folder")
        }
    }

    /// Writes every frame over one file.
    public init(width: Int, height: Int, path: String) {
        self.width = width; self.height = height; self.path = path; folder = nil
    }

    public var description: String { "png \(folder ?? path ?? "") \(width)x\(height)" }

    public func show(_ frame: Frame) throws(DeviceError) {
        guard frame.canvas.width == width, frame.canvas.height == height else {
            throw DeviceError(device: description, call: "show", hint: "frame is \(frame.canvas.width)x\(frame.canvas.height), panel is \(width)x\(height)")
        }
        let target: String
        if let folder {
            count = count % Self.kept + 1
            target = "\(folder)/screen-\(String(format: "%04d", count)).png"
        } else {
            target = path!
        }
        do { try frame.canvas.writePNG(to: target) } catch { throw DeviceError(device: target, call: "png write", hint: error.message) }
        if let folder {
            // Copied beside it, then renamed over it: a reader never finds latest.png missing or half written.
            let partial = "\(folder)/.latest.png.partial"
            try? FileManager.default.removeItem(atPath: partial)
            if (try? FileManager.default.copyItem(atPath: target, toPath: partial)) != nil { rename(partial, "\(folder)/latest.png") }
            // What the screen says, one text per line, for a technician reading a headless board and for tests.
            let words = "\(folder)/.latest.txt.partial"
            if (try? (frame.texts.joined(separator: "\n") + "\n").write(toFile: words, atomically: false, encoding: .utf8)) != nil {
                rename(words, "\(folder)/latest.txt")
            }
        }
        lastPath = target
    }

    public func close() {}
}
