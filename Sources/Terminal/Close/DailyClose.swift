import Acquirer
import Foundation
import Imaging

/// One money movement at this terminal, as the daily close counts it: a sale paid, a paid sale cancelled (取消),
/// a refund (返品). Made from the journal's slips, which are numbered for every movement whether printed or not.
public struct CloseLine: Sendable, Equatable {
    public var saleId: String
    public var kind: Settlement.Kind
    /// The order or charge id at the host.
    public var paymentId: String
    public var amount: Int
    public var currency: String
    /// Registry id of the wallet, nil when it was never learned.
    public var wallet: String?
    public init(saleId: String, kind: Settlement.Kind, paymentId: String, amount: Int, currency: String, wallet: String?) {
        self.saleId = saleId; self.kind = kind; self.paymentId = paymentId; self.amount = amount; self.currency = currency; self.wallet = wallet
    }
}

/// The daily close (日計) of one business day: totals per wallet and in all, and how they match the acquirer's.
/// Pure values; `CloseDesk` reads the journal and the host and stores a closed day, which never changes again.
public struct CloseReport: Codable, Sendable, Equatable {
    public struct Totals: Codable, Sendable, Equatable {
        public var count = 0
        public var amount = 0
        public init(count: Int = 0, amount: Int = 0) { self.count = count; self.amount = amount }
    }

    /// A wallet's line (or the total's): counts and amounts of sales, cancels and refunds, and what is left.
    public struct WalletTotals: Codable, Sendable, Equatable {
        /// Registry id, "unknown" for a payment whose wallet the terminal never learned, "all" for the total.
        public var wallet: String
        public var sales = Totals()
        public var cancels = Totals()
        public var refunds = Totals()
        public var net: Int { sales.amount - cancels.amount - refunds.amount }
        public init(wallet: String) { self.wallet = wallet }

        mutating func add(_ kind: Settlement.Kind, _ amount: Int) {
            switch kind {
            case .sale: sales.count += 1; sales.amount += amount
            case .cancel: cancels.count += 1; cancels.amount += amount
            case .refund: refunds.count += 1; refunds.amount += amount
            }
        }

        enum CodingKeys: String, CodingKey { case wallet, sales, cancels, refunds, net }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            wallet = try c.decode(String.self, forKey: .wallet); sales = try c.decode(Totals.self, forKey: .sales)
            cancels = try c.decode(Totals.self, forKey: .cancels); refunds = try c.decode(Totals.self, forKey: .refunds)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(wallet, forKey: .wallet); try c.encode(sales, forKey: .sales); try c.encode(cancels, forKey: .cancels)
            try c.encode(refunds, forKey: .refunds); try c.encode(net, forKey: .net)
        }
    }

    /// A payment whose movements of one kind add up differently here and at the host.
    public struct Difference: Codable, Sendable, Equatable {
        /// The terminal's sale, when the terminal knows it (a host-only payment is named by its payment id).
        public var saleId: String
        public var paymentId: String
        public var kind: Settlement.Kind
        public var terminalAmount: Int
        public var hostAmount: Int
    }

    /// The match with the acquirer's settlement for the same terminal and time range.
    public struct Reconciliation: Codable, Sendable, Equatable {
        public var checkedAt: Date
        /// The acquirer's totals in all.
        public var host: WalletTotals
        public var differences: [Difference]
        public var matched: Bool { differences.isEmpty }

        enum CodingKeys: String, CodingKey { case checkedAt, host, differences, matched }
        public init(checkedAt: Date, host: WalletTotals, differences: [Difference]) {
            self.checkedAt = checkedAt; self.host = host; self.differences = differences
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            checkedAt = try c.decode(Date.self, forKey: .checkedAt); host = try c.decode(WalletTotals.self, forKey: .host)
            differences = try c.decode([Difference].self, forKey: .differences)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(checkedAt, forKey: .checkedAt); try c.encode(host, forKey: .host)
            try c.encode(differences, forKey: .differences); try c.encode(matched, forKey: .matched)
        }
    }

    public var businessDay: String
    public var terminalId: String
    public var currency: String
    /// The business day's time range, [from, to).
    public var from: Date
    public var to: Date
    /// Wallets in the registry's order of first appearance, sorted by id for a stable report.
    public var wallets: [WalletTotals]
    public var total: WalletTotals
    /// Set once the day is closed: the report is stored and never changes again.
    public var closedAt: Date?
    /// nil when the host could not be asked (`hostProblem` says why).
    public var reconciliation: Reconciliation?
    public var hostProblem: String?

    /// Totals of `lines` (the day's movements at this terminal).
    public static func totals(businessDay: String, terminalId: String, currency: String, from: Date, to: Date, lines: [CloseLine]) -> CloseReport {
        var byWallet: [String: WalletTotals] = [:]
        var total = WalletTotals(wallet: "all")
        for line in lines {
            let wallet = line.wallet ?? "unknown"
            byWallet[wallet, default: WalletTotals(wallet: wallet)].add(line.kind, line.amount)
            total.add(line.kind, line.amount)
        }
        return CloseReport(businessDay: businessDay, terminalId: terminalId, currency: currency, from: from, to: to,
                           wallets: byWallet.values.sorted { $0.wallet < $1.wallet }, total: total)
    }

    /// Matches the terminal's movements with the host's, payment by payment and kind by kind.
    public static func reconcile(_ lines: [CloseLine], with settlement: Settlement, at now: Date) -> Reconciliation {
        struct Key: Hashable { var paymentId: String; var kind: Settlement.Kind }
        var here: [Key: Int] = [:], there: [Key: Int] = [:], sale: [String: String] = [:]
        var host = WalletTotals(wallet: "all")
        for line in lines { here[Key(paymentId: line.paymentId, kind: line.kind), default: 0] += line.amount; sale[line.paymentId] = line.saleId }
        for item in settlement.items {
            there[Key(paymentId: item.paymentId, kind: item.kind), default: 0] += item.amount
            host.add(item.kind, item.amount)
        }
        let differences = Set(here.keys).union(there.keys).compactMap { key -> Difference? in
            let mine = here[key] ?? 0, theirs = there[key] ?? 0
            guard mine != theirs else { return nil }
            return Difference(saleId: sale[key.paymentId] ?? saleId(ofPayment: key.paymentId), paymentId: key.paymentId, kind: key.kind,
                              terminalAmount: mine, hostAmount: theirs)
        }
        return Reconciliation(checkedAt: now, host: host, differences: differences.sorted { ($0.saleId, $0.kind.rawValue) < ($1.saleId, $1.kind.rawValue) })
    }

    /// The sale a host payment id belongs to: a charge id is the sale id and "-cN" (Sale.chargeID).
    static func saleId(ofPayment id: String) -> String {
        guard let dash = id.range(of: "-c", options: .backwards), Int(id[dash.upperBound...]) != nil else { return id }
        return String(id[..<dash.lowerBound])
    }

    /// The business day `day` ("2026-12-02") as a time range: from its start (minutes after midnight) to the next day's.
    public static func range(of day: String, starts minutes: Int, in zone: TimeZone) -> (from: Date, to: Date)? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let midnight = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              SlipRule.businessDay(midnight.addingTimeInterval(Double(minutes) * 60), starts: minutes, in: zone) == day,
              let next = calendar.date(byAdding: .day, value: 1, to: midnight) else { return nil }
        return (midnight.addingTimeInterval(Double(minutes) * 60), next.addingTimeInterval(Double(minutes) * 60))
    }

    /// The business day after `day`.
    public static func day(after day: String, starts minutes: Int, in zone: TimeZone) -> String? {
        range(of: day, starts: minutes, in: zone).map { SlipRule.businessDay($0.to, starts: minutes, in: zone) }
    }

    /// The report as CSV for a spreadsheet: one row per wallet and the total, then one row per difference.
    public var csv: String {
        var rows = ["business_day,wallet,sales_count,sales_amount,cancels_count,cancels_amount,refunds_count,refunds_amount,net,currency"]
        for line in wallets + [total] {
            rows.append([businessDay, line.wallet, "\(line.sales.count)", "\(line.sales.amount)", "\(line.cancels.count)", "\(line.cancels.amount)",
                         "\(line.refunds.count)", "\(line.refunds.amount)", "\(line.net)", currency].joined(separator: ","))
        }
        if let reconciliation {
            rows.append("")
            rows.append("difference,sale_id,payment_id,kind,terminal_amount,host_amount")
            for d in reconciliation.differences {
                rows.append(["difference", d.saleId, d.paymentId, d.kind.rawValue, "\(d.terminalAmount)", "\(d.hostAmount)"].joined(separator: ","))
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
