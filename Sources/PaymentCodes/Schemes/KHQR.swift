/// KHQR (National Bank of Cambodia, Bakong): tag 29 for individuals or 30 for merchants, each with a
/// Bakong account "name@bank" in 00; riel or dollars; creation and expiry times (epoch ms) in tag 99.
public struct KHQRScheme: MerchantScheme {
    public init() {}
    public var id: String { "khqr" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("bakong-id", "Bakong account, name@bank"), ("type", "individual (tag 29) or merchant (tag 30)"),
         ("merchant-id", "merchant id at the acquiring bank (tag 30)"), ("bank", "acquiring bank name"),
         ("account-info", "account information (tag 29)"), ("created", "creation time, epoch milliseconds"),
         ("expires", "expiry time, epoch milliseconds")]
    }

    private func account(_ code: MerchantCode) -> MerchantField? {
        [code["29"], code["30"]].compactMap { $0 }.first { $0.guid.map(Self.isBakongID) ?? false }
    }

    static func isBakongID(_ id: String) -> Bool {
        let parts = id.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && id.unicodeScalars.count <= 32
    }

    public func recognises(_ code: MerchantCode) -> Bool { code["58"]?.value == "KH" || account(code) != nil }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "KHQR", country: "KH", currencies: ["116", "840"], into: &problems)
        let accounts = [code["29"], code["30"]].compactMap { $0 }
        if accounts.isEmpty {
            problems.append(.error("29/30", "KHQR needs a Bakong account in tag 29 (individual) or 30 (merchant)"))
        } else if accounts.count > 1 {
            problems.append(.error("29/30", "KHQR carries either tag 29 or tag 30, not both"))
        }
        for template in accounts {
            let bakong = template[child: "00"]?.value ?? ""
            if !Self.isBakongID(bakong) {
                problems.append(.error("\(template.id).00", "a Bakong account is name@bank (at most 32 characters), found \"\(bakong)\""))
            }
            for id in ["01", "02"] { Check.maxLength(template[child: id], path: "\(template.id).\(id)", 32, into: &problems) }
            if template.id == "30", template[child: "01"] == nil || template[child: "02"] == nil {
                problems.append(.error("30", "a merchant KHQR names the merchant id (01) and the acquiring bank (02)"))
            }
        }
        if let times = code["99"] {
            let created = times[child: "00"]?.value, expires = times[child: "01"]?.value
            for (id, value) in [("00", created), ("01", expires)] {
                if let value, !Check.digits(value, count: 13) {
                    problems.append(.error("99.\(id)", "a KHQR time is 13 digits of epoch milliseconds, found \"\(value)\""))
                }
            }
            if let c = created.flatMap(Int.init), let e = expires.flatMap(Int.init), e <= c {
                problems.append(.error("99.01", "the code expires before it was created"))
            }
        } else if code["01"]?.value == "12" {
            problems.append(.warning("99", "a dynamic KHQR without creation and expiry times"))
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        var out: [(String, String)] = []
        if let template = account(code) ?? code["29"] ?? code["30"] {
            out.append(("merchantType", template.id == "29" ? "individual" : "merchant"))
            if let id = template[child: "00"]?.value { out.append(("bakongAccountID", id)) }
            let second = template.id == "29" ? "accountInformation" : "merchantID"
            if let v = template[child: "01"]?.value { out.append((second, v)) }
            if let v = template[child: "02"]?.value { out.append(("acquiringBank", v)) }
        }
        let named = [("62.01", "billNumber"), ("62.02", "mobileNumber"), ("62.03", "storeLabel"), ("62.07", "terminalLabel"),
                     ("62.08", "purposeOfTransaction"), ("64.00", "languagePreference"), ("64.01", "merchantNameAlternateLanguage"),
                     ("64.02", "merchantCityAlternateLanguage"), ("99.00", "creationTimestamp"), ("99.01", "expirationTimestamp")]
        for (path, name) in named { if let v = code.value(path) { out.append((name, v)) } }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let bakong = try request.required("bakong-id", "the Bakong account")
        let merchant = request.account["type"] == "merchant" || request.account["merchant-id"] != nil
        var sub: [MerchantField] = [.primitive("00", bakong)]
        if merchant {
            sub.append(.primitive("01", try request.required("merchant-id", "the merchant id")))
            sub.append(.primitive("02", try request.required("bank", "the acquiring bank")))
        } else {
            if let info = request.account["account-info"] { sub.append(.primitive("01", info)) }
            if let bank = request.account["bank"] { sub.append(.primitive("02", bank)) }
        }
        var times: [MerchantField] = []
        if let created = request.account["created"] { times.append(.primitive("00", created)) }
        if let expires = request.account["expires"] { times.append(.primitive("01", expires)) }
        var request = request
        if request.alternateName != nil, request.alternateLanguage == nil { request.alternateLanguage = "km" }
        return try CodeLayout.fields(request, accounts: [.template(merchant ? "30" : "29", sub)], currency: "KHR", country: "KH",
                                     defaultCategory: "5999", trailing: times.isEmpty ? [] : [.template("99", times)])
    }
}
