/// Pix (Banco Central do Brasil, BR Code): 26 "br.gov.bcb.pix" with a key (01) or a payload URL (25),
/// reais, Brazil, and the transaction id in 62.05 ("***" when the code is static).
public struct PixScheme: MerchantScheme {
    public static let guid = "br.gov.bcb.pix"
    public init() {}
    public var id: String { "pix" }
    public var optionalRootTags: Set<String> { ["60"] }
    public var accountKeys: [(key: String, meaning: String)] { [("key", "Pix key: e-mail, phone, CPF/CNPJ or random key"), ("info", "message to the payer")] }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "Pix", country: "BR", currencies: ["986"], into: &problems)
        for t in code.accountTemplates(guids: [Self.guid]) where t[child: "01"] == nil && t[child: "25"] == nil {
            problems.append(.error(t.id, "a Pix template carries a key (01) or a payload URL (25)"))
        }
        if code.value("62.05") == nil { problems.append(.warning("62.05", "Pix codes carry a transaction id (\"***\" when static)")) }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        var out = [("01", "key"), ("02", "info"), ("25", "url")].compactMap { id, name in t[child: id].map { (name, $0.value) } }
        if let txid = code.value("62.05") { out.append(("txid", txid)) }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        var sub: [MerchantField] = [.primitive("00", Self.guid), .primitive("01", try request.required("key", "the Pix key"))]
        if let info = request.account["info"] { sub.append(.primitive("02", info)) }
        var request = request
        if request.reference == nil { request.reference = "***" }
        return try CodeLayout.fields(request, accounts: [.template("26", sub)], currency: "BRL", country: "BR")
    }
}
