import Devices
import Foundation
import Imaging
import Logging
import Testing
@testable import Terminal

/// The cashier's menu on the keypad (today's sales, reprint, refund, the close) and the supervisor's PIN: the keys'
/// rules alone, the PIN file (salted hashes, lockout), and a refund on the keypad with and without the PIN.
@Suite(.serialized) struct CounterMenuTests {
    static func folder() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-menu-\(UUID().uuidString.prefix(8))").path }

    static func press(_ keys: [CounterKey], _ state: inout CounterState) -> [KeyAction] { keys.map { KeypadRules.decide($0, &state) } }

    @Test func theMenuLeadsFromTodaysSalesToARefundThatAsksForThePIN() {
        var state = CounterState()
        #expect(Self.press([.menu], &state) == [.edit] && state.menu == .top)
        #expect(Self.press([.digit(1)], &state) == [.openHistory])
        var paid = CounterViewTests.sale(.paid, wallet: "paypay", id: "S9")
        paid.refundedAmount = 200
        state.history = [HistoryLine(paid, time: "10:15")]
        #expect(Self.press([.digit(5)], &state) == [.nothing], "no fifth sale")
        _ = Self.press([.digit(1), .digit(2)], &state)
        guard case .refundAmount = state.menu else { Issue.record("\(String(describing: state.menu))"); return }
        // More than is left is refused; Enter alone takes all that is left.
        _ = Self.press([.digit(2), .digit(0), .digit(0), .digit(0)], &state)
        #expect(Self.press([.enter], &state) == [.refuse("too much")])
        _ = Self.press([.backspace, .backspace, .backspace, .backspace, .enter], &state)
        #expect(state.menu == .pin(.refund(saleId: "S9", amount: 1000)))
        let actions = Self.press([.digit(2), .digit(4), .digit(6), .digit(8), .enter], &state)
        #expect(actions.last == .authorised(.refund(saleId: "S9", amount: 1000), pin: "2468"))
        #expect(state.menuTyped.isEmpty, "a PIN does not stay in the state")
        // Esc goes back one step at a time, and out from the top.
        state.menu = .pin(.close)
        _ = Self.press([.cancel], &state)
        #expect(state.menu == .top)
        _ = Self.press([.cancel], &state)
        #expect(state.menu == nil)
    }

    @Test func thePINScreenShowsDotsNeverDigits() {
        var state = CounterState()
        state.menu = .pin(.close)
        state.menuTyped = "2468"
        let screen = CounterViewTests.view.picture(state, now: CounterViewTests.t0).screen
        #expect(screen.name == .pin && screen.typedAmount == "2468")
        let strings = try! UIStrings(folder: CounterViewTests.repository.path + "/Assets/strings", languages: ["ja", "en"]) { try String(contentsOfFile: $0, encoding: .utf8) }
        let texts = ScreenLayout.layout(screen, strings: strings, width: 800, height: 480).compactMap { element -> String? in
            if case let .text(item) = element { return item.text } else { return nil }
        }
        #expect(texts.contains("●●●●") && !texts.contains { $0.contains("2468") }, "\(texts)")
    }

    @Test func thePaidScreenNamesTheWalletAndTheSlipNumber() {
        var state = CounterState()
        state.apply(CounterViewTests.sale(.paid, wallet: "paypay", id: "S7"), now: CounterViewTests.t0)
        #expect(CounterViewTests.view.picture(state, now: CounterViewTests.t0).screen.detail == "PayPay")
        state.slipNumbers["S7"] = "0007"
        let detail = CounterViewTests.view.picture(state, now: CounterViewTests.t0).screen.detail ?? ""
        #expect(detail.hasPrefix("PayPay") && detail.hasSuffix("0007"), "\(detail)")
    }

    @Test func pinsAreSaltedHashesWithALockout() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pins = OperatorPINs(path: folder + "/operators.json")
        #expect(pins.verify(.supervisor, pin: "2468") == .notSet)
        #expect(throws: OperatorPINs.Problem.self) { try pins.set(.supervisor, pin: "12") }
        #expect(throws: OperatorPINs.Problem.self) { try pins.set(.cashier, pin: "1234") }
        try pins.set(.supervisor, pin: "2468")
        let file = try String(contentsOfFile: folder + "/operators.json", encoding: .utf8)
        #expect(!file.contains("2468"), "only the hash is kept")
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/operators.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let t0 = Date()
        #expect(pins.verify(.supervisor, pin: "2468", now: t0) == .accepted)
        #expect(pins.verify(.technician, pin: "2468", now: t0) == .notSet, "each role has its own PIN")
        for left in (1..<OperatorPINs.attempts).reversed() { #expect(pins.verify(.supervisor, pin: "0000", now: t0) == .wrong(attemptsLeft: left)) }
        guard case .locked = pins.verify(.supervisor, pin: "0000", now: t0) else { Issue.record("not locked"); return }
        guard case .locked = OperatorPINs(path: folder + "/operators.json").verify(.supervisor, pin: "2468", now: t0.addingTimeInterval(60)) else {
            Issue.record("the right PIN opened a locked role (or a restart reset the lock)"); return
        }
        #expect(pins.verify(.supervisor, pin: "2468", now: t0.addingTimeInterval(OperatorPINs.lockout + 1)) == .accepted)
    }

    @Test func aRefundOnTheKeypadNeedsTheSupervisorsPIN() async throws {
        let shop = try await CashierDayTests.counter()
        defer { shop.close() }
        let sale = try await CashierDayTests.paid(shop, 1200, wallet: "paypay")
        let pins = OperatorPINs(path: shop.folder + "/operators.json")
        let runner = shop.runner
        let menu = Counter.MenuDesks(history: { (try? await runner.sales(SaleListQuery()).sales.map { HistoryLine($0, time: "10:00") }) ?? [] }, pins: pins)
        let screen = RecordingScreen()
        let counter = Counter(.init(runner: shop.runner, screen: screen, view: CounterViewTests.view, menu: menu), logger: Logger(label: "test"))
        let running = Task { await counter.run() }
        // Keys, then until the screen says `until` (scrypt in a debug build takes its time).
        func keys(_ keys: [CounterKey], until: @escaping @Sendable (ScreenContent) -> Bool) async throws {
            for key in keys { counter.send(.key(key)) }
            for _ in 0..<200 {
                if let last = await screen.shown.last, until(last) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the screen never showed what was expected: \(String(describing: await screen.shown.last))")
        }
        let toTheRefund: [CounterKey] = [.menu, .digit(1), .digit(1), .digit(2), .enter]
        // No PIN set: refused, nothing sent.
        try await keys(toTheRefund + [.digit(2), .digit(4), .digit(6), .digit(8), .enter]) { $0.name == .menu && $0.detail?.contains("!") == true }
        #expect(try await shop.runner.sale(sale.id)?.refundCount == 0)
        try pins.set(.supervisor, pin: "2468")
        // A wrong PIN: refused, nothing sent, the PIN screen stays.
        try await keys([.cancel, .cancel, .cancel] + toTheRefund + [.digit(1), .digit(1), .digit(1), .digit(1), .enter]) {
            $0.name == .pin && $0.detail?.contains("—") == true
        }
        #expect(try await shop.runner.sale(sale.id)?.refundCount == 0)
        // The supervisor's PIN: the refund goes out and the sale ends refunded.
        try await keys([.digit(2), .digit(4), .digit(6), .digit(8), .enter]) { $0.name != .pin }
        #expect(try await shop.wait(sale.id, for: .refunded))
        counter.finish()
        await running.value
    }
}
