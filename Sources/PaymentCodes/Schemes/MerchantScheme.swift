/// What a merchant wants in a code: the common EMVCo fields plus the scheme's own account identifiers.
public struct PaymentRequest: Codable, Sendable, Equatable {
    public var merchantName: String
    public var merchantCity: String
    public var postalCode: String?
    public var categoryCode: String?
    public var alternateName: String?
    public var alternateCity: String?
    public var alternateLanguage: String?
    /// Decimal text in the currency's main unit ("1200" yen, "5.00" dollars); nil for a static code.
    public var amount: String?
    /// ISO 4217 letters or numeric; nil for the scheme's home currency.
    public var currency: String?
    public var reference: String?
    public var billNumber: String?
    public var mobileNumber: String?
    public var storeLabel: String?
    public var terminalLabel: String?
    public var purpose: String?
    /// Scheme identifiers, keyed as each scheme's `accountKeys` documents (e.g. "jpqr-id", "bakong-id").
    public var account: [String: String]

    public init(merchantName: String, merchantCity: String, postalCode: String? = nil, categoryCode: String? = nil,
                alternateName: String? = nil, alternateCity: String? = nil, alternateLanguage: String? = nil,
                amount: String? = nil, currency: String? = nil, reference: String? = nil, billNumber: String? = nil,
                mobileNumber: String? = nil, storeLabel: String? = nil, terminalLabel: String? = nil,
                purpose: String? = nil, account: [String: String] = [:]) {
        self.merchantName = merchantName; self.merchantCity = merchantCity; self.postalCode = postalCode
        self.categoryCode = categoryCode; self.alternateName = alternateName; self.alternateCity = alternateCity
        self.alternateLanguage = alternateLanguage; self.amount = amount; self.currency = currency
        self.reference = reference; self.billNumber = billNumber; self.mobileNumber = mobileNumber
        self.storeLabel = storeLabel; self.terminalLabel = terminalLabel; self.purpose = purpose; self.account = account
    }

    /// A scheme identifier the builder cannot do without.
    public func required(_ key: String, _ meaning: String) throws(PaymentCodeError) -> String {
        guard let value = account[key], !value.isEmpty else { throw .missingRequired("\(meaning) (account key \"\(key)\")") }
        return value
    }
}

/// A national scheme or network profile on top of EMVCo MPM: it recognises its codes, names their
/// fields, adds its own rules and builds codes. A new scheme is one small file conforming to this.
public protocol MerchantScheme: Sendable {
    /// The id used in the decode JSON ("jpqr", "khqr", …).
    var id: String { get }
    /// Account keys the builder reads from `PaymentRequest.account`, with what each one means.
    var accountKeys: [(key: String, meaning: String)] { get }
    /// Root tags the base EMVCo rules require but this scheme's real codes leave out.
    var optionalRootTags: Set<String> { get }
    func recognises(_ code: MerchantCode) -> Bool
    func check(_ code: MerchantCode) -> [Problem]
    /// Scheme fields by name, in a stable order (for the decode JSON's "details").
    func details(_ code: MerchantCode) -> [(String, String)]
    /// The fields of a code for this request, in order; `build` adds the CRC and validates.
    func fields(for request: PaymentRequest) throws(PaymentCodeError) -> [MerchantField]
}

extension MerchantScheme {
    public var optionalRootTags: Set<String> { [] }

    /// Builds the payload and refuses to hand out a code that its own decoder would reject.
    public func build(_ request: PaymentRequest) throws(PaymentCodeError) -> String {
        let payload = try MerchantCode.encode(fields(for: request))
        let code = MerchantCode(decoding: payload)
        let problems = EMVCoRules.check(code, optional: optionalRootTags) + check(code)
        if let first = problems.errors.first {
            throw .invalidValue(tag: first.tag ?? "payload", value: "", reason: first.message)
        }
        return payload
    }
}

/// All merchant-presented profiles, national identities first: when a code carries several,
/// the first that recognises it names the code's scheme and the others are its networks.
public enum MerchantSchemes {
    public static let all: [any MerchantScheme] = [
        JPQRScheme(), SGQRScheme(), QRISScheme(), KHQRScheme(), PayNowScheme(), NETSScheme(),
        PromptPayScheme(), DuitNowScheme(), BharatQRScheme(), PixScheme(), VietQRScheme(),
    ]

    public static func named(_ id: String) -> (any MerchantScheme)? { all.first { $0.id == id.lowercased() } }
}
