import CHarfBuzz

/// One glyph as HarfBuzz placed it: which font's glyph, where relative to the pen, and which character it came from.
public struct PlacedGlyph: Equatable, Sendable {
    /// The font file and face index the glyph id belongs to.
    public var font: String, faceIndex: Int32
    /// 0 is .notdef: the font had no glyph for the character (a missing glyph, a "tofu" box).
    public var glyph: UInt32
    /// Index of the first Unicode scalar of the glyph's cluster in the text.
    public var cluster: Int
    /// In the scale shaped at: 1/64 pixel when drawing, font units when shaped at units-per-em.
    public var xAdvance: Int32, xOffset: Int32, yOffset: Int32
    public var isMissing: Bool { glyph == 0 }
    /// The book's number for the face (FontBook.opened), so drawing finds it without a lookup by file name.
    var faceNumber: Int
}

struct ShapeKey: Hashable {
    var text: String, language: String, pixels: Int
}

/// A stretch of text with one face and one script, shaped in one HarfBuzz call.
struct TextRun {
    var face: FontBook.Face
    var script: hb_script_t?
    /// Scalar offsets into the text.
    var start: Int, count: Int
}

extension FontBook {
    /// Splits `scalars` into runs of one face and one script, keeping each grapheme cluster whole. Characters
    /// common to all scripts (digits, spaces, punctuation) stay in the run around them.
    func runs(_ text: String, language: String) -> [TextRun] {
        let unicode = hb_unicode_funcs_get_default()
        func script(of character: Character) -> hb_script_t? {
            for scalar in character.unicodeScalars {
                let s = hb_unicode_script(unicode, scalar.value)
                if s != HB_SCRIPT_COMMON && s != HB_SCRIPT_INHERITED && s != HB_SCRIPT_UNKNOWN { return s }
            }
            return nil
        }
        // A grapheme cluster stays in one face when one face has all of it; a hostile mix (a Thai vowel carrying a
        // Khmer sign) goes character by character, so each still finds a font that has it.
        var pieces: [(Character, FontBook.Face?)] = []
        for character in text {
            let face = face(for: character, language: language)
            if character.unicodeScalars.count > 1, let face,
               !character.unicodeScalars.allSatisfy({ $0.properties.isDefaultIgnorableCodePoint || face.has($0) }) {
                pieces += character.unicodeScalars.map { (Character($0), self.face(for: Character($0), language: language)) }
            } else {
                pieces.append((character, face))
            }
        }
        var runs: [TextRun] = []
        var offset = 0
        for (character, face) in pieces {
            let count = character.unicodeScalars.count
            defer { offset += count }
            guard let face else { continue }
            let s = script(of: character)
            if var last = runs.last, last.face === face, s == nil || last.script == nil || last.script == s, last.start + last.count == offset {
                last.count += count
                last.script = last.script ?? s
                runs[runs.count - 1] = last
            } else {
                runs.append(TextRun(face: face, script: s, start: offset, count: count))
            }
        }
        return runs
    }

    /// Shapes `text` with HarfBuzz: each run in its face and script, tagged with `language` (Japanese and Chinese
    /// forms of the same character differ). `pixels` nil shapes at the font's units per em (what `hb-shape`
    /// prints by default); otherwise positions are in 1/64 pixel at that size.
    public func shape(_ text: String, language: String, pixels: Int? = nil) -> [PlacedGlyph] {
        let key = ShapeKey(text: text, language: language, pixels: pixels ?? 0)
        if let shaped = shaped[key] { return shaped }
        let placed = shapeNow(text, language: language, pixels: pixels)
        // Fitting a text tries several sizes and the countdown redraws a screen every second: keep recent ones.
        if shaped.count >= 2048 { shaped.removeAll(keepingCapacity: true) }
        shaped[key] = placed
        return placed
    }

    private func shapeNow(_ text: String, language: String, pixels: Int?) -> [PlacedGlyph] {
        // Control characters (a hostile name's NUL, tab, bell) have no glyph in any font: shaped as spaces.
        let scalars = text.unicodeScalars.map { $0.properties.generalCategory == .control ? 0x20 : $0.value }
        guard !scalars.isEmpty else { return [] }
        var placed: [PlacedGlyph] = []
        let tag = hb_language_from_string(language, -1)
        for run in runs(text, language: language) {
            guard let buffer = hb_buffer_create() else { continue }
            defer { hb_buffer_destroy(buffer) }
            // The whole text goes in as context, so a run's edges shape as they would inside the line.
            hb_buffer_add_utf32(buffer, scalars, Int32(scalars.count), UInt32(run.start), Int32(run.count))
            if let script = run.script {
                hb_buffer_set_script(buffer, script)
                hb_buffer_set_direction(buffer, hb_script_get_horizontal_direction(script))
            }
            hb_buffer_set_language(buffer, tag)
            hb_buffer_guess_segment_properties(buffer)
            let scale = pixels.map { Int32($0 * 64) } ?? run.face.unitsPerEm
            hb_font_set_scale(run.face.font, scale, scale)
            hb_shape(run.face.font, buffer, nil, 0)
            var count: UInt32 = 0
            guard let infos = hb_buffer_get_glyph_infos(buffer, &count), let positions = hb_buffer_get_glyph_positions(buffer, &count) else { continue }
            for i in 0..<Int(count) {
                placed.append(PlacedGlyph(font: run.face.path, faceIndex: run.face.index, glyph: infos[i].codepoint, cluster: Int(infos[i].cluster),
                                          xAdvance: positions[i].x_advance, xOffset: positions[i].x_offset, yOffset: positions[i].y_offset,
                                          faceNumber: run.face.number))
            }
        }
        return placed
    }

    /// The face a shaped glyph belongs to.
    func face(of glyph: PlacedGlyph) -> Face? { opened.indices.contains(glyph.faceNumber) ? opened[glyph.faceNumber] : nil }
}
