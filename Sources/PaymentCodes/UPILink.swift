import Foundation

/// UPI deep link (NPCI): upi://pay?pa=name@handle&pn=Name&am=10.00&cu=INR&tr=…&tn=…
public struct UPILink: Sendable, Equatable {
    public var parameters: [(String, String)]

    public static func == (a: UPILink, b: UPILink) -> Bool { a.parameters.elementsEqual(b.parameters) { $0 == $1 } }

    public static func isVPA(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(" ") && text.count <= 255
    }

    public static func looksLikeUPI(_ text: String) -> Bool { text.lowercased().hasPrefix("upi://") }

    public init?(_ text: String) {
        guard Self.looksLikeUPI(text), var components = URLComponents(string: text) else { return nil }
        // Form encoding: UPI apps read "+" as a space (a literal plus arrives as %2B).
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%20")
        parameters = (components.queryItems ?? []).map { ($0.name.lowercased(), $0.value ?? "") }
        host = components.host?.lowercased() ?? ""
    }

    public var host: String = "pay"
    /// A parameter's value; an empty one (`am=`) counts as absent, as UPI apps treat it.
    public subscript(name: String) -> String? { parameters.first { $0.0 == name && !$0.1.isEmpty }?.1 }

    public func check() -> [Problem] {
        var problems: [Problem] = []
        if host != "pay" && host != "mandate" { problems.append(.error(nil, "a UPI link is upi://pay?…, found upi://\(host)")) }
        // Two payees or two amounts would be read differently by different apps: refuse the link.
        var seen = Set<String>()
        for (name, _) in parameters where !seen.insert(name).inserted {
            problems.append(.error(name, "appears twice; a UPI link names each parameter once"))
        }
        if let pa = self["pa"] {
            if !Self.isVPA(pa) { problems.append(.error("pa", "a UPI address is name@handle, found \"\(pa)\"")) }
        } else {
            problems.append(.error("pa", "a UPI link needs the payee address (pa)"))
        }
        if self["pn"] == nil { problems.append(.warning("pn", "no payee name (pn)")) }
        if let am = self["am"], let reason = Currency.code("INR")!.amountProblem(am) {
            problems.append(.error("am", "amount \"\(am)\": \(reason)"))
        }
        if let cu = self["cu"], cu.uppercased() != "INR" { problems.append(.error("cu", "UPI pays in INR, found \"\(cu)\"")) }
        if let mc = self["mc"], !Check.digits(mc, count: 4) { problems.append(.error("mc", "a merchant category code is 4 digits")) }
        return problems
    }

    public static func build(_ request: PaymentRequest) throws(PaymentCodeError) -> String {
        let vpa = try request.required("vpa", "the UPI address")
        guard isVPA(vpa) else { throw .invalidValue(tag: "pa", value: vpa, reason: "a UPI address is name@handle") }
        var items = [URLQueryItem(name: "pa", value: vpa), URLQueryItem(name: "pn", value: request.merchantName)]
        if let amount = request.amount {
            if let reason = Currency.code("INR")!.amountProblem(amount) { throw .invalidValue(tag: "am", value: amount, reason: reason) }
            items.append(URLQueryItem(name: "am", value: amount))
        }
        items.append(URLQueryItem(name: "cu", value: "INR"))
        if let mcc = request.categoryCode { items.append(URLQueryItem(name: "mc", value: mcc)) }
        if let reference = request.reference { items.append(URLQueryItem(name: "tr", value: reference)) }
        if let note = request.purpose { items.append(URLQueryItem(name: "tn", value: note)) }
        var components = URLComponents()
        components.scheme = "upi"; components.host = "pay"; components.queryItems = items
        // URLComponents leaves "+" and "@" alone; UPI apps read "+" as a space, so encode it.
        return (components.string ?? "").replacingOccurrences(of: "+", with: "%2B")
    }
}
