import Acquirer
import Devices
import Foundation
import Imaging
import Installation
import Logging
import PaymentCodes
import Testing
@testable import Terminal

/// What the counter shows, case by case as values (the way the sale machine is tested), and the ordered flow
/// that feeds it.
struct CounterViewTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registry = try! Installation.registry(repository.path + "/Assets/wallets.toml")
    static let languages = try! Languages(toml: String(contentsOfFile: repository.path + "/Assets/languages.toml", encoding: .utf8), file: "languages.toml")
    static let view = CounterView(merchantName: "麺処", acceptedWallets: ["paypay", "alipay"], currency: "JPY", registry: registry, languages: languages)
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func sale(_ state: SaleState, mode: SaleMode = .show, wallet: String? = nil, id: String = "S1", at created: Date = t0) -> Sale {
        var s = Sale(id: id, amount: 1200, currency: "JPY", mode: mode, payload: mode == .scan ? nil : "000201…", expiresAt: created.addingTimeInterval(180), now: created)
        s.state = state; s.wallet = wallet
        if state == .pending && mode == .scan { s.chargeCount = 1 }
        return s
    }

    static func shown(_ state: CounterState, at now: Date = t0) -> (ScreenName, StatusSignal) {
        let (screen, lights) = view.picture(state, now: now)
        return (screen.name, lights)
    }

    @Test func idleAmountEntryClockAndOffline() {
        var state = CounterState()
        #expect(Self.shown(state) == (.idle, .ready))
        state.typed = "12"
        #expect(Self.shown(state) == (.amountEntry, .ready))
        #expect(Self.view.picture(state, now: Self.t0).screen.typedAmount == "12")
        state.offlineReason = "connection refused"
        #expect(Self.shown(state) == (.offline, .offline))
        state.clockSynchronised = false
        #expect(Self.shown(state) == (.clock, .offline), "the clock comes first: nothing works without it")
    }

    /// A certificate near its end is said on the idle screen, and sales go on.
    @Test func aTechnicianNoticeShowsOnIdleOnly() {
        var state = CounterState()
        state.attention = "certificate expires on 2027-01-01, in 12 days: run `qrpos provision --renew`"
        let idle = Self.view.picture(state, now: Self.t0).screen
        #expect(idle.name == .idle && idle.detail?.contains("provision --renew") == true)
        #expect(state.refusal == nil)
        state.apply(Self.sale(.created), now: Self.t0)
        #expect(Self.view.picture(state, now: Self.t0).screen.detail == nil)
    }

    @Test func eachSaleStateHasItsScreenAndLights() {
        let cases: [(Sale, ScreenName, StatusSignal)] = [
            (Self.sale(.created), .showCode, .waiting),
            (Self.sale(.pending), .showCode, .waiting),
            (Self.sale(.awaitingCode, mode: .scan), .presentCode, .waiting),
            (Self.sale(.pending, mode: .scan), .processing, .waiting),
            (Self.sale(.unknown), .processing, .waiting),
            (Self.sale(.cancelling), .processing, .waiting),
            (Self.sale(.paid), .paid, .paid),
            (Self.sale(.declined), .declined, .declined),
            (Self.sale(.expired), .expired, .ready),
            (Self.sale(.cancelled), .cancelled, .ready),
        ]
        for (sale, screen, lights) in cases {
            var state = CounterState()
            state.apply(sale, now: Self.t0)
            #expect(Self.shown(state) == (screen, lights), "\(sale.state)")
        }
    }

    @Test func theShowCodeScreenCarriesTheCodeAmountAndCountdown() {
        var state = CounterState()
        state.apply(Self.sale(.pending), now: Self.t0)
        let screen = Self.view.picture(state, now: Self.t0.addingTimeInterval(30)).screen
        #expect(screen.payload == "000201…" && screen.amount == 1200 && screen.secondsLeft == 150)
        #expect(screen.wallets == ["PayPay", "支付宝"] || screen.wallets.count == 2)
    }

    @Test func aResultStaysForItsHoldThenIdleReturns() {
        var state = CounterState()
        state.apply(Self.sale(.pending), now: Self.t0)
        state.apply(Self.sale(.paid), now: Self.t0)
        let early = state.tick(now: Self.t0.addingTimeInterval(5), resultHold: 6)
        #expect(!early && Self.shown(state).0 == .paid)
        let late = state.tick(now: Self.t0.addingTimeInterval(7), resultHold: 6)
        #expect(late)
        #expect(Self.shown(state).0 == .idle)
    }

    @Test func aBackgroundRefundDoesNotTakeTheScreenFromTheSaleAtTheCounter() {
        var state = CounterState()
        state.apply(Self.sale(.awaitingCode, mode: .scan, id: "S2", at: Self.t0.addingTimeInterval(60)), now: Self.t0)
        state.apply(Self.sale(.refunding, id: "S1"), now: Self.t0)
        state.apply(Self.sale(.refunded, id: "S1"), now: Self.t0)
        #expect(Self.shown(state).0 == .presentCode)
        #expect(state.current?.id == "S2")
    }

    @Test func theShoppersWalletAddsItsHomeLanguage() {
        #expect(Self.view.languages(forWallet: nil) == ["ja", "en"])
        #expect(Self.view.languages(forWallet: "wechatpay") == ["zh-Hans", "ja", "en"])
        #expect(Self.view.languages(forWallet: "paypay") == ["ja", "en"])
        #expect(Self.view.languages(forWallet: "alipayhk") == ["zh-Hant", "ja", "en"] || Self.registry.entry("alipayhk") == nil)
        #expect(Self.view.languages(forWallet: "khqr") == ["km", "ja", "en"])
        #expect(Self.view.languages(forWallet: "kakaopay") == ["ko", "ja", "en"])
        #expect(Self.view.languages(forWallet: "qris") == ["id", "ja", "en"])
        // A partner wallet the registry does not list: the country the host named.
        #expect(Self.view.languages(forWallet: "aba-pay", country: "KH") == ["km", "ja", "en"])
        #expect(Self.view.languages(forWallet: "aba-pay", country: "ZZ") == ["ja", "en"])
    }

    @Test func theRegistersLanguageWinsOverTheWalletsAndTheKeypadsOverBoth() {
        var sale = Self.sale(.paid)
        sale.wallet = "wechatpay"
        #expect(Self.view.languages(for: sale) == ["zh-Hans", "ja", "en"])
        sale.language = "th"
        #expect(Self.view.languages(for: sale) == ["th", "ja", "en"])
        #expect(Self.view.languages(for: sale, chosen: "vi") == ["vi", "ja", "en"])
        #expect(Self.view.languages(for: sale, chosen: "") == ["ja", "en"], "none picked: the cashier's only")
        sale.language = "xx"
        #expect(Self.view.languages(for: sale) == ["ja", "en"], "a language the counter does not speak is ignored")
    }

    @Test func theMenuKeyCyclesTheShoppersLanguageWhileTheCodeIsShown() {
        var state = CounterState()
        state.apply(Self.sale(.created, id: "S9"), now: Self.t0)
        guard case .cycleLanguage("S9") = KeypadRules.decide(.menu, &state) else { Issue.record("menu on show-code cycles"); return }
        let shoppers = Self.languages.ids.filter { !["ja", "en"].contains($0) }
        var seen: [String] = []
        var shown = Self.view.languages(for: state.current)
        for _ in 0...shoppers.count {
            let next = Self.view.nextLanguage(after: shown)
            seen.append(next)
            shown = Self.view.languages(for: state.current, chosen: next)
        }
        #expect(seen == shoppers + [""], "every shopper's language once, then the cashier's only")
        #expect(Self.shown(state).0 == .showCode)
        state.chosenLanguage = "km"; state.chosenFor = "S9"
        #expect(Self.view.picture(state, now: Self.t0).screen.languages == ["km", "ja", "en"])
        state.chosenFor = "S8"
        #expect(Self.view.picture(state, now: Self.t0).screen.languages == ["ja", "en"], "a pick is for its own sale only")
    }

    @Test func keypadEditingAndItsLimits() {
        var state = CounterState()
        let zero = KeypadRules.decide(.digit(0), &state)
        #expect(zero == .edit && state.typed == "", "no leading zero")
        for d in [1, 2, 0, 0] { _ = KeypadRules.decide(.digit(d), &state) }
        #expect(state.typed == "1200")
        _ = KeypadRules.decide(.backspace, &state)
        #expect(state.typed == "120")
        for _ in 0..<20 { _ = KeypadRules.decide(.digit(9), &state) }
        #expect(state.typed.count == KeypadRules.maximumDigits)
        state.typed = "1200"
        let enter = KeypadRules.decide(.enter, &state), scan = KeypadRules.decide(.scan, &state)
        #expect(enter == .start(amount: 1200, mode: .show) && scan == .start(amount: 1200, mode: .scan))
        state.offlineReason = "down"
        guard case .refuse = KeypadRules.decide(.enter, &state) else { Issue.record("offline must refuse"); return }
        #expect(state.notice?.contains("offline") == true)
        state.offlineReason = nil
        state.apply(Self.sale(.pending), now: Self.t0)
        let digit = KeypadRules.decide(.digit(5), &state), cancel = KeypadRules.decide(.cancel, &state)
        #expect(digit == .nothing, "digits wait while a sale is open")
        #expect(cancel == .cancel(saleID: "S1"))
        var idle = CounterState()
        idle.typed = "55"
        let clear = KeypadRules.decide(.cancel, &idle)
        #expect(clear == .edit && idle.typed.isEmpty)
    }
}

/// A screen that records what it was asked to show, in order.
actor RecordingScreen: CounterScreen {
    private(set) var shown: [ScreenContent] = []
    func show(_ content: ScreenContent) { shown.append(content) }
}

/// A host that is never there: enough for a runner that the flow test does not use for money.
struct NoHost: AcquirerLink {
    func health() async -> AcquirerOutcome<HostHealth> { .unreachable("no host in this test") }
    func registerOrder(_ order: OrderRequest, idempotencyKey: String?) async -> AcquirerOutcome<Order> { .unreachable("no host") }
    func inquireOrder(_ orderId: String, wait: Duration?) async -> AcquirerOutcome<Order> { .unreachable("no host") }
    func cancelOrder(_ orderId: String, idempotencyKey: String?) async -> AcquirerOutcome<Order> { .unreachable("no host") }
    func charge(_ charge: ChargeRequest, idempotencyKey: String?) async -> AcquirerOutcome<Charge> { .unreachable("no host") }
    func inquireCharge(_ chargeId: String, wait: Duration?) async -> AcquirerOutcome<Charge> { .unreachable("no host") }
    func cancelCharge(_ chargeId: String, idempotencyKey: String?) async -> AcquirerOutcome<Charge> { .unreachable("no host") }
    func refund(_ refund: RefundRequest, idempotencyKey: String?) async -> AcquirerOutcome<Refund> { .unreachable("no host") }
    func settlement(from: Date, to: Date) async -> AcquirerOutcome<Settlement> { .unreachable("no host") }
}

struct CounterFlowTests {
    /// A burst of changes, sent from many threads' worth of tasks in a known order: the last thing drawn is the
    /// newest state, and the screens drawn follow the order the changes were sent in.
    @Test func aBurstOfChangesEndsOnTheNewestStateAndNeverGoesBack() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-flow-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(path: folder + "/journal.sqlite")
        let merchant = try PaymentRequest(toml: String(contentsOfFile: CounterViewTests.repository.path + "/Board/sim/terminal.toml", encoding: .utf8))
        let runner = SaleRunner(journal: journal, client: NoHost(), merchant: merchant,
                                settings: .init(codeLifetime: 60, terminalLabel: "T1", longPoll: .seconds(1)), logger: Logger(label: "test"))
        let screen = RecordingScreen()
        let counter = Counter(.init(runner: runner, screen: screen, view: CounterViewTests.view, now: { CounterViewTests.t0 }), logger: Logger(label: "test"))
        let running = Task { await counter.run() }
        let order: [SaleState] = [.created, .pending, .unknown, .pending, .cancelling, .pending, .paid]
        for round in 0..<50 {
            for state in order {
                var sale = CounterViewTests.sale(state, id: "S\(round)", at: CounterViewTests.t0.addingTimeInterval(Double(round)))
                sale.payload = "code-\(round)"
                counter.send(.sale(sale))
            }
        }
        counter.finish()
        await running.value
        let shown = await screen.shown
        #expect(shown.last?.name == .paid && shown.last?.payload == "code-49")
        // Within a sale the screens only move forward: processing never follows paid.
        var lastRound = -1
        var sawPaid = false
        for content in shown {
            let round = content.payload.flatMap { Int($0.dropFirst(5)) } ?? -1
            if round != lastRound { lastRound = round; sawPaid = false }
            if content.name == .paid { sawPaid = true } else if sawPaid { Issue.record("\(content.name) drawn after paid in round \(round)") }
            #expect(round >= lastRound)
        }
    }
}
