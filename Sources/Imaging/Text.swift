/// The ink a line of text covers, relative to its pen start and baseline.
public struct TextExtent: Equatable, Sendable {
    public var minX: Int, maxX: Int, above: Int, below: Int
    public var width: Int { maxX - minX }
    public var height: Int { above + below }
}

extension FontBook {
    /// Where the ink of `text` falls at `size`, without drawing it.
    public func measure(_ text: String, size: Int, language: String) -> TextExtent {
        var pen = 0
        var extent = TextExtent(minX: 0, maxX: 0, above: 0, below: 0)
        var first = true
        for scalar in text.unicodeScalars {
            guard let face = face(for: scalar, language: language), let glyph = glyph(scalar, in: face, size: size) else { continue }
            if glyph.width > 0 && glyph.rows > 0 {
                let left = pen + glyph.left, right = left + glyph.width
                extent.minX = first ? left : min(extent.minX, left)
                extent.maxX = first ? right : max(extent.maxX, right)
                extent.above = max(extent.above, glyph.top)
                extent.below = max(extent.below, glyph.rows - glyph.top)
                first = false
            }
            pen += glyph.advance
        }
        return extent
    }

    /// Draws `text` with its pen starting at x on the baseline y; returns the pixels actually inked.
    @discardableResult
    public func draw(_ text: String, size: Int, language: String, color: Color, into canvas: inout Canvas, x: Int, baseline y: Int) -> Rect {
        var pen = x
        var inked = Rect(x: 0, y: 0, width: 0, height: 0)
        for scalar in text.unicodeScalars {
            guard let face = face(for: scalar, language: language), let glyph = glyph(scalar, in: face, size: size) else { continue }
            if glyph.width > 0, glyph.rows > 0 {
                let area = glyph.bitmap.withUnsafeBufferPointer { mask in
                    canvas.blend(mask: mask, maskWidth: glyph.width, maskHeight: glyph.rows, pitch: glyph.pitch,
                                 at: pen + glyph.left, y: y - glyph.top, color: color)
                }
                inked = inked.union(area)
            }
            pen += glyph.advance
        }
        return inked
    }

    /// The largest size up to `maximum` at which `text` fits `box`; text that does not fit even at
    /// `minimum` is cut with an ellipsis, so a hostile or long name can never leave its box.
    public func fit(_ text: String, in box: Rect, maximum: Int, minimum: Int = 10, language: String) -> (text: String, size: Int, extent: TextExtent) {
        var size = max(minimum, min(maximum, box.height))
        while size > minimum {
            let extent = measure(text, size: size, language: language)
            if extent.width <= box.width && extent.height <= box.height { return (text, size, extent) }
            // Jump close to the fitting size instead of stepping one pixel at a time.
            let scale = min(Double(box.width) / Double(max(1, extent.width)), Double(box.height) / Double(max(1, extent.height)))
            size = max(minimum, min(size - 1, Int(Double(size) * scale)))
        }
        var scalars = Array(text.unicodeScalars)
        while true {
            let candidate = scalars.count == text.unicodeScalars.count ? text : String(scalars: scalars) + "…"
            let extent = measure(candidate, size: size, language: language)
            if (extent.width <= box.width && extent.height <= box.height) || scalars.isEmpty {
                return (scalars.isEmpty && extent.width > box.width ? "" : candidate, size, extent)
            }
            scalars.removeLast()
        }
    }
}

extension String {
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }
}
