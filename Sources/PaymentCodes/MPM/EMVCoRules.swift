/// The rules every EMVCo merchant-presented code follows, whatever its scheme (EMV QRCPS-MPM).
public enum EMVCoRules {
    /// Root primitives with a fixed or maximum length and a character class.
    static let formats: [(id: String, exact: Int?, max: Int, digits: Bool, name: String)] = [
        ("01", 2, 2, true, "point of initiation"), ("52", 4, 4, true, "merchant category code"),
        ("53", 3, 3, true, "transaction currency"), ("54", nil, 13, false, "transaction amount"),
        ("55", 2, 2, true, "tip or convenience indicator"), ("56", nil, 13, false, "convenience fee"),
        ("57", nil, 5, false, "convenience fee percentage"), ("58", 2, 2, false, "country code"),
        ("59", nil, 25, false, "merchant name"), ("60", nil, 15, false, "merchant city"),
        ("61", nil, 10, false, "postal code"),
    ]

    public static func check(_ code: MerchantCode, optional: Set<String> = []) -> [Problem] {
        var problems = code.structureProblems
        let count = code.payload.unicodeScalars.count
        if count > MerchantCode.maximumLength {
            problems.append(.error(nil, PaymentCodeError.tooLong(characters: count, limit: MerchantCode.maximumLength).description))
        }
        checkEnvelope(code, &problems)
        checkDuplicates(code.fields, path: nil, &problems)
        checkRootValues(code, optional: optional, &problems)
        checkAccounts(code, &problems)
        checkAdditionalData(code, &problems)
        checkLanguageTemplate(code, &problems)
        return problems
    }

    private static func checkEnvelope(_ code: MerchantCode, _ problems: inout [Problem]) {
        guard let first = code.fields.first else {
            problems.append(.error("00", "no payload format indicator: a merchant code starts with \"000201\""))
            return
        }
        if first.id != "00" {
            problems.append(.error("00", "the payload format indicator must come first, found tag \(first.id)"))
        } else if first.value == "02" {
            problems.append(.warning("00", "payload format indicator \"02\" (seen on some DuitNow codes); the standard says \"01\""))
        } else if first.value != "01" {
            problems.append(.error("00", "payload format indicator must be \"01\", found \"\(first.value)\""))
        }
        guard let crcIndex = code.fields.firstIndex(where: { $0.id == "63" }) else {
            // A broken structure already explains a missing CRC; a mere warning (a free-form 80–99) does not.
            if code.structureProblems.errors.isEmpty { problems.append(.error("63", "missing CRC: the last object must be 63")) }
            return
        }
        let crcField = code.fields[crcIndex]
        if crcIndex != code.fields.count - 1 {
            problems.append(.error("63", "the CRC at character \(crcField.position) must be the last object"))
        } else if crcField.value.unicodeScalars.count != 4 || !crcField.value.unicodeScalars.allSatisfy(\.isHexDigit) {
            problems.append(.error("63", "the CRC must be 4 hex digits, found \"\(crcField.value)\""))
        } else if let crc = code.crc, !crc.valid {
            problems.append(.error("63", "invalid CRC: the code says \(crc.found), its content gives \(crc.computed)"))
        }
    }

    private static func checkDuplicates(_ fields: [MerchantField], path: String?, _ problems: inout [Problem]) {
        var seen = Set<String>()
        for field in fields {
            let fieldPath = path.map { "\($0).\(field.id)" } ?? field.id
            if !seen.insert(field.id).inserted {
                problems.append(.error(fieldPath, "appears twice (again at character \(field.position))"))
            }
            if let children = field.children { checkDuplicates(children, path: fieldPath, &problems) }
        }
    }

    private static func checkRootValues(_ code: MerchantCode, optional: Set<String>, _ problems: inout [Problem]) {
        for rule in formats {
            guard let field = code[rule.id] else { continue }
            let n = field.value.unicodeScalars.count
            if let exact = rule.exact, n != exact {
                problems.append(.error(rule.id, "\(rule.name) must be \(exact) characters, found \"\(field.value)\""))
            } else if n > rule.max {
                problems.append(.error(rule.id, "\(rule.name) may hold \(rule.max) characters, found \(n)"))
            } else if n == 0 {
                problems.append(.error(rule.id, "\(rule.name) is empty"))
            } else if rule.digits, !field.value.unicodeScalars.allSatisfy(\.isASCIIDigit) {
                problems.append(.error(rule.id, "\(rule.name) must be digits, found \"\(field.value)\""))
            }
        }
        if let poi = code["01"]?.value, poi.count == 2, poi != "11", poi != "12" {
            problems.append(.error("01", "point of initiation must be 11 (static) or 12 (dynamic), found \"\(poi)\""))
        }
        for (id, name) in [("52", "merchant category code"), ("53", "transaction currency"), ("58", "country code"), ("59", "merchant name"), ("60", "merchant city")]
        where code[id] == nil && !optional.contains(id) {
            problems.append(.error(id, "\(name) is missing"))
        }
        let currency = code["53"].flatMap { Currency.numeric($0.value) }
        if let numeric = code["53"]?.value, numeric.count == 3, currency == nil {
            problems.append(.warning("53", "currency \(numeric) is not one this terminal knows"))
        }
        if let amount = code["54"]?.value {
            if let reason = (currency ?? Currency(numeric: "", code: "", minorUnits: 2)).amountProblem(amount) {
                problems.append(.error("54", "amount \"\(amount)\": \(reason)"))
            } else if Double(amount) == 0 {
                problems.append(.warning("54", "the amount is zero"))
            }
        }
        if let country = code["58"]?.value, country.count == 2, !country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
            problems.append(.error("58", "country code must be two upper-case letters (ISO 3166), found \"\(country)\""))
        }
        checkTip(code, &problems)
    }

    private static func checkTip(_ code: MerchantCode, _ problems: inout [Problem]) {
        let fee = code["56"], percentage = code["57"]
        switch code["55"]?.value {
        case nil:
            if fee != nil || percentage != nil { problems.append(.warning("55", "56 or 57 present without the tip indicator 55")) }
        case "01":
            if fee != nil || percentage != nil { problems.append(.warning("55", "indicator 01 (prompt for a tip) ignores 56 and 57")) }
        case "02":
            if fee == nil { problems.append(.error("56", "indicator 55=02 needs a fixed convenience fee in 56")) }
        case "03":
            if percentage == nil { problems.append(.error("57", "indicator 55=03 needs a percentage in 57")) }
        case let other?:
            problems.append(.error("55", "tip indicator must be 01, 02 or 03, found \"\(other)\""))
        }
    }

    private static func checkAccounts(_ code: MerchantCode, _ problems: inout [Problem]) {
        let accounts = code.fields.filter { Int($0.id).map { (2...51).contains($0) } ?? false }
        if accounts.isEmpty {
            problems.append(.error("02-51", "no merchant account information: at least one of tags 02 to 51 is required"))
        }
        for field in accounts where Int(field.id)! >= 26 && field.children != nil {
            guard let guid = field.guid, !guid.isEmpty else {
                problems.append(.error("\(field.id).00", "merchant account template \(field.id) has no globally unique identifier in 00"))
                continue
            }
            if guid.unicodeScalars.count > 32 {
                problems.append(.error("\(field.id).00", "the identifier may hold 32 characters, found \(guid.unicodeScalars.count)"))
            }
        }
        for field in code.fields {
            guard let n = Int(field.id), (65...79).contains(n) else { continue }
            problems.append(.warning(field.id, "tag \(field.id) is reserved for future use by EMVCo"))
        }
    }

    private static func checkAdditionalData(_ code: MerchantCode, _ problems: inout [Problem]) {
        guard let additional = code["62"], let children = additional.children else { return }
        for child in children {
            guard let n = Int(child.id), (1...9).contains(n) else { continue }
            let length = child.value.unicodeScalars.count
            if n == 9 {
                if length > 3 || !child.value.unicodeScalars.allSatisfy({ "AME".unicodeScalars.contains($0) }) {
                    problems.append(.error("62.09", "consumer data request must be letters from A, M, E, found \"\(child.value)\""))
                }
            } else if length > 25 {
                problems.append(.error("62.\(child.id)", "may hold 25 characters, found \(length)"))
            } else if length == 0 {
                problems.append(.error("62.\(child.id)", "is empty"))
            }
        }
    }

    private static func checkLanguageTemplate(_ code: MerchantCode, _ problems: inout [Problem]) {
        guard let language = code["64"], language.children != nil else { return }
        if let preference = language[child: "00"]?.value {
            if preference.unicodeScalars.count != 2 {
                problems.append(.error("64.00", "language preference must be 2 letters (ISO 639-1), found \"\(preference)\""))
            }
        } else {
            problems.append(.error("64.00", "the language template needs a language preference in 00"))
        }
        if let name = language[child: "01"]?.value {
            if name.unicodeScalars.count > 25 { problems.append(.error("64.01", "alternate merchant name may hold 25 characters")) }
        } else {
            problems.append(.error("64.01", "the language template needs an alternate merchant name in 01"))
        }
        if let city = language[child: "02"]?.value, city.unicodeScalars.count > 15 {
            problems.append(.error("64.02", "alternate merchant city may hold 15 characters"))
        }
    }
}

extension Unicode.Scalar {
    var isHexDigit: Bool { isASCIIDigit || ("A"..."F").contains(self) || ("a"..."f").contains(self) }
}
