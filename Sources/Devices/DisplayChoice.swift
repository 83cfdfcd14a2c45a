import Foundation
import Platform

/// Opens the display a board file (or a command line) names.
public enum DisplayChoice {
    public enum Backend: String, CaseIterable, Sendable { case drm, fbdev, png, terminal }

    /// `device` is a card or framebuffer path (nil: search), or the PNG path/folder; `size` applies to
    /// the PNG and terminal backends, whose "panels" have no size of their own.
    public static func open(_ backend: Backend, device: String? = nil, mode: String? = nil, width: Int, height: Int) throws(DeviceError) -> any Display {
        switch backend {
        case .drm: return try DRMDisplay(device: device, mode: mode)
        case .fbdev: return try FramebufferDisplay(device: device ?? "/dev/fb0")
        case .png:
            let target = device ?? "screen.png"
            return target.hasSuffix(".png") ? PNGDisplay(width: width, height: height, path: target) : try PNGDisplay(width: width, height: height, folder: target)
        case .terminal: return TerminalDisplay(width: width, height: height)
        }
    }
}

/// Gives the panel back when the service is stopped (SIGTERM from systemd, Ctrl-C on a bench).
public final class TerminationGuard: @unchecked Sendable {
    private let signals: StopSignals

    /// `onExit` runs on the main queue, so the main thread must be waiting in its run loop.
    public init(onExit: @escaping () -> Void) {
        // Runs on the main queue only, where the caller's panel lives.
        nonisolated(unsafe) let onExit = onExit
        signals = StopSignals([SIGTERM, SIGINT, SIGHUP], queue: .main) { number in onExit(); exit(128 + number) }
    }
}
