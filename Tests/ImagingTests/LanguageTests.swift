import Foundation
import Imaging
import PaymentCodes
import Testing

/// Every visitor's language: shaped text (HarfBuzz), no missing glyph on any screen or slip, each script's line
/// breaks (ICU), and our shaping equal to HarfBuzz's own `hb-shape` for reference strings.
@Suite(.serialized) struct LanguageTests {
    // Its own fonts: a FontBook belongs to one thread, and suites may run side by side.
    nonisolated(unsafe) static let painter = ScreenPainter(fonts: try! FontBook(languages: ScreenTests.languages))
    static var strings: UIStrings { ScreenTests.strings }
    static var languages: Languages { ScreenTests.languages }
    static var fonts: FontBook { painter.fonts }

    @Test func everyLanguageHasEveryStringAndEveryStringHasItsGlyphs() {
        let english = Self.strings.keys
        for language in Self.languages.ids {
            for key in english.sorted() {
                #expect(Self.strings.has(key, language), "\(language) has no \(key)")
                let text = Self.strings.text(key, language, time: "2:59")
                #expect(Self.fonts.missingGlyphs(text, language: language) == 0, "\(language).\(key) \"\(text)\" has characters no font draws")
            }
        }
    }

    /// Each language as the screen's main one and as the shopper's third beside the cashier's Japanese and
    /// English, and in large text, at every panel size the boards use: no .notdef glyph, no ink outside its box.
    @Test(arguments: ScreenName.allCases)
    func everyScreenInEveryLanguageAtEverySize(screen: ScreenName) throws {
        for language in Self.languages.ids {
            for (w, h) in ScreenTests.sizes {
                // The large-text option in the configuration a shopper reads: their language first.
                for (languages, large) in [([language, "en"], false), (["ja", "en", language], false), ([language, "ja", "en"], true)] {
                    var content = ScreenTests.content(screen, languages: languages)
                    content.largeText = large
                    if screen == .selfTest || screen == .menu { content.detail = "PASS display 800x480\nFAIL camera: no /dev/video0\nSKIP lights" }
                    let (_, drawn) = try Self.painter.render(content, strings: Self.strings, width: w, height: h)
                    for text in drawn.texts {
                        #expect(text.missing == 0, "\(screen) \(w)x\(h) \(languages): \"\(text.shown)\" has \(text.missing) missing glyphs")
                        #expect(text.item.box.contains(text.inked), "\(screen) \(w)x\(h) \(languages): \"\(text.shown)\" inked \(text.inked) outside \(text.item.box)")
                        #expect(!text.inked.isEmpty || text.shown.allSatisfy(\.isWhitespace), "\(screen) \(w)x\(h) \(languages): \"\(text.item.text)\" drew nothing")
                    }
                }
            }
        }
    }

    @Test(arguments: [384, 576])
    func everySlipAndCloseSheetInEveryLanguage(width: Int) throws {
        for language in Self.languages.ids {
            for kind in [SlipContent.Kind.sale, .cancel, .refund] {
                let slip = SlipContent(kind: kind, copy: .customer, merchantName: "キューアールポス麺処", merchantNameOther: "QRPOS DEMO NOODLES",
                                       merchantCity: "OSAKA", time: "2026-12-02 10:15", terminalID: "SIM-0001", slipNumber: 7, saleID: "S-20261202-0007",
                                       wallet: "KHQR", maskedCode: "2800********1234", amount: 1200, currency: "JPY", hostReference: "H1",
                                       languages: [language, "en"])
                let (_, drawn) = try Self.painter.renderSlip(slip, strings: Self.strings, width: width)
                for text in drawn.texts {
                    #expect(text.missing == 0, "slip \(kind) \(language): \"\(text.shown)\" has missing glyphs")
                    #expect(text.item.box.contains(text.inked), "slip \(kind) \(language): \"\(text.shown)\" left its box")
                }
            }
        }
    }

    @Test func hostileAndMixedScriptNamesNeverDrawMissingGlyphs() throws {
        let names = ["‮evil\u{0}name\u{7}", "ร้านก๋วยเตี๋ยว Tokyo 東京", "ហាងកាហ្វេ · Café", "नमस्ते दुकान", "Phở Hà Nội 🍜", "\u{0E33}\u{17D2}"]
        for name in names {
            let (_, drawn) = try Self.painter.render(ScreenTests.content(.idle, merchant: name), strings: Self.strings, width: 480, height: 320)
            for text in drawn.texts { #expect(text.item.box.contains(text.inked), "\"\(text.shown)\" left its box") }
            let header = try #require(drawn.texts.first)
            if !name.contains("🍜") { #expect(header.missing == 0, "\(name.unicodeScalars.map { String($0.value, radix: 16) }): \(header.missing) missing in \(Self.fonts.shape(header.shown, language: "ja").map(\.glyph))") }
        }
    }

    @Test func largeTextIsLargerAndEveryColourHasSevenToOneContrast() throws {
        func luminance(_ c: Color) -> Double {
            func channel(_ v: UInt8) -> Double { let x = Double(v) / 255; return x <= 0.03928 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4) }
            return 0.2126 * channel(c.red) + 0.7152 * channel(c.green) + 0.0722 * channel(c.blue)
        }
        func contrast(_ a: Color, _ b: Color) -> Double {
            let (l1, l2) = (luminance(a), luminance(b))
            return (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
        }
        // The shopper's screens; the technician's check list and the cashier's menu keep their size.
        for screen in ScreenName.allCases where ![.testPattern, .selfTest, .menu].contains(screen) {
            for (w, h) in ScreenTests.sizes {
                var content = ScreenTests.content(screen, languages: ["th", "ja", "en"])
                let (_, standard) = try Self.painter.render(content, strings: Self.strings, width: w, height: h)
                content.largeText = true
                let (_, large) = try Self.painter.render(content, strings: Self.strings, width: w, height: h)
                // The smallest words on the screen, what a shopper with poor sight fails to read first, are larger.
                let smallest = { (drawn: ScreenPainter.Drawn) in drawn.texts.dropFirst().map(\.size).min() ?? 0 }
                #expect(smallest(large) > smallest(standard) || standard.texts.count < 2, "\(screen) \(w)x\(h): \(smallest(large)) vs \(smallest(standard)): \(large.texts.map { "\($0.size) \($0.shown)" })")
                for text in large.texts {
                    // Header text is white on the accent; page text is its colour on white.
                    let background = text.item.color == .white ? ScreenLayout.accent(of: content) : Color.white
                    #expect(contrast(text.item.color, background) >= 7, "\(screen): \(text.shown) \(text.item.color) on \(background)")
                }
            }
        }
    }

    // MARK: - shaping

    /// Reference strings that glyph-by-glyph drawing gets wrong: Thai stacked marks, Khmer subscript consonants
    /// (coeng) and vowels written before their consonant, Devanagari conjuncts and the i-matra drawn first.
    static let references: [(language: String, text: String)] = [
        ("th", "ชำระเงินสำเร็จ"), ("th", "กรุณาสแกนเพื่อชำระเงิน"), ("th", "ก๋วยเตี๋ยวน้ำใส"), ("th", "ที่นี่รับ"),
        ("km", "ការទូទាត់បានជោគជ័យ"), ("km", "ស្កេនដើម្បីទូទាត់"), ("km", "ក្សត្រ"), ("km", "ព្រះរាជាណាចក្រកម្ពុជា"), ("km", "សូមអរគុណ"),
        ("hi", "भुगतान सफल"), ("hi", "कृपया स्कैन करें"), ("hi", "क्षत्रिय"), ("hi", "हिन्दी"), ("hi", "कि"),
        ("vi", "Thanh toán thành công"), ("ja", "お支払いが完了しました"),
    ]

    struct HBGlyph: Decodable { var g: UInt32; var cl: Int; var dx: Int32; var dy: Int32; var ax: Int32 }

    /// `hb-shape` (Debian's libharfbuzz-bin) on the same font file and face: the reference shaping.
    static func hbShape(_ text: String, font: String, index: Int32, language: String) throws -> [HBGlyph] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/hb-shape")
        process.arguments = ["--font-file=\(font)", "--face-index=\(index)", "--no-glyph-names", "--output-format=json",
                             "--language=\(language)", "--", text]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONDecoder().decode([HBGlyph].self, from: data)
    }

    @Test func shapingMatchesHarfBuzzsOwnHBShape() throws {
        for (language, text) in Self.references {
            let ours = Self.fonts.shape(text, language: language)
            let font = try #require(ours.first)
            #expect(ours.allSatisfy { $0.font == font.font && $0.faceIndex == font.faceIndex }, "\(text): one face")
            let reference = try Self.hbShape(text, font: font.font, index: font.faceIndex, language: language)
            #expect(ours.map(\.glyph) == reference.map(\.g), "\(language) \(text): glyph ids")
            #expect(ours.map(\.xAdvance) == reference.map(\.ax), "\(language) \(text): advances")
            #expect(ours.map(\.xOffset) == reference.map(\.dx) && ours.map(\.yOffset) == reference.map(\.dy), "\(language) \(text): offsets")
            #expect(ours.map(\.cluster) == reference.map(\.cl), "\(language) \(text): clusters")
            #expect(ours.allSatisfy { !$0.isMissing }, "\(language) \(text): .notdef")
        }
    }

    @Test func complexScriptsAreReallyShapedNotDrawnCharacterByCharacter() throws {
        // Devanagari i-matra (ि, after क in the text) is drawn before it; one cluster for both.
        let ki = Self.fonts.shape("कि", language: "hi")
        #expect(ki.count == 2 && ki.allSatisfy { $0.cluster == 0 })
        let ka = try #require(Self.fonts.shape("क", language: "hi").first)
        #expect(ki.last?.glyph == ka.glyph && ki.first?.glyph != ka.glyph, "the i-matra comes first, क after it")
        // Khmer ក្ស: the coeng and ស become one subscript glyph, not a visible ្ and a full-size ស.
        let ksa = Self.fonts.shape("ក្ស", language: "km"), sa = try #require(Self.fonts.shape("ស", language: "km").first)
        #expect(ksa.count < 3 || !ksa.contains { $0.glyph == sa.glyph }, "ស below ក as a subscript")
        // Thai ก้ี: the tone mark sits above the vowel, moved up (a y offset) or replaced by a high form.
        let stacked = Self.fonts.shape("กี้", language: "th"), alone = Self.fonts.shape("ก้", language: "th")
        #expect(stacked.last?.glyph != alone.last?.glyph || stacked.last?.yOffset != alone.last?.yOffset)
    }

    // MARK: - line breaks

    @Test func thaiAndKhmerBreakBetweenWordsWithoutSpaces() {
        let thai = "ชำระเงินสำเร็จ" // ชำระเงิน | สำเร็จ
        let thaiBreaks = LineBreaks.opportunities(in: thai, language: "th")
        #expect(thaiBreaks.contains("ชำระเงิน".unicodeScalars.count), "\(thaiBreaks)")
        let khmer = "ការទូទាត់បានជោគជ័យ"
        let khmerBreaks = LineBreaks.opportunities(in: khmer, language: "km")
        #expect(!khmerBreaks.isEmpty, "ICU's Khmer dictionary finds word ends")
        let scalars = Array(khmer.unicodeScalars)
        for offset in khmerBreaks + LineBreaks.graphemeBoundaries(khmer) {
            #expect(scalars[offset - 1] != "\u{17D2}", "never right after a coeng (\(offset))")
        }
        #expect(LineBreaks.opportunities(in: "Scan with your phone", language: "en") == [5, 10, 15])
    }

    @Test func aLongSentenceBreaksInTwoWhereItsScriptAllowsRatherThanShrink() {
        let box = Rect(x: 0, y: 0, width: 300, height: 80)
        for (language, text) in [("th", "กรุณาลองชำระเงินด้วยวิธีอื่น"), ("km", "សូមព្យាយាមទូទាត់តាមវិធីផ្សេងទៀត"), ("en", "Please try another way to pay")] {
            let one = Self.fonts.fit(text, in: box, maximum: 80, language: language)
            let two = Self.fonts.fit(text, in: box, maximum: 80, language: language, maxLines: 2)
            #expect(two.lines.count == 2 && two.size > one.size, "\(language): \(two.lines) at \(two.size) vs \(one.size)")
            #expect(two.lines.joined().filter { !$0.isWhitespace } == text.filter { !$0.isWhitespace }, "nothing lost or added")
            #expect(two.extents.allSatisfy { $0.width <= box.width })
        }
    }

    @Test func aCutNeverSplitsAClusterOrLeavesAGlyphMissing() {
        for (language, text) in [("km", String(repeating: "ព្រះរាជាណាចក្រ", count: 20)), ("hi", String(repeating: "क्षत्रिय", count: 30)),
                                 ("th", String(repeating: "ก๋วยเตี๋ยว", count: 30))] {
            let fitted = Self.fonts.fit(text, in: Rect(x: 0, y: 0, width: 200, height: 24), maximum: 24, language: language)
            let shown = fitted.lines[0]
            #expect(shown.hasSuffix("…") && fitted.extents[0].width <= 200)
            #expect(text.hasPrefix(String(shown.dropLast())), "cut on a cluster boundary: \(shown)")
            #expect(Self.fonts.missingGlyphs(shown, language: language) == 0)
        }
    }
}
