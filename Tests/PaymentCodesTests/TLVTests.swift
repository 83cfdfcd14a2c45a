import Foundation
import Testing
@testable import PaymentCodes

/// ID-length-value reading and writing, and errors that tell a technician which tag and which character.
@Suite("TLV") struct TLVTests {
    static let header = "000201010211"  // 00 "01", 01 "11": 12 characters

    func scan(_ text: String) -> TLVScan { TLV.scan(Array(text.unicodeScalars)[...]) }

    @Test func readsFieldsWithTheirPositions() {
        let result = scan(Self.header + "5303392")
        #expect(result.failure == nil)
        #expect(result.fields.map(\.id) == ["00", "01", "53"])
        #expect(result.fields.map(\.value) == ["01", "11", "392"])
        #expect(result.fields.map(\.position) == [0, 6, 12])
        #expect(result.fields.map(\.valuePosition) == [4, 10, 16])
        #expect(scan("").fields.isEmpty && scan("").failure == nil)
        #expect(scan("0000").fields == [TLVField(id: "00", value: "", position: 0)], "a zero length is read; the rules judge it")
    }

    @Test func lengthsCountUnicodeScalars() throws {
        let khmer = "ចន ស្មីន"  // coeng and vowel signs: fewer graphemes than scalars
        #expect(khmer.count != khmer.unicodeScalars.count)
        #expect(try TLV.field("01", khmer) == "0108" + khmer)
        #expect(try TLV.field("59", "カフェ") == "5903カフェ")
        #expect(try TLV.field("59", "😀") == "5901😀", "one scalar, two UTF-16 units, four UTF-8 bytes")
        #expect(try TLV.field("60", "e\u{301}") == "6002e\u{301}", "a combining accent is its own scalar")
        let read = scan("6408" + khmer + "5903カフェ")
        #expect(read.failure == nil)
        #expect(read.fields.map(\.value) == [khmer, "カフェ"])
    }

    @Test func fieldRefusesMoreThan99Scalars() throws {
        #expect(try TLV.field("62", String(repeating: "a", count: 99)).hasPrefix("6299"))
        #expect(throws: PaymentCodeError.valueTooLong(tag: "62", characters: 100, limit: 99)) {
            try TLV.field("62", String(repeating: "a", count: 100))
        }
        // 34 Khmer scalars each three UTF-8 bytes: the limit is on scalars, not bytes.
        #expect(try TLV.field("62", String(repeating: "ក", count: 99)).hasPrefix("6299"))
    }

    @Test func truncationNamesTagAndPosition() throws {
        let payload = Self.header + "5910ABC"
        let result = scan(payload)
        #expect(result.fields.map(\.id) == ["00", "01"], "fields before the fault are kept")
        #expect(result.failure == .truncated(tag: "59", position: 12, declared: 10, available: 3))
        let report = Fixtures.classify(payload)
        #expect(!report.valid)
        let message = try #require(report.errors.first)
        #expect(message.contains("tag 59") && message.contains("character 12") && message.contains("10") && message.contains("3"), "\(message)")
    }

    @Test func truncatedNestedTemplateNamesThePath() {
        let payload = Self.header + "62090110ABCDE"  // 62 holds 9 characters; 62.01 declares 10
        let code = MerchantCode(decoding: payload)
        let problem = code.structureProblems.first
        #expect(problem?.tag == "62" && problem?.severity == .error)
        #expect(problem?.message.contains("tag 62.01 at character 16") == true, "\(String(describing: problem))")
    }

    @Test func nonDigitIDNamesThePosition() throws {
        #expect(scan(Self.header + "A10212").failure == .badTagID(found: "A1", position: 12, inside: nil))
        #expect(scan(Self.header + "5").failure == .badTagID(found: "5", position: 12, inside: nil), "a lone character where an ID should be")
        let report = Fixtures.classify(Self.header + "5303392X1")
        #expect(report.errors.contains { $0.contains("character 19") && $0.contains("\"X1\"") }, "\(report.errors)")
        // Inside a template the message says which one, with the position in the whole payload.
        let inner = scan(Self.header + "62120105ABCDEX1Y")
        #expect(inner.failure == nil)
        let code = MerchantCode(decoding: Self.header + "62120105ABCDEX1Y")
        #expect(code.structureProblems.contains { $0.message.contains("character 25 inside tag 62") && $0.message.contains("\"X1\"") }, "\(code.structureProblems)")
    }

    @Test func badLengthNamesTagAndPosition() {
        #expect(scan(Self.header + "52x4").failure == .badLength(tag: "52", found: "x4", position: 12))
        #expect(scan(Self.header + "527").failure == .badLength(tag: "52", found: "7", position: 12))
        #expect(PaymentCodeError.badLength(tag: "52", found: "x4", position: 12).description.contains("tag 52 at character 12"))
    }

    @Test func positionsCountScalarsNotBytesOrUTF16() {
        // "😀😀ab": 4 scalars, 6 UTF-16 units, 10 UTF-8 bytes. The fault is at scalar 6 + 4 + 4 = 14.
        #expect(scan("0002015904😀😀ab" + "X").failure == .badTagID(found: "X", position: 14, inside: nil))
        // Khmer with coeng: 8 scalars, fewer graphemes.
        #expect(scan("0002015908ចន ស្មីន" + "XY").failure == .badTagID(found: "XY", position: 18, inside: nil))
    }

    /// KHQR "Incorrect length of tag 52": 52 declares 06, swallowing 53's ID; reading goes on until "Jo".
    @Test func damagedKHQRKeepsFieldsReadBeforeTheFault() throws {
        let payload = "00020101021115231234567812345678901234530400014jonhsmith@nbcq01061234560208Dev Bank5206599953031165802KH5910Jonh Smith6010Phnom Penh9917001316873168216096304D82B"
        let report = Fixtures.classify(payload)
        let tags = try #require(report.json["tags"]?.objectPairs)
        #expect(tags.map(\.0) == ["00", "01", "15", "30", "52", "03"])
        #expect(report.json["tags"]?.lookup("30.00") == .string("jonhsmith@nbcq"))
        #expect(report.json["tags"]?.lookup("30.02") == .string("Dev Bank"))
        #expect(report.json["tags"]?["52"] == .string("599953"))
        #expect(report.json["tags"]?["03"] == .string("65802KH5910"))
        let fault = payload.unicodeScalars.distance(from: payload.unicodeScalars.startIndex,
                                                    to: try #require(payload.range(of: "Jonh Smith")).lowerBound.samePosition(in: payload.unicodeScalars)!)
        #expect(report.errors.contains { $0.contains("character \(fault)") && $0.contains("\"Jo\"") }, "\(report.errors)")
        #expect(report.errors.contains { $0.contains("tag 52") && $0.contains("4 characters") }, "52 is judged too")
        #expect(!report.valid)
    }

    /// KHQR "Decode Test 10": the payload ends inside tag 30.
    @Test func truncatedKHQRAccountIsReported() throws {
        let report = Fixtures.classify("00020101021230190015", as: KHQRScheme())
        #expect(!report.valid)
        #expect(report.errors.first == PaymentCodeError.truncated(tag: "30", position: 12, declared: 19, available: 4).description)
        #expect(report.json["tags"]?.objectPairs?.map(\.0) == ["00", "01"])
        #expect(report.json["tags"]?["01"] == .string("12"))
    }

    @Test func duplicateTagsAreErrorsWithTheirPosition() {
        let report = Fixtures.classify(try! MerchantCode.encode([.primitive("00", "01"), .primitive("52", "5999"), .primitive("52", "5812")]))
        #expect(report.errors.contains { $0.hasPrefix("tag 52") && $0.contains("appears twice") && $0.contains("character 14") }, "\(report.errors)")
    }

    @Test(arguments: 0...99)
    func templateIDs(_ n: Int) {
        let id = (n < 10 ? "0" : "") + String(n)
        #expect(MerchantCode.isTemplate(id, inside: nil) == ((26...51).contains(n) || n == 62 || n == 64 || (80...99).contains(n)))
        #expect(MerchantCode.isTemplate(id, inside: "62") == (50...99).contains(n))
        #expect(!MerchantCode.isTemplate(id, inside: "26"))
    }

    @Test func brokenTemplates() {
        // Unreserved templates (80–99) are free-form in practice: a warning, the text kept.
        let free = MerchantCode(decoding: Self.header + "8005hello")
        #expect(free.structureProblems.map(\.severity) == [.warning])
        #expect(free["80"]?.children == nil && free["80"]?.value == "hello")
        // A merchant account template that is not one is an error.
        let account = MerchantCode(decoding: Self.header + "2605hello")
        #expect(account.structureProblems.map(\.severity) == [.error])
        #expect(account.structureProblems.first?.tag == "26")
    }

    @Test func encodeWritesNestedLengthsAndTheCRC() throws {
        let fields: [MerchantField] = [
            .primitive("00", "01"), .template("26", [.primitive("00", "jp.or.paymentsjapan"), .primitive("01", "0000000000001")]),
            .primitive("59", "カフェ ☕️"), .template("62", [.template("50", [.primitive("00", "X"), .primitive("01", "ស្មីន")])]),
            .primitive("63", "ZZZZ"),  // a stale CRC is dropped and recomputed
        ]
        let payload = try MerchantCode.encode(fields)
        #expect(payload.hasPrefix("0002012640"), "26 holds 4 + 19 and 4 + 13 characters")
        #expect(payload.contains("5906カフェ ☕️"), "☕️ is two scalars (U+2615 U+FE0F)")
        #expect(!payload.contains("ZZZZ"))
        let code = MerchantCode(decoding: payload)
        #expect(code.structureProblems.isEmpty)
        #expect(code.crc?.valid == true)
        #expect(code.value("26.01") == "0000000000001")
        #expect(code.value("62.50.01") == "ស្មីន")
        #expect(code.fields.map(\.id) == ["00", "26", "59", "62", "63"])
    }

    @Test func encodeRefusesCodesOverTheLimit() {
        let fields = (0..<6).map { MerchantField.primitive(String(80 + $0), String(repeating: "x", count: 90)) }
        #expect(throws: PaymentCodeError.self) { try MerchantCode.encode(fields) }
        do {
            _ = try MerchantCode.encode(fields)
        } catch {
            if case let .tooLong(characters, limit) = error { #expect(characters > 512 && limit == 512) } else { Issue.record("\(error)") }
        }
        let long = Self.header + (0..<6).map { "8\($0)90" + String(repeating: "x", count: 90) }.joined()
        #expect(Fixtures.classify(long).errors.contains { $0.contains("at most 512") })
    }

    @Test func scannerNoiseAroundACodeIsIgnored() throws {
        let payload = try PayNowScheme().build(PaymentRequest(merchantName: "Kopi", merchantCity: "Singapore", amount: "3.50", account: ["mobile": "91234567"]))
        #expect(Fixtures.classify(payload).valid)
        for noisy in ["\u{FEFF}" + payload, payload + "\r\n", " \t" + payload + "\n", "\u{FEFF}" + payload + "\u{FEFF}"] {
            #expect(Fixtures.classify(noisy).valid, "\(noisy.unicodeScalars.map { String($0.value, radix: 16) }.prefix(3))")
        }
    }

    @Test(arguments: [("", "empty"), ("   \n", "empty"), ("https://example.com/pay", "a web address"), ("hello", "text, not a payment code")])
    func textThatIsNoCode(_ text: String, _ phrase: String) {
        let report = Fixtures.classify(text)
        #expect(!report.valid)
        #expect(report.kind == .unknown)
        #expect(report.errors.contains { $0.contains(phrase) }, "\(report.errors)")
    }
}
