import CSystemd
import Foundation

/// Telling systemd how the service is (qrpos.service is Type=notify with a watchdog): READY once the counter is
/// up, WATCHDOG while its loop is alive, STOPPING on the way down. Without systemd (no NOTIFY_SOCKET) nothing is sent.
public enum ServiceManager {
    public static func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    public static func stopping() { notify("STOPPING=1") }
    public static func status(_ text: String) { notify("STATUS=\(text)") }
    public static func watchdog() { notify("WATCHDOG=1") }

    /// How often to feed the watchdog (half its timeout, as systemd advises), or nil when no watchdog is set.
    public static var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    private static func notify(_ state: String) {
        // Status text must be one line: a newline would start another assignment.
        _ = state.withCString { sd_notify(0, $0) }
    }
}
