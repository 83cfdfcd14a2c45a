/// What a DRM card reports, reduced to what choosing an output needs; recorded as JSON for tests.
public struct DRMCard: Codable, Equatable, Sendable {
    public struct Mode: Codable, Equatable, Sendable {
        public var name: String
        public var width: Int, height: Int, refresh: Int
        public var preferred: Bool
    }
    public struct Connector: Codable, Equatable, Sendable {
        public var id: UInt32
        public var name: String
        public var connected: Bool
        public var modes: [Mode]
        /// The encoder currently driving it (0 when none).
        public var encoderID: UInt32
        public var encoderIDs: [UInt32]
    }
    public struct Encoder: Codable, Equatable, Sendable {
        public var id: UInt32
        public var crtcID: UInt32
        /// Bit i set: the encoder can be driven by the i-th CRTC of the card.
        public var possibleCRTCs: UInt32
    }
    public var connectors: [Connector]
    public var encoders: [Encoder]
    public var crtcIDs: [UInt32]
    public var dumbBuffers: Bool
}

/// The output qrpos drives: which connector, in which mode, through which CRTC.
public struct DRMPlan: Equatable, Sendable {
    public var connectorID: UInt32
    public var connectorName: String
    public var modeIndex: Int
    public var mode: DRMCard.Mode
    public var crtcID: UInt32

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noDumbBuffers, noConnectedDisplay, noMode(wanted: String, available: [String]), noCRTC(connector: String)
        public var description: String {
            switch self {
            case .noDumbBuffers: return "the card cannot allocate dumb buffers"
            case .noConnectedDisplay: return "no connected display with modes (is the panel plugged in and powered?)"
            case let .noMode(wanted, available): return "mode \(wanted) is not offered; the panel offers \(available.joined(separator: ", "))"
            case let .noCRTC(connector): return "no free CRTC can drive \(connector)"
            }
        }
    }

    /// The first connected connector with modes; the board file's mode ("1280x720" or "1280x720@60")
    /// if named, else the panel's preferred mode, else its first; the CRTC its encoder already uses,
    /// else the first one the encoder can use.
    public static func choose(_ card: DRMCard, mode wanted: String? = nil) throws(Failure) -> DRMPlan {
        guard card.dumbBuffers else { throw .noDumbBuffers }
        guard let connector = card.connectors.first(where: { $0.connected && !$0.modes.isEmpty }) else { throw .noConnectedDisplay }
        let index: Int
        if let wanted {
            let parts = wanted.lowercased().split(separator: "@")
            let size = parts.first.map(String.init) ?? ""
            let refresh = parts.count > 1 ? Int(parts[1]) : nil
            guard let found = connector.modes.firstIndex(where: { "\($0.width)x\($0.height)" == size && (refresh == nil || $0.refresh == refresh) }) else {
                throw .noMode(wanted: wanted, available: connector.modes.map { "\($0.width)x\($0.height)@\($0.refresh)" })
            }
            index = found
        } else {
            index = connector.modes.firstIndex(where: \.preferred) ?? 0
        }
        guard let crtc = crtc(for: connector, card) else { throw .noCRTC(connector: connector.name) }
        return DRMPlan(connectorID: connector.id, connectorName: connector.name, modeIndex: index, mode: connector.modes[index], crtcID: crtc)
    }

    static func crtc(for connector: DRMCard.Connector, _ card: DRMCard) -> UInt32? {
        if let current = card.encoders.first(where: { $0.id == connector.encoderID }), current.crtcID != 0 { return current.crtcID }
        // CRTCs already driving other outputs are left alone.
        let busy = Set(card.encoders.filter { $0.id != connector.encoderID }.map(\.crtcID))
        for encoderID in connector.encoderIDs {
            guard let encoder = card.encoders.first(where: { $0.id == encoderID }) else { continue }
            for (i, crtc) in card.crtcIDs.enumerated() where encoder.possibleCRTCs & (1 << UInt32(i)) != 0 && !busy.contains(crtc) {
                return crtc
            }
        }
        return nil
    }
}
