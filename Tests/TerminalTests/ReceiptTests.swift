import Devices
import Foundation
import Imaging
import Installation
import Logging
import PaymentCodes
import Testing
@testable import Terminal

/// Which slip a sale calls for, how slips are numbered per business day, and the desk that prints them: a slip
/// that cannot print (paper out) is kept and reprinted, marked as a reprint.
@Suite(.serialized) struct ReceiptTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registry = try! Installation.registry(repository.path + "/Assets/wallets.toml")
    static let languages = try! Languages(toml: String(contentsOfFile: repository.path + "/Assets/languages.toml", encoding: .utf8), file: "languages.toml")
    static let strings = try! UIStrings(folder: repository.path + "/Assets/strings", languages: languages.ids) { try String(contentsOfFile: $0, encoding: .utf8) }
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func sale(_ state: SaleState, refunded: Int = 0, inFlight: Int = 0) -> Sale {
        var s = Sale(id: "S1", amount: 1200, currency: "JPY", mode: .scan, expiresAt: t0.addingTimeInterval(180), now: t0)
        s.state = state; s.refundedAmount = refunded; s.refundInFlight = inFlight; s.wallet = "paypay"; s.maskedCode = "2800********1234"
        return s
    }

    @Test func eachEndCallsForItsSlip() {
        #expect(SlipRule.due(Self.sale(.paid), paidBefore: true, refundSlips: 0, refundedOnSlips: 0) == .init(kind: .sale, sequence: 0, amount: 1200))
        #expect(SlipRule.due(Self.sale(.cancelled), paidBefore: true, refundSlips: 0, refundedOnSlips: 0) == .init(kind: .cancel, sequence: 0, amount: 1200))
        // A code that expired or an order cancelled before anyone paid moved no money: no slip.
        #expect(SlipRule.due(Self.sale(.cancelled), paidBefore: false, refundSlips: 0, refundedOnSlips: 0) == nil)
        #expect(SlipRule.due(Self.sale(.expired), paidBefore: false, refundSlips: 0, refundedOnSlips: 0) == nil)
        #expect(SlipRule.due(Self.sale(.declined), paidBefore: false, refundSlips: 0, refundedOnSlips: 0) == nil)
        // Partial refunds: one slip each, for the part not yet on a slip; none while one is in flight.
        #expect(SlipRule.due(Self.sale(.paid, refunded: 200), paidBefore: true, refundSlips: 0, refundedOnSlips: 0) == .init(kind: .refund, sequence: 1, amount: 200))
        #expect(SlipRule.due(Self.sale(.paid, refunded: 200, inFlight: 300), paidBefore: true, refundSlips: 1, refundedOnSlips: 200) == nil)
        #expect(SlipRule.due(Self.sale(.refunded, refunded: 1200), paidBefore: true, refundSlips: 1, refundedOnSlips: 200) == .init(kind: .refund, sequence: 2, amount: 1000))
        #expect(SlipRule.due(Self.sale(.paid, refunded: 200), paidBefore: true, refundSlips: 1, refundedOnSlips: 200) == nil)
    }

    @Test func theBusinessDayStartsWhereTheShopSaysIt() throws {
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        // 2027-01-15 01:30 in Tokyo: the day before when the day starts at 05:00, that day when it starts at midnight.
        let late = try #require(ISO8601DateFormatter().date(from: "2027-01-14T16:30:00Z"))
        #expect(SlipRule.businessDay(late, starts: 5 * 60, in: tokyo) == "2027-01-14")
        #expect(SlipRule.businessDay(late, starts: 0, in: tokyo) == "2027-01-15")
    }

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("receipts-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func slipsAreNumberedOncePerDay() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(path: folder + "/journal.sqlite")
        func slip(_ id: String, _ kind: SlipContent.Kind, day: String) throws -> Int {
            try journal.slip(saleId: id, kind: kind, sequence: 0, businessDay: day) { number in
                SlipContent(kind: kind, copy: .customer, merchantName: "M", merchantCity: "C", time: "t", terminalID: "T", slipNumber: number,
                            saleID: id, wallet: nil, maskedCode: nil, amount: 1, currency: "JPY", hostReference: nil)
            }.content.slipNumber
        }
        #expect(try slip("A", .sale, day: "2027-01-14") == 1)
        #expect(try slip("B", .sale, day: "2027-01-14") == 2)
        #expect(try slip("A", .cancel, day: "2027-01-14") == 3)
        #expect(try slip("A", .sale, day: "2027-01-14") == 1, "asking again keeps the number")
        #expect(try slip("C", .sale, day: "2027-01-15") == 1, "a new business day starts at 1")
        // And after a restart.
        let reopened = try Journal(path: folder + "/journal.sqlite")
        #expect(try reopened.slips(of: "A").map(\.content.slipNumber) == [1, 3])
    }

    @Test func aSlipThatCannotPrintIsKeptAndReprinted() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(path: folder + "/journal.sqlite")
        var merchant = PaymentRequest(merchantName: "QRPOS DEMO NOODLES", merchantCity: "OSAKA")
        merchant.alternateName = "キューアールポス麺処"
        let printer = try SimulatedPrinter(folder: folder + "/receipts", paper: .mm58)
        let desk = ReceiptDesk(printer: printer, fonts: try FontBook(languages: Self.languages), strings: Self.strings, journal: journal,
                               shop: .init(terminalID: "SIM-0001", merchant: merchant, settings: .init(), registry: Self.registry,
                                           timeZone: TimeZone(identifier: "Asia/Tokyo")!),
                               logger: Logger(label: "receipts"))
        try "paper-out".write(toFile: folder + "/receipts/printer-status", atomically: true, encoding: .utf8)
        #expect(await desk.checkStatus().status == "failing")
        await desk.saleChanged(Self.sale(.paid))
        let kept = try journal.unprintedSlips()
        #expect(kept.count == 1 && kept[0].problem?.contains("out of paper") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/receipts").filter { $0.hasSuffix(".png") }.isEmpty)
        // Paper back in: the cashier reprints; the slip says it is a reprint and keeps its number.
        try FileManager.default.removeItem(atPath: folder + "/receipts/printer-status")
        #expect(await desk.checkStatus().status == "ok")
        let reprinted = try await desk.reprint(saleId: "S1")
        #expect(reprinted.map(\.result) == ["printed"] && reprinted[0].slipNumber == "0001")
        #expect(try journal.unprintedSlips().isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/receipts").sorted()
        #expect(files.contains { $0.hasSuffix("0001-sale-customer-reprint.png") }, "\(files)")
        // The same change again prints nothing more.
        await desk.saleChanged(Self.sale(.paid))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/receipts").count == files.count)
    }

    /// A Cambodian's customer copy says its labels in Japanese and Khmer ("合計 សរុប"); the shop's copy stays in
    /// Japanese and English.
    @Test func theCustomerCopySpeaksTheShoppersLanguage() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(path: folder + "/journal.sqlite")
        let merchant = PaymentRequest(merchantName: "QRPOS DEMO NOODLES", merchantCity: "OSAKA")
        let printer = try SimulatedPrinter(folder: folder + "/receipts", paper: .mm58)
        var settings = TerminalConfig.ReceiptSettings()
        settings.merchantCopy = true
        let desk = ReceiptDesk(printer: printer, fonts: try FontBook(languages: Self.languages), strings: Self.strings, journal: journal,
                               shop: .init(terminalID: "SIM-0001", merchant: merchant, settings: settings, registry: Self.registry,
                                           languages: Self.languages),
                               logger: Logger(label: "receipts"))
        var sale = Self.sale(.paid)
        sale.wallet = "khqr"
        await desk.saleChanged(sale)
        let slip = try #require(try journal.slips(of: sale.id).first)
        #expect(slip.content.languages == ["ja", "km"])
        var english = Self.sale(.paid)
        english.id = "S2"
        await desk.saleChanged(english)
        #expect(try journal.slips(of: "S2").first?.content.languages == ["ja", "en"])
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/receipts")
        #expect(files.filter { $0.hasSuffix("-merchant.png") }.count == 2 && files.filter { $0.hasSuffix("-customer.png") }.count == 2, "\(files)")
    }
}
