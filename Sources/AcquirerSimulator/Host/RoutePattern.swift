/// Matches a request against "METHOD /path/:param" patterns and hands back the `:param` values.
struct RoutePattern {
    let method: String
    let parts: [String]

    init(method: String, path: String) {
        self.method = method
        self.parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The values of the pattern's `:name` segments when the method and path match, else nil.
    func match(_ method: String, _ pattern: String) -> [String]? {
        guard method == self.method else { return nil }
        let expected = pattern.split(separator: "/", omittingEmptySubsequences: true)
        guard expected.count == parts.count else { return nil }
        var values: [String] = []
        for (want, have) in zip(expected, parts) {
            if want.hasPrefix(":") { values.append(have) } else if want != have { return nil }
        }
        return values
    }
}
