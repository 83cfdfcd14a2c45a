/// One EMVCo MPM data object: two-digit ID, two-digit length, value. Lengths count Unicode scalars.
public struct TLVField: Equatable, Sendable {
    public var id: String
    public var value: String
    /// Position of the ID, in characters from the start of the whole payload.
    public var position: Int
    /// Position of the first character of the value.
    public var valuePosition: Int { position + 4 }
}

/// The result of scanning: every field read before the first fault, and the fault if there was one,
/// so a technician sees how far a damaged code was readable.
public struct TLVScan: Sendable {
    public var fields: [TLVField]
    public var failure: PaymentCodeError?
}

public enum TLV {
    /// Scans `scalars` as ID-length-value fields. `base` is the position of the first scalar in the payload.
    public static func scan(_ scalars: ArraySlice<Unicode.Scalar>, base: Int = 0, inside: String? = nil) -> TLVScan {
        var fields: [TLVField] = []
        var index = scalars.startIndex
        func text(_ range: Range<Int>) -> String {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[range])
            return String(s)
        }
        while index < scalars.endIndex {
            let position = base + (index - scalars.startIndex)
            let path = { (id: String) in inside.map { "\($0).\(id)" } ?? id }
            guard scalars.endIndex - index >= 2 else {
                return TLVScan(fields: fields, failure: .badTagID(found: text(index..<scalars.endIndex), position: position, inside: inside))
            }
            let id = text(index..<index + 2)
            guard id.unicodeScalars.allSatisfy(\.isASCIIDigit) else {
                return TLVScan(fields: fields, failure: .badTagID(found: id, position: position, inside: inside))
            }
            let lengthEnd = min(index + 4, scalars.endIndex)
            let lengthText = text(index + 2..<lengthEnd)
            guard lengthText.unicodeScalars.count == 2, lengthText.unicodeScalars.allSatisfy(\.isASCIIDigit), let length = Int(lengthText) else {
                return TLVScan(fields: fields, failure: .badLength(tag: path(id), found: lengthText, position: position))
            }
            let valueStart = index + 4
            let available = scalars.endIndex - valueStart
            guard length <= available else {
                return TLVScan(fields: fields, failure: .truncated(tag: path(id), position: position, declared: length, available: available))
            }
            fields.append(TLVField(id: id, value: text(valueStart..<valueStart + length), position: position))
            index = valueStart + length
        }
        return TLVScan(fields: fields, failure: nil)
    }

    /// Formats one field; throws when the value cannot fit a two-digit length.
    public static func field(_ id: String, _ value: String) throws(PaymentCodeError) -> String {
        let count = value.unicodeScalars.count
        guard count <= 99 else { throw .valueTooLong(tag: id, characters: count, limit: 99) }
        return id + (count < 10 ? "0" : "") + String(count) + value
    }
}

extension Unicode.Scalar {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self.init(view)
    }
}
