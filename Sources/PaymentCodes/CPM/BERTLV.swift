/// One BER-TLV element (EMV book 3 annex B): tag bytes, value bytes, and nested elements when constructed.
public struct BERElement: Equatable, Sendable {
    public var tag: [UInt8]
    public var value: [UInt8]
    /// Byte offset of the tag in the decoded data.
    public var position: Int
    public var children: [BERElement]?

    public var tagHex: String { tag.hexString }
    public var isConstructed: Bool { (tag.first ?? 0) & 0x20 != 0 }

    public subscript(tag hex: String) -> BERElement? { children?.first { $0.tagHex == hex.uppercased() } }

    /// Finds the first element with this tag at any depth below.
    public func find(_ hex: String) -> BERElement? {
        for child in children ?? [] {
            if child.tagHex == hex.uppercased() { return child }
            if let found = child.find(hex) { return found }
        }
        return nil
    }
}

public enum BERTLV {
    /// Nesting of constructed elements decoded at most. EMV consumer codes nest three deep (61, 63, its
    /// values); a hostile code nesting thousands deep would otherwise exhaust the stack.
    public static let maximumDepth = 16

    /// Decodes a sequence of elements; constructed ones are decoded recursively. Long-form lengths
    /// (0x81, 0x82, 0x83) are read; indefinite lengths do not occur in EMV and are refused.
    public static func decode(_ bytes: [UInt8]) throws(PaymentCodeError) -> [BERElement] {
        try decode(bytes[...])
    }

    static func decode(_ bytes: ArraySlice<UInt8>, depth: Int = 1) throws(PaymentCodeError) -> [BERElement] {
        var elements: [BERElement] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let start = i
            // EMV pads between elements with 0x00 or 0xFF.
            if bytes[i] == 0x00 || bytes[i] == 0xFF { i += 1; continue }
            var tag = [bytes[i]]
            if bytes[i] & 0x1F == 0x1F {
                repeat {
                    i += 1
                    guard i < bytes.endIndex else { throw .berTruncated(position: start) }
                    tag.append(bytes[i])
                } while bytes[i] & 0x80 != 0
            }
            i += 1
            guard i < bytes.endIndex else { throw .berTruncated(position: start) }
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...3).contains(count) else { throw .berBadLength(position: start) }
                guard bytes.endIndex - i >= count else { throw .berTruncated(position: start) }
                length = bytes[i..<i + count].reduce(0) { $0 << 8 | Int($1) }
                i += count
            }
            guard bytes.endIndex - i >= length else { throw .berTruncated(position: start) }
            let value = bytes[i..<i + length]
            var element = BERElement(tag: tag, value: Array(value), position: start)
            if element.isConstructed {
                guard depth < maximumDepth else { throw .berTooDeep(position: start, limit: maximumDepth) }
                element.children = try decode(value, depth: depth + 1)
            }
            elements.append(element)
            i += length
        }
        return elements
    }

    /// Encodes elements (constructed ones from their children), choosing the shortest length form.
    public static func encode(_ elements: [BERElement]) -> [UInt8] {
        var out: [UInt8] = []
        for element in elements {
            let value = element.children.map(encode) ?? element.value
            out += element.tag
            switch value.count {
            case ..<0x80: out.append(UInt8(value.count))
            case ..<0x100: out += [0x81, UInt8(value.count)]
            default: out += [0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
            }
            out += value
        }
        return out
    }
}

extension Sequence<UInt8> {
    public var hexString: String {
        let digits = Array("0123456789ABCDEF")
        var s = ""
        for byte in self { s.append(digits[Int(byte >> 4)]); s.append(digits[Int(byte & 0x0F)]) }
        return s
    }
}

extension [UInt8] {
    public init?(hex: String) {
        let scalars = [Unicode.Scalar](hex.unicodeScalars)
        guard scalars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: scalars.count, by: 2) {
            guard let byte = UInt8(String(scalars: scalars[i..<i + 2]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self = bytes
    }
}
