import Foundation
import Imaging
import PaymentCodes
import Testing

/// Build → libqrencode → raster → zbar → classify, for every buildable scheme, with real libraries.
struct QRRoundTripTests {
    static let registry: WalletRegistry = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! WalletRegistry(toml: String(contentsOf: root.appendingPathComponent("Assets/wallets.toml"), encoding: .utf8))
    }()

    /// Reproducible randomness: the same names and amounts every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let names = ["麺処 さくら", "最佳运输", "ចន ស្មីន", "김밥천국", "Café Ümlaut", "TOAST BOX", "ร้านกาแฟ", "Phở Hà Nội"]

    /// Identifiers each scheme needs, valid for its rules.
    static let accounts: [String: [String: String]] = [
        "jpqr": ["jpqr-id": "0000000000001-0001-000001-000001"],
        "sgqr": ["sgqr-id": "1809072DD85C", "postal": "079027", "uen": "201403121W"],
        "qris": ["nmid": "ID1020041698835", "provider": "ID.CO.BANK.WWW", "pan": "9360001430006164"],
        "khqr": ["bakong-id": "shop@devb", "created": "1613027972757", "expires": "1613028572757"],
        "paynow": ["mobile": "+6591234567"],
        "nets": ["metadata": "1198500065G991231235900", "merchant-id": "11168661400", "terminal-id": "68661401", "signature": "604108C2"],
        "promptpay": ["mobile": "0812223333"],
        "duitnow": ["acquirer-id": "890053", "merchant-id": "123456789"],
        "bharatqr": ["vpa": "shop@upi"],
        "pix": ["key": "123e4567-e12b-12d1-a456-426655440000"],
        "vietqr": ["bank-bin": "970436", "account": "0011001234567"],
    ]

    static func request(_ scheme: String, _ random: inout SplitMix) -> PaymentRequest {
        let name = names.randomElement(using: &random)!
        let currency = scheme == "jpqr" ? "JPY" : nil
        let whole = Int.random(in: 1...99_999, using: &random)
        let amount: String? = switch scheme {
        case "jpqr", "vietqr": String(whole)
        case "paynow" where Bool.random(using: &random): nil
        default: "\(whole).\(Int.random(in: 10...99, using: &random))"
        }
        return PaymentRequest(merchantName: "SHOP \(whole)", merchantCity: "CITY", postalCode: "5540044", categoryCode: "5812",
                              alternateName: name, alternateLanguage: scheme == "jpqr" ? "JA" : "ZH", amount: amount, currency: currency,
                              reference: "R\(Int.random(in: 0...999_999, using: &random))", terminalLabel: "T1", account: accounts[scheme] ?? [:])
    }

    @Test(arguments: MerchantSchemes.all.map(\.id))
    func buildRenderScanDecode(scheme: String) throws {
        var random = SplitMix(state: UInt64(scheme.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        let profile = try #require(MerchantSchemes.named(scheme))
        let classifier = Classifier(registry: Self.registry)
        let reader = CodeReader()
        for _ in 0..<12 {
            let request = Self.request(scheme, &random)
            let payload = try profile.build(request)
            let symbol = try QRSymbol(payload)
            let image = symbol.image(scale: 3)
            let read = reader.read(image)
            #expect(read.map(\.text) == [payload], "zbar must read exactly what was encoded")
            let report = classifier.classify(try #require(read.first).text)
            #expect(report.valid, "\(report.errors)")
            #expect(report.scheme == scheme)
            #expect(report.amount == request.amount)
            #expect(report.json["tags"]?["64"]?["01"]?.stringValue == request.alternateName)
        }
    }

    @Test func upiLinkRoundTrip() throws {
        let link = try UPILink.build(PaymentRequest(merchantName: "Chai & Co+", merchantCity: "Mumbai", amount: "49.50", reference: "T 1", account: ["vpa": "chai@okaxis"]))
        let read = CodeReader().read(try QRSymbol(link).image(scale: 3))
        let report = Classifier(registry: Self.registry).classify(try #require(read.first).text)
        #expect(report.valid && report.scheme == "upi" && report.merchantName == "Chai & Co+" && report.amount == "49.50")
    }

    @Test func quietZoneAndIntegerModules() throws {
        let symbol = try QRSymbol("00020101021129370016A0000006770101110113006681222333353037645802TH63041DCF")
        let image = symbol.image(scale: 5, quietZone: 1)
        #expect(image.width == (symbol.size + 8) * 5, "the quiet zone never shrinks below 4 modules")
        #expect(image.pixels[0..<(4 * 5 * image.width)].allSatisfy { $0 == 255 }, "the top quiet zone is white")
        #expect(symbol.moduleSize(fitting: 720) == 720 / (symbol.size + 8))
    }

    @Test func darkModeCodesReadInverted() throws {
        let image = try QRSymbol("134567890123456789").image(scale: 4).inverted
        let reader = CodeReader()
        #expect(reader.read(image.inverted).map(\.text) == ["134567890123456789"])
    }

    @Test func tooMuchDataIsATypedError() {
        #expect(throws: QRSymbol.EncodeError.self) { try QRSymbol(String(repeating: "漢", count: 3000)) }
    }
}
