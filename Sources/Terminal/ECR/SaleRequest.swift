import Foundation
import PaymentCodes

/// A register's request to start a sale, checked field by field so every mistake gets its own message.
public struct SaleRequest: Equatable, Sendable {
    public var amount: Int
    public var currency: String
    public var reference: String?
    public var mode: SaleMode
    /// The shopper's language for the sale's screens, when the register knows it (a language id the terminal speaks).
    public var language: String?

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses the JSON body: amount an integer in the currency's minor unit (yen for JPY), currency ISO 4217
    /// letters and the terminal's own, reference up to 64 printable characters, mode show|scan|auto.
    public init(json body: Data, currency expected: String, maximumAmount: Int, languages: [String] = []) throws(Invalid) {
        guard !body.isEmpty else { throw Invalid(description: "the body is empty: send {\"amount\": 1200, \"currency\": \"\(expected)\"}") }
        let object: [String: JSONField]
        do { object = try JSONDecoder().decode([String: JSONField].self, from: body) } catch {
            throw Invalid(description: "the body is not a JSON object")
        }
        let known: Set = ["amount", "currency", "reference", "mode", "language"]
        if let stray = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(description: "unknown field \"\(stray.prefix(32))\" (fields: amount, currency, reference, mode, language)")
        }
        amount = try Self.amount(object["amount"], maximum: maximumAmount)
        guard case let .string(letters)? = object["currency"] else { throw Invalid(description: "currency is missing: ISO 4217 letters such as \"\(expected)\"") }
        guard letters.count == 3, letters.allSatisfy({ $0.isASCII && $0.isUppercase }), Currency.code(letters) != nil else {
            throw Invalid(description: "currency \"\(letters.prefix(16))\" is not ISO 4217 letters such as \"\(expected)\"")
        }
        guard letters == expected else { throw Invalid(description: "this terminal takes \(expected), not \(letters)") }
        currency = letters

        if let value = object["reference"], value != .null {
            guard case let .string(text) = value else { throw Invalid(description: "reference must be a string") }
            guard (1...64).contains(text.count), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw Invalid(description: "reference must be 1 to 64 printable characters")
            }
            reference = text
        }
        if let value = object["mode"] {
            guard case let .string(text) = value, let parsed = SaleMode(rawValue: text) else {
                throw Invalid(description: "mode must be \"show\", \"scan\" or \"auto\"")
            }
            mode = parsed
        } else {
            mode = .show
        }
        if let value = object["language"], value != .null {
            let spoken = languages.joined(separator: ", ")
            guard case let .string(text) = value else { throw Invalid(description: "language must be a string, one of: \(spoken)") }
            guard languages.contains(text) else { throw Invalid(description: "language \"\(text.prefix(16))\" is not one this terminal speaks: \(spoken)") }
            language = text
        }
    }

    /// An amount field: a JSON integer, greater than zero, within the terminal's limit.
    public static func amount(_ field: JSONField?, maximum: Int) throws(Invalid) -> Int {
        switch field {
        case nil: throw Invalid(description: "amount is missing")
        case let .integer(value)?:
            guard value > 0 else { throw Invalid(description: "amount must be greater than zero, found \(value)") }
            guard value <= maximum else { throw Invalid(description: "amount \(value) is over this terminal's limit of \(maximum)") }
            return value
        case let .fraction(value)? where value.rounded() == value:
            throw Invalid(description: "amount \(value) is over this terminal's limit of \(maximum)")
        case let .fraction(value)?:
            throw Invalid(description: "amount must be a whole number of the minor unit (yen for JPY), found \(value)")
        case let other?:
            throw Invalid(description: "amount must be a JSON number (an integer in the currency's minor unit), found \(other.kind)")
        }
    }
}

/// One JSON value, as far as request checks need to tell them apart.
public enum JSONField: Decodable, Equatable, Sendable {
    case integer(Int), fraction(Double), string(String), bool(Bool), null, nested

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = d.rounded() == d && abs(d) < 9e15 ? .integer(Int(d)) : .fraction(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        self = .nested
    }

    var kind: String {
        switch self {
        case .integer: "a number"
        case .fraction: "a fraction"
        case .string: "a string"
        case .bool: "true/false"
        case .null: "null"
        case .nested: "a list or object"
        }
    }
}
