/// DuitNow QR (PayNet, Malaysia): an account template with "A0000006150001", ringgit, Malaysia.
/// Codes in the wild carry payload format "02", which the base rules accept with a warning.
public struct DuitNowScheme: MerchantScheme {
    public static let guid = "A0000006150001"
    public init() {}
    public var id: String { "duitnow" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("acquirer-id", "acquirer or proxy id (01)"), ("merchant-id", "merchant account or proxy (02)"), ("merchant-type", "merchant type (03)")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "DuitNow", country: "MY", currencies: ["458"], into: &problems)
        for t in code.accountTemplates(guids: [Self.guid]) where t[child: "01"] == nil && t[child: "02"] == nil {
            problems.append(.error(t.id, "a DuitNow template names the acquirer (01) or the merchant account (02)"))
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        return [("01", "acquirerID"), ("02", "merchantAccount"), ("03", "merchantType")].compactMap { id, name in t[child: id].map { (name, $0.value) } }
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        var sub: [MerchantField] = [.primitive("00", Self.guid), .primitive("01", try request.required("acquirer-id", "the DuitNow acquirer id"))]
        if let v = request.account["merchant-id"] { sub.append(.primitive("02", v)) }
        if let v = request.account["merchant-type"] { sub.append(.primitive("03", v)) }
        return try CodeLayout.fields(request, accounts: [.template("26", sub)], currency: "MYR", country: "MY")
    }
}
