import CLineBreaks

/// Where a line of text may be broken or cut, by Unicode's line-breaking rules (UAX #14) as ICU implements them,
/// with ICU's dictionaries for the scripts written without spaces between words (Thai, Khmer, Lao, Burmese).
public enum LineBreaks {
    /// The scalar offsets (into `text.unicodeScalars`) after which a line may end, the end of the text excluded.
    public static func opportunities(in text: String, language: String) -> [Int] {
        let utf16 = Array(text.utf16)
        guard !utf16.isEmpty else { return [] }
        var breaks = [Int32](repeating: 0, count: utf16.count)
        let count = qrpos_line_breaks(language, utf16, Int32(utf16.count), &breaks, Int32(breaks.count))
        guard count >= 0 else { return graphemeBoundaries(text) }
        // UTF-16 offsets to scalar offsets: a scalar above U+FFFF takes two UTF-16 units.
        var scalarAt = [Int](repeating: 0, count: utf16.count + 1)
        var scalars = 0, unit = 0
        for scalar in text.unicodeScalars {
            scalarAt[unit] = scalars
            unit += scalar.utf16.count
            scalars += 1
        }
        scalarAt[utf16.count] = scalars
        return breaks.prefix(Int(min(count, Int32(breaks.count)))).map { scalarAt[Int($0)] }
    }

    /// Where a text that fits no box may be cut before its ellipsis: after any grapheme cluster except one that
    /// ends in a virama or coeng (Devanagari ्, Khmer ្), which joins the next consonant and would be left hanging.
    public static func graphemeBoundaries(_ text: String) -> [Int] {
        var cuts: [Int] = [], offset = 0
        for character in text {
            offset += character.unicodeScalars.count
            if character.unicodeScalars.last?.properties.canonicalCombiningClass != .virama { cuts.append(offset) }
        }
        if cuts.last == offset { cuts.removeLast() }
        return cuts
    }
}
