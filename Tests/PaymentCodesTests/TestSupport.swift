import Foundation
import Testing
@testable import PaymentCodes

/// Paths, the real registry and the vectors, all found relative to this file so the tests run from any
/// working directory: the repository root is three levels up (Tests/PaymentCodesTests/TestSupport.swift).
enum Fixtures {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registryURL = repoRoot.appendingPathComponent("Assets/wallets.toml")
    /// The shared vectors beside the checkout; CI clones have only the copy kept in the repository.
    static let sharedVectorsURL = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors/qr_vectors.jsonl")
    static let repoVectorsURL = repoRoot.appendingPathComponent("Tests/PaymentCodesTests/Vectors/qr_vectors.jsonl")
    static var vectorsURL: URL {
        FileManager.default.fileExists(atPath: sharedVectorsURL.path) ? sharedVectorsURL : repoVectorsURL
    }

    static let registryText: String? = try? String(contentsOf: registryURL, encoding: .utf8)
    /// The real registry, or an empty one when it cannot be read (RegistryTests then fails loudly).
    static let registry: WalletRegistry = registryText.flatMap { try? WalletRegistry(toml: $0) } ?? (try! WalletRegistry(toml: ""))
    static let classifier = Classifier(registry: registry)

    static func classify(_ text: String, as scheme: (any MerchantScheme)? = nil) -> CodeReport {
        classifier.classify(text, as: scheme)
    }

    /// Every line of the vectors file; empty when the file is missing or malformed (VectorTests checks the count).
    static let vectors: [Vector] = (try? loadVectors(from: vectorsURL)) ?? []

    static func loadVectors(from url: URL) throws -> [Vector] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var vectors: [Vector] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            guard let fields = object as? [String: Any], let payload = fields["payload"] as? String,
                  let scheme = fields["scheme"] as? String, let expect = fields["expect"] else {
                throw VectorFileError(line: index + 1)
            }
            vectors.append(Vector(line: index + 1, scheme: scheme, source: fields["source"] as? String ?? "", payload: payload,
                                  expect: Expected(json: expect), crcValid: fields["crc_valid"] as? Bool,
                                  note: fields["note"] as? String))
        }
        return vectors
    }

    struct VectorFileError: Error, CustomStringConvertible {
        var line: Int
        var description: String { "line \(line) of the vectors file lacks payload, scheme or expect" }
    }
}

/// A value from the vectors file (JSONSerialization output made Sendable and comparable).
indirect enum Expected: Sendable, Equatable, CustomStringConvertible {
    case string(String), number(Double), null
    case array([Expected])
    case object([String: Expected])

    init(json: Any) {
        switch json {
        case let s as String: self = .string(s)
        // The vectors' expectations hold no booleans, so every NSNumber is a number ("amount": 30).
        case let n as NSNumber: self = .number(n.doubleValue)
        case let a as [Any]: self = .array(a.map(Expected.init(json:)))
        case let d as [String: Any]: self = .object(d.mapValues(Expected.init(json:)))
        default: self = .null
        }
    }

    var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    var objectValue: [String: Expected]? { if case let .object(o) = self { return o }; return nil }

    var description: String {
        switch self {
        case let .string(s): return "\"\(s)\""
        case let .number(n): return String(n)
        case .null: return "null"
        case let .array(items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .object(pairs): return "{" + pairs.keys.sorted().map { "\($0): \(pairs[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}

/// One line of qr_vectors.jsonl.
struct Vector: Sendable, CustomTestStringConvertible {
    var line: Int
    var scheme: String
    var source: String
    var payload: String
    var expect: Expected
    /// nil when the file says null: no CRC claim to check (consumer codes have none).
    var crcValid: Bool?
    var note: String?

    var testDescription: String { "#\(line) \(scheme): \(payload.prefix(40))" }

    /// Negative vectors (`_error`, `_expect`, `_parse_error`) are classified as the terminal meets them,
    /// with no scheme forced, so the classifier has to find the fault on its own.
    var isNegative: Bool { expect.objectValue?.keys.contains { $0.hasPrefix("_") } ?? false }

    /// The merchant scheme the file names ("KHQR", "SGQR/NETS" -> sgqr, "Pix (BR Code)" -> pix), if any.
    var namedScheme: (any MerchantScheme)? {
        scheme.split(whereSeparator: { !$0.isLetter }).lazy.compactMap { MerchantSchemes.named(String($0)) }.first
    }
}

// MARK: reading the decode JSON

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        if case let .array(items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    var objectPairs: [(String, JSONValue)]? { if case let .object(pairs) = self { return pairs }; return nil }
    var arrayValue: [JSONValue]? { if case let .array(items) = self { return items }; return nil }
    var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }

    /// Follows a vectors-file path: "29.01", "61.63.9F26", "61[0]" (index into a repeated CPM tag).
    func lookup(_ path: String) -> JSONValue? {
        var node: JSONValue? = self
        for part in path.split(separator: ".") {
            if let open = part.firstIndex(of: "["), part.last == "]", let index = Int(part[part.index(after: open)..<part.index(before: part.endIndex)]) {
                node = node?[String(part[..<open])]?[index]
            } else {
                node = node?[String(part)]
            }
        }
        return node
    }

    /// A decoded MPM template written back as ID + two-digit length + value, lengths in Unicode scalars.
    var tlvText: String? {
        switch self {
        case let .string(s): return s
        case let .object(pairs):
            var out = ""
            for (id, value) in pairs {
                guard let inner = value.tlvText else { return nil }
                let n = inner.unicodeScalars.count
                out += id + (n < 10 ? "0" : "") + String(n) + inner
            }
            return out
        default: return nil
        }
    }
}

extension CodeReport {
    func detail(_ key: String) -> String? { details.first { $0.0 == key }?.1 }
}

// MARK: reproducible randomness

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable, good enough to drive test data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &self))) }) }
    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &self)! }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func alphanumeric(_ count: Int) -> String {
        let pool = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in pick(pool) })
    }
}

/// Independent CRC-16/CCITT-FALSE (bit by bit, no table) to check the library's table-driven one.
func referenceCRC(_ bytes: some Sequence<UInt8>) -> UInt16 {
    var crc: UInt16 = 0xFFFF
    for byte in bytes {
        crc ^= UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
    }
    return crc
}
