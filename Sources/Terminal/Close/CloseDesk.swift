import Acquirer
import Foundation
import Imaging
import Logging
import PaymentCodes

/// The daily close (日計) at this terminal: the day's movements from the journal's slips, matched with the
/// acquirer's settlement, stored once closed (a closed day never changes), printed and given out as JSON, CSV, PNG.
public actor CloseDesk {
    public struct Shop: Sendable {
        public var terminalID: String
        public var merchantName: String
        public var currency: String
        /// Minutes after midnight a business day starts.
        public var dayStarts: Int
        public var timeZone: TimeZone
        public var registry: WalletRegistry
        public init(terminalID: String, merchantName: String, currency: String, dayStarts: Int, timeZone: TimeZone = .current, registry: WalletRegistry) {
            self.terminalID = terminalID; self.merchantName = merchantName; self.currency = currency; self.dayStarts = dayStarts
            self.timeZone = timeZone; self.registry = registry
        }
    }

    public enum Refusal: Error, CustomStringConvertible {
        case badDay(String)
        case alreadyClosed(String)
        /// The acquirer could not be asked; the day stays open.
        case hostUnavailable(String)
        case journal(String)
        public var description: String {
            switch self {
            case let .badDay(text): "date must be a business day as YYYY-MM-DD, not \"\(text.prefix(32))\""
            case let .alreadyClosed(day): "the business day \(day) is already closed; its report does not change (GET /v1/reports/close?date=\(day))"
            case let .hostUnavailable(why): "the acquirer's settlement cannot be read (\(why)); the day stays open: close again when it answers"
            case let .journal(why): "the journal cannot be read: \(why)"
            }
        }
    }

    private let journal: Journal
    private let link: any AcquirerLink
    private let paper: ReceiptDesk
    private let shop: Shop
    private let logger: Logger

    public init(journal: Journal, link: any AcquirerLink, paper: ReceiptDesk, shop: Shop, logger: Logger) {
        self.journal = journal; self.link = link; self.paper = paper; self.shop = shop; self.logger = logger
    }

    /// The business day `now` belongs to.
    public func today(_ now: Date = Date()) -> String { SlipRule.businessDay(now, starts: shop.dayStarts, in: shop.timeZone) }

    /// A day's report: as closed when it is, otherwise the running totals matched with the host as it stands now
    /// (a host that cannot be asked leaves `reconciliation` nil and says why).
    public func report(_ day: String?, now: Date = Date()) async throws(Refusal) -> CloseReport {
        let day = day ?? today(now)
        guard let range = CloseReport.range(of: day, starts: shop.dayStarts, in: shop.timeZone) else { throw .badDay(day) }
        do {
            if let stored = try journal.closedReport(day) { return try WireFormat.decoder().decode(CloseReport.self, from: stored) }
        } catch { throw .journal("\(error)") }
        let lines = try lines(day)
        var report = CloseReport.totals(businessDay: day, terminalId: shop.terminalID, currency: shop.currency, from: range.from, to: range.to, lines: lines)
        switch await link.settlement(from: range.from, to: range.to) {
        case let .done(settlement): report.reconciliation = CloseReport.reconcile(lines, with: settlement, at: now)
        case let .refused(refusal): report.hostProblem = refusal.description
        case let .unknown(unknown): report.hostProblem = unknown.description
        case let .unreachable(why): report.hostProblem = why
        }
        return report
    }

    /// Closes a day (today's business day when nil): matched with the host, stored, then printed when the board
    /// has a printer. A day that cannot be matched stays open unless `force` (the report then says it was not checked).
    @discardableResult
    public func close(_ day: String?, force: Bool = false, now: Date = Date()) async throws(Refusal) -> CloseReport {
        let day = day ?? today(now)
        let closed: Bool
        do { closed = try journal.isClosed(day) } catch { throw .journal("\(error)") }
        if closed { throw .alreadyClosed(day) }
        var report = try await report(day, now: now)
        if let problem = report.hostProblem, !force { throw .hostUnavailable(problem) }
        report.closedAt = now
        do {
            let stored = try WireFormat.encoder().encode(report)
            try journal.close(day, at: now, report: stored)
            report = try WireFormat.decoder().decode(CloseReport.self, from: stored) // exactly as it will be read back
        } catch is Journal.AlreadyClosed { throw .alreadyClosed(day) } catch { throw .journal("\(error)") }
        let matched = report.reconciliation.map { $0.matched ? "matches the acquirer" : "\($0.differences.count) difference(s) with the acquirer" } ?? "not checked with the acquirer"
        logger.notice("business day \(day) closed: \(report.total.sales.count) sale(s), net \(report.total.net) \(shop.currency); \(matched)")
        let printed = await (try? paper.closeSheet(sheet(report, now: now), print: true))?.printed
        if let printed, printed != "printed" { logger.warning("close report for \(day) not printed: \(printed)") }
        return report
    }

    /// The report as the printed sheet says it, drawn at 576 dots (80 mm) or the printer's width.
    public func picture(_ report: CloseReport, now: Date = Date()) async throws -> MonoImage {
        try await paper.closeSheet(sheet(report, now: now), print: false).image
    }

    /// Prints a day's report again (the stored one when closed).
    public func reprint(_ day: String?, now: Date = Date()) async throws -> String {
        let report = try await report(day, now: now)
        return try await paper.closeSheet(sheet(report, now: now), print: true).printed ?? "not printed"
    }

    /// Closes the business day when the terminal file's automatic close time has come and the day is still open.
    public func closeIfDue(at minutes: Int, now: Date = Date()) async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = shop.timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: now)
        let sinceMidnight = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        // Minutes since the day's start, so a close time after midnight (02:00 for a day starting 05:00) still counts.
        func sinceStart(_ m: Int) -> Int { (m - shop.dayStarts + 1440) % 1440 }
        guard sinceStart(sinceMidnight) >= sinceStart(minutes), (try? journal.isClosed(today(now))) == false else { return }
        do { try await close(nil, now: now) } catch {
            logger.error("automatic close of \(today(now)): \(error)")
        }
    }

    // MARK: reading the day

    private func lines(_ day: String) throws(Refusal) -> [CloseLine] {
        do {
            var wallets: [String: String?] = [:]
            return try journal.slips(businessDay: day).map { slip in
                if wallets[slip.saleId] == nil { wallets[slip.saleId] = .some(try journal.sale(slip.saleId)?.wallet) }
                let kind: Settlement.Kind = switch slip.kind { case .sale: .sale; case .cancel: .cancel; case .refund: .refund }
                return CloseLine(saleId: slip.saleId, kind: kind, paymentId: slip.content.hostReference ?? slip.saleId, amount: slip.content.amount,
                                 currency: slip.content.currency, wallet: wallets[slip.saleId] ?? nil)
            }
        } catch { throw .journal("\(error)") }
    }

    func sheet(_ report: CloseReport, now: Date) -> CloseSheet {
        func block(_ totals: CloseReport.WalletTotals, title: String?) -> CloseSheet.Block {
            .init(title: title, salesCount: totals.sales.count, salesAmount: totals.sales.amount, cancelsCount: totals.cancels.count,
                  cancelsAmount: totals.cancels.amount, refundsCount: totals.refunds.count, refundsAmount: totals.refunds.amount, net: totals.net)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = shop.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let check: CloseSheet.Check
        if let reconciliation = report.reconciliation {
            check = reconciliation.matched ? .matched : .differs(reconciliation.differences.map { d in
                "\(d.saleId) \(d.kind.rawValue): \(ScreenContent.formatAmount(d.terminalAmount, currency: report.currency)) / host \(ScreenContent.formatAmount(d.hostAmount, currency: report.currency))"
            })
        } else {
            check = .notChecked(report.hostProblem ?? "")
        }
        return CloseSheet(merchantName: shop.merchantName, businessDay: report.businessDay, terminalID: report.terminalId,
                          time: formatter.string(from: report.closedAt ?? now), currency: report.currency,
                          wallets: report.wallets.map { block($0, title: shop.registry.entry($0.wallet)?.name(for: "ja") ?? $0.wallet) },
                          total: block(report.total, title: nil), check: check, closed: report.closedAt != nil)
    }
}
