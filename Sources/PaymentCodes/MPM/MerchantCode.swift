/// One data object of a merchant-presented code; templates keep their nested objects in order.
public struct MerchantField: Equatable, Sendable {
    public var id: String
    /// The value as it stands in the payload (for a template: its nested objects, encoded).
    public var value: String
    /// Character position of the ID in the whole payload (0 when built, not scanned).
    public var position: Int
    /// Nested objects for templates (26–51, 62, 64, 80–99 at the root; 50–99 inside 62), nil otherwise.
    public var children: [MerchantField]?
    var valuePosition: Int { position + 4 }

    public init(id: String, value: String, position: Int = 0, children: [MerchantField]? = nil) {
        self.id = id; self.value = value; self.position = position; self.children = children
    }

    public static func primitive(_ id: String, _ value: String) -> MerchantField { MerchantField(id: id, value: value) }
    public static func template(_ id: String, _ children: [MerchantField]) -> MerchantField {
        MerchantField(id: id, value: "", children: children)
    }

    public subscript(child id: String) -> MerchantField? { children?.first { $0.id == id } }
    /// Sub-ID 00 of a template: the globally unique identifier of the network or scheme.
    public var guid: String? { self[child: "00"]?.value }

    /// Re-encodes the value from the children, so built templates need no hand-counted lengths.
    func encodedValue() throws(PaymentCodeError) -> String {
        guard let children else { return value }
        var out = ""
        for child in children { out += try TLV.field(child.id, child.encodedValue()) }
        return out
    }
}

/// A merchant-presented EMVCo code decoded into an ordered tree. Decoding never throws: it reads as far
/// as the payload allows and records what was wrong, so damaged codes still explain themselves.
public struct MerchantCode: Sendable {
    public static let maximumLength = 512

    public var payload: String
    public var fields: [MerchantField]
    /// Faults met while reading the structure (TLV errors, templates that are not templates).
    public var structureProblems: [Problem]
    public var crc: CRCCheck?

    public struct CRCCheck: Equatable, Sendable {
        public var found: String
        public var computed: String
        public var valid: Bool { found.uppercased() == computed }
    }

    public static func isTemplate(_ id: String, inside parent: String?) -> Bool {
        guard let n = Int(id) else { return false }
        switch parent {
        case nil: return (26...51).contains(n) || n == 62 || n == 64 || (80...99).contains(n)
        case "62": return (50...99).contains(n)
        default: return false
        }
    }

    public init(decoding payload: String) {
        self.payload = payload
        let scalars = Array(payload.unicodeScalars)
        var problems: [Problem] = []
        let scan = TLV.scan(scalars[...])
        if let failure = scan.failure { problems.append(.error(nil, failure.description)) }
        fields = scan.fields.map { MerchantCode.expand($0, parent: nil, scalars: scalars, problems: &problems) }
        if let last = scan.fields.last, last.id == "63", scan.failure == nil {
            let prefix = String(scalars: scalars[0..<last.valuePosition])
            crc = CRCCheck(found: last.value, computed: CRC16.payloadChecksum(prefix))
        } else if scan.failure != nil, scalars.count >= 8, String(scalars: scalars[(scalars.count - 8)..<(scalars.count - 4)]) == "6304" {
            // The structure broke earlier, but a technician still wants to know whether the CRC matches the text.
            let prefix = String(scalars: scalars[0..<(scalars.count - 4)])
            crc = CRCCheck(found: String(scalars: scalars[(scalars.count - 4)...]), computed: CRC16.payloadChecksum(prefix))
        }
        structureProblems = problems
    }

    private static func expand(_ field: TLVField, parent: String?, scalars: [Unicode.Scalar], problems: inout [Problem]) -> MerchantField {
        var node = MerchantField(id: field.id, value: field.value, position: field.position)
        guard isTemplate(field.id, inside: parent) else { return node }
        let path = parent.map { "\($0).\(field.id)" } ?? field.id
        let start = field.valuePosition
        let inner = TLV.scan(scalars[start..<start + field.value.unicodeScalars.count], base: start, inside: path)
        if let failure = inner.failure {
            // Unreserved templates (80–99, and 50–99 inside 62) are free-form in practice: GoPay's dynamic QRIS
            // carries a bare token in 62.50. Elsewhere a broken template is an error.
            let number = Int(field.id) ?? 0
            let unreserved = (parent == nil && number >= 80) || (parent == "62" && number >= 50)
            let note = "not a template of ID-length-value objects, kept as text (\(failure))"
            problems.append(unreserved ? .warning(path, note) : .error(path, note))
            return node
        }
        node.children = inner.fields.map { expand($0, parent: path, scalars: scalars, problems: &problems) }
        return node
    }

    // MARK: reading

    public subscript(id: String) -> MerchantField? { fields.first { $0.id == id } }

    /// The value at a dotted path such as "62.05" or "26.00".
    public func value(_ path: String) -> String? {
        let parts = path.split(separator: ".").map(String.init)
        guard let first = parts.first, var node = self[first] else { return nil }
        for part in parts.dropFirst() {
            guard let child = node[child: part] else { return nil }
            node = child
        }
        return node.value
    }

    /// Merchant account templates (26–51) whose GUID is one of `guids`, compared case-insensitively.
    public func accountTemplates(guids: [String]) -> [MerchantField] {
        let wanted = Set(guids.map { $0.uppercased() })
        return fields.filter { field in
            guard let n = Int(field.id), (26...51).contains(n), let guid = field.guid else { return false }
            return wanted.contains(guid.uppercased())
        }
    }

    public var hasCRC: Bool { fields.last?.id == "63" || fields.contains { $0.id == "63" } }

    // MARK: writing

    /// Encodes fields in the given order (any 63 dropped) and appends tag 63 with the CRC.
    public static func encode(_ fields: [MerchantField]) throws(PaymentCodeError) -> String {
        var body = ""
        for field in fields where field.id != "63" { body += try TLV.field(field.id, field.encodedValue()) }
        body += "6304"
        let payload = body + CRC16.payloadChecksum(body)
        let count = payload.unicodeScalars.count
        guard count <= maximumLength else { throw .tooLong(characters: count, limit: maximumLength) }
        return payload
    }
}
