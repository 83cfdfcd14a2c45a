/// The common skeleton of a merchant code, in the order the standards print it:
/// 00, 01, accounts, 52, 53, 54, 58, 59, 60, 61, 62, 64, then scheme extras.
enum CodeLayout {
    static func fields(_ request: PaymentRequest, accounts: [MerchantField], currency home: String, country: String,
                       defaultCategory: String = "0000", additional: [MerchantField] = [],
                       trailing: [MerchantField] = []) throws(PaymentCodeError) -> [MerchantField] {
        guard let currency = Currency.named(request.currency ?? home) else {
            throw .invalidValue(tag: "53", value: request.currency ?? home, reason: "unknown ISO 4217 currency")
        }
        var fields: [MerchantField] = [.primitive("00", "01"), .primitive("01", request.amount == nil ? "11" : "12")]
        fields += accounts
        let category = request.categoryCode ?? defaultCategory
        guard category.count == 4, category.unicodeScalars.allSatisfy(\.isASCIIDigit) else {
            throw .invalidValue(tag: "52", value: category, reason: "a merchant category code is 4 digits")
        }
        fields += [.primitive("52", category), .primitive("53", currency.numeric)]
        if let amount = request.amount {
            if let reason = currency.amountProblem(amount) { throw .invalidValue(tag: "54", value: amount, reason: reason) }
            guard amount.count <= 13 else { throw .valueTooLong(tag: "54", characters: amount.count, limit: 13) }
            fields.append(.primitive("54", amount))
        }
        fields.append(.primitive("58", country))
        fields.append(.primitive("59", try limited("59", request.merchantName, 25)))
        fields.append(.primitive("60", try limited("60", request.merchantCity, 15)))
        if let postal = request.postalCode { fields.append(.primitive("61", try limited("61", postal, 10))) }
        var extra: [MerchantField] = []
        for (id, value) in [("01", request.billNumber), ("02", request.mobileNumber), ("03", request.storeLabel),
                            ("05", request.reference), ("07", request.terminalLabel), ("08", request.purpose)] {
            if let value { extra.append(.primitive(id, try limited("62.\(id)", value, 25))) }
        }
        extra += additional
        if !extra.isEmpty { fields.append(.template("62", extra)) }
        if let alternate = request.alternateName {
            var language: [MerchantField] = [.primitive("00", request.alternateLanguage ?? "JA"), .primitive("01", try limited("64.01", alternate, 25))]
            if let city = request.alternateCity { language.append(.primitive("02", try limited("64.02", city, 15))) }
            fields.append(.template("64", language))
        }
        return fields + trailing
    }

    static func limited(_ tag: String, _ value: String, _ limit: Int) throws(PaymentCodeError) -> String {
        let n = value.unicodeScalars.count
        guard n > 0 else { throw .invalidValue(tag: tag, value: value, reason: "must not be empty") }
        guard n <= limit else { throw .valueTooLong(tag: tag, characters: n, limit: limit) }
        return value
    }
}

/// Small checks the scheme files share.
enum Check {
    static func digits(_ value: String?, count: Int) -> Bool {
        guard let value else { return false }
        return value.unicodeScalars.count == count && value.unicodeScalars.allSatisfy(\.isASCIIDigit)
    }

    static func allDigits(_ value: String) -> Bool { !value.isEmpty && value.unicodeScalars.allSatisfy(\.isASCIIDigit) }

    /// The home country and currency a national scheme demands.
    static func market(_ code: MerchantCode, scheme: String, country: String, currencies: [String], into problems: inout [Problem]) {
        if let found = code["58"]?.value, found != country {
            problems.append(.error("58", "\(scheme) codes are issued in \(country), found \"\(found)\""))
        }
        if let found = code["53"]?.value, !currencies.contains(found) {
            let names = currencies.map { Currency.numeric($0).map { "\($0.numeric) (\($0.code))" } ?? $0 }
            problems.append(.error("53", "\(scheme) transaction currency must be \(names.joined(separator: " or ")), found \"\(found)\""))
        }
    }

    static func maxLength(_ field: MerchantField?, path: String, _ limit: Int, into problems: inout [Problem]) {
        guard let field, field.value.unicodeScalars.count > limit else { return }
        problems.append(.error(path, "may hold \(limit) characters, found \(field.value.unicodeScalars.count)"))
    }
}
