import Foundation
import FuzzSupport
import PaymentCodes

/// The classifier of scanned strings, `Classifier(registry:).classify(_:)`, with the registry of
/// Assets/wallets.toml: CPM base64 + BER-TLV, numeric codes, UPI links, merchant codes.
///
/// The first byte chooses how the rest is read: 0xC1 / 0xC2 are BER-TLV bytes after the tag 85 of an EMVCo
/// ("CPV01") / JPQR ("JPQR1") consumer code, sent base64-encoded as a wallet shows them (so the fuzzer mutates
/// BER-TLV, not base64); anything else is the scanned text itself.
///
/// Invariants besides "no crash" (those of Tests/PaymentCodesTests/RobustnessTests.swift, plus secrecy):
/// - an invalid report says why, and no message is empty; a valid one has a kind, a valid merchant code a
///   valid CRC, a valid numeric or consumer code a wallet;
/// - the decode JSON has its fixed keys, parses as JSON and says what the report says;
/// - a customer's code (numeric, EMVCo or JPQR CPM) of 11 characters or more never appears whole in what the
///   terminal logs (errors, warnings, wallet, scheme, networks, details), nor does its account number (5A/57)
///   of 11 digits or more: `Mask.number` shows at most 6 + 4 digits.
let registry: WalletRegistry = {
    let path = repository.appendingPathComponent("Assets/wallets.toml").path
    do { return try WalletRegistry(toml: TOMLText.read(path)) } catch { fatalError("cannot load \(path): \(error)") }
}()
let classifier = Classifier(registry: registry)

@_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let scanned: String
    switch input.first {
    case 0xC1?: scanned = Data([0x85, 0x05] + Array("CPV01".utf8) + input.dropFirst()).base64EncodedString()
    case 0xC2?: scanned = Data([0x85, 0x05] + Array("JPQR1".utf8) + input.dropFirst()).base64EncodedString()
    default: scanned = text(data, size)
    }
    let report = classifier.classify(scanned)

    if !report.valid { invariant(!report.errors.isEmpty, "invalid without errors") }
    invariant(!(report.errors + report.warnings).contains(where: \.isEmpty), "an empty message")
    if report.valid {
        invariant(report.kind != .unknown, "valid but of unknown kind")
        if report.format == .emvcoMPM { invariant(report.crc?.valid == true, "a valid merchant code without a valid CRC") }
        if [.numeric, .emvcoCPM, .jpqrCPM].contains(report.format) { invariant(report.wallet != nil, "a valid customer code naming no wallet") }
    }
    let json = report.json
    guard case let .object(pairs) = json else { invariant(false, "the decode JSON is not an object"); return 0 }
    let keys = pairs.map(\.0)
    invariant(keys == ["valid", "errors", "warnings", "kind", "format", "scheme", "wallet", "networks", "pointOfInitiation", "amount",
                       "currency", "country", "merchantName", "merchantCity", "crc", "tags", "details"], "decode JSON keys \(keys)")
    let serialized = json.serialized
    guard let object = try? JSONSerialization.jsonObject(with: Data(serialized.utf8)) as? [String: Any] else {
        invariant(false, "the decode JSON does not parse: \(serialized.prefix(300))"); return 0
    }
    invariant(object["valid"] as? Bool == report.valid, "JSON valid differs")
    invariant((object["errors"] as? [String]) == report.errors, "JSON errors differ")

    // Secrecy: what reaches a log never holds a whole customer code or account number.
    let customer = report.kind == .consumerPresented || [.numeric, .emvcoCPM, .jpqrCPM].contains(report.format)
    guard customer else { return 0 }
    let logged = report.errors + report.warnings + report.networks + [report.wallet, report.scheme].compactMap { $0 }
        + report.details.flatMap { [$0.0, $0.1] }
    var secrets: [String] = []
    let code = scanned.trimmingCharacters(in: .whitespacesAndNewlines)
    if code.unicodeScalars.count >= 11 { secrets.append(code) }
    if let cpm = try? ConsumerCode(base64: code), let pan = cpm.accountNumber, pan.count >= 11 { secrets.append(pan) }
    for secret in secrets {
        invariant(!logged.contains { $0.contains(secret) }, "a whole customer code or account number in the report: \(logged)")
    }
    return 0
}
