/// What can be wrong with a scanned or built code, with the tag and the position a technician needs.
/// Positions count characters (Unicode scalars) from 0, as EMVCo lengths do.
public enum PaymentCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(characters: Int, limit: Int)
    case badTagID(found: String, position: Int, inside: String?)
    case badLength(tag: String, found: String, position: Int)
    case truncated(tag: String, position: Int, declared: Int, available: Int)
    case valueTooLong(tag: String, characters: Int, limit: Int)
    case missingRequired(String)
    case invalidValue(tag: String, value: String, reason: String)
    case notBase64
    case berTruncated(position: Int)
    case berBadLength(position: Int)
    case berTooDeep(position: Int, limit: Int)
    case unsupportedScheme(String)

    public var description: String {
        switch self {
        case .empty:
            return "the code is empty"
        case let .tooLong(characters, limit):
            return "the code has \(characters) characters; at most \(limit) are allowed"
        case let .badTagID(found, position, inside):
            let place = inside.map { " inside tag \($0)" } ?? ""
            return "expected a two-digit tag ID at character \(position)\(place), found \"\(found)\""
        case let .badLength(tag, found, position):
            return "tag \(tag) at character \(position): the length \"\(found)\" is not two digits"
        case let .truncated(tag, position, declared, available):
            return "tag \(tag) at character \(position) declares \(declared) characters but only \(available) remain"
        case let .valueTooLong(tag, characters, limit):
            return "tag \(tag) would hold \(characters) characters; at most \(limit) fit"
        case let .missingRequired(what):
            return "missing \(what)"
        case let .invalidValue(tag, value, reason):
            return "tag \(tag) \"\(value)\": \(reason)"
        case .notBase64:
            return "not base64: a consumer-presented EMVCo code is base64 of BER-TLV"
        case let .berTruncated(position):
            return "BER-TLV data ends inside the element at byte \(position)"
        case let .berBadLength(position):
            return "BER-TLV element at byte \(position) has an unsupported length form"
        case let .berTooDeep(position, limit):
            return "BER-TLV element at byte \(position) nests deeper than \(limit) levels"
        case let .unsupportedScheme(name):
            return "no scheme named \"\(name)\""
        }
    }
}

/// One finding of validation: an error makes a code unusable, a warning is worth a look.
public struct Problem: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var severity: Severity
    /// Tag path such as "62.05", or nil for the payload as a whole.
    public var tag: String?
    public var message: String

    public static func error(_ tag: String?, _ message: String) -> Problem { Problem(severity: .error, tag: tag, message: message) }
    public static func warning(_ tag: String?, _ message: String) -> Problem { Problem(severity: .warning, tag: tag, message: message) }

    public var description: String { tag.map { "tag \($0): \(message)" } ?? message }
}

extension [Problem] {
    public var errors: [Problem] { filter { $0.severity == .error } }
    public var warnings: [Problem] { filter { $0.severity == .warning } }
}
