import CLinux
import Foundation

/// Whether the system clock can be trusted for payments. Boards without a real-time clock boot in the
/// past: TLS fails and acquirers refuse skewed requests, so payments wait until NTP has synchronised.
public enum ClockCheck {
    /// The kernel's own flag (adjtimex): chrony and systemd-timesyncd clear STA_UNSYNC once synchronised.
    public static func kernelSynchronised() -> Bool {
        var t = timex()
        let state = adjtimex(&t)
        return state != TIME_ERROR && (t.status & STA_UNSYNC) == 0
    }
}
