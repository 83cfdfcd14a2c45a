/// PayNow (26 "SG.PAYNOW": proxy type, mobile or UEN, editable amount, expiry date).
public struct PayNowScheme: MerchantScheme {
    public static let guid = "SG.PAYNOW"
    public init() {}
    public var id: String { "paynow" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("mobile", "Singapore mobile, +6591234567"), ("uen", "business registration number (UEN)"),
         ("editable", "1 when the payer may change the amount"), ("expiry", "expiry date YYYYMMDD")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "PayNow", country: "SG", currencies: ["702"], into: &problems)
        for template in code.accountTemplates(guids: [Self.guid]) {
            let type = template[child: "01"]?.value, proxy = template[child: "02"]?.value ?? ""
            switch type {
            case "0":
                if !(proxy.hasPrefix("+65") && Check.digits(String(proxy.dropFirst(3)), count: 8)) {
                    problems.append(.error("\(template.id).02", "a PayNow mobile proxy is +65 and 8 digits, found \"\(proxy)\""))
                }
            case "2":
                if proxy.isEmpty || proxy.count > 13 { problems.append(.error("\(template.id).02", "a UEN is 1 to 13 characters")) }
            default:
                problems.append(.error("\(template.id).01", "PayNow proxy type must be 0 (mobile) or 2 (UEN), found \"\(type ?? "")\""))
            }
            if let editable = template[child: "03"]?.value, editable != "0", editable != "1" {
                problems.append(.error("\(template.id).03", "editable amount must be 0 or 1"))
            }
            // Banks and wallets write either a date or a date and time (YYYYMMDDhhmmss).
            if let expiry = template[child: "04"]?.value, !Check.digits(expiry, count: 8), !Check.digits(expiry, count: 14) {
                problems.append(.error("\(template.id).04", "expiry must be YYYYMMDD or YYYYMMDDhhmmss, found \"\(expiry)\""))
            }
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        var out: [(String, String)] = []
        if let type = t[child: "01"]?.value { out.append(("proxyType", type == "0" ? "mobile" : type == "2" ? "uen" : type)) }
        if let v = t[child: "02"]?.value { out.append(("proxy", v)) }
        if let v = t[child: "03"]?.value { out.append(("amountEditable", v == "1" ? "yes" : "no")) }
        if let v = t[child: "04"]?.value { out.append(("expiryDate", v)) }
        return out
    }

    func template(_ request: PaymentRequest) throws(PaymentCodeError) -> MerchantField {
        var sub: [MerchantField] = [.primitive("00", Self.guid)]
        if let mobile = request.account["mobile"] {
            sub += [.primitive("01", "0"), .primitive("02", mobile.hasPrefix("+") ? mobile : "+65" + mobile)]
        } else {
            sub += [.primitive("01", "2"), .primitive("02", try request.required("uen", "a mobile number or UEN"))]
        }
        sub.append(.primitive("03", request.account["editable"] ?? (request.amount == nil ? "1" : "0")))
        if let expiry = request.account["expiry"] { sub.append(.primitive("04", expiry)) }
        return .template("26", sub)
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        try CodeLayout.fields(request, accounts: [template(request)], currency: "SGD", country: "SG")
    }
}

/// SGQR (51 "SG.SGQR"): Singapore's common label that wraps PayNow, NETS, GrabPay and others.
public struct SGQRScheme: MerchantScheme {
    public static let guid = "SG.SGQR"
    public init() {}
    public var id: String { "sgqr" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("sgqr-id", "SGQR id, 12 characters"), ("postal", "6-digit postal code of the outlet"), ("level", "floor"),
         ("unit", "unit number"), ("date", "date of issue YYYYMMDD"), ("mobile", "PayNow mobile"), ("uen", "PayNow UEN")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        Check.market(code, scheme: "SGQR", country: "SG", currencies: ["702"], into: &problems)
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return problems }
        if t.id != "51" { problems.append(.warning(t.id, "the SGQR template is normally tag 51")) }
        if t[child: "01"]?.value.count != 12 { problems.append(.error("\(t.id).01", "the SGQR id is 12 characters")) }
        if let postal = t[child: "03"]?.value, !Check.digits(postal, count: 6) {
            problems.append(.error("\(t.id).03", "a Singapore postal code is 6 digits, found \"\(postal)\""))
        }
        if let date = t[child: "07"]?.value, !Check.digits(date, count: 8) {
            problems.append(.error("\(t.id).07", "the date is YYYYMMDD, found \"\(date)\""))
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        let names = [("01", "sgqrId"), ("02", "version"), ("03", "postalCode"), ("04", "level"), ("05", "unit"), ("06", "miscellaneous"), ("07", "date")]
        return names.compactMap { id, name in t[child: id].map { (name, $0.value) } }
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        var sub: [MerchantField] = [.primitive("00", Self.guid), .primitive("01", try request.required("sgqr-id", "the SGQR id")),
                                    .primitive("02", "01.0001"), .primitive("03", try request.required("postal", "the outlet's postal code"))]
        for (id, key) in [("04", "level"), ("05", "unit"), ("07", "date")] {
            if let v = request.account[key] { sub.append(.primitive(id, v)) }
        }
        let paynow = try PayNowScheme().template(request)
        return try CodeLayout.fields(request, accounts: [paynow, .template("51", sub)], currency: "SGD", country: "SG")
    }
}

/// NETS (26 "SG.COM.NETS"): metadata, merchant id, terminal id and a signature NETS issues with the code.
public struct NETSScheme: MerchantScheme {
    public static let guid = "SG.COM.NETS"
    public init() {}
    public var id: String { "nets" }
    public var accountKeys: [(key: String, meaning: String)] {
        [("metadata", "NETS QR metadata, 23 characters (01)"), ("merchant-id", "NETS merchant id, 11 to 15 digits"),
         ("terminal-id", "NETS terminal id, 8 digits"), ("signature", "signature issued by NETS, 8 hex digits")]
    }

    public func recognises(_ code: MerchantCode) -> Bool { !code.accountTemplates(guids: [Self.guid]).isEmpty }

    public func check(_ code: MerchantCode) -> [Problem] {
        var problems: [Problem] = []
        for t in code.accountTemplates(guids: [Self.guid]) {
            if t[child: "01"]?.value.count != 23 { problems.append(.error("\(t.id).01", "NETS metadata is 23 characters")) }
            // 11 digits on the codes NETS issues today; the SGQR specification's own sample carries 15.
            if let id = t[child: "02"]?.value, (11...15).contains(id.count), Check.allDigits(id) {} else {
                problems.append(.error("\(t.id).02", "the NETS merchant id is 11 to 15 digits"))
            }
            if !Check.digits(t[child: "03"]?.value, count: 8) { problems.append(.error("\(t.id).03", "the NETS terminal id is 8 digits")) }
            if let signature = t[child: "99"]?.value {
                if signature.count != 8 || !signature.unicodeScalars.allSatisfy(\.isHexDigit) {
                    problems.append(.error("\(t.id).99", "the NETS signature is 8 hex digits"))
                }
            } else {
                problems.append(.error("\(t.id).99", "NETS codes carry a signature in 99"))
            }
        }
        return problems
    }

    public func details(_ code: MerchantCode) -> [(String, String)] {
        guard let t = code.accountTemplates(guids: [Self.guid]).first else { return [] }
        return [("02", "merchantID"), ("03", "terminalID")].compactMap { id, name in t[child: id].map { (name, $0.value) } }
    }

    public func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField] {
        let t = MerchantField.template("26", [
            .primitive("00", Self.guid), .primitive("01", try request.required("metadata", "the NETS metadata")),
            .primitive("02", try request.required("merchant-id", "the NETS merchant id")),
            .primitive("03", try request.required("terminal-id", "the NETS terminal id")),
            .primitive("99", try request.required("signature", "the NETS signature")),
        ])
        return try CodeLayout.fields(request, accounts: [t], currency: "SGD", country: "SG")
    }
}
