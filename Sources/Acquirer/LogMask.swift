/// What may reach a log. A customer code is a one-time secret worth money until it expires: show enough to
/// match it with the shopper's phone (first 4 and last 2 characters) and its length, never the whole.
public enum LogMask {
    public static func customerCode(_ code: String) -> String {
        let characters = Array(code)
        guard characters.count > 8 else { return String(repeating: "*", count: characters.count) }
        let hidden = String(repeating: "*", count: characters.count - 6)
        return String(characters.prefix(4)) + hidden + String(characters.suffix(2))
    }
}
