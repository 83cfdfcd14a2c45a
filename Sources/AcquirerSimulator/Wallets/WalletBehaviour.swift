/// How a simulated wallet answers a payment, set per wallet id: written `approve`, `decline`, `confirm:SECONDS`
/// (the shopper confirms in the app, then it is paid) or `limit:AMOUNT` (declined above that many minor units).
public enum WalletBehaviour: Sendable, Equatable, CustomStringConvertible {
    case approve
    case decline
    case confirm(seconds: Double)
    case limit(Int)

    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("approve", 1): self = .approve
        case ("decline", 1): self = .decline
        case ("confirm", 1): self = .confirm(seconds: 3)
        case ("confirm", 2):
            guard let seconds = Double(parts[1]), seconds >= 0, seconds <= 600 else { return nil }
            self = .confirm(seconds: seconds)
        case ("limit", 2):
            guard let limit = Int(parts[1]), limit >= 0 else { return nil }
            self = .limit(limit)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .approve: "approve"
        case .decline: "decline"
        case let .confirm(seconds): "confirm:\(seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds))"
        case let .limit(limit): "limit:\(limit)"
        }
    }

    public static let syntax = "approve, decline, confirm:SECONDS or limit:AMOUNT"
}
