/// ISO 4217 currencies a counter in Japan or a visitor from Asia meets: numeric code, letters, minor-unit digits.
public struct Currency: Equatable, Sendable {
    public var numeric: String
    public var code: String
    public var minorUnits: Int

    public init(numeric: String, code: String, minorUnits: Int) { self.numeric = numeric; self.code = code; self.minorUnits = minorUnits }

    static let all: [Currency] = [
        ("392", "JPY", 0), ("116", "KHR", 2), ("360", "IDR", 2), ("764", "THB", 2), ("702", "SGD", 2),
        ("458", "MYR", 2), ("356", "INR", 2), ("986", "BRL", 2), ("704", "VND", 0), ("156", "CNY", 2),
        ("344", "HKD", 2), ("446", "MOP", 2), ("901", "TWD", 2), ("410", "KRW", 0), ("608", "PHP", 2),
        ("418", "LAK", 2), ("104", "MMK", 2), ("050", "BDT", 2), ("524", "NPR", 2), ("144", "LKR", 2),
        ("496", "MNT", 2), ("096", "BND", 2), ("036", "AUD", 2), ("554", "NZD", 2), ("840", "USD", 2),
        ("978", "EUR", 2), ("826", "GBP", 2), ("756", "CHF", 2), ("124", "CAD", 2), ("784", "AED", 2),
        ("682", "SAR", 2), ("634", "QAR", 2), ("048", "BHD", 3), ("414", "KWD", 3), ("512", "OMR", 3),
        ("400", "JOD", 3), ("368", "IQD", 3), ("788", "TND", 3), ("434", "LYD", 3), ("152", "CLP", 0),
        ("352", "ISK", 0), ("600", "PYG", 0), ("800", "UGX", 0), ("952", "XOF", 0), ("950", "XAF", 0),
        ("643", "RUB", 2), ("949", "TRY", 2), ("484", "MXN", 2), ("710", "ZAR", 2), ("586", "PKR", 2),
    ].map { Currency(numeric: $0.0, code: $0.1, minorUnits: $0.2) }

    public static func numeric(_ numeric: String) -> Currency? { all.first { $0.numeric == numeric } }
    public static func code(_ letters: String) -> Currency? { all.first { $0.code == letters.uppercased() } }
    /// Accepts "JPY" or "392".
    public static func named(_ text: String) -> Currency? { numeric(text) ?? code(text) }

    /// Checks an EMVCo amount (tag 54) for this currency; nil when it is well formed.
    public func amountProblem(_ amount: String) -> String? {
        let parts = amount.split(separator: ".", omittingEmptySubsequences: false)
        guard !amount.isEmpty, parts.count <= 2,
              parts.allSatisfy({ $0.unicodeScalars.allSatisfy(\.isASCIIDigit) }),
              !parts[0].isEmpty || parts.count == 2
        else { return "not a decimal amount (digits with at most one \".\")" }
        if parts.count == 2 {
            if minorUnits == 0 { return "\(code) has no minor unit: the amount must be whole" }
            if parts[1].count > minorUnits { return "\(code) has \(minorUnits) decimal places, the amount has \(parts[1].count)" }
        }
        return nil
    }

    /// Formats an amount given in minor units (yen for JPY, cents for USD) for tag 54.
    public func amountText(minorUnits value: Int) -> String {
        guard minorUnits > 0 else { return String(value) }
        var divisor = 1
        for _ in 0..<minorUnits { divisor *= 10 }
        let fraction = String(value % divisor)
        return "\(value / divisor).\(String(repeating: "0", count: minorUnits - fraction.count))\(fraction)"
    }
}
