import CFontconfig
import CFreeType

/// Fonts per language, found through fontconfig (Noto Sans CJK from Debian's fonts-noto-cjk) and
/// opened with FreeType. CJK fonts differ by region in glyph shapes, so each language gets its own face.
/// FreeType faces are not thread-safe: one book belongs to the thread that draws the screens.
public final class FontBook {
    public enum Failure: Error, CustomStringConvertible {
        case freetype(Int32), noFont(String)
        public var description: String {
            switch self {
            case let .freetype(code): return "FreeType failed to start (error \(code))"
            case let .noFont(language): return "no font for language \(language): install fonts-noto-cjk (make deps)"
            }
        }
    }

    struct Glyph {
        var bitmap: [UInt8]
        var width: Int, rows: Int, pitch: Int, left: Int, top: Int, advance: Int
    }

    final class Face {
        let face: FT_Face
        let path: String
        var size = 0
        var glyphs: [UInt64: Glyph] = [:]
        init(face: FT_Face, path: String) { self.face = face; self.path = path }
    }

    private var library: FT_Library?
    private var faces: [String: Face] = [:]          // by path#index
    private var byLanguage: [String: Face] = [:]

    /// Each language's fontconfig tag and preferred family (Assets/languages.toml).
    private let languages: Languages

    public init(languages: Languages) throws(Failure) {
        self.languages = languages
        var lib: FT_Library?
        let error = FT_Init_FreeType(&lib)
        guard error == 0, let lib else { throw .freetype(error) }
        library = lib
        for language in languages.ids { _ = try face(for: language) }
    }

    deinit {
        for face in faces.values { FT_Done_Face(face.face) }
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
        guard let (path, index) = locate(language: language) else { throw .noFont(language) }
        let key = "\(path)#\(index)"
        if let face = faces[key] { byLanguage[language] = face; return face }
        var ftFace: FT_Face?
        guard FT_New_Face(library, path, FT_Long(index), &ftFace) == 0, let ftFace else { throw .noFont(language) }
        let face = Face(face: ftFace, path: path)
        faces[key] = face
        byLanguage[language] = face
        return face
    }

    /// The face that has this character: the language's own first, then any other loaded face.
    func face(for scalar: Unicode.Scalar, language: String) -> Face? {
        let preferred = try? face(for: language)
        if let preferred, FT_Get_Char_Index(preferred.face, FT_ULong(scalar.value)) != 0 { return preferred }
        return faces.values.first { FT_Get_Char_Index($0.face, FT_ULong(scalar.value)) != 0 } ?? preferred
    }

    func glyph(_ scalar: Unicode.Scalar, in face: Face, size: Int) -> Glyph? {
        let key = UInt64(size) << 32 | UInt64(scalar.value)
        if let glyph = face.glyphs[key] { return glyph }
        if face.size != size {
            FT_Set_Pixel_Sizes(face.face, 0, FT_UInt(size))
            face.size = size
        }
        guard FT_Load_Char(face.face, FT_ULong(scalar.value), qrpos_ft_load_render()) == 0, let slot = face.face.pointee.glyph else { return nil }
        let bitmap = slot.pointee.bitmap
        let pitch = Int(bitmap.pitch), rows = Int(bitmap.rows)
        let bytes = bitmap.buffer.map { Array(UnsafeBufferPointer(start: $0, count: max(0, pitch * rows))) } ?? []
        let glyph = Glyph(bitmap: bytes, width: Int(bitmap.width), rows: rows, pitch: pitch, left: Int(slot.pointee.bitmap_left),
                          top: Int(slot.pointee.bitmap_top), advance: Int(slot.pointee.advance.x + 32) >> 6)
        face.glyphs[key] = glyph
        return glyph
    }

    /// Ascender and descender of the language's face at a size, in pixels.
    func metrics(language: String, size: Int) -> (ascent: Int, descent: Int) {
        guard let face = try? face(for: language) else { return (size, size / 4) }
        if face.size != size { FT_Set_Pixel_Sizes(face.face, 0, FT_UInt(size)); face.size = size }
        let m = face.face.pointee.size.pointee.metrics
        return (Int(m.ascender + 63) >> 6, Int(-m.descender + 63) >> 6)
    }
}
