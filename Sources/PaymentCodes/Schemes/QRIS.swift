/// QRIS (Bank Indonesia): the national template 51 "ID.CO.QRIS.WWW" (earlier "ID.OR.GPNQR.WWW") with the
/// national merchant id (NMID), provider templates 26–45 with a 9360… PAN, rupiah, Indonesia.
public struct QRISScheme: MerchantScheme {
    public static let guids = ["ID.CO.QRIS.WWW", "ID.OR.GPNQR.WWW"]
    static let criteria = ["UMI", "UKE", "UME", "UBE", "URE"]

    public init() {}
    public var id: String { "qris" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("nmid", "national merchant id, ID + 13 digits"), ("provider", "provider GUID, e.g. ID.CO.BANK.WWW"),
         ("pan", "merchant PAN at the provider, 9360… (16–19 digits)"), ("merchant-id", "merchant id at the provider"),
         ("criteria", "merchant criteria UMI, UKE, UME, UBE or URE")]
    }

    public func recognises(_ code: MerchantCode) -> Bool {
        !code.accountTemplates(guids: Self.guids).isEmpty || code["58"]?.value == "ID"
    }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "QRIS", country: "ID", currencies: ["360"], into: &problems)
        let national = code.accountTemplates(guids: Self.guids).first
        if let national {
            if national.id != "51" { problems.append(.warning(national.id, "the QRIS national template is normally tag 51")) }
            if let nmid = national[child: "02"]?.value {
                Check.maxLength(national[child: "02"], path: "\(national.id).02", 15, into: &problems)
                if !nmid.hasPrefix("ID") { problems.append(.warning("\(national.id).02", "a QRIS NMID starts with \"ID\", found \"\(nmid)\"")) }
            } else {
                problems.append(.error("\(national.id).02", "QRIS needs the national merchant id (NMID)"))
            }
        } else if code["40"] == nil {
            problems.append(.warning("51", "no QRIS national template (51 ID.CO.QRIS.WWW)"))
        }
        for field in code.fields {
            guard let n = Int(field.id), (26...45).contains(n), field.children != nil, field.id != national?.id else { continue }
            if let pan = field[child: "01"]?.value, !(Check.allDigits(pan) && (16...19).contains(pan.count)) {
                problems.append(.error("\(field.id).01", "a QRIS merchant PAN is 16 to 19 digits, found \"\(pan)\""))
            }
            Check.maxLength(field[child: "02"], path: "\(field.id).02", 15, into: &problems)
            if let criteria = field[child: "03"]?.value, !Self.criteria.contains(criteria) {
                problems.append(.error("\(field.id).03", "merchant criteria must be one of \(Self.criteria.joined(separator: ", ")), found \"\(criteria)\""))
            }
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        var out: [(String, String)] = []
        if let national = code.accountTemplates(guids: Self.guids).first {
            if let nmid = national[child: "02"]?.value { out.append(("nmid", nmid)) }
            if let criteria = national[child: "03"]?.value { out.append(("criteria", criteria)) }
        }
        if let provider = code.fields.first(where: { (Int($0.id).map { (26...45).contains($0) } ?? false) && $0.children != nil }) {
            if let guid = provider.guid { out.append(("provider", guid)) }
            if let pan = provider[child: "01"]?.value { out.append(("merchantPAN", pan)) }
            if let id = provider[child: "02"]?.value { out.append(("merchantID", id)) }
        }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let nmid = try request.required("nmid", "the QRIS national merchant id")
        let criteria = request.account["criteria"] ?? "UMI"
        var accounts: [MerchantField] = []
        if let provider = request.account["provider"] {
            var sub: [MerchantField] = [.primitive("00", provider), .primitive("01", try request.required("pan", "the provider's merchant PAN"))]
            if let merchantID = request.account["merchant-id"] { sub.append(.primitive("02", merchantID)) }
            sub.append(.primitive("03", criteria))
            accounts.append(.template("26", sub))
        }
        accounts.append(.template("51", [.primitive("00", Self.guids[0]), .primitive("02", nmid), .primitive("03", criteria)]))
        return try CodeLayout.fields(request, accounts: accounts, currency: "IDR", country: "ID")
    }
}
