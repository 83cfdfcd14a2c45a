/// What a sale slip says: everything that varies between slips, as plain values. `SlipLayout` places it; the
/// printer backends only get the finished 1-bit picture, so every language prints as it shows on screen.
public struct SlipContent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case sale, cancel, refund }
    public enum Copy: String, Sendable, Codable, CaseIterable { case customer, merchant }

    public var kind: Kind
    public var copy: Copy
    public var merchantName: String
    /// The merchant's name in the slip's second language, when it differs.
    public var merchantNameOther: String?
    public var merchantCity: String
    /// Local date and time as printed ("2026-12-02 10:15").
    public var time: String
    public var terminalID: String
    /// Per terminal and business day, from 1.
    public var slipNumber: Int
    public var saleID: String
    /// The wallet's name as the shopper knows it.
    public var wallet: String?
    /// Only ever the masked form (LogMask): a slip is a public piece of paper.
    public var maskedCode: String?
    public var amount: Int
    public var currency: String
    /// The host's reference for the payment (order or charge id).
    public var hostReference: String?
    /// Label languages, first the main one (ja, then en at a Japanese counter).
    public var languages: [String]
    /// Printed again on request (再発行): said on the slip, so it is never taken for a second payment.
    public var reprint = false

    public init(kind: Kind, copy: Copy, merchantName: String, merchantNameOther: String? = nil, merchantCity: String, time: String,
                terminalID: String, slipNumber: Int, saleID: String, wallet: String?, maskedCode: String?, amount: Int, currency: String,
                hostReference: String?, languages: [String] = ["ja", "en"]) {
        self.kind = kind; self.copy = copy; self.merchantName = merchantName; self.merchantNameOther = merchantNameOther
        self.merchantCity = merchantCity; self.time = time; self.terminalID = terminalID; self.slipNumber = slipNumber; self.saleID = saleID
        self.wallet = wallet; self.maskedCode = maskedCode; self.amount = amount; self.currency = currency; self.hostReference = hostReference
        self.languages = languages.isEmpty ? ["ja", "en"] : languages
    }

    /// What the QR on the slip carries: the sale id, so a refund can start by scanning the slip.
    public var code: String { "QRPOS-SALE:" + saleID }

    /// The printed slip number: four digits, as counters print 伝票番号.
    public var slipNumberText: String { String(repeating: "0", count: max(0, 4 - String(slipNumber).count)) + String(slipNumber) }
}

/// Places a slip on paper `width` dots wide (384 for 58 mm, 576 for 80 mm): pure, boxes only.
public enum SlipLayout {
    public static func layout(_ slip: SlipContent, strings: UIStrings, width: Int) -> (elements: [ScreenElement], height: Int) {
        var paper = Paper(width: width, strings: strings, languages: slip.languages)
        let line = width / 14            // about 27 dots on 58 mm paper: 3.4 mm text
        let margin = paper.margin, inner = paper.inner

        paper.text(slip.merchantName, height: line * 3 / 2); paper.y += line * 3 / 2
        if let other = slip.merchantNameOther, other != slip.merchantName {
            paper.text(other, height: line, language: paper.secondary ?? paper.primary); paper.y += line
        }
        paper.text(slip.merchantCity, height: line * 4 / 5); paper.y += line
        paper.text(paper.label("slip_\(slip.kind.rawValue)"), height: line * 3 / 2); paper.y += line * 3 / 2
        paper.text(paper.label("slip_\(slip.copy.rawValue)_copy"), height: line * 4 / 5); paper.y += line
        if slip.reprint { paper.text(paper.label("slip_reprint"), height: line); paper.y += line }
        paper.rule(line: line)
        var rows: [(String, String)] = [("slip_date", slip.time), ("slip_terminal", slip.terminalID), ("slip_number", slip.slipNumberText),
                                        ("slip_sale_id", slip.saleID)]
        if let wallet = slip.wallet { rows.append(("slip_wallet", wallet)) }
        if let code = slip.maskedCode { rows.append(("slip_code", code)) }
        if let reference = slip.hostReference { rows.append(("slip_host_reference", reference)) }
        let labelWidth = inner / 2
        for (key, value) in rows {
            paper.text(paper.label(key), height: line * 4 / 5, alignment: .leading, w: labelWidth)
            paper.text(value, height: line * 4 / 5, alignment: .leading, x: margin + labelWidth, w: inner - labelWidth)
            paper.y += line
        }
        paper.rule(line: line)
        let amount = ScreenContent.formatAmount(slip.amount, currency: slip.currency)
        paper.text(paper.label("slip_total"), height: line, alignment: .leading, w: labelWidth)
        paper.text(slip.kind == .sale ? amount : "-" + amount, height: line * 2, x: margin + labelWidth, w: inner - labelWidth)
        paper.y += line * 2 + line / 2
        let side = width / 2
        paper.elements.append(.qr(payload: slip.code, box: Rect(x: (width - side) / 2, y: paper.y, width: side, height: side)))
        paper.y += side + line * 2     // room before the cutter
        return (paper.elements, paper.y)
    }
}

extension ScreenPainter {
    /// Paints a slip for paper `width` dots wide and gives the printer's 1-bit raster with what was drawn.
    public func renderSlip(_ slip: SlipContent, strings: UIStrings, width: Int) throws(Failure) -> (MonoImage, Drawn) {
        let (elements, height) = SlipLayout.layout(slip, strings: strings, width: width)
        let (canvas, drawn) = try paint(elements, width: width, height: height)
        return (MonoImage(canvas), drawn)
    }
}
