/// Faults by rule (`POST /sim/faults`): the first rule matching a request's method and path plays its fault,
/// `times` times (or every time when nil), then goes away.
public struct FaultPlan: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var id: Int
        public var fault: FaultSpec
        /// nil: any method.
        public var method: String?
        /// The path starts with this; nil: any path under /v1.
        public var pathPrefix: String?
        public var remaining: Int?
    }

    public private(set) var rules: [Rule] = []
    private var nextId = 1

    public init() {}

    @discardableResult
    public mutating func add(_ fault: FaultSpec, method: String?, pathPrefix: String?, times: Int?) -> Rule {
        let rule = Rule(id: nextId, fault: fault, method: method?.uppercased(), pathPrefix: pathPrefix, remaining: times)
        nextId += 1
        rules.append(rule)
        return rule
    }

    public mutating func removeAll() { rules.removeAll() }

    /// The fault for this request, if a rule matches; uses up one of the rule's times.
    public mutating func take(method: String, path: String) -> FaultSpec? {
        guard let index = rules.firstIndex(where: { rule in
            (rule.method == nil || rule.method == method.uppercased()) && (rule.pathPrefix.map { path.hasPrefix($0) } ?? true)
        }) else { return nil }
        let fault = rules[index].fault
        if let remaining = rules[index].remaining {
            if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
        }
        return fault
    }
}
