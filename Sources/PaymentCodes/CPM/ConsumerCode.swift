import Foundation

/// A consumer-presented code in EMVCo CPM ("CPV01") or JPQR CPM ("JPQR1") form: base64 of BER-TLV,
/// tag 85 the payload format indicator, 61 the application template, 62/63/64 common data.
public struct ConsumerCode: Sendable {
    public enum Format: String, Sendable { case emvco = "emvco-cpm", jpqr = "jpqr-cpm" }

    public var format: Format
    public var elements: [BERElement]

    /// Tags whose values are text (an/ans in EMV), shown as text rather than hex.
    static let textTags: Set<String> = ["85", "50", "5F20", "5F2D", "9F12", "9F74", "5F50"]

    /// True when `text` starts the way base64 of tag 85 with CPV01 or JPQR1 does.
    public static func looksLikeCPM(_ text: String) -> Bool { text.hasPrefix("hQVDUFYw") || text.hasPrefix("hQVKUFFS") }

    public init(base64 text: String) throws(PaymentCodeError) {
        let compact = text.filter { !$0.isWhitespace }
        // Some wallets drop the base64 padding.
        let padded = compact + String(repeating: "=", count: (4 - compact.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else { throw .notBase64 }
        elements = try BERTLV.decode(Array(data))
        guard let indicator = elements.first, indicator.tagHex == "85" else {
            throw .missingRequired("the payload format indicator (tag 85, \"CPV01\") at the start")
        }
        switch String(decoding: indicator.value, as: UTF8.self) {
        case "CPV01": format = .emvco
        case "JPQR1": format = .jpqr
        case let other: throw .invalidValue(tag: "85", value: other, reason: "expected CPV01 (EMVCo) or JPQR1")
        }
    }

    public var applications: [BERElement] { elements.filter { $0.tagHex == "61" } }
    /// The first application's identifier (4F): it routes the code to a network.
    public var applicationID: String? { applications.first?[tag: "4F"]?.value.hexString }

    /// The account number from 5A, or the part of the track-2 equivalent (57) before the separator D.
    public var accountNumber: String? {
        for app in applications + elements {
            if let pan = app.tagHex == "5A" ? app : app.find("5A") { return Self.digits(pan.value) }
            if let track = app.tagHex == "57" ? app : app.find("57") {
                let hex = track.value.hexString
                return String(hex.prefix { $0 != "D" })
            }
        }
        return nil
    }

    static func digits(_ bcd: [UInt8]) -> String { String(bcd.hexString.prefix { $0 != "F" }) }

    public func check() -> [Problem] {
        var problems: [Problem] = []
        if applications.isEmpty { problems.append(.error("61", "no application template (61)")) }
        for (index, app) in applications.enumerated() where app[tag: "4F"] == nil && format == .emvco {
            problems.append(.error("61", "application template \(index + 1) has no application identifier (4F)"))
        }
        if format == .jpqr, applications.first?[tag: "57"] == nil {
            problems.append(.error("61.57", "a JPQR consumer code carries the payment id in 57"))
        }
        if accountNumber == nil { problems.append(.warning("5A/57", "no account number (5A) or track-2 data (57)")) }
        return problems
    }
}
