import Acquirer
import Devices
import Foundation
import Imaging
import Logging
import PaymentCodes

/// The counter as a whole: sales, screens, keys, the register's API, the clock and the link state.
/// Everything that decides is elsewhere (SaleMachine, ScreenLayout); this only connects the parts.
public actor Counter {
    public struct Parts: Sendable {
        public var runner: SaleRunner
        public var presenter: ScreenPresenter
        public var client: any AcquirerLink
        public var registry: WalletRegistry
        public var merchantName: String
        public var acceptedWallets: [String]
        public var currency: String
        public var clock: @Sendable () -> Bool
        /// What the status lights should say now.
        public var lights: @Sendable (StatusSignal) -> Void
        public init(runner: SaleRunner, presenter: ScreenPresenter, client: any AcquirerLink, registry: WalletRegistry, merchantName: String,
                    acceptedWallets: [String], currency: String, clock: @escaping @Sendable () -> Bool,
                    lights: @escaping @Sendable (StatusSignal) -> Void = { _ in }) {
            self.runner = runner; self.presenter = presenter; self.client = client; self.registry = registry; self.merchantName = merchantName
            self.acceptedWallets = acceptedWallets; self.currency = currency; self.clock = clock; self.lights = lights
        }
    }

    private let parts: Parts
    private let logger: Logger
    private var typed = ""
    private var offlineReason: String?
    private var clockSynchronised = true
    private var lastSale: Sale?
    private var finishedAt: Date?
    private var notice: String?
    /// The same for the shopper, in their languages (a key of Assets/strings).
    private var noticeKey: String?
    /// Seconds a final screen (paid, declined…) stays before the idle screen returns.
    private let resultHold: TimeInterval = 6

    public init(_ parts: Parts, logger: Logger) { self.parts = parts; self.logger = logger }

    /// Why payments cannot be taken now, or nil.
    public func refusal() -> String? {
        if !clockSynchronised { return "the clock is not synchronised: payments wait until it is" }
        if let offlineReason { return "offline: the acquirer cannot be reached (\(offlineReason))" }
        return nil
    }

    public func health(display: String, camera: String, lights: String) -> [String: String] {
        ["display": display, "camera": camera, "lights": lights,
         "acquirer": offlineReason.map { "offline: \($0)" } ?? "ok",
         "clock": clockSynchronised ? "ok synchronised" : "not synchronised"]
    }

    // MARK: events in

    public func saleChanged(_ sale: Sale) async {
        // A sale from the register replaces whatever the cashier had half typed.
        if sale.state == .created { typed = "" }
        lastSale = sale
        if sale.state.isFinal { finishedAt = Date() }
        notice = nil; noticeKey = nil
        await redraw()
    }

    public func key(_ key: CounterKey) async {
        let current = await parts.runner.current
        if current == nil { notice = nil; noticeKey = nil } // a key press answers the last message; Enter may bring it back
        switch key {
        case let .digit(d) where current == nil:
            if typed.count < 9 && !(typed.isEmpty && d == 0) { typed.append(String(d)) }
        case .backspace where current == nil:
            if !typed.isEmpty { typed.removeLast() }
        case .enter where current == nil, .scan where current == nil:
            guard let amount = Int(typed), amount > 0 else { return }
            if let why = refusal() { notice = why; await redraw(); return }
            do {
                _ = try await parts.runner.start(amount: amount, currency: parts.currency, reference: nil, mode: key == .scan ? .scan : .show)
                typed = ""
            } catch {
                if case .amount = error { noticeKey = "amount_over_limit" } else { notice = error.description }
            }
        case .cancel:
            if let current { _ = try? await parts.runner.cancel(current.id) } else { typed = ""; lastSale = nil }
        default:
            return
        }
        await redraw()
    }

    /// A code the camera read: charged when a sale waits for one; a merchant's code is refused on screen.
    public func codeRead(_ text: String) async {
        let report = Classifier(registry: parts.registry).classify(text)
        guard report.kind == .consumerPresented, report.valid, let wallet = report.wallet else {
            // The shopper reads a plain request in their languages; the technician finds the reason in the log.
            noticeKey = report.kind == .merchantPresented ? "code_merchant" : "code_not_accepted"
            let why = report.kind == .merchantPresented ? "a merchant-presented code" : (report.errors.first ?? "not a payment code")
            logger.notice("code refused", metadata: ["kind": "\(report.kind.rawValue)", "why": "\(why)"])
            await redraw()
            return
        }
        if await parts.runner.codeScanned(text, wallet: wallet) == nil {
            logger.info("code read with no sale waiting", metadata: ["wallet": "\(wallet)", "code": "\(LogMask.customerCode(text))"])
        }
    }

    /// Once a second: countdown, returning to idle, the clock, and (every 10 s) the link to the host.
    public func tick(second: Int) async {
        let synchronised = parts.clock()
        var changed = synchronised != clockSynchronised
        clockSynchronised = synchronised
        if second % 10 == 0 {
            let reason: String?
            switch await parts.client.health() {
            case .done: reason = nil
            case let .unreachable(why): reason = why
            case let .unknown(u): reason = u.description
            case let .refused(r): reason = r.description
            }
            if reason != offlineReason { logger.notice(reason.map { "acquirer offline: \($0)" } ?? "acquirer reachable") }
            changed = changed || reason != offlineReason
            offlineReason = reason
        }
        if let finishedAt, Date().timeIntervalSince(finishedAt) > resultHold { self.finishedAt = nil; lastSale = nil; changed = true }
        if let sale = await parts.runner.current, sale.isOrder, sale.state == .pending || sale.state == .created { changed = true }
        let blank = await parts.presenter.shown == nil
        if changed || blank { await redraw() }
    }

    // MARK: what the screen says

    func languages(for wallet: String?) -> [String] {
        let home: [String: String] = ["CN": "zh-Hans", "HK": "zh-Hant", "TW": "zh-Hant", "MO": "zh-Hant", "KR": "ko"]
        guard let country = wallet.flatMap({ parts.registry.entry($0)?.country }), let language = home[country] else { return ["ja", "en"] }
        return ["ja", "en", language]
    }

    public func content() async -> ScreenContent {
        let current = await parts.runner.current
        let sale = current ?? lastSale
        let languages = languages(for: sale?.wallet)
        let wallets = parts.acceptedWallets.compactMap { parts.registry.entry($0)?.name(for: languages[0]) }
        func screen(_ name: ScreenName, detail: String? = nil) -> ScreenContent {
            ScreenContent(name, merchantName: parts.merchantName, languages: languages, amount: sale?.amount, currency: sale?.currency ?? parts.currency,
                          typedAmount: typed, payload: sale?.payload, secondsLeft: sale.map { max(0, Int($0.expiresAt.timeIntervalSinceNow)) },
                          wallets: wallets, detail: detail ?? notice, noticeKey: noticeKey)
        }
        guard let sale else {
            if !clockSynchronised { return screen(.clock) }
            if offlineReason != nil { return screen(.offline) }
            return typed.isEmpty ? screen(.idle) : screen(.amountEntry)
        }
        switch sale.state {
        case .created, .pending where sale.isOrder: return screen(sale.mode == .scan ? .presentCode : .showCode)
        case .awaitingCode: return screen(.presentCode)
        case .pending, .unknown, .cancelling, .refunding: return screen(.processing)
        case .paid: return screen(.paid)
        case .declined: return screen(.declined, detail: sale.detail)
        case .expired: return screen(.expired)
        case .cancelled, .refunded: return screen(.cancelled, detail: sale.state == .refunded ? "refunded" : nil)
        }
    }

    private func redraw() async {
        let screen = await content()
        parts.lights(Self.signal(for: screen.name))
        await parts.presenter.show(screen)
    }

    /// The lights' meaning of each screen (ARCHITECTURE.md: ready green, waiting amber, paid green pulse, …).
    static func signal(for screen: ScreenName) -> StatusSignal {
        switch screen {
        case .idle, .amountEntry, .cancelled, .expired: .ready
        case .showCode, .presentCode, .processing: .waiting
        case .paid: .paid
        case .declined: .declined
        case .offline, .clock: .offline
        case .testPattern: .technician
        }
    }
}
