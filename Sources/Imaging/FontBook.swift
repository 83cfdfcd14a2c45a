import CFontconfig
import CFreeType
import CHarfBuzz

/// Fonts per language, found through fontconfig (Debian's Noto packages) and opened twice: by HarfBuzz, which
/// shapes text into positioned glyphs (Shaping.swift), and by FreeType, which draws those glyphs. CJK fonts differ
/// by region in glyph shapes, and Thai, Khmer and Devanagari each have their own font, so each language gets its
/// own face. FreeType faces are not thread-safe: one book belongs to the thread that draws the screens.
public final class FontBook {
    public enum Failure: Error, CustomStringConvertible {
        case freetype(Int32), noFont(String)
        public var description: String {
            switch self {
            case let .freetype(code): return "FreeType failed to start (error \(code))"
            case let .noFont(language): return "no font for language \(language): install fonts-noto-cjk and fonts-noto-core (make deps)"
            }
        }
    }

    struct Glyph {
        var bitmap: [UInt8]
        var width: Int, rows: Int, pitch: Int, left: Int, top: Int
    }

    final class Face {
        let face: FT_Face
        /// The same file and face for HarfBuzz, with its own OpenType tables (positions come from here, not FreeType).
        let font: OpaquePointer
        let path: String
        let index: Int32
        let unitsPerEm: Int32
        /// Its place in the book's `opened`.
        let number: Int
        var size = 0
        var glyphs: [UInt64: Glyph] = [:]
        /// Where a glyph's ink falls without its bitmap (fitting tries several sizes and draws only one).
        var boxes: [UInt64: Glyph] = [:]
        init(face: FT_Face, font: OpaquePointer, path: String, index: Int32, unitsPerEm: Int32, number: Int) {
            self.face = face; self.font = font; self.path = path; self.index = index; self.unitsPerEm = unitsPerEm; self.number = number
        }
        func has(_ scalar: Unicode.Scalar) -> Bool { FT_Get_Char_Index(face, FT_ULong(scalar.value)) != 0 }
        func setSize(_ pixels: Int) {
            guard size != pixels else { return }
            FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixels))
            size = pixels
        }
    }

    private var library: FT_Library?
    private var faces: [String: Face] = [:]          // by path#index
    /// Every face opened, in order: a shaped glyph names its face by its place here.
    private(set) var opened: [Face] = []
    private var byLanguage: [String: Face] = [:]
    /// Languages whose font could not be opened: not looked for again on every character.
    private var unopenable: Set<String> = []
    /// Recently shaped texts (Shaping.swift).
    var shaped: [ShapeKey: [PlacedGlyph]] = [:]
    /// Where a character its language's face lacks is looked for: the languages' faces in the file's order,
    /// each opened only when it is first looked at (a Japanese counter never opens the Khmer font).
    func firstFallback(where wanted: (Face) -> Bool) -> Face? {
        for language in languages.ids {
            if let face = try? face(for: language), wanted(face) { return face }
        }
        return nil
    }

    /// Each language's fontconfig tag and preferred family (Assets/languages.toml).
    private let languages: Languages

    public init(languages: Languages) throws(Failure) {
        self.languages = languages
        var lib: FT_Library?
        let error = FT_Init_FreeType(&lib)
        guard error == 0, let lib else { throw .freetype(error) }
        library = lib
        // Every language must have its font installed: said at start-up, though a face is opened at its first use.
        for language in languages.ids where locate(language: language) == nil { throw .noFont(language) }
    }

    deinit {
        for face in faces.values { FT_Done_Face(face.face); hb_font_destroy(face.font) }
        FT_Done_FreeType(library)
    }

    /// Asks fontconfig for the best bold sans face for a language; the file and face index come back.
    func locate(language: String, weight: Int32 = 200) -> (path: String, index: Int32)? {
        let entry = languages.language(language)
        guard let pattern = FcPatternCreate() else { return nil }
        defer { FcPatternDestroy(pattern) }
        _ = FcPatternAddString(pattern, "family", entry?.family ?? "Noto Sans CJK JP")
        _ = FcPatternAddString(pattern, "lang", entry?.fontconfig ?? language)
        _ = FcPatternAddInteger(pattern, "weight", weight)
        FcConfigSubstitute(nil, pattern, FcMatchPattern)
        FcDefaultSubstitute(pattern)
        var result = FcResultMatch
        guard let match = FcFontMatch(nil, pattern, &result) else { return nil }
        defer { FcPatternDestroy(match) }
        var file: UnsafeMutablePointer<FcChar8>?
        guard FcPatternGetString(match, "file", 0, &file) == FcResultMatch, let file else { return nil }
        var index: Int32 = 0
        _ = FcPatternGetInteger(match, "index", 0, &index)
        return (String(cString: file), index)
    }

    func face(for language: String) throws(Failure) -> Face {
        if let face = byLanguage[language] { return face }
        guard !unopenable.contains(language) else { throw .noFont(language) }
        do { return try open(language) } catch { unopenable.insert(language); throw error }
    }

    private func open(_ language: String) throws(Failure) -> Face {
        guard let (path, index) = locate(language: language) else { throw .noFont(language) }
        let key = "\(path)#\(index)"
        if let face = faces[key] { byLanguage[language] = face; return face }
        var ftFace: FT_Face?
        guard FT_New_Face(library, path, FT_Long(index), &ftFace) == 0, let ftFace else { throw .noFont(language) }
        let blob = hb_blob_create_from_file(path)
        let hbFace = hb_face_create(blob, UInt32(index))
        hb_blob_destroy(blob)
        let upem = Int32(hb_face_get_upem(hbFace))
        guard let font = hb_font_create(hbFace), upem > 0 else { hb_face_destroy(hbFace); FT_Done_Face(ftFace); throw .noFont(language) }
        hb_face_destroy(hbFace)
        let face = Face(face: ftFace, font: font, path: path, index: index, unitsPerEm: upem, number: opened.count)
        opened.append(face)
        faces[key] = face
        byLanguage[language] = face
        return face
    }

    /// The face for a grapheme cluster: the language's own if it has every character, else the first face in
    /// the fallback order that has them, else one that has its first character, else the language's (which
    /// then draws .notdef, counted as missing).
    func face(for cluster: Character, language: String) -> Face? {
        let preferred = try? face(for: language)
        let needed = cluster.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint }
        func covers(_ face: Face) -> Bool { needed.allSatisfy(face.has) }
        if let preferred, covers(preferred) { return preferred }
        if let face = firstFallback(where: covers) { return face }
        if let first = needed.first, let face = firstFallback(where: { $0.has(first) }) { return face }
        return preferred
    }

    /// A glyph drawn by FreeType at `size` pixels.
    func glyph(_ id: UInt32, in face: Face, size: Int) -> Glyph? {
        let key = UInt64(size) << 32 | UInt64(id)
        if let glyph = face.glyphs[key] { return glyph }
        face.setSize(size)
        guard FT_Load_Glyph(face.face, id, qrpos_ft_load_render()) == 0, let slot = face.face.pointee.glyph else { return nil }
        let bitmap = slot.pointee.bitmap
        let pitch = Int(bitmap.pitch), rows = Int(bitmap.rows)
        let bytes = bitmap.buffer.map { Array(UnsafeBufferPointer(start: $0, count: max(0, pitch * rows))) } ?? []
        let glyph = Glyph(bitmap: bytes, width: Int(bitmap.width), rows: rows, pitch: pitch, left: Int(slot.pointee.bitmap_left),
                          top: Int(slot.pointee.bitmap_top))
        face.glyphs[key] = glyph
        return glyph
    }

    /// A glyph's ink box at `size` from its hinted outline, not rasterised: the outline's control box rounded out
    /// to whole pixels, which is exactly the bitmap FreeType's smooth rasteriser would make.
    func box(_ id: UInt32, in face: Face, size: Int) -> Glyph? {
        let key = UInt64(size) << 32 | UInt64(id)
        if let glyph = face.glyphs[key] ?? face.boxes[key] { return glyph }
        face.setSize(size)
        guard FT_Load_Glyph(face.face, id, qrpos_ft_load_outline()) == 0, let slot = face.face.pointee.glyph else { return nil }
        guard slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE else { return glyph(id, in: face, size: size) }
        var cbox = FT_BBox()
        FT_Outline_Get_CBox(&slot.pointee.outline, &cbox)
        let x0 = Int(cbox.xMin) >> 6, y0 = Int(cbox.yMin) >> 6, x1 = (Int(cbox.xMax) + 63) >> 6, y1 = (Int(cbox.yMax) + 63) >> 6
        let box = Glyph(bitmap: [], width: x1 - x0, rows: y1 - y0, pitch: 0, left: x0, top: y1)
        face.boxes[key] = box
        return box
    }
}
