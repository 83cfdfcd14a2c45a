/// Draws laid-out screens into a canvas with real fonts and real QR symbols.
public final class ScreenPainter {
    /// What was drawn where: tests check every text's ink against its box, and the terminal preview
    /// prints the texts and the QR natively.
    public struct Drawn: Sendable {
        /// `missing` counts the characters drawn as .notdef (no font had them): a screen must never have any.
        public var texts: [(item: TextItem, shown: String, size: Int, inked: Rect, missing: Int)]
        public var codes: [(payload: String, area: Rect, moduleSize: Int)]
    }

    public enum Failure: Error, CustomStringConvertible {
        case codeTooBig(payload: Int, box: Rect)
        case encode(QRSymbol.EncodeError)
        public var description: String {
            switch self {
            case let .codeTooBig(characters, box): return "a \(characters)-character code does not fit in \(box) with a 4-module quiet zone"
            case let .encode(error): return error.description
            }
        }
    }

    public let fonts: FontBook
    public init(fonts: FontBook) { self.fonts = fonts }

    public func paint(_ elements: [ScreenElement], width: Int, height: Int) throws(Failure) -> (Canvas, Drawn) {
        var canvas = Canvas(width: width, height: height)
        var drawn = Drawn(texts: [], codes: [])
        for element in elements {
            switch element {
            case let .fill(rect, colour):
                canvas.fill(rect, colour)
            case let .text(item):
                let fitted = fonts.fit(item.text, in: item.box, maximum: item.maximumSize, language: item.language, maxLines: item.lines)
                let lineHeight = item.box.height / fitted.lines.count
                var inked = Rect(x: 0, y: 0, width: 0, height: 0)
                for (n, (line, e)) in zip(fitted.lines, fitted.extents).enumerated() {
                    let x = item.alignment == .center ? item.box.x + (item.box.width - e.width) / 2 - e.minX : item.box.x - e.minX
                    let top = item.box.y + n * lineHeight
                    let baseline = top + (lineHeight - e.height) / 2 + e.above
                    inked = inked.union(fonts.draw(line, size: fitted.size, language: item.language, color: item.color, into: &canvas, x: x, baseline: baseline))
                }
                // The lines as drawn (their shaping is cached): .notdef is glyph 0 at any size.
                let missing = fitted.lines.reduce(0) { $0 + fonts.missingGlyphs($1, language: item.language, size: fitted.size) }
                drawn.texts.append((item, fitted.shown, fitted.size, inked, missing))
            case let .qr(payload, box):
                let symbol: QRSymbol
                do { symbol = try QRSymbol(payload) } catch { throw .encode(error) }
                let side = min(box.width, box.height)
                let scale = symbol.moduleSize(fitting: side)
                let drawnSide = (symbol.size + 8) * scale
                guard drawnSide <= side else { throw .codeTooBig(payload: payload.unicodeScalars.count, box: box) }
                let area = canvas.draw(symbol, at: (box.x + (box.width - drawnSide) / 2, box.y + (box.height - drawnSide) / 2), scale: scale)
                drawn.codes.append((payload, area, scale))
            }
        }
        return (canvas, drawn)
    }

    /// Lays out and paints a screen for a panel of `width`x`height` physical pixels mounted at `rotation`.
    public func render(_ content: ScreenContent, strings: UIStrings, width: Int, height: Int, rotation: Int = 0) throws(Failure) -> (Canvas, Drawn) {
        let sideways = rotation % 180 != 0
        let (w, h) = sideways ? (height, width) : (width, height)
        let (canvas, drawn) = try paint(ScreenLayout.layout(content, strings: strings, width: w, height: h), width: w, height: h)
        return (rotation == 0 ? canvas : canvas.rotated(rotation), drawn)
    }
}
