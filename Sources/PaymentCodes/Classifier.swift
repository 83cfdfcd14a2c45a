/// Everything the terminal can say about one scanned string: the decode JSON of `qrpos code decode`.
public struct CodeReport: Sendable {
    public enum Kind: String, Sendable { case merchantPresented = "merchant-presented", consumerPresented = "consumer-presented", unknown }
    public enum Format: String, Sendable {
        case emvcoMPM = "emvco-mpm", emvcoCPM = "emvco-cpm", jpqrCPM = "jpqr-cpm", upiURI = "upi-uri", numeric, unknown
    }

    public var kind: Kind = .unknown
    public var format: Format = .unknown
    public var scheme: String?
    public var wallet: String?
    public var networks: [String] = []
    public var pointOfInitiation: String?
    public var amount: String?
    public var currency: String?
    public var country: String?
    public var merchantName: String?
    public var merchantCity: String?
    public var crc: (present: Bool, valid: Bool)?
    public var tags: JSONValue = .object([])
    /// Scheme fields by name (store id, Bakong account, PromptPay target…).
    public var details: [(String, String)] = []
    public var problems: [Problem] = []

    public var valid: Bool { problems.errors.isEmpty }
    public var errors: [String] { problems.errors.map(\.description) }
    public var warnings: [String] { problems.warnings.map(\.description) }

    public var json: JSONValue {
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return .object([
            ("valid", .bool(valid)), ("errors", .array(errors.map(JSONValue.string))), ("warnings", .array(warnings.map(JSONValue.string))),
            ("kind", .string(kind.rawValue)), ("format", .string(format.rawValue)), ("scheme", text(scheme)), ("wallet", text(wallet)),
            ("networks", .array(networks.map(JSONValue.string))), ("pointOfInitiation", text(pointOfInitiation)),
            ("amount", text(amount)), ("currency", text(currency)), ("country", text(country)),
            ("merchantName", text(merchantName)), ("merchantCity", text(merchantCity)),
            ("crc", crc.map { .object([("present", .bool($0.present)), ("valid", .bool($0.valid))]) } ?? .null),
            ("tags", tags), ("details", .object(details.map { ($0.0, .string($0.1)) })),
        ])
    }
}

/// Classifies any scanned string: merchant-presented EMVCo (with its scheme profiles), consumer-presented
/// EMVCo or JPQR CPM, numeric wallet codes, UPI links, or unknown, with every problem found.
public struct Classifier: Sendable {
    public var registry: WalletRegistry
    public init(registry: WalletRegistry) { self.registry = registry }

    public func classify(_ scanned: String, as forcedScheme: (any MerchantScheme)? = nil) -> CodeReport {
        // Scanners append line ends and some encoders a byte-order mark; neither is part of a code.
        let text = String(scanned.unicodeScalars.filter { $0 != "\u{FEFF}" }.map(Character.init)).trimmingWhitespace
        var report = CodeReport()
        if text.isEmpty {
            report.problems = [.error(nil, PaymentCodeError.empty.description)]
        } else if ConsumerCode.looksLikeCPM(text) {
            consumer(text, into: &report)
        } else if text.allSatisfy(\.isASCIIDigitCharacter), !text.hasPrefix("000201"), !readsAsMerchantCode(text) {
            numeric(text, into: &report)
        } else if UPILink.looksLikeUPI(text) {
            upi(text, into: &report)
        } else if text.unicodeScalars.prefix(4).allSatisfy(\.isASCIIDigit), text.unicodeScalars.count >= 4 {
            merchant(text, forced: forcedScheme, into: &report)
        } else {
            let what = text.lowercased().hasPrefix("http") ? "a web address" : "text"
            report.problems = [.error(nil, "\(what), not a payment code this terminal knows")]
        }
        return report
    }

    // MARK: merchant-presented

    /// Digits that no wallet claims but that read to the end as ID-length-value objects closed by the CRC (63)
    /// are a merchant code that lost its header, not a numeric customer code.
    func readsAsMerchantCode(_ digits: String) -> Bool {
        guard registry.wallets(forNumber: digits).isEmpty else { return false }
        let scan = TLV.scan(Array(digits.unicodeScalars)[...])
        return scan.failure == nil && scan.fields.last?.id == "63"
    }

    func merchant(_ text: String, forced: (any MerchantScheme)?, into report: inout CodeReport) {
        let code = MerchantCode(decoding: text)
        if let slip = ThaiSlipVerification(code) {
            report.tags = Self.tags(code.fields)
            report.crc = (true, slip.crcValid)
            report.details = slip.details
            report.problems = [.error(nil, "a Thai bank slip verification code (proof of a transfer), not a payment code")]
            if !slip.crcValid { report.problems.append(.error("91", "invalid CRC")) }
            return
        }
        report.kind = .merchantPresented
        report.format = .emvcoMPM
        let profiles = forced.map { [$0] } ?? MerchantSchemes.all.filter { $0.recognises(code) }
        let primary = profiles.first
        report.scheme = primary?.id ?? "emvco"
        let optional = profiles.reduce(into: Set<String>()) { $0.formUnion($1.optionalRootTags) }
        var problems = EMVCoRules.check(code, optional: optional)
        for profile in profiles { problems += profile.check(code) }
        if primary == nil, code["58"]?.value == "JP", let currency = code["53"]?.value, currency != "392" {
            problems.append(.error("53", "a merchant in Japan (58=JP) charges in yen: currency must be 392 (JPY), found \"\(currency)\""))
        }
        report.problems = problems
        report.networks = networks(code, excluding: primary?.id)
        report.pointOfInitiation = code["01"].map { $0.value == "11" ? "static" : $0.value == "12" ? "dynamic" : $0.value }
        report.amount = code["54"]?.value
        report.currency = code["53"].map { Currency.numeric($0.value)?.code ?? $0.value }
        report.country = code["58"]?.value
        report.merchantName = code["59"]?.value
        report.merchantCity = code["60"]?.value
        report.crc = code.crc.map { (true, $0.valid) } ?? (code.hasCRC ? (true, false) : (false, false))
        report.tags = Self.tags(code.fields)
        for profile in profiles {
            for pair in profile.details(code) where !report.details.contains(where: { $0.0 == pair.0 }) { report.details.append(pair) }
        }
    }

    /// Registry ids of the networks in tags 02–51, the scheme itself left out.
    func networks(_ code: MerchantCode, excluding scheme: String?) -> [String] {
        var ids: [String] = []
        for field in code.fields {
            guard let n = Int(field.id), (2...51).contains(n) else { continue }
            let entry = n < 26 ? registry.entry(mpmTag: field.id) : field.guid.flatMap(registry.entry(guid:))
            if let id = entry?.id, id != scheme, !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    static func tags(_ fields: [MerchantField]) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        for field in fields where !pairs.contains(where: { $0.0 == field.id }) {
            pairs.append((field.id, field.children.map(tags) ?? .string(field.value)))
        }
        return .object(pairs)
    }

    // MARK: consumer-presented

    func consumer(_ text: String, into report: inout CodeReport) {
        report.kind = .consumerPresented
        report.format = text.hasPrefix("hQVKUFFS") ? .jpqrCPM : .emvcoCPM
        let code: ConsumerCode
        do { code = try ConsumerCode(base64: text) } catch {
            report.problems = [.error(nil, error.description)]
            return
        }
        report.format = code.format == .jpqr ? .jpqrCPM : .emvcoCPM
        report.tags = Self.tags(code.elements)
        report.problems = code.check()
        var byAID: WalletRegistry.Entry?
        if let aid = code.applicationID {
            report.details.append(("aid", aid))
            byAID = registry.entry(aid: aid)
        }
        let pan = code.accountNumber
        if let pan { report.details.append(("accountNumber", Mask.number(pan))) }
        let byNumber = pan.flatMap { registry.entry(pan: $0) ?? registry.wallets(forNumber: $0).first }
        if let wallet = byNumber ?? byAID {
            report.wallet = wallet.id
            if let aidEntry = byAID, aidEntry.id != wallet.id { report.networks = [aidEntry.id] }
            if MerchantSchemes.named(wallet.id) != nil { report.scheme = wallet.id }
        } else {
            report.problems.append(.error("61.4F", "no wallet in the registry uses application id \(code.applicationID ?? "(none)")"))
        }
    }

    static func tags(_ elements: [BERElement]) -> JSONValue {
        var pairs: [(String, [JSONValue])] = []
        for element in elements {
            // A text tag whose bytes are not UTF-8 (QRIS puts binary issuer data in 9F74) is shown in hex, not lossily.
            let text = ConsumerCode.textTags.contains(element.tagHex) ? String(validating: element.value, as: UTF8.self) : nil
            let value: JSONValue = element.children.map(tags) ?? .string(text ?? element.value.hexString)
            if let i = pairs.firstIndex(where: { $0.0 == element.tagHex }) { pairs[i].1.append(value) } else { pairs.append((element.tagHex, [value])) }
        }
        // A tag that repeats (two applications in 61) becomes an array.
        return .object(pairs.map { ($0.0, $0.1.count == 1 ? $0.1[0] : .array($0.1)) })
    }

    // MARK: numeric and UPI

    func numeric(_ text: String, into report: inout CodeReport) {
        report.format = .numeric
        report.tags = .object([("number", .string(text))])
        let matches = registry.wallets(forNumber: text)
        guard let wallet = matches.first else {
            let reason = text.count == 13 && EAN13.isValid(text) ? "an EAN-13 product barcode, not a payment code"
                : "no wallet in the registry uses \(text.count)-digit codes starting \(text.prefix(2))"
            report.problems = [.error(nil, reason)]
            return
        }
        report.kind = .consumerPresented
        report.wallet = wallet.id
        if matches.count > 1 {
            report.problems.append(.warning(nil, "the number also fits \(matches.dropFirst().map(\.id).joined(separator: ", ")); \(wallet.id) has the most specific prefix"))
        }
    }

    func upi(_ text: String, into report: inout CodeReport) {
        report.kind = .merchantPresented
        report.format = .upiURI
        report.scheme = "upi"
        guard let link = UPILink(text) else {
            report.problems = [.error(nil, "a upi:// link that is not a valid URI")]
            return
        }
        report.problems = link.check()
        report.amount = link["am"]
        report.currency = link["cu"]?.uppercased() ?? "INR"
        report.country = "IN"
        report.merchantName = link["pn"]
        report.pointOfInitiation = link["am"] == nil ? "static" : "dynamic"
        report.tags = .object(link.parameters.map { ($0.0, .string($0.1)) })
    }
}

/// The Thai banks' slip verification mini QR: root template 00 {00 API id, 01 bank, 02 reference},
/// 51 country, 91 CRC. Recognised so a cashier is told it is proof of a transfer, not a payment code.
struct ThaiSlipVerification {
    var details: [(String, String)]
    var crcValid: Bool

    init?(_ code: MerchantCode) {
        guard let root = code["00"], root.value.count > 2, code.fields.last?.id == "91" else { return nil }
        let inner = TLV.scan(Array(root.value.unicodeScalars)[...])
        guard inner.failure == nil, let bank = inner.fields.first(where: { $0.id == "01" }),
              let reference = inner.fields.first(where: { $0.id == "02" }), let crc = code.fields.last else { return nil }
        details = [("sendingBank", bank.value), ("transRef", reference.value)]
        let prefix = String(scalars: Array(code.payload.unicodeScalars)[0..<crc.valuePosition])
        crcValid = CRC16.payloadChecksum(prefix) == crc.value.uppercased()
    }
}

/// Shows enough of a customer's number to tell codes apart, never the whole (codes are bearer money).
public enum Mask {
    public static func number(_ digits: String) -> String {
        guard digits.count > 10 else { return String(repeating: "*", count: digits.count) }
        return digits.prefix(6) + String(repeating: "*", count: digits.count - 10) + digits.suffix(4)
    }
}

enum EAN13 {
    static func isValid(_ digits: String) -> Bool {
        let values = digits.compactMap(\.wholeNumberValue)
        guard values.count == 13 else { return false }
        let sum = values.prefix(12).enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 1 : 3) }
        return (10 - sum % 10) % 10 == values[12]
    }
}

extension Character {
    /// One scalar "0"–"9": a digit followed by a combining mark sorts inside "0"..."9" but is not a digit.
    var isASCIIDigitCharacter: Bool { unicodeScalars.count == 1 && ("0"..."9").contains(self) }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
