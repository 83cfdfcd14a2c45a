import Devices
import ShopperCodes
import Foundation
import Imaging
import PaymentCodes

/// The test corpus, generated: every wallet's codes in each form it is shown in (Code 128 and QR for
/// numeric wallets, QR for consumer-presented EMVCo/JPQR codes), as a camera would see them.
enum Corpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registry = try! WalletRegistry(toml: String(contentsOf: root.appendingPathComponent("Assets/wallets.toml"), encoding: .utf8))
    static let classifier = Classifier(registry: registry)

    struct Code: Sendable {
        var wallet: String
        var payload: String
        var symbology: ShopperCode.Symbology
        var name: String { "\(wallet)-\(symbology.rawValue)" + (payload.hasPrefix("hQV") ? "-cpm" : "") }
    }

    /// A number that matches the wallet's first numeric pattern, other digits from a fixed sequence.
    static func number(for entry: WalletRegistry.Entry, seed: UInt64) -> String? {
        guard let pattern = entry.numeric?.first else { return nil }
        let bounds = pattern.prefix.split(separator: "-").map(String.init)
        var digits = bounds.count == 2 ? String(format: "%0\(bounds[0].count)d", (Int(bounds[0])! + Int(bounds[1])!) / 2) : bounds[0]
        let length = pattern.length ?? ((pattern.minLength ?? 16) + (pattern.maxLength ?? 16)) / 2
        var rng = SplitMix(seed: seed)
        while digits.count < length { digits += String(rng.next() % 10) }
        return digits
    }

    static func track2(_ pan: String) -> [UInt8] {
        var hex = pan + "D2912201"
        if hex.count % 2 == 1 { hex += "F" }
        return [UInt8](hex: hex)!
    }

    /// A consumer-presented code: 85 indicator, 61 { 4F AID, 57 track 2, 63 { 9F26 cryptogram, 9F36 ATC } }.
    static func cpm(_ indicator: String, aid: [UInt8], pan: String) -> String {
        func tlv(_ tag: [UInt8], _ value: [UInt8]) -> [UInt8] { tag + [UInt8(value.count)] + value }
        let common = tlv([0x63], tlv([0x9F, 0x26], [0x58, 0x4F, 0xD3, 0x85, 0xFA, 0x23, 0x4B, 0xCC]) + tlv([0x9F, 0x36], [0x00, 0x01]))
        let app = tlv([0x61], tlv([0x4F], aid) + tlv([0x57], track2(pan)) + common)
        return Data(tlv([0x85], Array(indicator.utf8)) + app).base64EncodedString()
    }

    static let codes: [Code] = {
        var codes: [Code] = []
        for (i, entry) in registry.wallets.enumerated() {
            guard let number = number(for: entry, seed: UInt64(i + 1)) else { continue }
            codes.append(Code(wallet: entry.id, payload: number, symbology: .code128))
            codes.append(Code(wallet: entry.id, payload: number, symbology: .qr))
        }
        let jcb: [UInt8] = [0xA0, 0, 0, 0, 0x65, 0x03, 0x92, 0x02]
        codes.append(Code(wallet: "merpay", payload: cpm("CPV01", aid: jcb, pan: "3158990012345678"), symbology: .qr))
        codes.append(Code(wallet: "aupay", payload: cpm("JPQR1", aid: jcb, pan: "3158992100001234567"), symbology: .qr))
        codes.append(Code(wallet: "yuchopay", payload: cpm("JPQR1", aid: jcb, pan: "3158993500001234567"), symbology: .qr))
        codes.append(Code(wallet: "unionpay", payload: cpm("CPV01", aid: [0xA0, 0, 0, 3, 0x33, 0x01, 0x01, 0x02], pan: "6212345678901234567"), symbology: .qr))
        // A real QRIS consumer code from astrapay/spring-qris (AID A0000006022020).
        codes.append(Code(wallet: "qris", payload: "hQVDUFYwMWFQTwegAAAGAiAgUAdRUklTQ1BNWgqTYAAUF0URgIWfXyAOU0VORFkgQUdVU1RJQU5fLQRpZGVunyUCCFljE590EMl/VZmz53/iKI8rM1dUcFs=", symbology: .qr))
        return codes
    }()
}

/// A fixed pseudo-random sequence, so every run draws the same corpus.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func range(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }
}
