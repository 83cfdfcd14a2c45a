/// One shown code is one charge: a code is new the first time it is seen, and stays old while it is
/// seen again within `window` of its last sighting (a phone held up for seconds). Pure: times are given.
public struct SightingWindow: Sendable {
    public var window: Duration
    private var lastSeen: [String: Duration] = [:]

    public init(window: Duration) { self.window = window }

    /// Records a sighting of `code` at `time`; true when it should be reported.
    public mutating func isNew(_ code: String, at time: Duration) -> Bool {
        forget(before: time)
        let seenBefore = lastSeen[code] != nil
        lastSeen[code] = time
        return !seenBefore
    }

    /// Drops codes not seen within the window, so a code shown again later is new again.
    public mutating func forget(before time: Duration) {
        lastSeen = lastSeen.filter { time - $0.value <= window }
    }

    public var remembered: Int { lastSeen.count }
}
