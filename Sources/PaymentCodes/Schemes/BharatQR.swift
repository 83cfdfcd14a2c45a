/// BharatQR (NPCI, India): card networks in 02–08 and UPI under the GUID "A000000524": template 26 carries
/// the VPA (01) and an optional minimum amount (02); template 27 the transaction reference (01) and its URL (02).
public struct BharatQRScheme: MerchantScheme {
    public static let guid = "A000000524"
    public init() {}
    public var id: String { "bharatqr" }
    public var accountKeys: [(key: String, meaning: String)] { [("vpa", "UPI virtual payment address, name@bank")] }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "BharatQR", country: "IN", currencies: ["356"], into: &problems)
        for t in code.accountTemplates(guids: [Self.guid]) {
            if t.id == Self.referenceTemplate {
                Check.maxLength(t[child: "01"], path: "\(t.id).01", 35, into: &problems)
                continue
            }
            let vpa = t[child: "01"]?.value ?? ""
            if !UPILink.isVPA(vpa) { problems.append(.error("\(t.id).01", "a UPI address is name@handle, found \"\(vpa)\"")) }
        }
        return problems
    }

    /// NPCI's transaction-reference template: the same GUID, but no VPA inside.
    static let referenceTemplate = "27"

    public func details(_ code: MerchantCode) -> [(String, String)] {
        var out: [(String, String)] = []
        let templates = code.accountTemplates(guids: [Self.guid])
        if let vpa = templates.first(where: { $0.id != Self.referenceTemplate })?[child: "01"]?.value { out.append(("vpa", vpa)) }
        if let reference = templates.first(where: { $0.id == Self.referenceTemplate })?[child: "01"]?.value { out.append(("reference", reference)) }
        return out
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let upi = MerchantField.template("26", [.primitive("00", Self.guid), .primitive("01", try request.required("vpa", "the UPI address"))])
        return try CodeLayout.fields(request, accounts: [upi], currency: "INR", country: "IN")
    }
}
