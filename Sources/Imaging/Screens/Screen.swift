import PaymentCodes

/// The screens a counter shows; the raw value is the name `qrpos screen NAME` takes.
public enum ScreenName: String, CaseIterable, Sendable {
    case idle, amountEntry = "amount-entry", showCode = "show-code", presentCode = "present-code", processing, paid,
         declined, cancelled, expired, offline, clock, testPattern = "test-pattern",
         /// For technicians: `qrpos selftest`'s result, one check per line of `detail`.
         selfTest = "self-test",
         /// The cashier's menu (today's sales, a sale's actions, the close): `titleKey` over numbered lines of `detail`.
         menu,
         /// A supervisor's PIN being typed: one dot per digit, never the digits; `detail` says what it is for.
         pin
}

/// What a screen says. Everything that varies between sales is here; the layout decides where it goes.
public struct ScreenContent: Sendable, Equatable {
    public var name: ScreenName
    public var merchantName: String
    /// Languages in order: the first is the largest line. Japanese and English by default; a shopper's
    /// wallet adds its home language.
    public var languages: [String]
    /// Amount in the currency's minor unit (yen for JPY).
    public var amount: Int?
    public var currency: String
    /// Digits typed so far on the amount-entry screen.
    public var typedAmount: String
    /// The payload drawn as a QR on the show-code screen.
    public var payload: String?
    public var secondsLeft: Int?
    /// Wallet names shown as "accepted here".
    public var wallets: [String]
    /// A line from the acquirer or the terminal (a decline reason, what is offline).
    public var detail: String?
    /// A message for the shopper from `Assets/strings` (a merchant's code held up…), shown in the first two languages.
    public var noticeKey: String?
    /// The menu's title, a key of `Assets/strings` (menu screen).
    public var titleKey: String?
    /// Large text in high contrast, for shoppers who need it (`[screen] large_text` in the terminal file).
    public var largeText = false

    public init(_ name: ScreenName, merchantName: String, languages: [String] = ["ja", "en"], amount: Int? = nil, currency: String = "JPY",
                typedAmount: String = "", payload: String? = nil, secondsLeft: Int? = nil, wallets: [String] = [], detail: String? = nil, noticeKey: String? = nil, titleKey: String? = nil) {
        self.name = name; self.merchantName = merchantName; self.languages = languages.isEmpty ? ["ja", "en"] : languages
        self.amount = amount; self.currency = currency; self.typedAmount = typedAmount; self.payload = payload
        self.secondsLeft = secondsLeft; self.wallets = wallets; self.detail = detail; self.noticeKey = noticeKey
        self.titleKey = titleKey
    }

    /// "¥1,200", "US$5.00": grouped digits in the currency's own minor unit.
    public static func formatAmount(_ minor: Int, currency: String) -> String {
        let info = Currency.code(currency) ?? Currency(numeric: "", code: currency, minorUnits: 2)
        let text = info.amountText(minorUnits: abs(minor))
        let parts = text.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0]), grouped = ""
        while whole.count > 3 { grouped = "," + whole.suffix(3) + grouped; whole = String(whole.dropLast(3)) }
        let number = whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
        let symbols = ["JPY": "¥", "USD": "US$", "CNY": "CN¥", "KRW": "₩", "THB": "฿", "EUR": "€", "GBP": "£"]
        let sign = minor < 0 ? "-" : ""
        return symbols[info.code].map { sign + $0 + number } ?? "\(sign)\(number) \(info.code)"
    }

    static func clock(_ seconds: Int) -> String {
        let s = max(0, seconds)
        return "\(s / 60):" + (s % 60 < 10 ? "0" : "") + String(s % 60)
    }
}
