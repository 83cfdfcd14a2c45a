import TOMLKit

/// A merchant profile file: the `[merchant]` table of a terminal file or a `--profile` file, keys in
/// snake_case, scheme identifiers under `[merchant.account]`.
extension PaymentRequest {
    enum CodingKeys: String, CodingKey {
        case merchantName = "name", merchantCity = "city", postalCode = "postal_code", categoryCode = "mcc"
        case alternateName = "alt_name", alternateCity = "alt_city", alternateLanguage = "alt_language"
        case amount, currency, reference, billNumber = "bill_number", mobileNumber = "mobile_number"
        case storeLabel = "store_label", terminalLabel = "terminal_label", purpose, account
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(merchantName: try c.decode(String.self, forKey: .merchantName), merchantCity: try c.decode(String.self, forKey: .merchantCity))
        postalCode = try c.decodeIfPresent(String.self, forKey: .postalCode)
        categoryCode = try c.decodeIfPresent(String.self, forKey: .categoryCode)
        alternateName = try c.decodeIfPresent(String.self, forKey: .alternateName)
        alternateCity = try c.decodeIfPresent(String.self, forKey: .alternateCity)
        alternateLanguage = try c.decodeIfPresent(String.self, forKey: .alternateLanguage)
        amount = try c.decodeIfPresent(String.self, forKey: .amount)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        reference = try c.decodeIfPresent(String.self, forKey: .reference)
        billNumber = try c.decodeIfPresent(String.self, forKey: .billNumber)
        mobileNumber = try c.decodeIfPresent(String.self, forKey: .mobileNumber)
        storeLabel = try c.decodeIfPresent(String.self, forKey: .storeLabel)
        terminalLabel = try c.decodeIfPresent(String.self, forKey: .terminalLabel)
        purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
        account = try c.decodeIfPresent([String: String].self, forKey: .account) ?? [:]
    }

    private struct ProfileFile: Decodable { var merchant: PaymentRequest }

    /// Reads the `[merchant]` table of a TOML document; the error names the key that is wrong.
    public init(toml text: String) throws(WalletRegistry.LoadError) {
        let table: TOMLTable
        do { table = try TOMLText.table(text) } catch { throw .syntax(line: error.line, column: error.column, message: error.reason) }
        try self.init(table: table)
    }

    /// The `[merchant]` table of a document already parsed (the terminal file is read once).
    public init(table: TOMLTable) throws(WalletRegistry.LoadError) {
        do {
            self = try TOMLDecoder().decode(ProfileFile.self, from: table).merchant
        } catch let DecodingError.keyNotFound(key, context) {
            // TOMLKit's context already ends with the missing key; other decoders' does not.
            var path = context.codingPath.map(\.stringValue)
            if path.last != key.stringValue { path.append(key.stringValue) }
            throw .content("missing key \(path.joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .content("key \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription) (write values as quoted strings)")
        } catch {
            throw .content("\(error)")
        }
    }
}
