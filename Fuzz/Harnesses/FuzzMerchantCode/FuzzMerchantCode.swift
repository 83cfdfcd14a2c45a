import FuzzSupport
import PaymentCodes

/// Merchant-presented codes: `MerchantCode(decoding:)`, the EMVCo rules and every scheme profile's checks.
///
/// Invariants besides "no crash":
/// - every field's position points at its own ID and value in the payload (error messages quote positions);
/// - a payload whose structure reads cleanly re-encodes (`MerchantCode.encode`) to one that decodes back to the
///   same fields, with a valid CRC and no structure error; one that already ends in its own upper-case valid CRC re-encodes to itself;
/// - a CRC is computed as four upper-case hex digits;
/// - no rule or profile answers with an empty message.
@_cdecl("LLVMFuzzerTestOneInput") public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = text(data, size)
    let code = MerchantCode(decoding: payload)
    let scalars = Array(payload.unicodeScalars)

    func checkPositions(_ fields: [MerchantField]) {
        for field in fields {
            let end = field.position + 4 + field.value.unicodeScalars.count
            invariant(field.position >= 0 && end <= scalars.count, "field \(field.id) at \(field.position) outside the payload")
            invariant(String(scalars: scalars[field.position..<field.position + 2]) == field.id, "field \(field.id) position \(field.position)")
            invariant(String(scalars: scalars[field.position + 4..<end]) == field.value, "field \(field.id) value position")
            checkPositions(field.children ?? [])
        }
    }
    checkPositions(code.fields)

    if let crc = code.crc {
        invariant(crc.computed.count == 4 && crc.computed.allSatisfy { $0.isHexDigit && !$0.isLowercase }, "CRC computed \(crc.computed)")
    }

    var problems = EMVCoRules.check(code)
    for scheme in MerchantSchemes.all where scheme.recognises(code) {
        problems += EMVCoRules.check(code, optional: scheme.optionalRootTags) + scheme.check(code)
        for (name, value) in scheme.details(code) { invariant(!name.isEmpty, "\(scheme.id) detail without a name (\(value))") }
    }
    for problem in problems + code.structureProblems {
        invariant(!problem.message.isEmpty, "an empty message for tag \(problem.tag ?? "-")")
    }

    // Round trip: only a payload read to the end without a structure error.
    guard !code.structureProblems.contains(where: { $0.severity == .error }), !code.fields.isEmpty else { return 0 }
    let encoded: String
    do { encoded = try MerchantCode.encode(code.fields) } catch {
        // Only the length limit may refuse fields that were read from a payload (values are at most 99 long).
        guard case .tooLong = error else { invariant(false, "re-encoding refused: \(error)"); return 0 }
        return 0
    }
    let again = MerchantCode(decoding: encoded)
    invariant(!again.structureProblems.contains { $0.severity == .error }, "re-encoded payload has problems: \(again.structureProblems)")
    invariant(again.crc?.valid == true, "re-encoded payload has no valid CRC")
    let withoutCRC = { (fields: [MerchantField]) in fields.filter { $0.id != "63" } }
    invariant(same(withoutCRC(again.fields), withoutCRC(code.fields)), "re-encoded fields differ:\n\(encoded)\n\(payload)")
    if code.fields.filter({ $0.id == "63" }).count == 1, code.fields.last?.id == "63", let crc = code.crc, crc.found == crc.computed {
        invariant(encoded == payload, "a payload with its own CRC re-encodes differently:\n\(encoded)\n\(payload)")
    }
    return 0
}

/// Same IDs, values and children in the same order (positions may differ once a 63 has moved to the end).
func same(_ a: [MerchantField], _ b: [MerchantField]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        x.id == y.id && x.value == y.value && (x.children == nil) == (y.children == nil) && same(x.children ?? [], y.children ?? [])
    }
}

extension String {
    init(scalars: ArraySlice<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }
}
