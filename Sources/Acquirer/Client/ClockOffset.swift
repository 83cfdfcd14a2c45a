import Foundation

/// Boards without a real-time clock boot in the past; TLS and the host both refuse a skewed terminal.
public enum ClockOffset {
    /// Host time minus the local time at the middle of the round trip (seconds; positive: the host is ahead).
    public static func estimate(sentAt: Date, receivedAt: Date, hostTime: Date) -> TimeInterval {
        let middle = sentAt.addingTimeInterval(receivedAt.timeIntervalSince(sentAt) / 2)
        return hostTime.timeIntervalSince(middle)
    }
}
