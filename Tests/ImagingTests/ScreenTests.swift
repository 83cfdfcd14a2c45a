import Foundation
import Imaging
import PaymentCodes
import Testing

/// Every screen at every panel size the boards use, drawn with the real fonts and read back with zbar.
@Suite(.serialized) struct ScreenTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let languages = try! Languages(toml: String(contentsOfFile: root.appendingPathComponent("Assets/languages.toml").path, encoding: .utf8),
                                          file: "Assets/languages.toml")
    static let strings = try! UIStrings(folder: root.appendingPathComponent("Assets/strings").path, languages: languages.ids) {
        try String(contentsOfFile: $0, encoding: .utf8)
    }
    // FreeType faces are single-threaded; the suite is serialized.
    nonisolated(unsafe) static let painter = ScreenPainter(fonts: try! FontBook(languages: languages))
    static let sizes = [(480, 320), (800, 480), (1024, 600), (1280, 720), (1920, 1080), (720, 1280)]

    static let payload = try! JPQRScheme().build(PaymentRequest(
        merchantName: "QRPOS DEMO NOODLES", merchantCity: "OSAKA", postalCode: "5540044", categoryCode: "5812",
        alternateName: "キューアールポス麺処", amount: "1200", reference: "S20261121000123", terminalLabel: "SIM-0001",
        account: ["jpqr-id": "0000000000001-0001-000001-000001"]))

    static func content(_ name: ScreenName, languages: [String] = ["ja", "en"], merchant: String = "キューアールポス麺処") -> ScreenContent {
        ScreenContent(name, merchantName: merchant, languages: languages, amount: 1200, typedAmount: "1200",
                      payload: name == .showCode ? payload : nil, secondsLeft: 179,
                      wallets: ["PayPay", "楽天ペイ", "d払い", "au PAY", "メルペイ", "Alipay+", "WeChat Pay", "銀聯"], detail: nil)
    }

    @Test(arguments: ScreenName.allCases)
    func textStaysInsideItsBoxAtEverySize(screen: ScreenName) throws {
        for (w, h) in Self.sizes {
            for languages in [["ja", "en"], ["zh-Hans", "ja", "en"], ["ko", "en"], ["zh-Hant", "en"]] {
                let (canvas, drawn) = try Self.painter.render(Self.content(screen, languages: languages), strings: Self.strings, width: w, height: h)
                #expect(canvas.width == w && canvas.height == h)
                #expect(!drawn.texts.isEmpty)
                for text in drawn.texts {
                    #expect(text.item.box.contains(text.inked), "\(screen) \(w)x\(h) \(languages): \"\(text.shown)\" inked \(text.inked) outside \(text.item.box)")
                    #expect(!text.inked.isEmpty || text.shown.allSatisfy(\.isWhitespace), "\(screen) \(w)x\(h): \"\(text.item.text)\" drew nothing")
                    #expect(text.item.box.maxX <= w && text.item.box.maxY <= h && text.item.box.x >= 0 && text.item.box.y >= 0)
                }
            }
        }
    }

    @Test func aNoticeForTheShopperIsInTheirLanguagesAndStaysInItsBox() throws {
        for (w, h) in Self.sizes {
            var content = Self.content(.presentCode, languages: ["zh-Hans", "ja", "en"])
            content.noticeKey = "code_merchant"
            let (_, drawn) = try Self.painter.render(content, strings: Self.strings, width: w, height: h)
            let shown = drawn.texts.map(\.item.text)
            #expect(shown.contains(Self.strings.text("code_merchant", "zh-Hans")) && shown.contains(Self.strings.text("code_merchant", "ja")))
            for text in drawn.texts { #expect(text.item.box.contains(text.inked), "\(w)x\(h): \"\(text.shown)\" left its box") }
        }
        for language in Self.strings.languages {
            for key in ["code_merchant", "code_not_accepted", "amount_over_limit"] { #expect(Self.strings.has(key, language), "\(key) in \(language)") }
        }
    }

    @Test func hostileMerchantNamesAreCutNotSpilled() throws {
        let names = [String(repeating: "W", count: 300), "‮evil\u{0}name", String(repeating: "麺", count: 120), "\n\t", ""]
        for name in names {
            let (_, drawn) = try Self.painter.render(Self.content(.idle, merchant: name), strings: Self.strings, width: 480, height: 320)
            for text in drawn.texts { #expect(text.item.box.contains(text.inked), "\"\(text.shown)\" left its box") }
        }
    }

    @Test func showCodeScreenDecodesToThePayloadAtEverySizeAndRotation() throws {
        let reader = CodeReader()
        for (w, h) in Self.sizes {
            for rotation in [0, 90] {
                let (canvas, drawn) = try Self.painter.render(Self.content(.showCode), strings: Self.strings, width: w, height: h, rotation: rotation)
                #expect(canvas.width == w && canvas.height == h)
                let module = try #require(drawn.codes.first).moduleSize
                #expect(module >= 3, "\(w)x\(h): \(module) px modules are too small for a phone across the counter")
                let read = reader.read(canvas.gray).map(\.text)
                #expect(read == [Self.payload], "\(w)x\(h) rotated \(rotation)")
            }
        }
    }

    @Test func testPatternCarriesAReadableCodeInEachCorner() throws {
        let (canvas, _) = try Self.painter.render(Self.content(.testPattern), strings: Self.strings, width: 1280, height: 720)
        let read = Set(CodeReader().read(canvas.gray).map(\.text))
        #expect(read == Set((1...4).map { "QRPOS TEST \($0) 1280X720" }))
    }

    @Test func rotationTurnsClockwise() {
        var canvas = Canvas(width: 3, height: 2)
        canvas[0, 0] = Color(0xFF0000)
        let turned = canvas.rotated(90)
        #expect(turned.width == 2 && turned.height == 3)
        #expect(turned[1, 0] == Color(0xFF0000), "top-left goes to top-right")
        #expect(canvas.rotated(270)[0, 2] == Color(0xFF0000))
        #expect(canvas.rotated(180)[2, 1] == Color(0xFF0000))
    }

    @Test func amountsAreFormattedForTheCurrency() {
        #expect(ScreenContent.formatAmount(1200, currency: "JPY") == "¥1,200")
        #expect(ScreenContent.formatAmount(1234567, currency: "JPY") == "¥1,234,567")
        #expect(ScreenContent.formatAmount(550, currency: "USD") == "US$5.50")
        #expect(ScreenContent.formatAmount(5000, currency: "KHR") == "50.00 KHR")
    }

    /// Golden images catch layout regressions; regenerate with QRPOS_UPDATE_GOLDEN=1 after a deliberate change.
    @Test(arguments: [("idle", 800, 480), ("show-code", 1280, 720), ("paid", 480, 320), ("declined", 720, 1280)])
    func matchesGoldenImage(name: String, width: Int, height: Int) throws {
        var content = Self.content(ScreenName(rawValue: name)!)
        content.payload = content.payload.map { _ in "00020101021226680019jp.or.paymentsjapan011300000000000010204000103060000010406000001520458125303392540412005802JP5918QRPOS DEMO NOODLES6005OSAKA6107554004462240510S0000000010708SIM-000164200002JA0110キューアールポス麺処6304ABCD" }
        let (canvas, _) = try Self.painter.render(content, strings: Self.strings, width: width, height: height)
        let path = Self.root.appendingPathComponent("Tests/ImagingTests/Golden/\(name)-\(width)x\(height).png").path
        if ProcessInfo.processInfo.environment["QRPOS_UPDATE_GOLDEN"] == "1" { try canvas.writePNG(to: path) }
        let golden = try PNGFile.read(path, as: .rgb)
        #expect(golden.width == width && golden.height == height)
        let mine = canvas.rgbBytes
        let differing = zip(mine, golden.pixels).filter { abs(Int($0) - Int($1)) > 24 }.count
        #expect(Double(differing) / Double(mine.count) < 0.002, "\(differing) of \(mine.count) channels differ from \(path)")
    }
}
