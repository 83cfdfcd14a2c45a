/// What the daily close report (日計表) says on paper and as a picture: per wallet and in all, the counts and
/// amounts of sales, cancels and refunds, and whether the acquirer's totals match. Drawn like a slip, as a raster.
public struct CloseSheet: Sendable, Equatable {
    public struct Block: Sendable, Equatable {
        /// The wallet's name as the cashier knows it; nil for the total of all wallets.
        public var title: String?
        public var salesCount: Int, salesAmount: Int
        public var cancelsCount: Int, cancelsAmount: Int
        public var refundsCount: Int, refundsAmount: Int
        public var net: Int
        public init(title: String?, salesCount: Int, salesAmount: Int, cancelsCount: Int, cancelsAmount: Int, refundsCount: Int, refundsAmount: Int, net: Int) {
            self.title = title; self.salesCount = salesCount; self.salesAmount = salesAmount; self.cancelsCount = cancelsCount
            self.cancelsAmount = cancelsAmount; self.refundsCount = refundsCount; self.refundsAmount = refundsAmount; self.net = net
        }
    }

    public enum Check: Sendable, Equatable {
        case matched
        /// One line per difference ("S123… sale: terminal ¥1,000, host ¥0").
        case differs([String])
        /// The host could not be asked; why.
        case notChecked(String)
    }

    public var merchantName: String
    public var businessDay: String
    public var terminalID: String
    /// Local time the report was made, as printed.
    public var time: String
    public var currency: String
    public var wallets: [Block]
    public var total: Block
    public var check: Check
    /// Closed (final) or a running total of a day still open (中間計).
    public var closed: Bool
    public var languages: [String]

    public init(merchantName: String, businessDay: String, terminalID: String, time: String, currency: String, wallets: [Block], total: Block,
                check: Check, closed: Bool, languages: [String] = ["ja", "en"]) {
        self.merchantName = merchantName; self.businessDay = businessDay; self.terminalID = terminalID; self.time = time; self.currency = currency
        self.wallets = wallets; self.total = total; self.check = check; self.closed = closed; self.languages = languages.isEmpty ? ["ja", "en"] : languages
    }
}

public enum CloseSheetLayout {
    public static func layout(_ sheet: CloseSheet, strings: UIStrings, width: Int) -> (elements: [ScreenElement], height: Int) {
        var paper = Paper(width: width, strings: strings, languages: sheet.languages)
        let line = width / 16
        let margin = paper.margin, inner = paper.inner
        func money(_ amount: Int, negative: Bool = false) -> String {
            (negative && amount > 0 ? "-" : "") + ScreenContent.formatAmount(amount, currency: sheet.currency)
        }
        let labelWidth = inner * 9 / 20, countWidth = inner * 3 / 20
        func row(_ key: String, count: Int?, amount: String) {
            paper.text(paper.label(key), height: line * 4 / 5, alignment: .leading, w: labelWidth)
            if let count { paper.text("\(count)", height: line * 4 / 5, x: margin + labelWidth, w: countWidth) }
            paper.text(amount, height: line * 4 / 5, alignment: .leading, x: margin + labelWidth + countWidth, w: inner - labelWidth - countWidth)
            paper.y += line
        }
        func block(_ b: CloseSheet.Block) {
            paper.text(b.title ?? paper.label("close_all"), height: line, alignment: .leading); paper.y += line
            row("close_sales", count: b.salesCount, amount: money(b.salesAmount))
            row("close_cancels", count: b.cancelsCount, amount: money(b.cancelsAmount, negative: true))
            row("close_refunds", count: b.refundsCount, amount: money(b.refundsAmount, negative: true))
            row("close_net", count: nil, amount: money(b.net))
            paper.y += line / 3
        }
        func note(_ text: String, height: Int) { paper.text(text, height: height, alignment: .leading); paper.y += height }

        paper.text(sheet.merchantName, height: line * 3 / 2); paper.y += line * 3 / 2
        paper.text(paper.label(sheet.closed ? "close_title" : "close_running"), height: line * 3 / 2); paper.y += line * 3 / 2
        paper.rule(line: line)
        for (key, value) in [("close_business_day", sheet.businessDay), ("slip_terminal", sheet.terminalID), ("slip_date", sheet.time)] {
            paper.text(paper.label(key), height: line * 4 / 5, alignment: .leading, w: inner / 2)
            paper.text(value, height: line * 4 / 5, alignment: .leading, x: margin + inner / 2, w: inner / 2)
            paper.y += line
        }
        paper.rule(line: line)
        for wallet in sheet.wallets { block(wallet) }
        paper.rule(line: line)
        block(sheet.total)
        paper.rule(line: line)
        switch sheet.check {
        case .matched:
            note(paper.label("close_matched"), height: line)
        case let .differs(lines):
            note(paper.label("close_differs"), height: line)
            for difference in lines { note(difference, height: line * 3 / 4) }
        case let .notChecked(why):
            note(paper.label("close_not_checked"), height: line)
            note(why, height: line * 3 / 4)
        }
        paper.y += line * 2
        return (paper.elements, paper.y)
    }
}

extension ScreenPainter {
    /// Paints the close report for paper (or a PNG) `width` dots wide, as the printer's 1-bit raster.
    public func renderCloseSheet(_ sheet: CloseSheet, strings: UIStrings, width: Int) throws(Failure) -> MonoImage {
        let (elements, height) = CloseSheetLayout.layout(sheet, strings: strings, width: width)
        let (canvas, _) = try paint(elements, width: width, height: height)
        return MonoImage(canvas)
    }
}
