import Acquirer
import Devices
import Foundation
import Imaging
import Logging
import PaymentCodes

/// Slips for sales that end here: which slip a sale's change calls for (pure, `SlipRule`), numbered in the
/// journal, drawn by our own text code and printed; one that could not print stays in the journal for reprint.
/// Every money movement gets its numbered slip in the journal, printer or not: the daily close counts them.
/// The printer's status is read for the cashier, health and the self-test.
public actor ReceiptDesk {
    public struct Shop: Sendable {
        public var terminalID: String
        public var merchant: PaymentRequest
        public var settings: TerminalConfig.ReceiptSettings
        public var registry: WalletRegistry
        public var timeZone: TimeZone
        /// The languages the counter speaks: the customer copy's labels are in Japanese and the shopper's language.
        public var languages: Languages?
        public init(terminalID: String, merchant: PaymentRequest, settings: TerminalConfig.ReceiptSettings, registry: WalletRegistry,
                    timeZone: TimeZone = .current, languages: Languages? = nil) {
            self.terminalID = terminalID; self.merchant = merchant; self.settings = settings; self.registry = registry; self.timeZone = timeZone
            self.languages = languages
        }
    }

    /// nil on a board without a printer: slips are numbered and kept, never printed.
    private let printer: (any Printer)?
    private let painter: ScreenPainter
    private let strings: UIStrings
    private let journal: Journal
    private let shop: Shop
    private let logger: Logger
    /// What the last status read said: nil when the printer prints, else why not.
    public private(set) var problem: String?

    private let changes: AsyncStream<Sale>
    private nonisolated let inbox: AsyncStream<Sale>.Continuation
    public nonisolated let printerDescription: String

    public init(printer: sending (any Printer)?, fonts: sending FontBook, strings: UIStrings, journal: Journal, shop: Shop, logger: Logger) {
        printerDescription = printer?.description ?? "no printer"
        self.printer = printer; painter = ScreenPainter(fonts: fonts); self.strings = strings; self.journal = journal; self.shop = shop; self.logger = logger
        (changes, inbox) = AsyncStream.makeStream(of: Sale.self)
    }

    /// Queues a sale's change, in the order the runner committed it; `run` prints what it calls for.
    public nonisolated func send(_ sale: Sale) { inbox.yield(sale) }

    /// Told each slip's number as it is given (the paid screen shows it).
    private var numbered: @Sendable (String, String) -> Void = { _, _ in }
    public func onNumbered(_ listener: @escaping @Sendable (_ saleId: String, _ slipNumber: String) -> Void) { numbered = listener }
    public nonisolated func finish() { inbox.finish() }

    public func run() async {
        for await sale in changes { saleChanged(sale) }
    }

    /// A sale changed: number the slip it calls for, and print it if the terminal file says so.
    public func saleChanged(_ sale: Sale, printing: Bool = true) {
        let paidBefore = (try? journal.transitions(of: sale.id).contains { $0.toState == SaleState.paid.rawValue }) ?? false
        let refundSlips = ((try? journal.slips(of: sale.id)) ?? []).filter { $0.kind == .refund }
        guard let due = SlipRule.due(sale, paidBefore: paidBefore, refundSlips: refundSlips.count,
                                     refundedOnSlips: refundSlips.map(\.content.amount).reduce(0, +)) else { return }
        _ = issue(sale, due, printing: printing && printer != nil && shop.settings.automatic.contains(due.kind))
    }

    /// At start-up: movements of finished sales that a crash kept from their slip are numbered now (not printed: the
    /// shopper has gone), so the daily close misses none.
    /// Only sales that changed in the current business day: older ones belong to days that may be closed, and a
    /// journal from before every movement had a slip would otherwise pour its history into today's close.
    public func catchUp(_ sales: [Sale], now: Date = Date()) {
        let today = SlipRule.businessDay(now, starts: shop.settings.dayStarts, in: shop.timeZone)
        for sale in sales where [.paid, .cancelled, .refunded].contains(sale.state)
            && SlipRule.businessDay(sale.updatedAt, starts: shop.settings.dayStarts, in: shop.timeZone) == today {
            saleChanged(sale, printing: false)
        }
    }

    /// What a reprint did with one slip.
    public struct Reprint: Encodable, Sendable {
        public var slipNumber: String
        public var kind: String
        public var businessDay: String
        /// "printed", or why not (the slip stays kept for another reprint).
        public var result: String
    }

    /// Prints every slip of a sale again (the customer copy); answers what happened per slip.
    public func reprint(saleId: String) throws -> [Reprint] {
        guard printer != nil else { throw NoPrinter() }
        return try journal.slips(of: saleId).map { slip in
            Reprint(slipNumber: slip.content.slipNumberText, kind: slip.kind.rawValue, businessDay: slip.businessDay,
                    result: print(slip, copies: [.customer], reprint: true))
        }
    }

    /// The printer's own status: nil when it prints, the reason when it cannot; a warning is logged.
    public func checkStatus() -> PartHealth {
        guard let printer else { return .absent }
        do {
            guard let status = try printer.status() else { problem = nil; return .ok("\(printer.description) (no status from this printer)") }
            problem = status.problem
            if let problem = status.problem { return .failing("\(printer.description): \(problem)") }
            if let warning = status.warning { return .warning("\(printer.description): \(warning)") }
            return .ok(printer.description)
        } catch {
            problem = error.description
            return .failing(error.description)
        }
    }

    public struct NoPrinter: Error, CustomStringConvertible {
        public var description: String { "this board has no receipt printer (board.toml [printer])" }
    }

    @discardableResult
    func issue(_ sale: Sale, _ due: SlipRule.Due, printing: Bool = true) -> String {
        let when = Date()
        let starts = shop.settings.dayStarts, zone = shop.timeZone
        do {
            let record = try journal.slip(saleId: sale.id, kind: due.kind, sequence: due.sequence, businessDay: SlipRule.businessDay(when, starts: starts, in: zone),
                                          nextDay: { CloseReport.day(after: $0, starts: starts, in: zone) }) { number in
                content(sale, due, number: number, at: when)
            }
            numbered(record.saleId, record.content.slipNumberText)
            guard !record.printed else { return "already printed" }
            guard printing else { return "kept" }
            return print(record, copies: shop.settings.merchantCopy ? [.customer, .merchant] : [.customer])
        } catch {
            logger.error("slip for \(sale.id): \(error)")
            return "\(error)"
        }
    }

    private func print(_ record: Journal.SlipRecord, copies: [SlipContent.Copy], reprint: Bool = false) -> String {
        guard let printer else { return NoPrinter().description }
        var problem: String?
        for copy in copies {
            var slip = record.content
            slip.copy = copy
            slip.reprint = reprint
            if copy == .merchant { slip.languages = ["ja", "en"] } // the shop's copy is read by the shop
            do {
                let (image, _) = try painter.renderSlip(slip, strings: strings, width: printer.dots)
                try printer.print(image, named: "\(record.businessDay)-\(slip.slipNumberText)-\(record.kind.rawValue)-\(copy.rawValue)\(reprint ? "-reprint" : "")")
            } catch {
                problem = "\(error)"
                break
            }
        }
        try? journal.markSlip(record, printed: problem == nil, problem: problem)
        if let problem { logger.error("slip \(record.content.slipNumberText) for \(record.saleId) not printed, kept for reprint: \(problem)") }
        else { logger.info("slip \(record.content.slipNumberText) printed for \(record.saleId) (\(record.kind.rawValue))") }
        self.problem = problem
        return problem ?? "printed"
    }

    /// Paints the daily close report at the printer's width (576 dots, 80 mm, without one) and prints it when asked.
    public func closeSheet(_ sheet: CloseSheet, print wanted: Bool) throws -> (image: MonoImage, printed: String?) {
        let image = try painter.renderCloseSheet(sheet, strings: strings, width: printer?.dots ?? 576)
        guard wanted else { return (image, nil) }
        guard let printer else { return (image, NoPrinter().description) }
        do {
            try printer.print(image, named: "\(sheet.businessDay)-close\(sheet.closed ? "" : "-running")")
            return (image, "printed")
        } catch { return (image, "\(error)") }
    }

    func content(_ sale: Sale, _ due: SlipRule.Due, number: Int, at when: Date) -> SlipContent {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = shop.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let merchant = shop.merchant
        return SlipContent(kind: due.kind, copy: .customer, merchantName: merchant.alternateName ?? merchant.merchantName,
                           merchantNameOther: merchant.alternateName == nil ? nil : merchant.merchantName, merchantCity: merchant.merchantCity,
                           time: formatter.string(from: when), terminalID: shop.terminalID, slipNumber: number, saleID: sale.id,
                           wallet: sale.wallet.flatMap { shop.registry.entry($0)?.name(for: "ja") ?? $0 }, maskedCode: sale.maskedCode,
                           amount: due.amount, currency: sale.currency, hostReference: sale.hostID,
                           languages: ["ja", customerLanguage(sale)])
    }

    /// The second language of the customer copy: the shopper's (a visitor reads "合計 សរុប"), else English.
    func customerLanguage(_ sale: Sale) -> String {
        let shopper = shop.languages.flatMap { ShopperLanguage.of(sale, registry: shop.registry, languages: $0) }
        return shopper.map { $0 == "ja" ? "en" : $0 } ?? "en"
    }
}

/// Which slip a sale's state calls for: pure, so each case is tested alone.
public enum SlipRule {
    public struct Due: Equatable, Sendable {
        public var kind: SlipContent.Kind
        public var sequence: Int
        public var amount: Int
    }

    /// Paid: the sale slip. Cancelled after it was paid (a reversal, 取消): the cancel slip. A refund that has
    /// finished (返品): one slip per refund, for the amount not yet on a slip. Nothing else prints.
    public static func due(_ sale: Sale, paidBefore: Bool, refundSlips: Int, refundedOnSlips: Int) -> Due? {
        switch sale.state {
        case .paid where sale.refundInFlight == 0 && sale.refundedAmount > refundedOnSlips:
            return Due(kind: .refund, sequence: refundSlips + 1, amount: sale.refundedAmount - refundedOnSlips)
        case .paid where sale.refundedAmount == 0:
            return Due(kind: .sale, sequence: 0, amount: sale.amount)
        case .refunded where sale.refundedAmount > refundedOnSlips:
            return Due(kind: .refund, sequence: refundSlips + 1, amount: sale.refundedAmount - refundedOnSlips)
        case .cancelled where paidBefore:
            return Due(kind: .cancel, sequence: 0, amount: sale.amount)
        default:
            return nil
        }
    }

    /// The business day of `date`: the local calendar day, moved back one when before the day's start (minutes).
    public static func businessDay(_ date: Date, starts minutes: Int, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let shifted = date.addingTimeInterval(-Double(minutes) * 60)
        let parts = calendar.dateComponents([.year, .month, .day], from: shifted)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
