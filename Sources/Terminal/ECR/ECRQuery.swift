import Foundation

/// A request's query string, checked before any value is read: every parameter known to the endpoint, none given
/// twice, every value valid percent-encoding. Each mistake gets its own message (400).
struct QueryParameters: Sendable {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    private var values: [String: String] = [:]

    init(_ query: String?, allowed: [String]) throws(Invalid) {
        guard let query, !query.isEmpty else { return }
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.decode(parts[0]) else {
                throw Invalid(description: "the query parameter name \"\(parts[0].prefix(32))\" is not valid percent-encoding")
            }
            guard allowed.contains(key) else {
                let known = allowed.isEmpty ? "this endpoint takes none" : "this endpoint takes \(allowed.joined(separator: ", "))"
                throw Invalid(description: "unknown query parameter \"\(key.prefix(32))\" (\(known))")
            }
            guard values[key] == nil else { throw Invalid(description: "query parameter \(key) is given twice: give it once") }
            let raw = parts.count > 1 ? parts[1] : ""
            guard let value = Self.decode(raw) else { throw Invalid(description: "query parameter \(key) is not valid percent-encoding") }
            values[key] = value
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    /// Form encoding: `+` is a space, then %XX.
    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// An integer parameter within `range`, or nil when absent.
    func integer(_ key: String, _ range: ClosedRange<Int>, unit: String = "") throws(Invalid) -> Int? {
        guard let text = values[key] else { return nil }
        guard text.allSatisfy(\.isASCII), let value = Int(text), range.contains(value) else {
            throw Invalid(description: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)\(unit), found \"\(text.prefix(32))\"")
        }
        return value
    }

    /// A time parameter (RFC 3339 / ISO 8601 with a zone: 2026-12-01T09:00:00Z, 2026-12-01T18:00:00.250+09:00).
    func time(_ key: String) throws(Invalid) -> Date? {
        guard let text = values[key] else { return nil }
        guard let date = ECRTime.parse(text) else {
            throw Invalid(description: "\(key) must be an ISO 8601 time with a zone, such as 2026-12-01T09:00:00Z or 2026-12-01T18:00:00.250+09:00, found \"\(text.prefix(40))\"")
        }
        return date
    }
}

/// Times in the ECR API: written in UTC with milliseconds, read as RFC 3339 (any fraction, Z or an offset).
enum ECRTime {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    nonisolated(unsafe) private static let pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

    static func parse(_ text: String) -> Date? {
        guard let m = text.wholeMatch(of: pattern) else { return nil }
        guard let year = Int(m.1), let month = Int(m.2), let day = Int(m.3), let hour = Int(m.4), let minute = Int(m.5),
              let second = Int(m.6) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60, year >= 1 else { return nil }
        var offset = 0
        let zone = String(m.8)
        if zone != "Z" && zone != "z" {
            let sign = zone.hasPrefix("-") ? -1 : 1
            let digits = zone.dropFirst().split(separator: ":")
            guard let h = Int(digits[0]), let mm = Int(digits[1]), h < 24, mm < 60 else { return nil }
            offset = sign * (h * 3600 + mm * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let base = calendar.date(from: components) else { return nil }
        // No 31 February: the date must come back as written.
        let back = calendar.dateComponents([.year, .month, .day], from: base)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        let fraction = m.7.flatMap { Double("0" + $0) } ?? 0
        return base.addingTimeInterval(fraction - TimeInterval(offset))
    }
}

/// The list's cursor: opaque to registers (base64url), naming the last sale of the page before.
enum SaleListCursor {
    static func make(after saleId: String) -> String {
        Data("v1:\(saleId)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func saleId(_ cursor: String) -> String? {
        guard !cursor.isEmpty, cursor.count <= 200, cursor.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let plain = String(data: data, encoding: .utf8), plain.hasPrefix("v1:") else { return nil }
        let id = String(plain.dropFirst(3))
        return id.isEmpty ? nil : id
    }
}
