/// JPQR (Payments Japan Association): tag 26 "jp.or.paymentsjapan" with the four-level unified store
/// identifier, yen, Japan, a postal code and a Japanese merchant name in tag 64.
public struct JPQRScheme: MerchantScheme {
    public static let guid = "jp.or.paymentsjapan"
    /// Digits in each level of the store identifier (tag 26 sub-IDs 01 to 04).
    static let levels: [(id: String, digits: Int)] = [("01", 13), ("02", 4), ("03", 6), ("04", 6)]

    public init() {}
    public var id: String { "jpqr" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("jpqr-id", "unified store identifier, 13-4-6-6 digits: 0000000000001-0001-000001-000001")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        guard let template = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        if template.id != "26" {
            problems.append(.error(template.id, "the JPQR identifier belongs in tag 26, found in \(template.id)"))
        }
        for level in Self.levels {
            let value = template[child: level.id]?.value
            if !Check.digits(value, count: level.digits) {
                problems.append(.error("\(template.id).\(level.id)", "JPQR store identifier level \(level.id) must be \(level.digits) digits, found \(value.map { "\"\($0)\"" } ?? "nothing")"))
            }
        }
        Check.market(code, scheme: "JPQR", country: "JP", currencies: ["392"], into: &problems)
        if code["61"] == nil { problems.append(.error("61", "JPQR requires the postal code")) }
        if let language = code["64"] {
            if language[child: "00"]?.value.uppercased() != "JA" {
                problems.append(.error("64.00", "JPQR's language template must be \"JA\", found \"\(language[child: "00"]?.value ?? "")\""))
            }
            if language[child: "02"] != nil { problems.append(.error("64.02", "JPQR's language template carries no alternate city")) }
        } else {
            problems.append(.error("64", "JPQR requires the language template with the Japanese merchant name"))
        }
        switch code["01"]?.value {
        case "12" where code["54"] == nil:
            problems.append(.warning("54", "a dynamic JPQR (01=12) without an amount"))
        case "11" where code["54"] != nil:
            problems.append(.warning("01", "a static JPQR (01=11) carrying an amount"))
        default: break
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let template = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        var out: [(String, String)] = []
        let levels = Self.levels.compactMap { template[child: $0.id]?.value }
        if levels.count == 4 { out.append(("storeId", levels.joined(separator: "-"))) }
        if let name = code.value("64.01") { out.append(("merchantNameJapanese", name)) }
        if let reference = code.value("62.05") { out.append(("reference", reference)) }
        if let terminal = code.value("62.07") { out.append(("terminalLabel", terminal)) }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let storeId = try request.required("jpqr-id", "the JPQR unified store identifier")
        let parts = storeId.split(separator: "-").map(String.init)
        guard parts.count == 4, zip(parts, Self.levels).allSatisfy({ Check.digits($0, count: $1.digits) }) else {
            throw .invalidValue(tag: "26", value: storeId, reason: "the unified store identifier is 13-4-6-6 digits with dashes")
        }
        guard let postal = request.postalCode, !postal.isEmpty else { throw .missingRequired("the postal code (JPQR tag 61)") }
        _ = postal
        var request = request
        request.alternateLanguage = "JA"
        request.alternateCity = nil
        if request.alternateName == nil { request.alternateName = request.merchantName }
        let account = MerchantField.template("26", [.primitive("00", Self.guid)] + zip(Self.levels, parts).map { .primitive($0.id, $1) })
        return try CodeLayout.fields(request, accounts: [account], currency: "JPY", country: "JP")
    }
}
