import TOMLKit

/// Wallets, schemes and networks the terminal knows, read from `Assets/wallets.toml` at start-up so a
/// technician can add one without a build. Patterns are data here, never code.
public struct WalletRegistry: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var names: [String: String]
        /// "merchant-presented", "consumer-presented" or both.
        public var modes: [String]
        /// Which acquirer route charges this wallet; nil for identification only.
        public var route: String?
        public var country: String?
        /// Numeric customer codes: prefix (or a range "10-15") and length.
        public var numeric: [NumericPattern]?
        /// Application identifiers (4F) in consumer-presented EMVCo codes, matched as prefixes.
        public var aids: [String]?
        /// Account-number prefixes inside a CPM code that name this wallet (JCB Smart Code family).
        public var panPrefixes: [String]?
        /// Merchant account GUIDs (sub-ID 00 of templates 26–51), compared case-insensitively.
        public var guids: [String]?
        /// Merchant account tags 02–25 reserved for this card network.
        public var mpmTags: [String]?
        /// What the wallet allows after a payment (refund window, partial refunds, how many); nil: the host decides.
        public var refunds: RefundRule?

        enum CodingKeys: String, CodingKey {
            case id, names, modes, route, country, numeric, aids, guids, refunds
            case panPrefixes = "pan_prefixes", mpmTags = "mpm_tags"
        }

        public func name(for language: String) -> String { names[language] ?? names["en"] ?? id }
    }

    public struct NumericPattern: Codable, Sendable, Equatable {
        /// Digits the code starts with, or a range of equal-width prefixes such as "25-30".
        public var prefix: String
        public var length: Int?
        public var minLength: Int?
        public var maxLength: Int?

        enum CodingKeys: String, CodingKey { case prefix, length, minLength = "min_length", maxLength = "max_length" }

        var lengths: ClosedRange<Int> {
            let low = length ?? minLength ?? 1
            return low...max(low, length ?? maxLength ?? low)
        }

        /// ASCII digits, or a range of two equal-width runs of ASCII digits, low first ("25-30"). Anything
        /// else (full-width digits typed with an IME, "12-", "25-3", "30-25") could never match a code.
        var isWellFormed: Bool {
            let bounds = prefix.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  bounds.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy(\.isASCIIDigit) }) else { return false }
            return bounds.count == 1 || (bounds[0].count == bounds[1].count && bounds[0] <= bounds[1])
        }

        /// The prefix digits `number` matches, or nil.
        func match(_ number: String, checkLength: Bool = true) -> String? {
            if checkLength, !lengths.contains(number.count) { return nil }
            let bounds = prefix.split(separator: "-").map(String.init)
            if bounds.count == 2, bounds[0].count == bounds[1].count, let low = Int(bounds[0]), let high = Int(bounds[1]) {
                let head = String(number.prefix(bounds[0].count))
                guard head.count == bounds[0].count, let value = Int(head), (low...high).contains(value) else { return nil }
                return head
            }
            return number.hasPrefix(prefix) ? prefix : nil
        }
    }

    struct File: Codable { var wallet: [Entry]?; var network: [Entry]? }

    public var wallets: [Entry]
    public var networks: [Entry]
    public var all: [Entry] { networks + wallets }

    public enum LoadError: Error, CustomStringConvertible {
        case syntax(line: Int, column: Int, message: String)
        case content(String)
        public var description: String {
            switch self {
            case let .syntax(line, column, message): return "line \(line), column \(column): \(message)"
            case let .content(message): return message
            }
        }
    }

    public init(toml text: String) throws(LoadError) {
        let file: File
        do {
            file = try TOMLText.decode(File.self, from: text)
        } catch let error as TOMLTextError {
            throw .syntax(line: error.line, column: error.column, message: error.reason)
        } catch {
            throw .content("\(error)")
        }
        wallets = file.wallet ?? []
        networks = file.network ?? []
        var seen = Set<String>()
        for entry in all {
            guard seen.insert(entry.id).inserted else { throw .content("the id \"\(entry.id)\" is listed twice") }
            if let rule = entry.refunds, (rule.windowDays ?? 1) < 0 || (rule.maxCount ?? 1) < 1 {
                throw .content("\(entry.id): refunds need window_days of 0 or more and max_count of 1 or more")
            }
            for pattern in entry.numeric ?? [] where !pattern.isWellFormed {
                throw .content("\(entry.id): numeric prefix \"\(pattern.prefix)\" must be digits or a range like 25-30 (equal widths, low first)")
            }
        }
    }

    public func entry(_ id: String) -> Entry? { all.first { $0.id == id } }

    /// The refund rule of a wallet (nil: none is known, the host decides).
    public func refundRule(_ wallet: String?) -> RefundRule? { wallet.flatMap { entry($0)?.refunds } }

    public func entry(guid: String) -> Entry? {
        let wanted = guid.uppercased()
        return all.first { ($0.guids ?? []).contains { $0.uppercased() == wanted } }
    }

    public func entry(mpmTag: String) -> Entry? { all.first { ($0.mpmTags ?? []).contains(mpmTag) } }

    /// The entry whose AID is the longest prefix of `aid`.
    public func entry(aid: String) -> Entry? {
        let wanted = aid.uppercased()
        return all.compactMap { entry in (entry.aids ?? []).filter { wanted.hasPrefix($0.uppercased()) }.map(\.count).max().map { (entry, $0) } }
            .max { $0.1 < $1.1 }?.0
    }

    public func entry(pan: String) -> Entry? {
        all.compactMap { entry in (entry.panPrefixes ?? []).filter { pan.hasPrefix($0) }.map(\.count).max().map { (entry, $0) } }
            .max { $0.1 < $1.1 }?.0
    }

    /// Wallets whose numeric patterns match, the most specific (longest prefix) first.
    public func wallets(forNumber number: String) -> [Entry] {
        let matches = all.compactMap { entry -> (Entry, Int)? in
            let best = (entry.numeric ?? []).compactMap { $0.match(number)?.count }.max()
            return best.map { (entry, $0) }
        }
        // A stable sort keeps file order among equally specific patterns.
        return matches.enumerated().sorted { a, b in a.element.1 != b.element.1 ? a.element.1 > b.element.1 : a.offset < b.offset }
            .map(\.element.0)
    }
}
