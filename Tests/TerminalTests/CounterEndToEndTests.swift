import Foundation
import Imaging
import Testing

/// `qrpos run` against the real `acquirer-sim` over mutual TLS, driven through the ECR API like a register.
@Suite(.serialized) struct CounterEndToEndTests {
    static func withShop(codeLifetime: Int = 120, clockSynchronised: Bool = true, devices: Bool = true, acquirer: [String] = [],
                         _ body: (Shop) async throws -> Void) async throws {
        let shop = try Shop(codeLifetime: codeLifetime, clockSynchronised: clockSynchronised, devices: devices)
        do {
            try shop.startAcquirer(acquirer)
            try shop.startTerminal()
            try await shop.waitForTerminal()
            try await body(shop)
        } catch {
            Issue.record("terminal log:\n\(shop.log().suffix(3000))")
            await shop.close()
            throw error
        }
        await shop.close()
    }

    @Test func shownCodePaidByTheShopper() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(1200)
            let (status, paid) = try await shop.shopperPays(id)
            #expect(status == 200, "\(paid)")
            #expect(try await shop.finalStatus(id) == "paid")
            let ledger = try await shop.ledger()
            #expect(ledger.orders.filter { $0["orderId"] as? String == id }.map { $0["status"] as? String } == ["paid"])
            #expect(FileManager.default.fileExists(atPath: shop.folder + "/screens/latest.png"))
        }
    }

    /// A counter that only shows codes (no camera, no lights in its board file) is healthy and takes sales.
    @Test func aBoardWithoutCameraOrLightsIsHealthyAndTakesShownCodeSales() async throws {
        try await Self.withShop(devices: false) { shop in
            let (status, health) = try await shop.ecr(.GET, "/v1/health")
            #expect(status == 200, "\(health)")
            #expect((health["camera"] as? [String: Any])?["status"] as? String == "absent")
            #expect((health["lights"] as? [String: Any])?["status"] as? String == "absent")
            let id = try await shop.sale(800)
            #expect(try await shop.shopperPays(id).0 == 200)
            #expect(try await shop.finalStatus(id) == "paid")
        }
    }

    /// "Never lose a sale", defect 4: a refund of an earlier sale going on while a scan-mode sale waits for the
    /// shopper's code must not close the camera for it (the gate follows the sale that waits, not the last change).
    @Test func aRefundOfAnEarlierSaleDoesNotCloseTheCameraForTheSaleWaitingForACode() async throws {
        try await Self.withShop(acquirer: ["--wallet", "paypay=confirm:2"]) { shop in
            let first = try await shop.sale(1000)
            #expect(try await shop.shopperPays(first, wallet: "wechatpay").0 == 200)
            #expect(try await shop.finalStatus(first) == "paid")
            let waiting = try await shop.sale(700, mode: "scan")
            #expect(try await shop.wait(waiting, for: "awaiting-code"))
            let (refund, answer) = try await shop.ecr(.POST, "/v1/refunds", "{\"saleId\": \"\(first)\", \"amount\": 1000}")
            #expect(refund == 202, "\(answer)")
            #expect(try await shop.finalStatus(first) == "refunded")
            try shop.present("900081818812345678901234") // PayPay: confirmed in the app after 2 s
            #expect(try await shop.finalStatus(waiting) == "paid", "the shopper's code was read and charged")
        }
    }

    /// A journal damaged on disk (a failing SD card): the terminal sets it aside, keeps running, says so on health
    /// and refuses sales until a technician releases it; it never silently starts empty.
    @Test func aDamagedJournalStopsSalesUntilATechnicianActs() async throws {
        let shop = try Shop()
        defer { Task { await shop.close() } }
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: shop.folder + "/journal.sqlite"))
        try shop.startAcquirer()
        try shop.startTerminal()
        try await shop.waitForTerminal()
        let (status, answer) = try await shop.ecr(.POST, "/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\"}")
        #expect(status == 503 && (answer["error"] as? String)?.contains("journal damaged") == true, "\(answer)")
        let (healthStatus, health) = try await shop.ecr(.GET, "/v1/health")
        #expect(healthStatus == 503 && (health["journal"] as? [String: Any])?["status"] as? String == "failing", "\(health)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: shop.folder).filter { $0.hasPrefix("journal.sqlite.damaged-") }
        #expect(!kept.isEmpty, "the damaged journal is kept")
        let release = try Shop.run("qrpos", ["journal", "release", "--state", shop.folder])
        #expect(release.status == 0, "\(release.stderr)")
        let (after, sale) = try await shop.ecr(.POST, "/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\"}")
        #expect(after == 201, "\(sale)")
        await shop.close()
    }

    @Test func shownCodeDeclinedByTheWallet() async throws {
        try await Self.withShop(acquirer: ["--wallet", "paypay=decline"]) { shop in
            let id = try await shop.sale(800)
            _ = try await shop.shopperPays(id)
            #expect(try await shop.finalStatus(id) == "declined")
        }
    }

    @Test func codeExpiresAndIsWithdrawn() async throws {
        try await Self.withShop(codeLifetime: 5) { shop in
            let id = try await shop.sale(500)
            #expect(try await shop.finalStatus(id, limit: 40) == "expired")
            let order = try await shop.ledger().orders.first { $0["orderId"] as? String == id }
            #expect(["cancelled", "expired"].contains(order?["status"] as? String ?? ""))
        }
    }

    @Test func cashierCancelsAndALatePaymentLoses() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(1500)
            let (status, _) = try await shop.ecr(.POST, "/v1/sales/\(id)/cancel")
            #expect(status == 202)
            #expect(try await shop.finalStatus(id) == "cancelled")
            let (late, _) = try await shop.simRequest(.POST, "/sim/orders/\(id)/pay", "{\"wallet\": \"paypay\"}")
            #expect(late >= 400, "a cancelled order cannot be paid")
            #expect(try await shop.ledger().orders.first { $0["orderId"] as? String == id }?["status"] as? String == "cancelled")
        }
    }

    static let wechat = "134567890123456789", alipay = "286543210987654321", unionpay = "6212345678901234567"

    @Test func shoppersCodeScannedAndCharged() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(2400, mode: "scan")
            #expect(try await shop.wait(id, for: "awaiting-code"))
            try shop.present(Self.wechat)
            #expect(try await shop.finalStatus(id) == "paid")
            let (_, sale) = try await shop.ecr(.GET, "/v1/sales/\(id)")
            #expect(sale["wallet"] as? String == "wechatpay")
            #expect((sale["customerCode"] as? String)?.contains(Self.wechat) == false, "the register never sees the whole code")
            let charges = try await shop.ledger().charges
            #expect(charges.count == 1 && charges.first?["status"] as? String == "paid" && charges.first?["amount"] as? Int == 2400)
            #expect(!shop.log().contains(Self.wechat), "the whole customer code reached the log")
        }
    }

    /// JPQR Global: a Cambodian pays the shown JPQR with a KHQR app, the host names the wallet and its country, and
    /// the paid screen speaks Khmer; a Korean's Kakao Pay code (an Alipay+ code of its issuer) brings Korean.
    @Test func theShoppersWalletPicksTheirLanguage() async throws {
        let strings = try UIStrings(folder: Shop.repository.appendingPathComponent("Assets/strings").path, languages: ["km", "ko", "ja"]) {
            try String(contentsOfFile: $0, encoding: .utf8)
        }
        try await Self.withShop { shop in
            let shown = try await shop.sale(1200)
            #expect(try await shop.shopperPays(shown, wallet: "khqr").0 == 200)
            #expect(try await shop.finalStatus(shown) == "paid")
            #expect(try await shop.screenSays(strings.text("paid", "km")), "Khmer on the paid screen")
            #expect(try await shop.screenSays(strings.text("paid", "ja")), "and Japanese for the cashier")
            let (_, sale) = try await shop.ecr(.GET, "/v1/sales/\(shown)")
            #expect(sale["wallet"] as? String == "khqr" && sale["walletCountry"] as? String == "KH", "the host named the wallet's country")

            let scanned = try await shop.sale(800, mode: "scan")
            #expect(try await shop.wait(scanned, for: "awaiting-code"))
            try shop.present("281099" + "123456789012345678")
            #expect(try await shop.finalStatus(scanned) == "paid")
            #expect(try await shop.screenSays(strings.text("paid", "ko")), "Korean on the paid screen")

            // A register that knows its customer names the language itself.
            let (status, named) = try await shop.ecr(.POST, "/v1/sales", #"{"amount": 500, "currency": "JPY", "language": "th"}"#)
            #expect(status == 201 && named["language"] as? String == "th")
            let (refused, why) = try await shop.ecr(.POST, "/v1/sales", #"{"amount": 500, "currency": "JPY", "language": "xx"}"#)
            #expect(refused == 400 && "\(why)".contains("not one this terminal speaks"), "\(why)")
        }
    }

    @Test func shoppersCodeDeclinedByTheWallet() async throws {
        try await Self.withShop(acquirer: ["--wallet", "alipay=decline"]) { shop in
            let id = try await shop.sale(1100, mode: "scan")
            #expect(try await shop.wait(id, for: "awaiting-code"))
            try shop.present(Self.alipay)
            let final = try await shop.finalStatus(id, limit: 15)
            #expect(final == "declined", "\(shop.log().suffix(3000))")
        }
    }

    @Test func walletAsksTheShopperToConfirm() async throws {
        try await Self.withShop(acquirer: ["--wallet", "unionpay=confirm:2"]) { shop in
            let id = try await shop.sale(1300, mode: "scan")
            #expect(try await shop.wait(id, for: "awaiting-code"))
            try shop.present(Self.unionpay)
            #expect(try await shop.wait(id, for: "pending", limit: 10))
            #expect(try await shop.finalStatus(id) == "paid")
        }
    }

    @Test func oneCodeShownThreeTimesIsChargedOnce() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(990, mode: "scan")
            #expect(try await shop.wait(id, for: "awaiting-code"))
            for _ in 0..<3 { try shop.present(Self.wechat); try await Task.sleep(for: .milliseconds(150)) }
            #expect(try await shop.finalStatus(id) == "paid")
            try await Task.sleep(for: .seconds(1))
            #expect(try await shop.ledger().charges.count == 1)
        }
    }

    @Test func merchantCodeHeldUpIsNotCharged() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(500, mode: "scan")
            #expect(try await shop.wait(id, for: "awaiting-code"))
            try shop.present("00020101021129370016A0000006770101110113006681222333353037645802TH63041DCF")
            try await Task.sleep(for: .seconds(2))
            let (_, sale) = try await shop.ecr(.GET, "/v1/sales/\(id)")
            #expect(sale["status"] as? String == "awaiting-code")
            #expect(try await shop.ledger().charges.isEmpty)
            _ = try await shop.ecr(.POST, "/v1/sales/\(id)/cancel")
            #expect(try await shop.finalStatus(id) == "cancelled")
        }
    }

    @Test func autoModeCodeWithdrawsTheShownOrder() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(1800, mode: "auto")
            #expect(try await shop.wait(id, for: "pending"))
            try await Task.sleep(for: .milliseconds(300))
            try shop.present(Self.wechat)
            let final = try await shop.finalStatus(id)
            #expect(final == "paid", "\(shop.log().suffix(3000))")
            let ledger = try await shop.ledger()
            #expect(ledger.orders.first { $0["orderId"] as? String == id }?["status"] as? String == "cancelled")
            #expect(ledger.charges.filter { $0["status"] as? String == "paid" }.count == 1)
        }
    }

    @Test func paymentsWaitForASynchronisedClock() async throws {
        try await Self.withShop(clockSynchronised: false) { shop in
            let (status, answer) = try await shop.ecr(.POST, "/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\"}")
            #expect(status == 503 && (answer["error"] as? String)?.contains("clock") == true, "\(answer)")
            let (_, health) = try await shop.ecr(.GET, "/v1/health")
            #expect((health["clock"] as? [String: Any])?["status"] as? String == "failing", "\(health)")
            #expect((health["clock"] as? [String: Any])?["detail"] as? String == "not synchronised")
            #expect(try await shop.ledger().orders.isEmpty)
        }
    }

    @Test func badRegisterRequestsGetClearErrors() async throws {
        try await Self.withShop { shop in
            let bodies: [(String, String)] = [
                ("{\"amount\": 0, \"currency\": \"JPY\"}", "greater than zero"),
                ("{\"amount\": -5, \"currency\": \"JPY\"}", "greater than zero"),
                ("{\"amount\": 99999999999999, \"currency\": \"JPY\"}", "limit"),
                ("{\"amount\": 1e20, \"currency\": \"JPY\"}", "limit"),
                ("{\"amount\": \"1200\", \"currency\": \"JPY\"}", "JSON number"),
                ("{\"amount\": 12.5, \"currency\": \"JPY\"}", "whole number"),
                ("{\"amount\": 1200, \"currency\": \"USD\"}", "takes JPY"),
                ("{\"amount\": 1200, \"currency\": \"yen\"}", "ISO 4217"),
                ("{\"amount\": 1200, \"currency\": \"JPY\", \"reference\": \"\(String(repeating: "x", count: 65))\"}", "64"),
                ("{\"amount\": 1200, \"currency\": \"JPY\", \"mode\": \"teleport\"}", "mode"),
                ("{\"amount\": 1200", "JSON"),
                ("", "empty"),
                ("[1200]", "JSON object"),
            ]
            for (body, words) in bodies {
                let (status, answer) = try await shop.ecr(.POST, "/v1/sales", body)
                #expect(status == 400, "\(body) -> \(status)")
                #expect((answer["error"] as? String)?.contains(words) == true, "\(body) -> \(answer)")
            }
            #expect(try await shop.ecr(.POST, "/v1/sales", "{\"amount\": 1200, \"currency\": \"JPY\"}", token: "wrong").0 == 401)
            #expect(try await shop.ecr(.GET, "/v1/health", scheme: "bearer").0 == 200, "the scheme name is case-insensitive")
            let (unknown, lost) = try await shop.ecr(.GET, "/v1/salez")
            #expect(unknown == 404 && (lost["error"] as? String)?.contains("no such endpoint: GET /v1/salez") == true, "\(lost)")
            shop.token = ""
            #expect(try await shop.ecr(.GET, "/v1/health").0 == 401)
        }
    }

    @Test func oneSaleAtATimeAndUnknownSales() async throws {
        try await Self.withShop { shop in
            _ = try await shop.sale(1000)
            let (busy, answer) = try await shop.ecr(.POST, "/v1/sales", "{\"amount\": 2000, \"currency\": \"JPY\"}")
            #expect(busy == 409, "\(answer)")
            #expect(try await shop.ecr(.GET, "/v1/sales/S0").0 == 404)
        }
    }

    @Test func paidSaleIsRefundedOnce() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(3000)
            #expect(try await shop.shopperPays(id).0 == 200)
            #expect(try await shop.finalStatus(id) == "paid")
            let (cancel, why) = try await shop.ecr(.POST, "/v1/sales/\(id)/cancel")
            #expect(cancel == 409 && (why["error"] as? String)?.contains("/v1/refunds") == true, "a paid sale is not cancelled: \(why)")
            let (tooMuch, _) = try await shop.ecr(.POST, "/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 5000}")
            #expect(tooMuch == 400)
            let (status, _) = try await shop.ecr(.POST, "/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 3000}")
            #expect(status == 202)
            #expect(try await shop.finalStatus(id) == "refunded")
            #expect(try await shop.ledger().refunds.count == 1)
        }
    }

    /// The terminal is killed (SIGKILL, like a power cut) right after each state is committed, then started
    /// again: the sale must reach a final state, and the ledger shows it charged at most once.
    @Test(arguments: ["created", "pending", "awaiting-code", "cancelling", "paid", "refunding"])
    func killedAtATransitionRecoversOnRestart(point: String) async throws {
        let shop = try Shop()
        defer { Task { await shop.close() } }
        try shop.startAcquirer()
        try shop.startTerminal(crashAt: point)
        try await shop.waitForTerminal()
        var id = ""
        do {
            id = try await shop.sale(700, mode: point == "awaiting-code" ? "scan" : "show")
            switch point {
            case "cancelling": _ = try await shop.ecr(.POST, "/v1/sales/\(id)/cancel")
            case "paid", "refunding":
                #expect(try await shop.wait(id, for: "pending"))
                _ = try await shop.simRequest(.POST, "/sim/orders/\(id)/pay", "{\"wallet\": \"paypay\"}")
                if point == "refunding" {
                    #expect(try await shop.wait(id, for: "paid"))
                    _ = try await shop.ecr(.POST, "/v1/refunds", "{\"saleId\": \"\(id)\", \"amount\": 700}")
                }
            default: break
            }
        } catch {
            // Killed while answering the register: the sale is in the journal all the same.
        }
        let status = try await shop.waitForCrash()
        #expect(status != 0, "qrpos should have been killed at \(point)")
        try shop.startTerminal()
        try await shop.waitForTerminal()
        if id.isEmpty { id = try #require(try await shop.journalledSaleIDs().first, "the sale was not journalled") }
        let final = try await shop.finalStatus(id)
        let expected: Set<String> = switch point {
        case "paid": ["paid"]
        case "refunding": ["refunded"]
        default: ["cancelled", "expired"]
        }
        #expect(expected.contains(final), "\(point): \(final)\n\(shop.log().suffix(2000))")
        let ledger = try await shop.ledger()
        #expect(ledger.orders.filter { $0["status"] as? String == "paid" }.count <= 1)
        #expect(ledger.orders.allSatisfy { $0["status"] as? String != "pending" }, "\(point): an order was left pending: \(ledger.orders)")
        #expect(ledger.refunds.count == (point == "refunding" ? 1 : 0), "one refund, never two: \(ledger.refunds)")
    }

    /// The host dies mid-sale; the sale waits in "unknown" and is resolved once the host is back.
    @Test func hostDownThenBack() async throws {
        try await Self.withShop { shop in
            let id = try await shop.sale(900)
            // Only once the host holds the order does its absence mean "unknown" rather than "nothing moved".
            for _ in 0..<100 where try await shop.ledger().orders.first(where: { $0["orderId"] as? String == id }) == nil {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(300))
            shop.stopAcquirer()
            try await Task.sleep(for: .seconds(2))
            let (_, during) = try await shop.ecr(.GET, "/v1/sales/\(id)")
            #expect(["pending", "unknown"].contains(during["status"] as? String ?? ""), "\(during)")
            try shop.startAcquirer()
            _ = try await shop.simRequest(.POST, "/sim/orders/\(id)/pay", "{\"wallet\": \"paypay\"}")
            #expect(try await shop.finalStatus(id, limit: 60) == "paid")
        }
    }
}
