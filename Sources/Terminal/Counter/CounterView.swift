import Devices
import Foundation
import Imaging
import PaymentCodes

/// Everything the counter's screen and lights depend on, as plain values: what `CounterView` reads.
public struct CounterState: Sendable, Equatable {
    /// Open sales at the counter by id (a refund going on in the background is not one).
    public var open: [String: Sale] = [:]
    /// The last sale that finished here, shown until `resultHold` has passed.
    public var lastResult: Sale?
    public var finishedAt: Date?
    /// Digits the cashier has typed on the keypad.
    public var typed = ""
    public var clockSynchronised = true
    /// Why the acquirer cannot be reached, or nil.
    public var offlineReason: String?
    /// Why sales are stopped until a technician acts (a damaged journal set aside), or nil.
    public var blocked: String?
    /// A line for the cashier (why a key did nothing), and the same for the shopper as a key of Assets/strings.
    public var notice: String?
    public var noticeKey: String?
    /// Something a technician must do soon (the certificate near its end), shown on the idle screen; nil: nothing.
    public var attention: String?
    /// The cashier's menu, while it is open (only while no sale is).
    public var menu: CounterMenu?
    /// Today's sales, read when the history is opened.
    public var history: [HistoryLine] = []
    /// Digits typed in the menu: a refund amount or a PIN (a PIN is never drawn).
    public var menuTyped = ""
    /// Slip numbers of recent sales, for the paid screen.
    public var slipNumbers: [String: String] = [:]
    /// The shopper's language the cashier picked with the keypad for sale `chosenFor` ("" for none: Japanese and
    /// English only); it wins over the register's and the wallet's for that sale.
    public var chosenLanguage: String?
    public var chosenFor: String?

    /// The language the cashier picked for this sale, if they picked one for it.
    public func picked(for saleID: String?) -> String? { saleID != nil && chosenFor == saleID ? chosenLanguage : nil }

    public init() {}

    /// The sale the counter is busy with: the newest open one.
    public var current: Sale? { open.values.max { $0.createdAt < $1.createdAt } }

    /// Why payments cannot be taken now, or nil.
    public var refusal: String? {
        if let blocked { return blocked }
        if !clockSynchronised { return "the clock is not synchronised: payments wait until it is" }
        if let offlineReason { return "offline: the acquirer cannot be reached (\(offlineReason))" }
        return nil
    }

    /// A sale changed: the counter's view of it follows, newest change last.
    public mutating func apply(_ sale: Sale, now: Date) {
        // A sale from the register replaces whatever the cashier had half typed, and the menu.
        if sale.state == .created { typed = ""; menu = nil; menuTyped = "" }
        notice = nil; noticeKey = nil
        if sale.state == .refunding || sale.state.isFinal {
            open[sale.id] = nil
            // A background refund shows only when nothing else is going on at the counter.
            if open.isEmpty { lastResult = sale; finishedAt = sale.state.isFinal ? now : nil }
        } else {
            open[sale.id] = sale
        }
    }

    /// Once a second: a result screen gives way to idle after it has been seen.
    public mutating func tick(now: Date, resultHold: TimeInterval) -> Bool {
        guard let finishedAt, now.timeIntervalSince(finishedAt) > resultHold else { return false }
        self.finishedAt = nil
        lastResult = nil
        return true
    }
}

/// What a key press does, decided from the counter's state alone (`KeypadRules.decide`).
public enum KeyAction: Equatable, Sendable {
    /// The typed digits change (or a message is dismissed).
    case edit
    case start(amount: Int, mode: SaleMode)
    /// The sale cannot start: say why.
    case refuse(String)
    case cancel(saleID: String)
    /// Read today's sales into `history` (the menu's list).
    case openHistory
    case reprint(saleID: String)
    /// The next shopper's language on the show-code screen of `saleID`.
    case cycleLanguage(saleID: String)
    /// A supervisor's PIN was typed for `request`: the counter checks it, then acts.
    case authorised(MenuRequest, pin: String)
    case nothing
}

/// The keypad's editing rules: digits while no sale is open, at most `maximumDigits`, no leading zero.
public enum KeypadRules {
    public static let maximumDigits = 9

    public static func decide(_ key: CounterKey, _ state: inout CounterState) -> KeyAction {
        let busy = state.current
        if busy == nil, let menu = state.menu { return MenuRules.decide(key, menu, &state) }
        if busy == nil { state.notice = nil; state.noticeKey = nil } // a key press answers the last message
        switch key {
        case .menu where busy?.state == .created || busy?.state == .pending && busy?.isOrder == true:
            // While the code is shown, the menu key tries the next language for the shopper.
            return .cycleLanguage(saleID: busy!.id)
        case .menu where busy == nil && state.typed.isEmpty:
            state.lastResult = nil; state.finishedAt = nil
            state.menu = .top
            return .edit
        case let .digit(d) where busy == nil:
            if state.typed.count < maximumDigits && !(state.typed.isEmpty && d == 0) { state.typed.append(String(d)) }
            return .edit
        case .backspace where busy == nil:
            if !state.typed.isEmpty { state.typed.removeLast() }
            return .edit
        case .enter where busy == nil, .scan where busy == nil:
            guard let amount = Int(state.typed), amount > 0 else { return .nothing }
            if let why = state.refusal { state.notice = why; return .refuse(why) }
            return .start(amount: amount, mode: key == .scan ? .scan : .show)
        case .cancel:
            if let busy { return .cancel(saleID: busy.id) }
            state.typed = ""
            state.lastResult = nil
            state.finishedAt = nil
            return .edit
        default:
            return .nothing
        }
    }
}

/// What the counter shows and signals, as a pure function of its state and the time.
public struct CounterView: Sendable {
    public var merchantName: String
    /// Registry ids of the wallets shown as accepted here.
    public var acceptedWallets: [String]
    public var currency: String
    public var registry: WalletRegistry
    /// The languages the counter speaks, and whose wallets bring which (Assets/languages.toml).
    public var languages: Languages
    /// Seconds a result screen (paid, declined…) stays before idle returns.
    public var resultHold: TimeInterval = 6
    /// For the menu's lines (a sale's state, "no sales today"); without it the lines carry the keys.
    public var strings: UIStrings?
    public var timeZone: TimeZone = .current
    /// Every screen in large, high-contrast text (the terminal file's `[screen] large_text`).
    public var largeText = false

    public init(merchantName: String, acceptedWallets: [String], currency: String, registry: WalletRegistry, languages: Languages,
                resultHold: TimeInterval = 6) {
        self.merchantName = merchantName; self.acceptedWallets = acceptedWallets; self.currency = currency; self.registry = registry
        self.languages = languages
        self.resultHold = resultHold
    }

    /// The screen and the lights for `state` at `now`.
    public func picture(_ state: CounterState, now: Date) -> (screen: ScreenContent, lights: StatusSignal) {
        var screen = content(state, now: now)
        screen.largeText = largeText
        return (screen, Self.signal(for: screen.name))
    }

    /// The languages the cashier reads, always on the screen.
    static let cashier = ["ja", "en"]

    /// The languages a wallet brings: its home language first, for the shopper, then Japanese and English for the cashier.
    public func languages(forWallet wallet: String?, country: String? = nil) -> [String] {
        arrange(ShopperLanguage.home(wallet: wallet, country: country, registry: registry, languages: languages))
    }

    /// A sale's languages (ShopperLanguage's rule), the shopper's first.
    public func languages(for sale: Sale?, chosen: String? = nil) -> [String] {
        arrange(ShopperLanguage.of(sale, chosen: chosen, registry: registry, languages: languages))
    }

    func arrange(_ shopper: String?) -> [String] {
        guard let shopper, !Self.cashier.contains(shopper) else { return Self.cashier }
        return [shopper] + Self.cashier
    }

    /// The keypad's next shopper's language after the one shown: each language the counter speaks besides the
    /// cashier's, then none ("" for Japanese and English only), then round again.
    public func nextLanguage(after shown: [String]) -> String {
        let choices = languages.ids.filter { !Self.cashier.contains($0) }
        guard let current = shown.first, let index = choices.firstIndex(of: current) else { return choices.first ?? "" }
        return index + 1 < choices.count ? choices[index + 1] : ""
    }

    func content(_ state: CounterState, now: Date) -> ScreenContent {
        let sale = state.current ?? state.lastResult
        let languages = languages(for: sale, chosen: state.picked(for: sale?.id))
        let wallets = acceptedWallets.compactMap { registry.entry($0)?.name(for: languages[0]) }
        func screen(_ name: ScreenName, detail: String? = nil) -> ScreenContent {
            ScreenContent(name, merchantName: merchantName, languages: languages, amount: sale?.amount, currency: sale?.currency ?? currency,
                          typedAmount: state.typed, payload: sale?.payload, secondsLeft: sale.map { max(0, Int($0.expiresAt.timeIntervalSince(now))) },
                          wallets: wallets, detail: detail ?? state.notice, noticeKey: state.noticeKey)
        }
        if state.current == nil, let menu = state.menu { return menuScreen(menu, state) }
        guard let sale else {
            if let blocked = state.blocked { return screen(.offline, detail: blocked) }
            if !state.clockSynchronised { return screen(.clock) }
            if state.offlineReason != nil { return screen(.offline) }
            return state.typed.isEmpty ? screen(.idle, detail: state.notice ?? state.attention) : screen(.amountEntry)
        }
        switch sale.state {
        case .created: return screen(sale.mode == .scan ? .presentCode : .showCode)
        case .pending where sale.isOrder: return screen(sale.mode == .scan ? .presentCode : .showCode)
        case .awaitingCode: return screen(.presentCode)
        case .pending, .unknown, .cancelling, .refunding: return screen(.processing)
        case .paid: return screen(.paid, detail: state.notice ?? paidLine(sale, state, language: languages[0]))
        case .declined: return screen(.declined, detail: sale.detail)
        case .expired: return screen(.expired)
        case .cancelled, .refunded: return screen(.cancelled, detail: sale.state == .refunded ? "refunded" : nil)
        }
    }

    /// What the paid screen says under the amount: the wallet that paid, and the slip's number once it has one.
    func paidLine(_ sale: Sale, _ state: CounterState, language: String) -> String? {
        let wallet = sale.wallet.flatMap { registry.entry($0)?.name(for: language) }
        let slip = state.slipNumbers[sale.id].map { number in
            (strings.map { $0.text("slip_number", "ja") + " " + $0.text("slip_number", "en") } ?? "No.") + " " + number
        }
        let parts = [wallet, slip].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "  ·  ")
    }

    /// The menu as numbered lines under its title, in Japanese and English for the cashier.
    func menuScreen(_ menu: CounterMenu, _ state: CounterState) -> ScreenContent {
        func word(_ key: String) -> String {
            guard let strings else { return key }
            let ja = strings.text(key, "ja"), en = strings.text(key, "en")
            return ja == en ? ja : ja + " " + en
        }
        func money(_ amount: Int, _ currency: String) -> String { ScreenContent.formatAmount(amount, currency: currency) }
        func walletName(_ id: String?) -> String { id.flatMap { registry.entry($0)?.name(for: "ja") } ?? "" }
        var title = "menu", lines: [String] = []
        var name = ScreenName.menu, typed = "", detail: String?
        switch menu {
        case .top:
            lines = ["1  " + word("menu_history"), "2  " + word("menu_close")]
        case let .history(page):
            title = "menu_history"
            let shown = state.history.dropFirst(page * CounterMenu.pageSize).prefix(CounterMenu.pageSize)
            lines = shown.enumerated().map { n, line in
                "\(n + 1)  \(line.time)  \(money(line.amount, line.currency))  \(walletName(line.wallet))  \(word(Self.stateKey(line.state)))"
            }
            if lines.isEmpty { lines = [word("menu_no_sales")] }
            if state.history.count > CounterMenu.pageSize { lines.append("0  " + word("menu_next_page")) }
        case let .sale(line):
            title = "menu_sale"
            lines = ["\(line.time)  \(money(line.amount, line.currency))  \(walletName(line.wallet))", line.saleId, word(Self.stateKey(line.state)),
                     "1  " + word("menu_reprint")]
            if line.refundable > 0 { lines.append("2  " + word("menu_refund") + "  (" + money(line.refundable, line.currency) + ")") }
            if line.state == .paid && line.refundable == line.amount { lines.append("3  " + word("menu_void")) }
        case let .refundAmount(line):
            title = "menu_refund_amount"
            let typedAmount = Int(state.menuTyped) ?? line.refundable
            lines = [money(typedAmount, line.currency), line.saleId, word("menu_refund_hint")]
        case let .pin(request):
            name = .pin
            typed = state.menuTyped
            switch request {
            case let .refund(id, amount): detail = word("menu_refund") + " " + money(amount, currency) + "  " + id
            case let .void(id): detail = word("menu_void") + "  " + id
            case .close: detail = word("menu_close")
            }
        }
        if let notice = state.notice { lines.append("! " + notice) }
        if let key = state.noticeKey { lines.append("! " + word(key)) }
        if name == .pin, let notice = state.notice ?? state.noticeKey.map(word) { detail = (detail.map { $0 + " — " } ?? "") + notice }
        return ScreenContent(name, merchantName: merchantName, languages: ["ja", "en"], currency: currency, typedAmount: typed, wallets: [],
                             detail: name == .pin ? detail : lines.joined(separator: "\n"), titleKey: title)
    }

    /// The words of a sale's state in the history (the screen titles say them already).
    static func stateKey(_ state: SaleState) -> String {
        switch state {
        case .paid: "paid"
        case .declined: "declined"
        case .expired: "expired"
        case .cancelled: "cancelled"
        case .refunded: "menu_refunded"
        case .created, .awaitingCode, .pending, .unknown, .cancelling, .refunding: "processing"
        }
    }

    /// The lights' meaning of each screen (ARCHITECTURE.md: ready green, waiting amber, paid green pulse, …).
    public static func signal(for screen: ScreenName) -> StatusSignal {
        switch screen {
        case .idle, .amountEntry, .cancelled, .expired: .ready
        case .showCode, .presentCode, .processing: .waiting
        case .paid: .paid
        case .declined: .declined
        case .offline, .clock: .offline
        case .testPattern, .selfTest, .pin: .technician
        case .menu: .ready
        }
    }
}
