/// VietQR (NAPAS, Vietnam): 38 "A000000727" with 01 {00 bank BIN, 01 account or card} and the service
/// code in 02 (QRIBFTTA to an account, QRIBFTTC to a card); dong, Vietnam.
public struct VietQRScheme: MerchantScheme {
    public static let guid = "A000000727"
    static let services = ["QRIBFTTA", "QRIBFTTC", "QRPUSH", "QRCASH"]
    public init() {}
    public var id: String { "vietqr" }
    public var optionalRootTags: Set<String> { ["52", "59", "60"] }
    public var accountKeys: [(key: String, meaning: String)] {
        [("bank-bin", "bank BIN, 6 digits"), ("account", "account or card number"), ("service", "QRIBFTTA (account) or QRIBFTTC (card)")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    /// 38.01 nests one level deeper than MPM templates go, so it is read here.
    func beneficiary(_ t: MerchantField) -> [TLVField]? {
        guard let inner = t[child: "01"]?.value else { return nil }
        let scan = TLV.scan(Array(inner.unicodeScalars)[...])
        return scan.failure == nil ? scan.fields : nil
    }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "VietQR", country: "VN", currencies: ["704"], into: &problems)
        for t in code.accountTemplates(guids: [Self.guid]) {
            if let fields = beneficiary(t) {
                let bin = fields.first { $0.id == "00" }?.value
                if !Check.digits(bin, count: 6) { problems.append(.error("\(t.id).01.00", "the bank BIN is 6 digits, found \"\(bin ?? "")\"")) }
                if fields.first(where: { $0.id == "01" }) == nil { problems.append(.error("\(t.id).01.01", "missing the account or card number")) }
            } else {
                problems.append(.error("\(t.id).01", "VietQR needs the beneficiary (bank BIN and account) in 01"))
            }
            if let service = t[child: "02"]?.value {
                if !Self.services.contains(service) { problems.append(.warning("\(t.id).02", "unknown NAPAS service code \"\(service)\"")) }
            } else {
                // NAPAS makes it mandatory; banking apps still assume a transfer to an account without it.
                problems.append(.warning("\(t.id).02", "no NAPAS service code (QRIBFTTA to an account, QRIBFTTC to a card)"))
            }
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        var out: [(String, String)] = []
        if let fields = beneficiary(t) {
            if let bin = fields.first(where: { $0.id == "00" })?.value { out.append(("bankBIN", bin)) }
            if let account = fields.first(where: { $0.id == "01" })?.value { out.append(("account", account)) }
        }
        if let service = t[child: "02"]?.value { out.append(("service", service)) }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let beneficiary = MerchantField.template("01", [.primitive("00", try request.required("bank-bin", "the bank BIN")),
                                                        .primitive("01", try request.required("account", "the account number"))])
        let t = MerchantField.template("38", [.primitive("00", Self.guid), beneficiary, .primitive("02", request.account["service"] ?? "QRIBFTTA")])
        return try CodeLayout.fields(request, accounts: [t], currency: "VND", country: "VN")
    }
}
