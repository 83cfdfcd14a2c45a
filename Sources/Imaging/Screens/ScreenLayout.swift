/// One thing on a screen, in logical (unrotated) pixels.
public enum ScreenElement: Sendable {
    case fill(Rect, Color)
    case text(TextItem)
    case qr(payload: String, box: Rect)
}

public struct TextItem: Sendable {
    public enum Alignment: Sendable { case leading, center }
    public var text: String
    public var language: String
    /// The area the text must stay inside.
    public var box: Rect
    public var maximumSize: Int
    public var color: Color
    public var alignment: Alignment
    /// At most this many lines (a sentence may break in two where its script allows, rather than shrink).
    public var lines: Int = 1
}

/// Palette: what each state looks like from across the counter. The high-contrast one keeps every colour at 7:1
/// or more against white (WCAG AAA), for white text on the header and coloured text on the page alike.
struct Palette: Sendable {
    var ink: Color, muted: Color, paper: Color
    var ready: Color, waiting: Color, paid: Color, declined: Color, neutral: Color, technician: Color

    static let standard = Palette(ink: Color(0x1A1A1A), muted: Color(0x5A5A5A), paper: .white, ready: Color(0x1565C0), waiting: Color(0xE69500),
                                  paid: Color(0x2E7D32), declined: Color(0xC62828), neutral: Color(0x546E7A), technician: Color(0x6A1B9A))
    static let highContrast = Palette(ink: .black, muted: .black, paper: .white, ready: Color(0x0D3C8C), waiting: Color(0x6B3A00),
                                      paid: Color(0x0F4A14), declined: Color(0x8E0F0F), neutral: Color(0x263238), technician: Color(0x4A148C))
    static func of(_ content: ScreenContent) -> Palette { content.largeText ? highContrast : standard }
}

/// How much room sentences get, as their bands' weights: larger for the large-text option.
struct TextScale: Sendable {
    var title: Int, amount: Int, other: Int, detail: Int
    static let standard = TextScale(title: 5, amount: 6, other: 3, detail: 2)
    static let large = TextScale(title: 6, amount: 7, other: 4, detail: 4)
    static func of(_ content: ScreenContent) -> TextScale { content.largeText ? large : standard }
}

/// Places a screen's content for any size from 480x320 to 1920x1080, landscape or portrait.
/// Pure: boxes only; text sizes are chosen when painting, so nothing depends on the fonts here.
public enum ScreenLayout {
    public static func layout(_ content: ScreenContent, strings: UIStrings, width: Int, height: Int) -> [ScreenElement] {
        var content = content
        // Large text makes room by saying things in two languages (the shopper's and the first of the cashier's).
        if content.largeText { content.languages = Array(content.languages.prefix(2)) }
        let portrait = height > width
        let palette = Palette.of(content)
        let unit = max(4, min(width, height) / 40) // spacing grows with the panel
        let headerHeight = max(28, min(width, height) / (portrait ? 9 : 7))
        var elements: [ScreenElement] = [.fill(Rect(x: 0, y: 0, width: width, height: height), palette.paper)]
        let (accent, _) = style(content.name, palette)
        elements.append(.fill(Rect(x: 0, y: 0, width: width, height: headerHeight), accent))
        elements.append(.text(TextItem(text: content.merchantName, language: content.languages[0],
                                       box: Rect(x: unit * 2, y: unit, width: width - unit * 4, height: headerHeight - 2 * unit),
                                       maximumSize: headerHeight, color: .white, alignment: .leading)))
        let body = Rect(x: unit * 2, y: headerHeight + unit * 2, width: width - unit * 4, height: height - headerHeight - unit * 4)
        switch content.name {
        case .showCode: elements += showCode(content, strings, body, portrait: portrait, unit: unit)
        case .testPattern: elements += testPattern(content, strings, width: width, height: height, headerHeight: headerHeight)
        case .selfTest: elements += checkList(content, strings, body, unit: unit)
        case .menu: elements += checkList(content, strings, body, unit: unit, title: content.titleKey ?? "menu", accent: palette.ready, bilingual: true)
        default: elements += message(content, strings, body, unit: unit)
        }
        return elements
    }

    /// The header's colour for a screen (white text is drawn on it).
    public static func accent(of content: ScreenContent) -> Color { style(content.name, Palette.of(content)).accent }

    static func style(_ name: ScreenName, _ palette: Palette = .standard) -> (accent: Color, title: String) {
        switch name {
        case .idle: (palette.ready, "ready")
        case .amountEntry: (palette.ready, "enter_amount")
        case .showCode: (palette.waiting, "scan_to_pay")
        case .presentCode: (palette.waiting, "present_code")
        case .processing: (palette.waiting, "processing")
        case .paid: (palette.paid, "paid")
        case .declined: (palette.declined, "declined")
        case .cancelled: (palette.neutral, "cancelled")
        case .expired: (palette.neutral, "expired")
        case .offline: (palette.declined, "offline")
        case .clock: (palette.declined, "clock")
        case .testPattern: (palette.technician, "test_pattern")
        case .selfTest: (palette.technician, "self_test")
        case .menu: (palette.ready, "menu")
        case .pin: (palette.technician, "pin_entry")
        }
    }

    /// Second line per screen, where there is one.
    static func detailKey(_ name: ScreenName) -> String? {
        switch name {
        case .idle: "ready_detail"
        case .amountEntry: "enter_amount_detail"
        case .processing: "processing_detail"
        case .paid: "paid_detail"
        case .declined: "declined_detail"
        case .expired: "expired_detail"
        case .offline: "offline_detail"
        case .clock: "clock_detail"
        case .pin: "pin_entry_detail"
        default: nil
        }
    }

    /// Splits `box` into horizontal bands by weight, with `gap` between them.
    static func bands(_ box: Rect, weights: [Int], gap: Int) -> [Rect] {
        let total = max(1, weights.reduce(0, +))
        let usable = box.height - gap * max(0, weights.count - 1)
        var y = box.y
        return weights.map { weight in
            let h = usable * weight / total
            defer { y += h + gap }
            return Rect(x: box.x, y: y, width: box.width, height: h)
        }
    }

    /// Status screens: the big line in the first language, the amount if there is one, the other
    /// languages below, then the detail line.
    static func message(_ content: ScreenContent, _ strings: UIStrings, _ body: Rect, unit: Int) -> [ScreenElement] {
        let palette = Palette.of(content), scale = TextScale.of(content)
        let (accent, titleKey) = style(content.name, palette)
        let primary = content.languages[0], others = Array(content.languages.dropFirst())
        var items: [(String, String, Int, Color, Int)] = [] // text, language, weight, colour, lines
        items.append((strings.text(titleKey, primary), primary, scale.title, accent, 2))
        if content.name == .pin {
            // Never the digits: one dot each, and a dash while none is typed.
            items.append((content.typedAmount.isEmpty ? "–" : String(repeating: "●", count: content.typedAmount.count), primary, scale.amount, palette.ink, 1))
        } else if content.name == .amountEntry {
            let typed = Int(content.typedAmount.filter(\.isNumber).prefix(9)) ?? 0
            items.append((ScreenContent.formatAmount(typed, currency: content.currency), primary, scale.amount + 1, palette.ink, 1))
        } else if let amount = content.amount, [.paid, .declined, .processing, .presentCode, .cancelled, .expired].contains(content.name) {
            items.append((ScreenContent.formatAmount(amount, currency: content.currency), primary, scale.amount, palette.ink, 1))
        }
        for language in others { items.append((strings.text(titleKey, language), language, scale.other, palette.ink, 2)) }
        if let key = detailKey(content.name) {
            for language in content.languages.prefix(2) { items.append((strings.text(key, language), language, scale.detail, palette.muted, 2)) }
        }
        if let key = content.noticeKey {
            for language in content.languages.prefix(2) { items.append((strings.text(key, language), language, scale.detail, palette.declined, 2)) }
        }
        if let detail = content.detail { items.append((detail, primary, scale.detail, palette.muted, 2)) }
        let boxes = bands(body, weights: items.map(\.2), gap: unit)
        return zip(items, boxes).map { item, box in
            .text(TextItem(text: item.0, language: item.1, box: box, maximumSize: box.height, color: item.3, alignment: .center, lines: item.4))
        }
    }

    /// The title, then one line per check ("PASS display …"), failures in red, skipped parts muted.
    static func checkList(_ content: ScreenContent, _ strings: UIStrings, _ body: Rect, unit: Int, title: String = "self_test",
                          accent: Color? = nil, bilingual: Bool = false) -> [ScreenElement] {
        let palette = Palette.of(content), accent = accent ?? palette.technician
        let primary = content.languages[0]
        let lines = (content.detail ?? "").split(separator: "\n").map(String.init)
        let secondary = bilingual ? content.languages.dropFirst().first.map { strings.text(title, $0) } : nil
        let heading = strings.text(title, primary) + (secondary.map { $0 == strings.text(title, primary) ? "" : "  " + $0 } ?? "")
        var items: [(String, Int, Color)] = [(heading, 3, accent)]
        for line in lines {
            let colour = line.hasPrefix("FAIL") ? palette.declined : line.hasPrefix("SKIP") ? palette.muted : palette.ink
            items.append((line, 1, colour))
        }
        // A line never gets more than a tenth of the body: a short list stays the size of a long one's lines.
        let weight = items.map(\.1).reduce(0, +)
        let area = Rect(x: body.x, y: body.y, width: body.width, height: body.height * weight / max(weight, 10))
        let boxes = bands(area, weights: items.map(\.1), gap: unit / 2)
        return zip(items, boxes).map { item, box in
            .text(TextItem(text: item.0, language: primary, box: box, maximumSize: box.height, color: item.2, alignment: .leading))
        }
    }

    /// The code as large as the panel allows beside (landscape) or above (portrait) the amount,
    /// instructions in each language, the countdown and the accepted wallets.
    static func showCode(_ content: ScreenContent, _ strings: UIStrings, _ body: Rect, portrait: Bool, unit: Int) -> [ScreenElement] {
        let qrBox: Rect, info: Rect
        if portrait {
            let side = min(body.width, body.height * 3 / 5)
            qrBox = Rect(x: body.x + (body.width - side) / 2, y: body.y, width: side, height: side)
            info = Rect(x: body.x, y: body.y + side + unit, width: body.width, height: body.height - side - unit)
        } else {
            let side = min(body.height, body.width * 3 / 5)
            qrBox = Rect(x: body.x, y: body.y + (body.height - side) / 2, width: side, height: side)
            info = Rect(x: body.x + side + unit * 2, y: body.y, width: body.width - side - unit * 2, height: body.height)
        }
        let palette = Palette.of(content), scale = TextScale.of(content)
        var elements: [ScreenElement] = []
        if let payload = content.payload { elements.append(.qr(payload: payload, box: qrBox)) }
        var items: [(String, String, Int, Color, Int)] = [] // text, language, weight, colour, lines
        if let amount = content.amount {
            items.append((ScreenContent.formatAmount(amount, currency: content.currency), content.languages[0], scale.amount, palette.ink, 1))
        }
        for language in content.languages { items.append((strings.text("scan_to_pay", language), language, scale.detail, palette.ink, 2)) }
        if let seconds = content.secondsLeft {
            items.append((strings.text("time_left", content.languages[0], time: ScreenContent.clock(seconds)), content.languages[0], scale.detail, palette.waiting, 2))
        }
        // In large text the wallets' list gives its room to the words the shopper needs (the header names the shop).
        if !content.wallets.isEmpty && !content.largeText {
            items.append((strings.text("accepted", content.languages[0]) + ": " + content.wallets.joined(separator: " · "), content.languages[0], scale.detail, palette.muted, 2))
        }
        let boxes = bands(info, weights: items.map(\.2), gap: unit / 2)
        for (item, box) in zip(items, boxes) {
            elements.append(.text(TextItem(text: item.0, language: item.1, box: box, maximumSize: box.height, color: item.3,
                                           alignment: portrait ? .center : .leading, lines: item.4)))
        }
        return elements
    }

    /// For technicians: colour bars, a one-pixel grid, and a QR in each corner naming the panel size.
    static func testPattern(_ content: ScreenContent, _ strings: UIStrings, width: Int, height: Int, headerHeight: Int) -> [ScreenElement] {
        let bars: [UInt32] = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000]
        var elements: [ScreenElement] = []
        let barTop = headerHeight, barHeight = (height - headerHeight) / 3
        for (i, colour) in bars.enumerated() {
            let x0 = width * i / bars.count, x1 = width * (i + 1) / bars.count
            elements.append(.fill(Rect(x: x0, y: barTop, width: x1 - x0, height: barHeight), Color(colour)))
        }
        let step = max(16, min(width, height) / 12)
        for x in stride(from: 0, to: width, by: step) { elements.append(.fill(Rect(x: x, y: barTop + barHeight, width: 1, height: height - barTop - barHeight), Palette.standard.ink)) }
        for y in stride(from: barTop + barHeight, to: height, by: step) { elements.append(.fill(Rect(x: 0, y: y, width: width, height: 1), Palette.standard.ink)) }
        let side = min(width, height) / 4
        let corners = [(0, barTop + barHeight), (width - side, barTop + barHeight), (0, height - side), (width - side, height - side)]
        for (i, corner) in corners.enumerated() {
            elements.append(.qr(payload: "QRPOS TEST \(i + 1) \(width)X\(height)", box: Rect(x: corner.0, y: max(barTop + barHeight, corner.1), width: side, height: side)))
        }
        let label = Rect(x: side + 8, y: barTop + barHeight + 8, width: width - 2 * side - 16, height: max(12, side / 3))
        elements.append(.text(TextItem(text: "\(strings.text("test_pattern", content.languages[0])) \(width)x\(height)", language: content.languages[0],
                                       box: label, maximumSize: label.height, color: Palette.standard.ink, alignment: .center)))
        return elements
    }
}
