import Acquirer
import AcquirerSimulator
import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Installation
import Logging
import PaymentCodes
import Testing
@testable import Terminal

/// The cashier's day: each wallet's refund rules (refused at the terminal with the rule, and by the simulator from the
/// same registry when the two disagree), the wallet a shown code was paid with, and the daily close (日計) matched with
/// the simulator's settlement, with a forced difference reported with its sale.
@Suite(.serialized) struct CashierDayTests {
    static let registry = ReceiptTests.registry
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    /// The simulator's ledger playing the registry's refund rules, as `acquirer-sim --wallets Assets/wallets.toml` does.
    static func ledger(_ registry: WalletRegistry = registry) -> Ledger {
        let configuration = SimulatorConfiguration(pki: PKIFolder("/nonexistent"), databasePath: "", registry: registry)
        return Ledger(wallets: configuration.wallets)
    }

    static func counter(terminalRules: Bool = true, hostRegistry: WalletRegistry = registry) async throws -> InProcessCounter {
        try await InProcessCounter(ledger: ledger(hostRegistry), refunds: terminalRules ? RefundPolicy(registry: registry, timeZone: tokyo) : .hostDecides)
    }

    /// A shown-code sale paid by the shopper's `wallet`.
    static func paid(_ counter: InProcessCounter, _ amount: Int, wallet: String) async throws -> Sale {
        let sale = try await counter.runner.start(amount: amount, currency: "JPY", reference: nil, mode: .show)
        try await ECRRouterTests.registered(counter, sale.id)
        _ = try await counter.link.shopperPays(sale.id, wallet: wallet)
        #expect(try await counter.wait(sale.id, for: .paid))
        return try #require(try await counter.runner.sale(sale.id))
    }

    // MARK: refund rules

    @Test func theRegistryCarriesEachWalletsRules() throws {
        #expect(Self.registry.refundRule("paypay") == RefundRule(windowDays: 365, partial: true, maxCount: 50))
        #expect(Self.registry.refundRule("alipayplus")?.maxCount == 1)
        #expect(Self.registry.refundRule("nosuchwallet") == nil)
        #expect(throws: WalletRegistry.LoadError.self) {
            _ = try WalletRegistry(toml: "[[wallet]]\nid = \"x\"\nnames = { en = \"X\" }\nmodes = []\nrefunds = { max_count = 0 }\n")
        }
    }

    @Test func eachRuleRefusesWhatItSays() {
        let paid = Date(timeIntervalSince1970: 1_800_000_000)
        func ask(_ refund: Int, made: Int = 0, refunded: Int = 0, days: Double = 0, sameDay: Bool = true) -> RefundRule.Ask {
            .init(paidAt: paid, amount: 1000, refundedAmount: refunded, refundsMade: made, refund: refund, now: paid.addingTimeInterval(days * 86_400), sameDay: sameDay)
        }
        let paypay = RefundRule(windowDays: 365, partial: true, maxCount: 50)
        #expect(paypay.check(ask(300), wallet: "PayPay") == nil)
        #expect(paypay.check(ask(300, days: 366), wallet: "PayPay")?.code == "refund_window_closed")
        #expect(paypay.check(ask(10, made: 50, refunded: 500), wallet: "PayPay")?.code == "refund_count_exceeded")
        #expect(RefundRule(maxCount: 1).check(ask(100, made: 1, refunded: 100), wallet: "Alipay+")?.code == "refund_count_exceeded")
        #expect(RefundRule(partial: false).check(ask(300), wallet: "d払い")?.code == "partial_refund_not_allowed")
        #expect(RefundRule(partial: false).check(ask(700, refunded: 300), wallet: "d払い") == nil, "what is left, in one go")
        #expect(RefundRule(sameDayOnly: true).check(ask(1000, days: 1, sameDay: false), wallet: "ゆうちょPay")?.code == "refund_same_day_only")
        #expect(RefundRule(allowed: false).check(ask(1000), wallet: "X")?.code == "refund_not_allowed")
    }

    @Test func aRefundPastTheWalletsRuleIsRefusedAtTheTerminalAndOverTheECRAPI() async throws {
        let counter = try await Self.counter()
        defer { counter.close() }
        // Alipay+: refunded once. The first refund goes through, the second is refused before anything is sent.
        let sale = try await Self.paid(counter, 1000, wallet: "alipayplus")
        #expect(sale.wallet == "alipayplus", "the host named the wallet that paid the shown code")
        _ = try await counter.runner.refund(sale.id, amount: 400)
        #expect(try await counter.wait(sale.id, for: .paid))
        #expect(try await counter.runner.sale(sale.id)?.refundedAmount == 400)
        let refundsSent = await counter.link.count(.refund)
        try await counter.withAPI { api in
            let answer = try await api.post("/v1/refunds", "{\"saleId\": \"\(sale.id)\", \"amount\": 100}")
            #expect(answer.status == 422, "\(answer.text)")
            #expect(answer.json["rule"] as? String == "refund_count_exceeded")
            #expect(answer.error?.contains("1 refund per payment") == true, "\(answer.text)")
        }
        #expect(await counter.link.count(.refund) == refundsSent, "nothing was sent for a refused refund")
        // d払い: no partial refunds.
        let whole = try await Self.paid(counter, 900, wallet: "dbarai")
        await #expect(throws: SaleRunner.FollowUpRefusal.self) { _ = try await counter.runner.refund(whole.id, amount: 100) }
        _ = try await counter.runner.refund(whole.id, amount: 900)
        #expect(try await counter.wait(whole.id, for: .refunded))
    }

    @Test func theHostRefusesWhatTheTerminalLetThroughWhenTheirRulesDisagree() async throws {
        // The terminal knows no rules; the host plays the registry's: a second Alipay+ refund goes out and is refused.
        let counter = try await Self.counter(terminalRules: false)
        defer { counter.close() }
        let sale = try await Self.paid(counter, 1000, wallet: "alipayplus")
        _ = try await counter.runner.refund(sale.id, amount: 400)
        #expect(try await counter.wait(sale.id, for: .paid))
        _ = try await counter.runner.refund(sale.id, amount: 100)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await counter.wait(sale.id, for: .paid))
        let after = try #require(try await counter.runner.sale(sale.id))
        #expect(after.refundedAmount == 400 && after.refundsMade == 1)
        #expect(after.detail?.contains("refund per payment") == true, "\(after.detail ?? "")")
    }

    @Test func aVoidReversesAPaidSaleInsideTheCancelWindowAndNeverRefundsByItselfAfterIt() async throws {
        let counter = try await Self.counter()
        defer { counter.close() }
        let (paper, close) = try Self.desks(counter)
        let sale = try await Self.paid(counter, 700, wallet: "paypay")
        try await Self.book(counter, paper, [sale.id])
        _ = try await counter.runner.void(sale.id)
        #expect(try await counter.wait(sale.id, for: .cancelled))
        #expect(try await counter.runner.sale(sale.id)?.endReason == .cashier)
        #expect(await counter.link.books().orders[sale.id]?.order.status == .cancelled)
        try await Self.book(counter, paper, [sale.id])
        #expect(try counter.journal.slips(of: sale.id).map(\.kind) == [.sale, .cancel], "a cancel slip (取消)")
        let report = try await close.report(nil)
        #expect(report.total.cancels == .init(count: 1, amount: 700) && report.total.net == 0)
        #expect(report.reconciliation?.matched == true, "\(report.reconciliation?.differences ?? [])")

        // The host's cancel window has closed: the sale stays paid, says why, and nothing is refunded.
        let late = try await InProcessCounter(ledger: Ledger(rules: LedgerRules(cancelWindow: 0), wallets: Self.ledger().wallets))
        defer { late.close() }
        let old = try await Self.paid(late, 900, wallet: "paypay")
        _ = try await late.runner.void(old.id)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await late.wait(old.id, for: .paid))
        let after = try #require(try await late.runner.sale(old.id))
        #expect(after.refundCount == 0 && after.detail != nil, "\(after.detail ?? "")")
        #expect(await late.link.count(.refund) == 0)
        try await late.withAPI { api in
            let again = try await api.post("/v1/sales/\(old.id)/void")
            let missing = try await api.post("/v1/sales/S00000000000000000/void")
            #expect(again.status == 202 && missing.status == 404)
        }
    }

    // MARK: the daily close

    static func desks(_ counter: InProcessCounter) throws -> (ReceiptDesk, CloseDesk) {
        var logger = Logger(label: "close")
        logger.logLevel = .warning
        let paper = ReceiptDesk(printer: nil, fonts: try FontBook(languages: ReceiptTests.languages), strings: ReceiptTests.strings, journal: counter.journal,
                                shop: .init(terminalID: "TEST-01", merchant: PaymentRequest(merchantName: "QRPOS DEMO", merchantCity: "OSAKA"),
                                            settings: .init(), registry: registry, timeZone: tokyo),
                                logger: logger)
        let close = CloseDesk(journal: counter.journal, link: counter.link, paper: paper,
                              shop: .init(terminalID: "TEST-01", merchantName: "QRPOS DEMO", currency: "JPY", dayStarts: 0, timeZone: tokyo, registry: registry),
                              logger: logger)
        return (paper, close)
    }

    /// Numbers the slip each sale's latest change calls for, as the counter's listener does.
    static func book(_ counter: InProcessCounter, _ paper: ReceiptDesk, _ ids: [String]) async throws {
        for id in ids { await paper.saleChanged(try #require(try await counter.runner.sale(id))) }
    }

    @Test func aDayOfMixedSalesClosesWithTheSimulatorsTotalsAndADifferenceNamesItsSale() async throws {
        let counter = try await Self.counter()
        defer { counter.close() }
        let (paper, close) = try Self.desks(counter)
        // PayPay: paid, then part refunded. WeChat Pay: a scanned code, paid. Alipay+: paid and refunded whole.
        let paypay = try await Self.paid(counter, 1200, wallet: "paypay")
        try await Self.book(counter, paper, [paypay.id])
        _ = try await counter.runner.refund(paypay.id, amount: 200)
        #expect(try await counter.wait(paypay.id, for: .paid))
        #expect(try await counter.runner.sale(paypay.id)?.refundInFlight == 0)
        try await Self.book(counter, paper, [paypay.id])
        let scanned = try await counter.runner.start(amount: 800, currency: "JPY", reference: nil, mode: .scan)
        #expect(try await counter.wait(scanned.id, for: .awaitingCode))
        await counter.runner.codeScanned("134567890123456789", wallet: "wechatpay")
        #expect(try await counter.wait(scanned.id, for: .paid))
        let alipay = try await Self.paid(counter, 500, wallet: "alipayplus")
        try await Self.book(counter, paper, [scanned.id, alipay.id])
        _ = try await counter.runner.refund(alipay.id, amount: 500)
        #expect(try await counter.wait(alipay.id, for: .refunded))
        try await Self.book(counter, paper, [alipay.id])
        // A sale the shopper never paid moves no money and is not in the close.
        let unpaid = try await counter.runner.start(amount: 300, currency: "JPY", reference: nil, mode: .show)
        _ = try await counter.runner.cancel(unpaid.id)
        #expect(try await counter.wait(unpaid.id, for: .cancelled))
        try await Self.book(counter, paper, [unpaid.id])

        let report = try await close.report(nil)
        #expect(report.total.sales == .init(count: 3, amount: 2500))
        #expect(report.total.refunds == .init(count: 2, amount: 700))
        #expect(report.total.net == 1800)
        #expect(report.wallets.map(\.wallet) == ["alipayplus", "paypay", "wechatpay"])
        #expect(report.wallets.first { $0.wallet == "paypay" }?.net == 1000)
        let reconciliation = try #require(report.reconciliation, "\(report.hostProblem ?? "")")
        #expect(reconciliation.matched, "\(reconciliation.differences)")
        #expect(reconciliation.host == report.total, "the simulator's settlement has the same totals")
        #expect(report.csv.contains(",paypay,1,1200,0,0,1,200,1000,JPY"), "\(report.csv)")

        // The acquirer's back office refunds a sale the terminal knows nothing about: the difference names the sale.
        _ = try await counter.link.backOfficeRefund(scanned.id + "-c1", amount: 300)
        let differing = try await close.report(nil)
        let difference = try #require(differing.reconciliation?.differences.first)
        #expect(differing.reconciliation?.differences.count == 1)
        #expect(difference.saleId == scanned.id && difference.kind == .refund && difference.terminalAmount == 0 && difference.hostAmount == 300)

        // Closing keeps the report as it was; a later refund belongs to the next business day, and the day closes once.
        let closed = try await close.close(nil, now: Date())
        #expect(closed.closedAt != nil && closed.reconciliation?.matched == false)
        _ = try await counter.runner.refund(paypay.id, amount: 100)
        #expect(try await counter.wait(paypay.id, for: .paid))
        #expect(try await counter.runner.sale(paypay.id)?.refundInFlight == 0)
        try await Self.book(counter, paper, [paypay.id])
        let again = try await close.report(closed.businessDay)
        #expect(again.total == closed.total && again.closedAt == closed.closedAt)
        let nextDay = try #require(CloseReport.day(after: closed.businessDay, starts: 0, in: Self.tokyo))
        #expect(try counter.journal.slips(businessDay: nextDay).map(\.content.amount) == [100])
        await #expect(throws: CloseDesk.Refusal.self) { try await close.close(closed.businessDay) }
        // The report as a picture: drawn like a slip, 576 dots wide.
        let picture = try await close.picture(closed)
        #expect(picture.width == 576 && picture.height > 400)
    }

    @Test func aSlipMissedInACrashIsNumberedAtStartButOldDaysAreLeftAlone() async throws {
        let counter = try await Self.counter()
        defer { counter.close() }
        let (paper, _) = try Self.desks(counter)
        let today = try await Self.paid(counter, 600, wallet: "paypay")
        var old = Sale(id: "S17000000000000001", amount: 900, currency: "JPY", mode: .show, expiresAt: Date(timeIntervalSinceNow: -86_000 * 3),
                       now: Date(timeIntervalSinceNow: -86_400 * 3))
        old.state = .paid
        try counter.journal.insert(old)
        await paper.catchUp([try #require(try await counter.runner.sale(today.id)), old])
        #expect(try counter.journal.slips(of: today.id).map(\.kind) == [.sale])
        #expect(try counter.journal.slips(of: old.id).isEmpty, "a sale of an earlier day is not poured into today's close")
    }

    @Test func theCloseOverTheECRAPI() async throws {
        let counter = try await Self.counter()
        defer { counter.close() }
        let (paper, close) = try Self.desks(counter)
        let sale = try await Self.paid(counter, 1500, wallet: "paypay")
        try await Self.book(counter, paper, [sale.id])
        var options = counter.options
        options.close = close
        let app = Application(router: ECRServer.router(runner: counter.runner, options: options))
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let json = try await api.get("/v1/reports/close")
            #expect(json.status == 200 && (json.json["total"] as? [String: Any])?["net"] as? Int == 1500, "\(json.text)")
            #expect((json.json["reconciliation"] as? [String: Any])?["matched"] as? Bool == true, "\(json.text)")
            let csv = try await api.get("/v1/reports/close?format=csv")
            #expect(csv.status == 200 && csv.contentType?.hasPrefix("text/csv") == true && csv.text.contains(",paypay,1,1500,"))
            let png = try await api.get("/v1/reports/close?format=png")
            #expect(png.status == 200 && png.contentType == "image/png")
            #expect(try await api.get("/v1/reports/close?date=2026-13-40").status == 400)
            #expect(try await api.get("/v1/reports/close?format=pdf").status == 400)
            let closed = try await api.post("/v1/reports/close")
            #expect(closed.status == 201 && closed.json["closedAt"] != nil, "\(closed.text)")
            #expect(try await api.post("/v1/reports/close").status == 409)
        }
    }
}
