/// BharatQR (NPCI, India): card networks in 02–08 and UPI in template 26 "A000000524" with the VPA.
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
            let vpa = t[child: "01"]?.value ?? ""
            if !UPILink.isVPA(vpa) { problems.append(.error("\(t.id).01", "a UPI address is name@handle, found \"\(vpa)\"")) }
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        code.accountTemplates(guids: [Self.guid]).first?[child: "01"].map { [("vpa", $0.value)] } ?? []
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let upi = MerchantField.template("26", [.primitive("00", Self.guid), .primitive("01", try request.required("vpa", "the UPI address"))])
        return try CodeLayout.fields(request, accounts: [upi], currency: "INR", country: "IN")
    }
}
