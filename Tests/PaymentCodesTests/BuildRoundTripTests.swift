import Foundation
import Testing
@testable import PaymentCodes

/// Random merchant names in several scripts, kept within a limit counted in Unicode scalars (as EMVCo counts).
enum Names {
    static let words: [[String]] = [
        ["カフェ", "ラーメン", "本舗", "食堂", "さくら", "東京", "珈琲", "やきとり", "メルペイ", "ミルク堂"],  // Japanese
        ["最佳", "运输", "北京", "茶餐厅", "小吃", "書店", "龍", "饭店", "上海"],  // Chinese
        ["ចន", "ស្មីន", "ភ្នំពេញ", "ហាង", "កាហ្វេ", "សួស្តី", "ក្រុង", "អង្គរ", "ផ្សារ"],  // Khmer (coeng, vowel signs)
        ["카페", "서울", "김밥", "치킨", "빵집", "한국", "부산"],  // Korean
        ["Café", "BEST", "Transport", "Kopi", "Loja", "Padaria", "Tims", "Donuts", "Müller", "Ñandú", "O'Brien",
         "A&B", "Soba", "e\u{301}cole", "50%", "#1", "x+y"],  // Latin, with a decomposed accent and URL-ish signs
    ]
    static let khmer = words[2]

    static func make(_ rng: inout SplitMix64, limit: Int, script: Int? = nil) -> String {
        let pool = words[script ?? Int.random(in: 0..<words.count, using: &rng)]
        var scalars: [Unicode.Scalar] = []
        for i in 0..<Int.random(in: 1...5, using: &rng) {
            let word = Array(rng.pick(pool).unicodeScalars)
            if i > 0 { scalars.append(" ") }
            scalars += word
        }
        // Sometimes exactly at the limit: the boundary must hold too.
        let n = min(scalars.count, limit)
        var name = String(scalars: scalars.prefix(n))
        while name.last?.isWhitespace == true { name.removeLast() }
        return name.isEmpty ? String(scalars: scalars.prefix(1)) : name
    }
}

/// A request the scheme must accept, and the details its decode must show.
struct Sample {
    var request: PaymentRequest
    var details: [String: String]
}

enum Samples {
    static func amount(_ rng: inout SplitMix64, minorUnits: Int) -> String? {
        guard rng.chance(0.8) else { return nil }  // static codes too
        let whole = String(Int.random(in: 0...9_999_999, using: &rng))
        guard minorUnits > 0, rng.chance(0.7) else { return whole == "0" ? "1" : whole }
        return whole + "." + rng.digits(Int.random(in: 1...minorUnits, using: &rng))
    }

    static func make(_ scheme: String, _ rng: inout SplitMix64) -> Sample {
        var request = PaymentRequest(merchantName: Names.make(&rng, limit: 25), merchantCity: Names.make(&rng, limit: 15))
        if rng.chance(0.5) { request.reference = rng.alphanumeric(Int.random(in: 1...25, using: &rng)) }
        if rng.chance(0.3) { request.billNumber = "#INV-" + rng.digits(Int.random(in: 1...20, using: &rng)) }
        if rng.chance(0.3) { request.terminalLabel = rng.alphanumeric(Int.random(in: 1...8, using: &rng)) }
        if rng.chance(0.3) { request.storeLabel = Names.make(&rng, limit: 25) }
        var details: [String: String] = [:]
        var minorUnits = 2
        switch scheme {
        case "jpqr":
            let id = [13, 4, 6, 6].map { rng.digits($0) }.joined(separator: "-")
            request.account = ["jpqr-id": id]
            request.postalCode = rng.digits(7)
            if rng.chance(0.5) { request.alternateName = Names.make(&rng, limit: 25, script: 0) }
            details = ["storeId": id, "merchantNameJapanese": request.alternateName ?? request.merchantName]
            minorUnits = 0
        case "sgqr":
            let id = rng.alphanumeric(12), postal = rng.digits(6)
            request.account = ["sgqr-id": id, "postal": postal, "mobile": rng.pick(["8", "9"]) + rng.digits(7)]
            if rng.chance(0.5) { request.account["date"] = "2026" + rng.digits(4) }
            details = ["sgqrId": id, "postalCode": postal]
        case "paynow":
            if rng.chance(0.5) {
                let mobile = "9" + rng.digits(7)
                request.account = ["mobile": mobile]
                details = ["proxyType": "mobile", "proxy": "+65" + mobile]
            } else {
                let uen = rng.digits(9) + "K"
                request.account = ["uen": uen]
                details = ["proxyType": "uen", "proxy": uen]
            }
            if rng.chance(0.3) { request.account["expiry"] = "2027" + rng.digits(4) }
        case "qris":
            let nmid = "ID" + rng.digits(13), criteria = rng.pick(["UMI", "UKE", "UME", "UBE", "URE"])
            request.account = ["nmid": nmid, "criteria": criteria]
            details = ["nmid": nmid, "criteria": criteria]
            if rng.chance(0.6) {
                let pan = "9360" + rng.digits(Int.random(in: 12...15, using: &rng))
                request.account["provider"] = "ID.CO.BANK\(rng.digits(2)).WWW"
                request.account["pan"] = pan
                details["merchantPAN"] = pan
            }
        case "khqr":
            let bakong = rng.alphanumeric(Int.random(in: 1...20, using: &rng)).lowercased() + "@" + rng.alphanumeric(4).lowercased()
            request.account = ["bakong-id": bakong]
            details = ["bakongAccountID": bakong]
            if rng.chance(0.5) {
                let merchantID = rng.digits(Int.random(in: 6...15, using: &rng))
                request.account["type"] = "merchant"; request.account["merchant-id"] = merchantID; request.account["bank"] = "Dev Bank"
                details["merchantType"] = "merchant"; details["merchantID"] = merchantID; details["acquiringBank"] = "Dev Bank"
            } else {
                details["merchantType"] = "individual"
            }
            let created = 1_700_000_000_000 + Int.random(in: 0...99_999_999_999, using: &rng)
            request.account["created"] = String(created)
            request.account["expires"] = String(created + Int.random(in: 1...86_400_000, using: &rng))
            details["creationTimestamp"] = String(created)
            // The Khmer alternate name is where grapheme and scalar counts part.
            request.alternateName = Names.make(&rng, limit: 25, script: 2)
            request.alternateCity = Names.make(&rng, limit: 15, script: 2)
            details["merchantNameAlternateLanguage"] = request.alternateName
            details["merchantCityAlternateLanguage"] = request.alternateCity
            details["languagePreference"] = "km"
            if rng.chance(0.4) { request.currency = "USD" }
        case "nets":
            let merchantID = rng.digits(11), terminalID = rng.digits(8)
            request.account = ["metadata": rng.alphanumeric(23), "merchant-id": merchantID, "terminal-id": terminalID,
                               "signature": String(rng.digits(8).map { rng.chance(0.5) ? $0 : rng.pick(Array("ABCDEF")) })]
            details = ["merchantID": merchantID, "terminalID": terminalID]
        case "promptpay":
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let national = rng.pick(["6", "8", "9"]) + rng.digits(8)
                request.account = ["mobile": "0" + national]
                details = ["type": "MSISDN", "target": "0" + national]
            case 1:
                let id = rng.digits(13)
                request.account = ["national-id": id]
                details = ["type": "NATID", "target": id]
            case 2:
                let id = rng.digits(15)
                request.account = ["ewallet": id]
                details = ["type": "EWALLETID", "target": id]
            default:
                let biller = rng.digits(15), ref1 = rng.alphanumeric(Int.random(in: 1...20, using: &rng)).uppercased()
                request.account = ["biller-id": biller, "ref1": ref1]
                details = ["type": "BILLERID", "billerID": biller, "ref1": ref1]
            }
        case "duitnow":
            let acquirer = rng.digits(6)
            request.account = ["acquirer-id": acquirer, "merchant-id": rng.alphanumeric(10)]
            details = ["acquirerID": acquirer]
        case "bharatqr":
            let vpa = rng.alphanumeric(8).lowercased() + "@" + rng.pick(["upi", "okaxis", "ybl", "paytm"])
            request.account = ["vpa": vpa]
            details = ["vpa": vpa]
        case "pix":
            let hex = String((0..<32).map { _ in rng.pick(Array("0123456789abcdef")) })
            let key = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(Array(hex)[$0]) }.joined(separator: "-")  // a random Pix key is a UUID
            request.account = ["key": key]
            if rng.chance(0.5) { request.account["info"] = rng.alphanumeric(10) }
            details = ["key": key, "txid": request.reference ?? "***"]
        case "vietqr":
            let bin = rng.digits(6), account = rng.digits(Int.random(in: 8...19, using: &rng))
            let service = rng.pick(["QRIBFTTA", "QRIBFTTC"])
            request.account = ["bank-bin": bin, "account": account, "service": service]
            details = ["bankBIN": bin, "account": account, "service": service]
            minorUnits = 0
        default:
            Issue.record("no sample for scheme \(scheme): add one")
        }
        request.amount = amount(&rng, minorUnits: minorUnits)
        return Sample(request: request, details: details)
    }
}

@Suite("Build round trips") struct BuildRoundTripTests {
    static let casesPerScheme = 50

    @Test func everySchemeHasASample() {
        #expect(MerchantSchemes.all.count == 11)
        #expect(Set(MerchantSchemes.all.map(\.id)) == ["jpqr", "sgqr", "qris", "khqr", "paynow", "nets", "promptpay", "duitnow", "bharatqr", "pix", "vietqr"])
    }

    @Test(arguments: MerchantSchemes.all.map(\.id))
    func buildThenClassify(_ id: String) throws {
        let scheme = try #require(MerchantSchemes.named(id))
        var rng = SplitMix64(seed: UInt64(id.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
        var scalarGraphemeMismatches = 0
        for n in 0..<Self.casesPerScheme {
            let sample = Samples.make(id, &rng)
            let request = sample.request
            let payload: String
            do {
                payload = try scheme.build(request)
            } catch {
                Issue.record("case \(n): \(id) refused a valid request: \(error) — \(request)")
                continue
            }
            let report = Fixtures.classify(payload)
            let context = Comment(rawValue: "case \(n): \(payload) errors: \(report.errors)")
            #expect(report.valid, context)
            #expect(report.scheme == id, context)
            #expect(report.format == .emvcoMPM && report.kind == .merchantPresented)
            #expect(report.crc?.present == true && report.crc?.valid == true, context)
            #expect(report.amount == request.amount, context)
            #expect(report.pointOfInitiation == (request.amount == nil ? "static" : "dynamic"))
            #expect(report.merchantName == request.merchantName, context)
            #expect(report.merchantCity == request.merchantCity, context)
            let home = ["jpqr": "JPY", "sgqr": "SGD", "paynow": "SGD", "nets": "SGD", "qris": "IDR", "khqr": "KHR", "promptpay": "THB",
                        "duitnow": "MYR", "bharatqr": "INR", "pix": "BRL", "vietqr": "VND"][id]
            #expect(report.currency == (request.currency ?? home), context)
            let tags = report.json["tags"]
            #expect(tags?["62"]?["05"]?.stringValue == (id == "pix" ? request.reference ?? "***" : request.reference), context)
            #expect(tags?["62"]?["01"]?.stringValue == request.billNumber, context)
            #expect(tags?["62"]?["07"]?.stringValue == request.terminalLabel, context)
            #expect(tags?["62"]?["03"]?.stringValue == request.storeLabel, context)
            for (key, value) in sample.details {
                #expect(report.detail(key) == value, "detail \(key); \(context)")
            }
            // Every length in the payload counts scalars: the tree written back is the payload.
            #expect(tags?.tlvText == payload, context)
            for text in [request.merchantName, request.alternateName ?? ""] where text.count != text.unicodeScalars.count {
                scalarGraphemeMismatches += 1
            }
        }
        if id == "khqr" {
            #expect(scalarGraphemeMismatches > 0, "the Khmer samples must include names whose grapheme and scalar counts differ")
        }
    }

    @Test func upiLinksRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5550_4921)
        for n in 0..<Self.casesPerScheme {
            let vpa = rng.alphanumeric(Int.random(in: 1...12, using: &rng)).lowercased() + "@" + rng.pick(["upi", "okaxis", "ybl"])
            var request = PaymentRequest(merchantName: Names.make(&rng, limit: 40), merchantCity: "Mumbai", account: ["vpa": vpa])
            request.amount = Samples.amount(&rng, minorUnits: 2)
            if rng.chance(0.5) { request.reference = rng.alphanumeric(12) }
            if rng.chance(0.5) { request.purpose = Names.make(&rng, limit: 30) }
            if rng.chance(0.3) { request.categoryCode = rng.digits(4) }
            let link = try UPILink.build(request)
            let report = Fixtures.classify(link)
            let context = Comment(rawValue: "case \(n): \(link) errors: \(report.errors)")
            #expect(link.hasPrefix("upi://pay?"))
            #expect(report.valid, context)
            #expect(report.scheme == "upi" && report.format == .upiURI, context)
            #expect(report.amount == request.amount, context)
            #expect(report.merchantName == request.merchantName, context)
            #expect(report.currency == "INR")
            let tags = report.json["tags"]
            #expect(tags?["pa"]?.stringValue == vpa, context)
            #expect(tags?["tr"]?.stringValue == request.reference, context)
            #expect(tags?["tn"]?.stringValue == request.purpose, context)
            #expect(tags?["mc"]?.stringValue == request.categoryCode, context)
        }
    }

    // MARK: what building must refuse

    static func validSample(_ id: String) -> PaymentRequest {
        var rng = SplitMix64(seed: 7)
        var request = Samples.make(id, &rng).request
        request.merchantName = "SHOP"
        return request
    }

    @Test(arguments: MerchantSchemes.all.map(\.id))
    func nameLongerThan25ScalarsIsRefused(_ id: String) throws {
        let scheme = try #require(MerchantSchemes.named(id))
        var request = Self.validSample(id)
        #expect(throws: Never.self) { try scheme.build(request) }
        request.merchantName = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  // 26
        #expect(throws: PaymentCodeError.valueTooLong(tag: "59", characters: 26, limit: 25)) { try scheme.build(request) }
        // 13 graphemes but 26 scalars (decomposed accents): still too long.
        request.merchantName = String(repeating: "e\u{301}", count: 13)
        #expect(request.merchantName.count == 13)
        #expect(throws: PaymentCodeError.valueTooLong(tag: "59", characters: 26, limit: 25)) { try scheme.build(request) }
        request.merchantName = String(repeating: "e\u{301}", count: 12) + "x"  // 25 scalars
        #expect(throws: Never.self) { try scheme.build(request) }
    }

    @Test(arguments: MerchantSchemes.all.map(\.id))
    func missingAccountKeyIsRefused(_ id: String) throws {
        let scheme = try #require(MerchantSchemes.named(id))
        var request = Self.validSample(id)
        request.account = [:]
        let error = #expect(throws: PaymentCodeError.self) { try scheme.build(request) }
        guard case let .missingRequired(what)? = error else {
            Issue.record("expected missingRequired, got \(String(describing: error))")
            return
        }
        #expect(what.contains("account key"), "\(what)")
    }

    @Test func khmerAlternateNameCountsScalars() throws {
        let name = "ចន ស្មីន"
        #expect(name.count < name.unicodeScalars.count)
        let request = PaymentRequest(merchantName: "Jonh Smith", merchantCity: "Phnom Penh", alternateName: name, alternateCity: "ភ្នំពេញ",
                                     amount: "100", account: ["bakong-id": "john_smith@devb"])
        let payload = try KHQRScheme().build(request)
        #expect(payload.contains("0108" + name), "64.01 length is 8 scalars")
        let report = Fixtures.classify(payload)
        #expect(report.valid)
        #expect(report.detail("merchantNameAlternateLanguage") == name)
        #expect(report.detail("merchantCityAlternateLanguage") == "ភ្នំពេញ")
        // 25 scalars of Khmer fit in 64.01 although they are fewer graphemes; 26 do not.
        let fits = String(String(repeating: "ស្មី", count: 7).unicodeScalars.prefix(25))
        #expect(fits.unicodeScalars.count == 25 && fits.count < 25)
        var edge = request
        edge.alternateName = fits
        #expect(Fixtures.classify(try KHQRScheme().build(edge)).detail("merchantNameAlternateLanguage") == fits)
        edge.alternateName = fits + "ក"
        #expect(throws: PaymentCodeError.valueTooLong(tag: "64.01", characters: 26, limit: 25)) { try KHQRScheme().build(edge) }
    }

    @Test(arguments: ["100.5", "0.1", "1200.00", "1,200", "12a", "-5", ""])
    func yenAmountMustBeWhole(_ amount: String) throws {
        var request = Self.validSample("jpqr")
        request.amount = amount
        let error = #expect(throws: PaymentCodeError.self) { try JPQRScheme().build(request) }
        guard case let .invalidValue(tag, value, _)? = error else {
            Issue.record("expected invalidValue, got \(String(describing: error))")
            return
        }
        #expect(tag == "54" && value == amount)
        var dong = Self.validSample("vietqr")
        dong.amount = amount
        #expect(throws: PaymentCodeError.self) { try VietQRScheme().build(dong) }
    }

    @Test func otherAmountAndCurrencyRules() throws {
        var request = Self.validSample("jpqr")
        request.amount = "1200"
        #expect(try JPQRScheme().build(request).contains("54041200"))
        request.currency = "USD"
        #expect(throws: PaymentCodeError.self, "JPQR is yen only") { try JPQRScheme().build(request) }
        var khqr = Self.validSample("khqr")
        khqr.currency = "USD"
        khqr.amount = "1.234"
        #expect(throws: PaymentCodeError.self, "USD has 2 decimals") { try KHQRScheme().build(khqr) }
        khqr.amount = "12345678901.5"  // 13 characters fit
        #expect(throws: Never.self) { try KHQRScheme().build(khqr) }
        khqr.amount = "123456789012.5"  // 14 do not
        #expect(throws: PaymentCodeError.valueTooLong(tag: "54", characters: 14, limit: 13)) { try KHQRScheme().build(khqr) }
        khqr.amount = "5"
        khqr.currency = "XYZ"
        #expect(throws: PaymentCodeError.invalidValue(tag: "53", value: "XYZ", reason: "unknown ISO 4217 currency")) { try KHQRScheme().build(khqr) }
    }

    @Test func upiBuildRefusals() {
        let base = PaymentRequest(merchantName: "Chai", merchantCity: "Pune", amount: "10.00", account: ["vpa": "chai@upi"])
        #expect(throws: Never.self) { try UPILink.build(base) }
        var request = base
        request.account = [:]
        #expect(throws: PaymentCodeError.self) { try UPILink.build(request) }
        request.account = ["vpa": "chai"]
        #expect(throws: PaymentCodeError.self) { try UPILink.build(request) }
        request = base
        request.amount = "1.234"
        #expect(throws: PaymentCodeError.self) { try UPILink.build(request) }
    }
}
