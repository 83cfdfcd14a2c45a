import Foundation
import Testing
@testable import PaymentCodes

/// A numeric customer code family: the wallet it must name, its prefixes and lengths.
struct NumericFamily: Sendable, CustomTestStringConvertible {
    var wallet: String
    var prefixes: [String]
    var lengths: ClosedRange<Int>
    var testDescription: String { "\(wallet) \(prefixes.count == 1 ? prefixes[0] : "\(prefixes.first!)…\(prefixes.last!)") \(lengths)" }

    func sample(_ rng: inout SplitMix64) -> String {
        let prefix = rng.pick(prefixes)
        return prefix + rng.digits(Int.random(in: lengths, using: &rng) - prefix.count)
    }
}

@Suite("Wallet registry") struct RegistryTests {
    static let families: [NumericFamily] = [
        NumericFamily(wallet: "wechatpay", prefixes: (10...15).map(String.init), lengths: 18...18),
        NumericFamily(wallet: "alipay", prefixes: (25...30).map(String.init), lengths: 16...24),
        NumericFamily(wallet: "unionpay", prefixes: ["62"], lengths: 19...19),
        NumericFamily(wallet: "paypay", prefixes: ["9000818188"], lengths: 24...24),
        NumericFamily(wallet: "rakutenpay", prefixes: ["900001"], lengths: 16...16),
        NumericFamily(wallet: "dbarai", prefixes: ["90000002"], lengths: 22...22),
        NumericFamily(wallet: "merpay", prefixes: ["31589900"], lengths: 19...19),
        NumericFamily(wallet: "aupay", prefixes: ["31589921"], lengths: 19...19),
        NumericFamily(wallet: "yuchopay", prefixes: (31_589_931...31_589_940).map(String.init), lengths: 19...19),
        NumericFamily(wallet: "alipayplus", prefixes: ["28"], lengths: 25...32),
    ]

    static func entry(_ toml: String) -> String {
        "[[wallet]]\nid = \"x\"\nnames = { en = \"X\" }\nmodes = [\"consumer-presented\"]\n" + toml
    }

    @Test func realRegistryLoads() throws {
        let text = try #require(Fixtures.registryText, "read \(Fixtures.registryURL.path)")
        let registry = try WalletRegistry(toml: text)
        let ids = registry.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for wallet in ["paypay", "rakutenpay", "dbarai", "merpay", "aupay", "wechatpay", "alipay", "alipayplus", "unionpay"] {
            #expect(registry.wallets.contains { $0.id == wallet }, "wallet \(wallet)")
        }
        // Every merchant scheme has its network entry (so a code's own scheme is left out of its networks).
        for scheme in MerchantSchemes.all {
            #expect(registry.networks.contains { $0.id == scheme.id }, "network \(scheme.id)")
        }
        for entry in registry.all {
            #expect(entry.names["en"] != nil && entry.names["ja"] != nil, "\(entry.id) has English and Japanese names")
            #expect(!entry.modes.isEmpty && Set(entry.modes).isSubset(of: ["merchant-presented", "consumer-presented"]), "\(entry.id) modes")
        }
        #expect(registry.entry("dbarai")?.name(for: "ja") == "d払い")
        #expect(registry.entry("dbarai")?.name(for: "xx") == "d Barai", "unknown languages fall back to English")
    }

    @Test(arguments: Self.families)
    func numericCodesNameTheirWallet(_ family: NumericFamily) {
        var rng = SplitMix64(seed: UInt64(family.wallet.utf8.count) &* 0x1234_5678 &+ UInt64(family.prefixes[0])!)
        for _ in 0..<40 {
            let number = family.sample(&rng)
            let report = Fixtures.classify(number)
            #expect(report.wallet == family.wallet, "\(number): \(report.errors)")
            #expect(report.valid && report.kind == .consumerPresented && report.format == .numeric, "\(number)")
        }
    }

    @Test func lengthBoundsAreExact() {
        var rng = SplitMix64(seed: 99)
        for family in Self.families {
            for length in [family.lengths.lowerBound - 1, family.lengths.upperBound + 1] {
                let prefix = family.prefixes[0]
                let number = prefix + rng.digits(length - prefix.count)
                #expect(Fixtures.classify(number).wallet != family.wallet, "\(number) (\(length) digits) is not \(family.wallet)")
            }
        }
        // Just outside WeChat's 10–15 range.
        for prefix in ["09", "16"] {
            let report = Fixtures.classify(prefix + rng.digits(16))
            #expect(report.wallet == nil && !report.valid)
            #expect(report.errors == ["no wallet in the registry uses 18-digit codes starting \(prefix)"])
        }
    }

    @Test func overlappingPatternsPreferTheLongestPrefixAndWarn() {
        // Equally specific patterns (a 2-digit range and a 2-digit prefix): file order picks, and the report
        // says what else the number fits.
        let overlapping = try! WalletRegistry(toml: Self.entry("numeric = [{ prefix = \"25-30\", min_length = 16, max_length = 24 }]\n")
            + "[[wallet]]\nid = \"z\"\nnames = { en = \"Z\" }\nmodes = [\"consumer-presented\"]\nnumeric = [{ prefix = \"28\", length = 17 }]\n")
        let report = Classifier(registry: overlapping).classify("28" + String(repeating: "1", count: 15))
        #expect(report.wallet == "x")
        #expect(report.valid)
        #expect(report.warnings.contains { $0.contains("z") }, "\(report.warnings)")
        // A longer prefix wins outright, without a warning.
        let registry = try! WalletRegistry(toml: Self.entry("numeric = [{ prefix = \"12\", length = 6 }]\n")
            + "[[wallet]]\nid = \"y\"\nnames = { en = \"Y\" }\nmodes = [\"consumer-presented\"]\nnumeric = [{ prefix = \"1234\", length = 6 }]\n")
        #expect(registry.wallets(forNumber: "123499").map(\.id) == ["y", "x"])
        #expect(registry.wallets(forNumber: "129999").map(\.id) == ["x"])
    }

    /// Independent EAN-13 check digit (GS1): weights 1, 3 from the left over 12 digits.
    static func ean13(_ twelve: String) -> String {
        let sum = twelve.compactMap(\.wholeNumberValue).enumerated().reduce(0) { $0 + $1.element * ($1.offset.isMultiple(of: 2) ? 1 : 3) }
        return twelve + String((10 - sum % 10) % 10)
    }

    @Test func productBarcodesAreUnknownAndSaySo() {
        #expect(Self.ean13("490123456789") == "4901234567894")
        var rng = SplitMix64(seed: 13)
        for twelve in ["490123456789", "450199999999"] + (0..<30).map({ _ in "4" + rng.digits(11) }) {
            let code = Self.ean13(twelve)
            let report = Fixtures.classify(code)
            #expect(!report.valid && report.wallet == nil && report.kind == .unknown, "\(code)")
            #expect(report.errors.contains { $0.contains("EAN-13") && $0.contains("product barcode") }, "\(code): \(report.errors)")
            // One wrong check digit: 13 digits, but no product code either.
            let wrong = String(code.dropLast()) + String((code.last!.wholeNumberValue! + 1) % 10)
            #expect(Fixtures.classify(wrong).errors == ["no wallet in the registry uses 13-digit codes starting \(code.prefix(2))"])
        }
    }

    @Test func digitsThatReadAsAMerchantCodeAreNotANumber() {
        // KHQR "Decode Test 12": nothing but a CRC object.
        let report = Fixtures.classify("63041234")
        #expect(report.format == .emvcoMPM)
        #expect(report.json["tags"]?["63"] == .string("1234"))
        #expect(!report.valid && report.crc?.valid == false)
        // A wallet number that happens to read as ID-length-value stays a wallet number.
        let registry = try! WalletRegistry(toml: Self.entry("numeric = [{ prefix = \"63\", length = 8 }]\n"))
        #expect(Classifier(registry: registry).classify("63041234").wallet == "x")
    }

    // MARK: loading TOML

    @Test func aTechnicianCanAddAWallet() throws {
        let registry = try WalletRegistry(toml: Self.entry("route = \"x\"\nnumeric = [{ prefix = \"77\", min_length = 10, max_length = 12 }]\n"))
        let classifier = Classifier(registry: registry)
        #expect(classifier.classify("7712345678").wallet == "x")
        #expect(classifier.classify("771234567890").wallet == "x")
        #expect(classifier.classify("7712345678901").wallet == nil)
        #expect(classifier.classify("771234567").wallet == nil)
    }

    @Test func duplicateIDsAreRejected() {
        let twice = Self.entry("") + Self.entry("")
        let error = #expect(throws: WalletRegistry.LoadError.self) { try WalletRegistry(toml: twice) }
        #expect(error?.description == "the id \"x\" is listed twice")
        // Also across [[network]] and [[wallet]].
        let across = "[[network]]\nid = \"x\"\nnames = { en = \"X\" }\nmodes = [\"merchant-presented\"]\n" + Self.entry("")
        #expect(throws: WalletRegistry.LoadError.self) { try WalletRegistry(toml: across) }
    }

    @Test(arguments: ["9A", "", "１２３", "12-", "-12", "1-2-3", "25-3", "30-25", " 12", "1 2", "٣٤"])
    func badPrefixesAreRejected(_ prefix: String) {
        let toml = Self.entry("numeric = [{ prefix = \"\(prefix)\", length = 5 }]\n")
        do {
            _ = try WalletRegistry(toml: toml)
            Issue.record("prefix \"\(prefix)\" was accepted")
        } catch {
            guard case let .content(message) = error else {
                Issue.record("expected a content error, got \(error)")
                return
            }
            #expect(message.contains("x:") && message.contains("\"\(prefix)\"") && message.contains("prefix"), "\(message)")
        }
    }

    @Test(arguments: ["9", "10-15", "31589931-31589940", "25-25", "0000"])
    func goodPrefixesAreAccepted(_ prefix: String) throws {
        let registry = try WalletRegistry(toml: Self.entry("numeric = [{ prefix = \"\(prefix)\", min_length = 8, max_length = 20 }]\n"))
        for bound in prefix.split(separator: "-") {
            let number = String(bound) + String(repeating: "5", count: 12 - bound.count)
            #expect(registry.wallets(forNumber: number).map(\.id) == ["x"], "\(number)")
        }
    }

    @Test(arguments: [
        (3, "[[wallet]]\nid = \"x\"\nnames = { en = \"X\" \nmodes = []\n"),
        (5, "# comment\n\n[[wallet]]\nid = \"x\"\nid2 = = \"y\"\n"),
        (3, "[[wallet]]\nid = \"x\"\nid = \"y\"\n"),
        (2, "[[wallet]]\nid = \"unterminated\n"),
    ])
    func syntaxErrorsGiveTheirLine(_ line: Int, _ toml: String) {
        do {
            _ = try WalletRegistry(toml: toml)
            Issue.record("accepted a broken file")
        } catch {
            guard case let .syntax(found, column, _) = error else {
                Issue.record("expected a syntax error, got \(error)")
                return
            }
            #expect(found == line, "\(error)")
            #expect(column >= 1)
            #expect(error.description.hasPrefix("line \(line), column "))
        }
    }

    @Test func contentErrorsAreMessagesNotCrashes() {
        // A missing required key and a wrong type are reported, naming the key.
        for (toml, key) in [("[[wallet]]\nid = \"x\"\n", "names"), (Self.entry("numeric = [{ prefix = \"9\", length = \"19\" }]\n"), "length")] {
            do {
                _ = try WalletRegistry(toml: toml)
                Issue.record("accepted \(toml)")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
        #expect((try? WalletRegistry(toml: ""))?.all.isEmpty == true, "an empty file is an empty registry")
    }

    @Test func lookups() throws {
        let registry = Fixtures.registry
        #expect(registry.entry(aid: "A000000065039202")?.id == "jcb", "longest AID prefix")
        #expect(registry.entry(aid: "a0000000031010")?.id == "visa", "AIDs compare ignoring case")
        #expect(registry.entry(aid: "A0000006022020")?.id == "qris")
        #expect(registry.entry(aid: "A0000000555555") == nil)
        #expect(registry.entry(pan: "3158990079242943")?.id == "merpay")
        #expect(registry.entry(pan: "3158992100000000000")?.id == "aupay")
        #expect(registry.entry(pan: "3158993500000000000")?.id == "yuchopay")
        #expect(registry.entry(guid: "br.gov.bcb.pix")?.id == "pix")
        #expect(registry.entry(guid: "BR.GOV.BCB.PIX")?.id == "pix")
        #expect(registry.entry(guid: "sg.sgqr")?.id == "sgqr")
        #expect(registry.entry(mpmTag: "15")?.id == "unionpay")
        #expect(registry.entry(mpmTag: "04")?.id == "mastercard")
        #expect(registry.entry(mpmTag: "26") == nil)
    }

    @Test func merchantCodesListTheirOtherNetworks() throws {
        // Pix vector with Mastercard in tag 04 and two BR.COM.OUTRO templates nobody registered.
        let vector = try #require(Fixtures.vectors.first { $0.expect.objectValue?["04"] != nil && $0.scheme.hasPrefix("Pix") })
        let report = Fixtures.classify(vector.payload)
        #expect(report.scheme == "pix")
        #expect(report.networks == ["mastercard"])
        // SGQR with PayNow and NETS inside: SGQR names the code, the others are its networks.
        let sgqr = try #require(Fixtures.vectors.first { $0.scheme == "SGQR/NETS" })
        let nets = Fixtures.classify(sgqr.payload)
        #expect(nets.scheme == "sgqr")
        #expect(nets.networks == ["nets"])
    }
}
