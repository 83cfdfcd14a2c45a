import Foundation
import Testing
@testable import PaymentCodes

/// Whatever a scanner hands over, the classifier answers: no crash, and a refusal always says why.
@Suite("Robustness") struct RobustnessTests {
    /// What every report must satisfy; returns the broken rules (empty when fine).
    static func violations(_ report: CodeReport) -> [String] {
        var broken: [String] = []
        if !report.valid, report.errors.isEmpty { broken.append("invalid without errors") }
        if report.errors.contains(where: \.isEmpty) || report.warnings.contains(where: \.isEmpty) { broken.append("an empty message") }
        if report.valid, report.kind == .unknown { broken.append("valid but of unknown kind") }
        if report.valid, report.format == .emvcoMPM, report.crc?.valid != true { broken.append("a valid merchant code without a valid CRC") }
        if report.valid, report.format == .numeric, report.wallet == nil { broken.append("a valid number naming no wallet") }
        if report.valid, report.format == .emvcoCPM || report.format == .jpqrCPM, report.wallet == nil { broken.append("a valid consumer code naming no wallet") }
        let keys = report.json.objectPairs?.map(\.0) ?? []
        if keys != ["valid", "errors", "warnings", "kind", "format", "scheme", "wallet", "networks", "pointOfInitiation", "amount",
                    "currency", "country", "merchantName", "merchantCity", "crc", "tags", "details"] { broken.append("decode JSON keys \(keys)") }
        // The decode JSON is JSON, and says what the report says.
        let text = report.json.serialized
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            if object["valid"] as? Bool != report.valid { broken.append("JSON valid differs") }
            if (object["errors"] as? [String]) != report.errors { broken.append("JSON errors differ") }
        } else {
            broken.append("the decode JSON does not parse: \(text.prefix(200))")
        }
        return broken
    }

    /// Classifies every input, records at most a few failures (with the input) so a regression stays readable.
    static func survey(_ inputs: [String], requireInvalid: (String) -> Bool = { _ in false }) -> (valid: Int, invalid: Int) {
        var valid = 0, invalid = 0, recorded = 0
        for input in inputs {
            let report = Fixtures.classify(input)
            var broken = violations(report)
            if report.valid, requireInvalid(input) { broken.append("accepted") }
            if report.valid { valid += 1 } else { invalid += 1 }
            if !broken.isEmpty, recorded < 5 {
                recorded += 1
                Issue.record("\(broken) for \(input.debugDescription.prefix(300)): \(report.errors)")
            }
        }
        return (valid, invalid)
    }

    // MARK: random input

    static let scalarPools: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0x30...0x39, 0x00...0x1F, 0x80...0xFF, 0x300...0x36F, 0x3040...0x30FF, 0x4E00...0x4FFF,
        0x1780...0x17FF, 0xAC00...0xAC80, 0x1F600...0x1F64F, 0x2028...0x2029, 0xFEFF...0xFEFF, 0xFFF0...0xFFFD,
    ]

    static func randomText(_ rng: inout SplitMix64, length: Int) -> String {
        var scalars: [Unicode.Scalar] = []
        while scalars.count < length {
            if let scalar = Unicode.Scalar(UInt32.random(in: rng.pick(scalarPools), using: &rng)) { scalars.append(scalar) }
        }
        return String(scalars: scalars)
    }

    /// Random ID-length-value objects, right or wrong, sometimes closed with a correct CRC so the scheme rules run.
    static func randomTLV(_ rng: inout SplitMix64) -> String {
        let guids = ["jp.or.paymentsjapan", "SG.PAYNOW", "SG.SGQR", "SG.COM.NETS", "ID.CO.QRIS.WWW", "A000000677010111", "A000000677010112",
                     "A0000006150001", "A000000524", "br.gov.bcb.pix", "A000000727", "khqr@devb", "x"]
        func value(_ rng: inout SplitMix64, depth: Int) -> String {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where depth < 2:
                var inner = ""
                if rng.chance(0.7) { inner += (try? TLV.field("00", rng.pick(guids))) ?? "" }
                for _ in 0..<Int.random(in: 0...4, using: &rng) {
                    inner += (try? TLV.field(rng.digits(2), value(&rng, depth: depth + 1))) ?? ""
                }
                return inner
            case 1: return rng.digits(Int.random(in: 0...20, using: &rng))
            case 2: return randomText(&rng, length: Int.random(in: 0...12, using: &rng))
            case 3: return rng.pick(["01", "11", "12", "392", "116", "764", "JP", "KH", "TH", "ID", "SG", "BR", "VN", "IN", "MY", "5999", "10.5", "0", "JA", "km", "0066812223333"])
            default: return rng.alphanumeric(Int.random(in: 0...30, using: &rng))
            }
        }
        var fields: [MerchantField] = rng.chance(0.8) ? [.primitive("00", rng.pick(["01", "02", "1"]))] : []
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            let id = rng.chance(0.6) ? rng.pick(["01", "26", "29", "30", "38", "40", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "64", "80", "91", "99"]) : rng.digits(2)
            fields.append(.primitive(id, value(&rng, depth: 0)))
        }
        if rng.chance(0.6), let payload = try? MerchantCode.encode(fields) { return payload }
        var text = fields.compactMap { try? TLV.field($0.id, $0.value) }.joined()
        if rng.chance(0.5) { text += "6304" + rng.alphanumeric(4).uppercased() }
        return text
    }

    @Test func randomStringsNeverCrashAndRefusalsSayWhy() {
        var rng = SplitMix64(seed: 2026)
        var inputs: [String] = []
        for i in 0..<2_000 {
            switch i % 8 {
            case 0: inputs.append(randomTextInput(&rng))
            case 1: inputs.append(String((0..<Int.random(in: 0...120, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))) }))
            case 2: inputs.append("000201" + rng.alphanumeric(Int.random(in: 0...60, using: &rng)))
            case 3, 4: inputs.append(Self.randomTLV(&rng))
            case 5: inputs.append("upi://" + rng.pick(["pay", "mandate", "PAY", "x"]) + "?" + (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                rng.pick(["pa", "pn", "am", "cu", "mc", "tr", "tn", "PA", "x"]) + "=" + Self.randomText(&rng, length: Int.random(in: 0...10, using: &rng))
            }.joined(separator: "&"))
            case 6: inputs.append(rng.pick(["hQVDUFYw", "hQVKUFFS"]) + String((0..<Int.random(in: 0...80, using: &rng)).map { _ in
                rng.pick(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="))
            }))
            default: inputs.append(rng.digits(Int.random(in: 1...40, using: &rng)))
            }
        }
        #expect(inputs.count == 2_000)
        let (valid, invalid) = Self.survey(inputs)
        // Random text is refused; only random digits can be a wallet's number by chance.
        #expect(invalid > 1_900, "\(valid) random inputs passed")
    }

    func randomTextInput(_ rng: inout SplitMix64) -> String { Self.randomText(&rng, length: Int.random(in: 0...80, using: &rng)) }

    @Test func randomConsumerCodesNeverCrash() {
        var rng = SplitMix64(seed: 85)
        var inputs: [String] = []
        for _ in 0..<500 {
            // A real indicator, then random bytes or random well-formed elements.
            var bytes: [UInt8] = [0x85, 0x05] + Array(rng.pick(["CPV01", "JPQR1"]).utf8)
            if rng.chance(0.5) {
                bytes += (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                var elements: [BERElement] = []
                for _ in 0..<Int.random(in: 0...4, using: &rng) {
                    let tag: [UInt8] = rng.pick([[0x61], [0x62], [0x63], [0x4F], [0x5A], [0x57], [0x50], [0x5F, 0x20], [0x9F, 0x74], [0x9F, 0x81, 0x01], [0xBF, 0x0C]])
                    let value = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    elements.append(BERElement(tag: tag, value: value, position: 0))
                }
                bytes += BERTLV.encode(elements)
                if rng.chance(0.3) { bytes = Array(bytes.prefix(Int.random(in: 7...max(7, bytes.count), using: &rng))) }
            }
            var text = Data(bytes).base64EncodedString()
            if rng.chance(0.2) { text = String(text.filter { $0 != "=" }) }
            inputs.append(text)
        }
        _ = Self.survey(inputs)
    }

    /// `depth` constructed 61 elements, one inside the other, around an AID: base64 of a consumer code.
    static func nested(depth: Int) -> String {
        var inner: [UInt8] = [0x4F, 0x05, 0xA0, 0, 0, 0x03, 0x33]
        for _ in 0..<depth {
            let n = inner.count
            let header: [UInt8] = n < 0x80 ? [UInt8(n)] : n < 0x100 ? [0x81, UInt8(n)] : n < 0x10000 ? [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
                : [0x83, UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
            inner = [0x61] + header + inner
        }
        return Data([0x85, 0x05] + Array("CPV01".utf8) + inner).base64EncodedString()
    }

    @Test func deeplyNestedConsumerCodesAreRefusedNotFatal() {
        // As deep as a version-40 QR code (2,953 characters) can nest, and far deeper than any QR code: this used to
        // overflow the stack in the recursive BER decoder and kill the process.
        for depth in [550, 100_000] {
            let text = Self.nested(depth: depth)
            let report = Fixtures.classify(text)
            #expect(Self.violations(report).isEmpty, "depth \(depth)")
            #expect(!report.valid && report.kind == .consumerPresented)
            #expect(report.errors.contains { $0.contains("nests deeper than \(BERTLV.maximumDepth) levels") }, "\(report.errors)")
        }
        #expect(Self.nested(depth: 550).count < 2_953, "a depth a real QR code can carry")
    }

    // MARK: truncation and corruption of real codes

    static func validSamples() throws -> [String: [String]] {
        var rng = SplitMix64(seed: 31)
        var mpm = Fixtures.vectors.filter { Fixtures.classify($0.payload).valid && Fixtures.classify($0.payload).format == .emvcoMPM }.map(\.payload)
        for scheme in MerchantSchemes.all { mpm.append(try scheme.build(Samples.make(scheme.id, &rng).request)) }
        let cpm = Fixtures.vectors.filter { ConsumerCode.looksLikeCPM($0.payload) && Fixtures.classify($0.payload).valid }.map(\.payload)
        let upi = try (0..<3).map { _ in
            try UPILink.build(PaymentRequest(merchantName: Names.make(&rng, limit: 20), merchantCity: "Delhi", amount: "99.50", reference: "T1", account: ["vpa": "shop@upi"]))
        }
        let numeric = RegistryTests.families.map { $0.sample(&rng) }
        return ["mpm": mpm, "cpm": cpm, "upi": upi, "numeric": numeric]
    }

    @Test func everyPrefixOfValidCodes() throws {
        let samples = try Self.validSamples()
        #expect(samples["mpm"]!.count >= 40 && samples["cpm"]!.count >= 7)
        for (kind, payloads) in samples.sorted(by: { $0.key < $1.key }) {
            for payload in payloads {
                let scalars = Array(payload.unicodeScalars)
                #expect(Fixtures.classify(payload).valid, "\(kind) sample \(payload) must be valid")
                let prefixes = (0..<scalars.count).map { String(scalars: scalars[..<$0]) }
                // A merchant code cut short has lost its CRC or part of it: always refused.
                _ = Self.survey(prefixes, requireInvalid: { _ in kind == "mpm" })
            }
        }
    }

    @Test func anySingleCharacterChangeToAnASCIIMerchantCodeIsCaught() throws {
        let payloads = try Self.validSamples()["mpm"]!.filter { $0.unicodeScalars.allSatisfy(\.isASCII) }
        #expect(payloads.count >= 20)
        var rng = SplitMix64(seed: 63)
        var mutants: [String] = []
        for payload in payloads {
            var scalars = Array(payload.unicodeScalars)
            for _ in 0..<20 {
                let i = Int.random(in: 0..<scalars.count, using: &rng)
                let original = scalars[i]
                var replacement = original
                // A lower-case CRC digit is the same CRC, so that one change is not a corruption.
                while replacement == original || (i >= scalars.count - 4 && String(replacement).uppercased() == String(original).uppercased()) {
                    replacement = Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &rng))
                }
                scalars[i] = replacement
                mutants.append(String(scalars: scalars))
                scalars[i] = original
            }
        }
        // CRC-16 catches every error burst of 16 bits or fewer, and one ASCII byte is 8.
        _ = Self.survey(mutants, requireInvalid: { _ in true })
    }

    @Test func aDigitWithACombiningMarkIsNotANumber() {
        let report = Fixtures.classify("1\u{301}" + String(repeating: "2", count: 17))
        #expect(report.format != .numeric)
        #expect(!report.valid)
    }
}
