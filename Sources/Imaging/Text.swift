/// The ink a line of text covers, relative to its pen start and baseline.
public struct TextExtent: Equatable, Sendable {
    public var minX: Int, maxX: Int, above: Int, below: Int
    public var width: Int { maxX - minX }
    public var height: Int { above + below }
}

/// A text made to fit its box: the lines it is drawn in (one unless it was broken), their size and ink.
public struct FittedText: Sendable {
    public var lines: [String]
    public var size: Int
    public var extents: [TextExtent]
    /// The text as shown, lines joined by a newline.
    public var shown: String { lines.joined(separator: "\n") }
}

extension FontBook {
    /// Where the ink of `text` falls at `size`, without drawing it.
    public func measure(_ text: String, size: Int, language: String) -> TextExtent {
        var extent = TextExtent(minX: 0, maxX: 0, above: 0, below: 0)
        var first = true
        walk(text, size: size, language: language, boxesOnly: true) { glyph, x, y in
            guard glyph.width > 0 && glyph.rows > 0 else { return }
            let left = x + glyph.left, right = left + glyph.width
            extent.minX = first ? left : min(extent.minX, left)
            extent.maxX = first ? right : max(extent.maxX, right)
            extent.above = max(extent.above, glyph.top + y)
            extent.below = max(extent.below, glyph.rows - glyph.top - y)
            first = false
        }
        return extent
    }

    /// How many characters of `text` no font here can draw (each would show as a .notdef box).
    public func missingGlyphs(_ text: String, language: String, size: Int? = nil) -> Int {
        shape(text, language: language, pixels: size).filter(\.isMissing).count
    }

    /// Draws `text` with its pen starting at x on the baseline y; returns the pixels actually inked.
    @discardableResult
    public func draw(_ text: String, size: Int, language: String, color: Color, into canvas: inout Canvas, x: Int, baseline y: Int) -> Rect {
        var inked = Rect(x: 0, y: 0, width: 0, height: 0)
        walk(text, size: size, language: language) { glyph, gx, gy in
            guard glyph.width > 0, glyph.rows > 0 else { return }
            let area = glyph.bitmap.withUnsafeBufferPointer { mask in
                canvas.blend(mask: mask, maskWidth: glyph.width, maskHeight: glyph.rows, pitch: glyph.pitch,
                             at: x + gx + glyph.left, y: y - gy - glyph.top, color: color)
            }
            inked = inked.union(area)
        }
        return inked
    }

    /// Every shaped glyph's bitmap with its pen position (pixels right of the start, up from the baseline).
    private func walk(_ text: String, size: Int, language: String, boxesOnly: Bool = false, _ body: (Glyph, Int, Int) -> Void) {
        var pen: Int32 = 0 // 1/64 pixel, so rounding never accumulates along the line
        for placed in shape(text, language: language, pixels: size) {
            defer { pen += placed.xAdvance }
            guard let face = face(of: placed),
                  let glyph = boxesOnly ? box(placed.glyph, in: face, size: size) : glyph(placed.glyph, in: face, size: size) else { continue }
            body(glyph, Int((pen + placed.xOffset + 32) >> 6), Int((placed.yOffset + 32) >> 6))
        }
    }

    /// The largest size up to `maximum` at which `text` fits `box`, on one line or, when `maxLines` allows and
    /// it comes out larger, on two broken where the script allows (ICU's rules; Thai and Khmer by dictionary).
    /// Text that does not fit even at `minimum` is cut with an ellipsis, so a hostile or long name can never
    /// leave its box.
    public func fit(_ text: String, in box: Rect, maximum: Int, minimum: Int = 10, language: String, maxLines: Int = 1) -> FittedText {
        let single = fitLine(text, in: box, maximum: maximum, minimum: minimum, language: language)
        let roomy = min(maximum, box.height)
        guard maxLines >= 2, single.size * 4 < roomy * 3, let (first, second) = split(text, language: language) else { return single }
        let gap = max(1, box.height / 16)
        let half = Rect(x: box.x, y: box.y, width: box.width, height: (box.height - gap) / 2)
        let top = fitLine(first, in: half, maximum: maximum, minimum: minimum, language: language)
        let bottom = fitLine(second, in: half, maximum: maximum, minimum: minimum, language: language)
        let size = min(top.size, bottom.size)
        guard size > single.size else { return single }
        // Both lines at the same size: a sentence must not change size in the middle.
        let lines = [top, bottom].map { $0.size == size ? $0 : fitLine($0.lines[0], in: half, maximum: size, minimum: minimum, language: language) }
        return FittedText(lines: lines.map { $0.lines[0] }, size: size, extents: lines.map { $0.extents[0] })
    }

    /// The text in two lines at the break opportunity that makes the longer line shortest. The line is shaped once
    /// and each candidate's widths read from its glyphs' advances: a first draw stays fast on a slow board.
    func split(_ text: String, language: String) -> (String, String)? {
        let scalars = Array(text.unicodeScalars)
        let glyphs = shape(text, language: language, pixels: 32)
        let total = glyphs.reduce(Int32(0)) { $0 + $1.xAdvance }
        func halves(_ offset: Int) -> (String, String) {
            (String(scalars: scalars[..<offset]).trimmingTrailingSpaces, String(scalars: scalars[offset...]).trimmingLeadingSpaces)
        }
        // Breaks at the very start or end (after leading or before trailing spaces) would leave a line empty.
        let inside = LineBreaks.opportunities(in: text, language: language).filter { offset in
            scalars[..<offset].contains { !$0.properties.isWhitespace } && scalars[offset...].contains { !$0.properties.isWhitespace }
        }
        let longer = { (offset: Int) -> Int32 in
            let before = glyphs.reduce(Int32(0)) { $0 + ($1.cluster < offset ? $1.xAdvance : 0) }
            return max(before, total - before)
        }
        return inside.min { longer($0) < longer($1) }.map(halves)
    }

    func fitLine(_ text: String, in box: Rect, maximum: Int, minimum: Int, language: String) -> FittedText {
        var size = max(minimum, min(maximum, box.height))
        func fits(_ extent: TextExtent) -> Bool { extent.width <= box.width && extent.height <= box.height }
        while size > minimum {
            let extent = measure(text, size: size, language: language)
            if fits(extent) { return FittedText(lines: [text], size: size, extents: [extent]) }
            // Jump close to the fitting size instead of stepping one pixel at a time.
            let scale = min(Double(box.width) / Double(max(1, extent.width)), Double(box.height) / Double(max(1, extent.height)))
            size = max(minimum, min(size - 1, Int(Double(size) * scale)))
        }
        let whole = measure(text, size: size, language: language)
        if fits(whole) { return FittedText(lines: [text], size: size, extents: [whole]) }
        // The longest cut that fits, found by halving: a hostile 300-character name costs a few measurements, not 300.
        let scalars = Array(text.unicodeScalars), cuts = LineBreaks.graphemeBoundaries(text)
        func candidate(_ cut: Int) -> (String, TextExtent) {
            let shown = String(scalars: scalars[..<cut]).trimmingTrailingSpaces + "…"
            return (shown, measure(shown, size: size, language: language))
        }
        var low = 0, high = cuts.count - 1, found: (String, TextExtent)?
        while low <= high {
            let middle = (low + high) / 2
            let tried = candidate(cuts[middle])
            if fits(tried.1) { found = tried; low = middle + 1 } else { high = middle - 1 }
        }
        if let (shown, extent) = found { return FittedText(lines: [shown], size: size, extents: [extent]) }
        return FittedText(lines: [""], size: size, extents: [TextExtent(minX: 0, maxX: 0, above: 0, below: 0)])
    }
}

extension String {
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }

    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }

    var trimmingLeadingSpaces: String { String(drop { $0.isWhitespace }) }
}
