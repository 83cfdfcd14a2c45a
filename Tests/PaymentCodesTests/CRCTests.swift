import Foundation
import Testing
@testable import PaymentCodes

@Suite("CRC-16/CCITT-FALSE") struct CRCTests {
    @Test func standardCheckValue() {
        // The catalogue check value of CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740).
        #expect(CRC16.ccittFalse("123456789".utf8) == 0x29B1)
        #expect(CRC16.ccittFalse([UInt8]()) == 0xFFFF, "init 0xFFFF, no final xor")
        #expect(CRC16.ccittFalse("A".utf8) == 0xB915)
    }

    @Test func tableMatchesBitwiseReference() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC16.ccittFalse(bytes) == referenceCRC(bytes), "length \(length)")
        }
    }

    @Test(arguments: [(UInt16(0), "0000"), (0x0001, "0001"), (0x00AB, "00AB"), (0x0ABC, "0ABC"), (0x29B1, "29B1"), (0xFFFF, "FFFF"), (0xbeef, "BEEF")])
    func hexPadsToFourUpperCaseDigits(_ value: UInt16, _ text: String) {
        #expect(CRC16.hex(value) == text)
    }

    @Test func hexRoundTripsEveryValue() {
        for value in UInt16.min...UInt16.max {
            let text = CRC16.hex(value)
            guard text.count == 4, text == text.uppercased(), UInt16(text, radix: 16) == value else {
                Issue.record("CRC16.hex(\(value)) = \(text)")
                return
            }
        }
    }

    @Test func checksumCoversUTF8BytesThroughTheCRCHeader() {
        let body = "00020101021129300012D156000000000510A93FO3230Q5802JP5906カフェ6006TOKYO6304"
        #expect(CRC16.payloadChecksum(body) == CRC16.hex(referenceCRC(Array(body.utf8))))
        // Over UTF-16 or scalars the value would differ: the bytes are what EMVCo checks.
        #expect(CRC16.payloadChecksum(body) != CRC16.hex(referenceCRC(body.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })))
    }

    /// Third-party payloads: where the file says the CRC verifies, ours agrees, and where it says it does not, ours
    /// disagrees (the vectors' own CRCs were computed by other implementations).
    @Test(arguments: Fixtures.vectors.filter { $0.crcValid != nil && $0.payload.dropLast(4).hasSuffix("6304") })
    func vectorChecksums(_ vector: Vector) {
        let body = vector.payload.dropLast(4)
        let found = String(vector.payload.suffix(4))
        #expect((CRC16.payloadChecksum(body) == found.uppercased()) == vector.crcValid, "computed \(CRC16.payloadChecksum(body)), payload says \(found)")
    }

    @Test func lowerCaseCRCIsAccepted() throws {
        // Find built codes whose CRC has hex letters, then write the CRC in lower case.
        var rng = SplitMix64(seed: 42)
        var checked = 0
        for _ in 0..<200 where checked < 10 {
            let request = PaymentRequest(merchantName: "SHOP \(rng.alphanumeric(6))", merchantCity: "Bangkok", amount: "\(Int.random(in: 1...9999, using: &rng)).50",
                                         account: ["mobile": "08" + rng.digits(8)])
            let payload = try PromptPayScheme().build(request)
            let crc = payload.suffix(4)
            guard crc.contains(where: \.isLetter) else { continue }
            let lower = payload.dropLast(4) + crc.lowercased()
            let report = Fixtures.classify(String(lower))
            #expect(report.valid, "\(lower): \(report.errors)")
            #expect(report.crc?.present == true && report.crc?.valid == true)
            #expect(MerchantCode(decoding: String(lower)).crc?.valid == true)
            checked += 1
        }
        #expect(checked == 10)
    }

    @Test func wrongCRCIsRejectedNamingBothValues() throws {
        let payload = try PixScheme().build(PaymentRequest(merchantName: "Loja", merchantCity: "SAO PAULO", amount: "10.00", account: ["key": "loja@example.com"]))
        let good = String(payload.suffix(4))
        let bad = good == "0000" ? "0001" : "0000"
        let report = Fixtures.classify(payload.dropLast(4) + bad)
        #expect(!report.valid)
        #expect(report.crc?.present == true && report.crc?.valid == false)
        let message = try #require(report.errors.first { $0.contains("CRC") })
        #expect(message.contains(bad) && message.contains(good), "\(message)")
        #expect(message.hasPrefix("tag 63"))
    }

    /// PromptPay vector with a free-form tag 81 (UCS-2 hex, not ID-length-value: a warning). Cut just before its
    /// CRC, the code used to pass: the missing-CRC error was skipped whenever the structure had any problem.
    @Test func missingCRCIsAnErrorBesideAFreeFormTemplate() throws {
        let vector = try #require(Fixtures.vectors.first { $0.payload.contains("8148") && $0.scheme == "PromptPay" })
        let cut = String(vector.payload.dropLast(8))
        #expect(Fixtures.classify(vector.payload).valid)
        let report = Fixtures.classify(cut)
        #expect(report.warnings.contains { $0.hasPrefix("tag 81") }, "\(report.warnings)")
        #expect(!report.valid)
        #expect(report.errors.contains { $0.contains("missing CRC") }, "\(report.errors)")
        #expect(report.crc?.present == false)
    }

    @Test func nonHexOrShortCRCIsAnError() {
        for crc in ["XXXX", "12G4"] {
            let report = Fixtures.classify("00020101021102160004hoge0104abcd520441115303156540523.725802CN5914BEST TRANSPORT6007BEIJING6304" + crc)
            #expect(report.errors.contains { $0.contains("4 hex digits") && $0.contains(crc) }, "\(report.errors)")
        }
        let short = Fixtures.classify("00020101021102160004hoge0104abcd520441115303156540523.725802CN5914BEST TRANSPORT6007BEIJING6303ABC")
        #expect(short.errors.contains { $0.contains("4 hex digits") }, "\(short.errors)")
    }
}
