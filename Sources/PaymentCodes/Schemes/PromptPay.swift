/// PromptPay (Thailand): 29 "A000000677010111" credit transfer to a mobile number (0066 + 9 digits),
/// a national or tax id (13 digits), an e-wallet (15 digits) or a bank account (04: bank code and account number);
/// 30 "A000000677010112" bill payment.
/// Thai banking apps leave out MCC, name and city, so those are optional here.
public struct PromptPayScheme: MerchantScheme {
    static let transfer = "A000000677010111", billPayment = "A000000677010112"
    static let proxies: [(id: String, type: String, digits: ClosedRange<Int>)] = [
        ("01", "MSISDN", 13...13), ("02", "NATID", 13...13), ("03", "EWALLETID", 15...15), ("04", "BANKACC", 4...43),
    ]

    public init() {}
    public var id: String { "promptpay" }
    public var optionalRootTags: Set<String> { ["52", "59", "60"] }
    public var accountKeys: [(key: String, meaning: String)] {
        [("mobile", "Thai mobile number, 0812223333"), ("national-id", "national or tax id, 13 digits"),
         ("ewallet", "e-wallet id, 15 digits"), ("bank-account", "bank code (3 digits) then the account number"),
         ("biller-id", "biller id, 15 digits (bill payment)"),
         ("ref1", "bill payment reference 1"), ("ref2", "bill payment reference 2")]
    }

    public func recognises(_ code: MerchantCode) -> Bool {
        !code.accountTemplates(guids: [Self.transfer, Self.billPayment]).isEmpty
    }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "PromptPay", country: "TH", currencies: ["764"], into: &problems)
        for template in code.accountTemplates(guids: [Self.transfer]) {
            let present = Self.proxies.filter { template[child: $0.id] != nil }
            if present.count != 1 {
                problems.append(.error(template.id, "a PromptPay transfer names exactly one of mobile (01), national id (02), e-wallet (03) or bank account (04)"))
            }
            for proxy in present {
                let value = template[child: proxy.id]!.value
                guard !(Check.allDigits(value) && proxy.digits.contains(value.count)) else { continue }
                let count = proxy.digits.count == 1 ? "\(proxy.digits.lowerBound)" : "\(proxy.digits.lowerBound) to \(proxy.digits.upperBound)"
                problems.append(.error("\(template.id).\(proxy.id)", "must be \(count) digits, found \"\(value)\""))
            }
        }
        for template in code.accountTemplates(guids: [Self.billPayment]) {
            if !Check.digits(template[child: "01"]?.value, count: 15) {
                problems.append(.error("\(template.id).01", "a PromptPay biller id is 15 digits"))
            }
            Check.maxLength(template[child: "02"], path: "\(template.id).02", 20, into: &problems)
            Check.maxLength(template[child: "03"], path: "\(template.id).03", 20, into: &problems)
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        if let template = code.accountTemplates(guids: [Self.transfer]).first,
           let proxy = Self.proxies.first(where: { template[child: $0.id] != nil }), let value = template[child: proxy.id]?.value {
            // 0066 + 812223333 is the mobile number 0812223333 as Thai people write it.
            let target = proxy.type == "MSISDN" && value.hasPrefix("0066") ? "0" + value.dropFirst(4) : value
            return [("type", proxy.type), ("target", target)]
        }
        if let template = code.accountTemplates(guids: [Self.billPayment]).first {
            var out = [("type", "BILLERID")]
            for (id, name) in [("01", "billerID"), ("02", "ref1"), ("03", "ref2")] {
                if let v = template[child: id]?.value { out.append((name, v)) }
            }
            return out
        }
        return []
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let account: MerchantField
        if let biller = request.account["biller-id"] {
            var sub: [MerchantField] = [.primitive("00", Self.billPayment), .primitive("01", biller), .primitive("02", try request.required("ref1", "bill reference 1"))]
            if let ref2 = request.account["ref2"] { sub.append(.primitive("03", ref2)) }
            account = .template("30", sub)
        } else if let mobile = request.account["mobile"] {
            let digits = mobile.filter(\.isNumber)
            let national = digits.hasPrefix("66") ? String(digits.dropFirst(2)) : String(digits.drop { $0 == "0" })
            account = .template("29", [.primitive("00", Self.transfer), .primitive("01", "0066" + national)])
        } else if let id = request.account["national-id"] {
            account = .template("29", [.primitive("00", Self.transfer), .primitive("02", id)])
        } else if let bankAccount = request.account["bank-account"] {
            account = .template("29", [.primitive("00", Self.transfer), .primitive("04", bankAccount.filter(\.isNumber))])
        } else {
            account = .template("29", [.primitive("00", Self.transfer), .primitive("03", try request.required("ewallet", "a mobile number, national id, e-wallet id or biller id"))])
        }
        return try CodeLayout.fields(request, accounts: [account], currency: "THB", country: "TH")
    }
}
