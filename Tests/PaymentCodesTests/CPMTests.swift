import Foundation
import Testing
@testable import PaymentCodes

/// Consumer-presented codes: base64 of BER-TLV, EMVCo "CPV01" or JPQR "JPQR1".
@Suite("Consumer-presented codes") struct CPMTests {
    static let cpmVectors = Fixtures.vectors.filter { ConsumerCode.looksLikeCPM($0.payload) }

    static func base64(_ elements: [BERElement]) -> String { Data(BERTLV.encode(elements)).base64EncodedString() }
    static func primitive(_ tag: [UInt8], _ value: [UInt8]) -> BERElement { BERElement(tag: tag, value: value, position: 0) }
    static func constructed(_ tag: [UInt8], _ children: [BERElement]) -> BERElement {
        BERElement(tag: tag, value: [], position: 0, children: children)
    }
    static func indicator(_ text: String) -> BERElement { primitive([0x85], Array(text.utf8)) }
    /// Track-2 equivalent: account digits, separator D, expiry and service code, F-padded to whole bytes.
    static func track2(_ pan: String) -> [UInt8] {
        var hex = pan + "D2912201"
        if hex.count % 2 == 1 { hex += "F" }
        return [UInt8](hex: hex)!
    }

    @Test func vectorsIncludeEveryCPMKind() {
        #expect(Self.cpmVectors.count == 9)
        #expect(Self.cpmVectors.filter { $0.scheme == "QRIS-CPM" }.count == 6)
    }

    @Test(arguments: Fixtures.vectors.filter { $0.scheme == "QRIS-CPM" })
    func qrisConsumerCodes(_ vector: Vector) {
        let report = Fixtures.classify(vector.payload)
        #expect(report.valid, "\(report.errors)")
        #expect(report.kind == .consumerPresented && report.format == .emvcoCPM)
        #expect(report.scheme == "qris")
        #expect(report.wallet == "qris")
        #expect(report.detail("aid") == "A0000006022020")
        #expect(report.crc == nil, "consumer codes carry no CRC")
    }

    @Test func merpayConsumerCode() throws {
        let vector = try #require(Fixtures.vectors.first { $0.scheme.contains("Merpay") })
        let report = Fixtures.classify(vector.payload)
        #expect(report.valid, "\(report.errors)")
        #expect(report.wallet == "merpay", "the account number names the wallet")
        #expect(report.networks == ["jcb"], "the JCB AID names the network")
        #expect(report.format == .emvcoCPM)
        let code = try ConsumerCode(base64: vector.payload)
        #expect(code.accountNumber == "3158990079242943")
        #expect(code.applicationID == "A000000065039202")
        #expect(report.detail("accountNumber") == "315899******2943")
    }

    @Test func twoApplicationsBecomeAnArray() throws {
        let vector = try #require(Fixtures.vectors.first { $0.expect.objectValue?["61[1]"] != nil })
        let report = Fixtures.classify(vector.payload)
        let apps = try #require(report.json["tags"]?["61"]?.arrayValue)
        #expect(apps.count == 2)
        #expect(apps.map { $0["4F"]?.stringValue } == ["A0000000555555", "A0000000666666"])
        #expect(report.detail("aid") == "A0000000555555", "the first application routes the code")
        #expect(try ConsumerCode(base64: vector.payload).applications.count == 2)
        #expect(try ConsumerCode(base64: vector.payload).accountNumber == "1234567890123458", "5A in the common data template 62")
        // Its test AIDs belong to no wallet: named as the fault.
        #expect(report.errors.contains { $0.hasPrefix("tag 61.4F") && $0.contains("A0000000555555") })
    }

    @Test func trackTwoGivesTheAccountNumber() throws {
        let vector = try #require(Fixtures.vectors.first { $0.payload == "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=" })
        #expect(try ConsumerCode(base64: vector.payload).accountNumber == "1234567890123458")
    }

    @Test func reEncodingGivesTheSameBytes() throws {
        for vector in Self.cpmVectors {
            let bytes = try #require(Data(base64Encoded: vector.payload)).map { $0 }
            #expect(try BERTLV.encode(BERTLV.decode(bytes)) == bytes, "vector \(vector.line)")
        }
    }

    @Test func textTagsWithBinaryBytesAreShownInHex() throws {
        // QRIS vector: 9F74 holds 16 binary bytes; shown as text they would become U+FFFD and be lost.
        let vector = try #require(Fixtures.vectors.first { $0.payload.hasPrefix("hQVDUFYwMWFQTwegAAAGAiAgUAdRUklTQ1BN") })
        let report = Fixtures.classify(vector.payload)
        #expect(report.json["tags"]?.lookup("61.63.9F74") == .string("C97F5599B3E77FE2288F2B335754705B"))
        // Text that is text stays text.
        #expect(report.json["tags"]?.lookup("61.5F20") == .string("SENDY AGUSTIAN"))
        for vector in Self.cpmVectors {
            #expect(!Fixtures.classify(vector.payload).json.serialized.contains("\u{FFFD}"), "vector \(vector.line)")
        }
    }

    @Test func jpqrConsumerCode() throws {
        let app = Self.constructed([0x61], [Self.primitive([0x4F], [0xA0, 0, 0, 0, 0x65, 0x03, 0x92, 0x02]),
                                            Self.primitive([0x57], Self.track2("3158992100001234567"))])
        let text = Self.base64([Self.indicator("JPQR1"), app])
        #expect(text.hasPrefix("hQVKUFFS"))
        let report = Fixtures.classify(text)
        #expect(report.format == .jpqrCPM && report.kind == .consumerPresented)
        #expect(report.valid, "\(report.errors)")
        #expect(report.wallet == "aupay")
        #expect(report.json["tags"]?["85"] == .string("JPQR1"))
        // JPQR carries the payment id in 57; without it the code is refused and the tag named.
        let bare = Fixtures.classify(Self.base64([Self.indicator("JPQR1"), Self.constructed([0x61], [Self.primitive([0x4F], [0xA0, 0, 0, 0, 0x65])])]))
        #expect(bare.format == .jpqrCPM)
        #expect(bare.errors.contains { $0.hasPrefix("tag 61.57") }, "\(bare.errors)")
    }

    @Test func longFormLengthsAndMultiByteTags() throws {
        for size in [0, 1, 127, 128, 200, 255, 256, 300, 1000] {
            let value = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let elements = [Self.indicator("CPV01"), Self.constructed([0x61], [Self.primitive([0x9F, 0x81, 0x01], value)])]
            let bytes = BERTLV.encode(elements)
            let header = size < 0x80 ? 1 : size < 0x100 ? 2 : 3
            #expect(bytes.count == 7 + 2 + (size + 3 + header < 0x80 ? 0 : size + 3 + header < 0x100 ? 1 : 2) + 3 + header + size, "size \(size)")
            let decoded = try BERTLV.decode(bytes)
            let inner = try #require(decoded.last?.children?.first)
            #expect(inner.tagHex == "9F8101")
            #expect(inner.value == value)
            #expect(decoded.last?.find("9f8101") != nil, "tag lookups ignore case")
        }
    }

    @Test func nestingIsLimited() throws {
        #expect(BERTLV.maximumDepth >= 4, "real codes nest 61 > 63 > value")
        func chain(_ depth: Int) -> [UInt8] {
            var element = Self.primitive([0x4F], [0xA0, 0, 0, 0x03, 0x33])
            for _ in 0..<depth { element = Self.constructed([0x61], [element]) }
            return BERTLV.encode([Self.indicator("CPV01"), element])
        }
        let deepest = try BERTLV.decode(chain(BERTLV.maximumDepth - 1))
        #expect(deepest.last?.find("4F")?.value == [0xA0, 0, 0, 0x03, 0x33])
        // One level more: refused, naming the byte where the element too many starts (7 for tag 85, 2 per level).
        #expect(throws: PaymentCodeError.berTooDeep(position: 7 + 2 * (BERTLV.maximumDepth - 1), limit: BERTLV.maximumDepth)) {
            try BERTLV.decode(chain(BERTLV.maximumDepth))
        }
    }

    @Test func paddingBetweenElementsIsSkipped() throws {
        let bytes: [UInt8] = [0x85, 0x05] + Array("CPV01".utf8) + [0x00, 0xFF, 0x00] + [0x61, 0x04, 0x4F, 0x02, 0xA0, 0x01]
        let elements = try BERTLV.decode(bytes)
        #expect(elements.map(\.tagHex) == ["85", "61"])
        #expect(elements[1].position == 10)
    }

    @Test func damagedBERNamesTheBytePosition() {
        let good: [UInt8] = [0x85, 0x05] + Array("CPV01".utf8) + [0x61, 0x04, 0x4F, 0x02, 0xA0, 0x01]
        #expect(throws: PaymentCodeError.berTruncated(position: 7)) { try BERTLV.decode(Array(good.dropLast())) }
        #expect(throws: PaymentCodeError.berTruncated(position: 7)) { try BERTLV.decode(Array(good.prefix(8))) }
        #expect(throws: PaymentCodeError.berTruncated(position: 0)) { try BERTLV.decode([0x9F]) }
        #expect(throws: PaymentCodeError.berBadLength(position: 7)) { try BERTLV.decode(Array(good.prefix(7)) + [0x61, 0x84, 0, 0, 0, 1, 0]) }
        #expect(throws: PaymentCodeError.berBadLength(position: 0)) { try BERTLV.decode([0x61, 0x80, 0x00, 0x00]) }
        // Through the classifier the same fault is an error of a consumer code.
        let report = Fixtures.classify(Data(good.dropLast()).base64EncodedString())
        #expect(report.kind == .consumerPresented && !report.valid)
        #expect(report.errors.contains { $0.contains("byte 7") }, "\(report.errors)")
    }

    @Test func base64Variants() throws {
        let vector = try #require(Fixtures.vectors.first { $0.payload == "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=" })
        let expected = Fixtures.classify(vector.payload).json["tags"]
        #expect(vector.payload.hasSuffix("=") && !vector.payload.hasSuffix("=="))
        let unpadded = String(vector.payload.dropLast())
        #expect(Fixtures.classify(unpadded).json["tags"] == expected, "wallets that drop the padding")
        let wrapped = vector.payload.enumerated().map { $0.offset > 0 && $0.offset % 16 == 0 ? "\n\($0.element)" : String($0.element) }.joined()
        #expect(Fixtures.classify(wrapped).json["tags"] == expected, "line breaks inside the base64")
        let broken = Fixtures.classify("hQVDUFYw!!!!")
        #expect(broken.kind == .consumerPresented && broken.errors.contains { $0.contains("not base64") }, "\(broken.errors)")
    }

    @Test func indicatorMustBeCPV01OrJPQR1() {
        let report = Fixtures.classify(Self.base64([Self.indicator("CPV02"), Self.constructed([0x61], [Self.primitive([0x4F], [0xA0])])]))
        #expect(!report.valid)
        #expect(report.errors.contains { $0.contains("tag 85") && $0.contains("CPV02") && $0.contains("CPV01") }, "\(report.errors)")
        #expect(throws: PaymentCodeError.self) { try ConsumerCode(base64: Self.base64([Self.primitive([0x61], [])])) }
    }

    @Test func applicationWithoutIdentifierIsAnError() {
        let report = Fixtures.classify(Self.base64([Self.indicator("CPV01"), Self.constructed([0x61], [Self.primitive([0x5A], [0x31, 0x58, 0x99, 0x00, 0x12, 0x34, 0x56, 0x78, 0x90, 0x1F])])]))
        #expect(report.errors.contains { $0.contains("no application identifier (4F)") }, "\(report.errors)")
        #expect(report.wallet == "merpay", "the account number still names the wallet")
    }
}
