import Foundation
import TOMLKit

/// A TOML file that cannot be read, named the way a technician can fix it: the file, the line, the column
/// (characters from 1) and what is wrong.
public struct TOMLTextError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as the caller named it; empty when the text did not come from a file.
    public var file: String
    public var line: Int
    public var column: Int
    public var reason: String

    public init(file: String, line: Int, column: Int, reason: String) {
        self.file = file; self.line = line; self.column = column; self.reason = reason
    }

    /// "line 3, column 2: reason", for callers that print the file themselves.
    /// A file that could not be read at all has no line (0): then only the reason.
    public var located: String { line == 0 ? reason : "line \(line), column \(column): \(reason)" }
    public var description: String { file.isEmpty ? located : "\(file): \(located)" }
}

/// The one place the project turns TOML text into tables. The text is checked first by `TOMLGuard`, which
/// refuses what would reach an assertion inside toml++ 3.4.0 (bundled by TOMLKit 0.6.0; an abort, or
/// undefined behaviour with NDEBUG), NUL bytes and invalid UTF-8; only then does TOMLKit parse it.
public enum TOMLText {
    /// Reads a file as bytes, so invalid UTF-8 is reported with its line and column rather than as "cannot read".
    public static func read(_ path: String) throws(TOMLTextError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw TOMLTextError(file: path, line: 0, column: 0, reason: reason)
        }
        return try text(Array(data), file: path)
    }

    /// Valid UTF-8 bytes as a String, or the line and column of the first byte that is not.
    public static func text(_ bytes: [UInt8], file: String = "") throws(TOMLTextError) -> String {
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        var line = 1, column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                throw TOMLTextError(file: file, line: line, column: column, reason: "the file is not valid UTF-8 here (save it as UTF-8)")
            }
        }
    }

    /// The document as a table: refused by the guard, or parsed by TOMLKit, every failure a `TOMLTextError`.
    public static func table(_ text: String, file: String = "") throws(TOMLTextError) -> TOMLTable {
        if let refusal = TOMLGuard.check(text) {
            throw TOMLTextError(file: file, line: refusal.line, column: refusal.column, reason: refusal.reason)
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLTextError(file: file, line: Int(error.source.begin.line), column: Int(error.source.begin.column),
                                reason: error.description)
        } catch {
            throw TOMLTextError(file: file, line: 0, column: 0, reason: "\(error)")
        }
    }

    /// Parses, then decodes `type`; a syntax problem throws `TOMLTextError`, a content problem the decoder's error.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, file: String = "") throws -> T {
        let table = try table(text, file: file)
        return try TOMLDecoder().decode(type, from: table)
    }
}

/// A conservative pre-check of TOML text in pure Swift: it follows strings, comments, table headers, arrays and
/// inline tables just far enough to refuse, with a plain reason, every input that reaches an assertion in
/// toml++ 3.4.0's parser. Valid TOML always passes; some invalid TOML is refused here rather than by toml++.
///
/// The assertions it keeps toml++ from reaching (README, "Known upstream defect"):
/// - `parse_key`: `is_bare_key_character(*cp) || is_string_delimiter(*cp)`, from a table header whose name
///   starts with anything but A-Z a-z 0-9 _ - or a quote (`[}`, `[ストア]`, `[` then a line break, `[#]`);
/// - `parse_value`: `!is_value_terminator(*cp)`, from an array where an element is expected holding `}` or
///   U+0085, U+2028, U+2029 (`["paypay", }`, `[` newline `}`);
/// - `parse_time`: `is_decimal_digit(*cp)`, from a value that is a valid date followed by `T` or `t` and then
///   not a digit, with a ':' later in the value (`1979-05-27TD7:32:00Z`, `2000-01-01T:`);
/// - `parse_value` (its scan): `!is_value_terminator(*cp)`, from a value starting with a digit whose first ten
///   characters other than `_` have `-` 5th and 8th, a space, one digit and then a blank, a line break, `]`, `}`,
///   `,` or `#` (`d = 1979-05-27 0` at the end of a line; `a=1979-05-2w 2 `, found by fuzzing the guard).
public enum TOMLGuard {
    public struct Refusal: Equatable, Sendable {
        public var line: Int, column: Int, reason: String
    }

    private enum Open { case array, inlineTable }

    /// Where the scanner is between two characters that matter.
    private enum Expecting {
        /// Start of a line at the top level: a key, a table header, a comment or nothing.
        case statement
        /// First character of an array element (after `[` or `,`), blanks, line breaks and comments skipped.
        case element
        /// First character of a value after `=`.
        case value
        /// Anything else: keys, `=`, values, separators.
        case other
    }

    static func isBareKey(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    static func isLineSeparator(_ c: Unicode.Scalar) -> Bool { c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" }

    static func shown(_ c: Unicode.Scalar) -> String {
        if c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value) || isLineSeparator(c) {
            return String(format: "U+%04X", c.value)
        }
        return "'\(Character(c))'"
    }

    /// nil when the text may go to toml++; otherwise the first position it refuses and why.
    public static func check(_ text: String) -> Refusal? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1, column = 1
        var stack: [(kind: Open, line: Int, column: Int)] = []
        var expecting = Expecting.statement

        func refuse(_ reason: String) -> Refusal { Refusal(line: line, column: column, reason: reason) }
        func advance(_ count: Int = 1) {
            for _ in 0..<count where i < s.count {
                if s[i] == "\n" { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
        }
        func at(_ offset: Int) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }
        func startsWith(_ text: String) -> Bool {
            for (n, c) in text.unicodeScalars.enumerated() where at(n) != c { return false }
            return true
        }

        /// Skips a quoted string starting at `i` (a key or a value); nil when it closes properly.
        func skipString() -> Refusal? {
            let quote = s[i]
            let startLine = line, startColumn = column
            let triple = String(repeating: Character(quote), count: 3)
            if startsWith(triple) {
                advance(3)
                while i < s.count {
                    if quote == "\"", s[i] == "\\" { advance(2); continue }
                    if startsWith(triple) {
                        advance(3)
                        // Up to two more quotes belong to the string (`"""a""""` is `a"`).
                        var extra = 0
                        while extra < 2, at(0) == quote { advance(); extra += 1 }
                        return nil
                    }
                    if s[i] == "\0" { return refuse("a NUL byte (U+0000) inside a string; TOML files cannot contain it") }
                    advance()
                }
                line = startLine; column = startColumn
                return refuse("this multi-line string is never closed (\(triple) missing)")
            }
            advance()
            while i < s.count {
                let c = s[i]
                if c == quote { advance(); return nil }
                if c == "\n" || c == "\r" { return refuse("a quoted string must end on its line: \(Character(quote)) missing before the line break") }
                if c == "\0" { return refuse("a NUL byte (U+0000) inside a string; TOML files cannot contain it") }
                if quote == "\"", c == "\\" { advance() }
                advance()
            }
            line = startLine; column = startColumn
            return refuse("this quoted string is never closed")
        }

        /// The advice for a bare table name with non-ASCII letters: the same header with that part in quotes.
        func quoteTheName(header: Int, arrayOfTables: Bool) -> String {
            var end = i
            while end < s.count, !["]", "\n", "\r", ".", "\"", "'", "#"].contains(s[end]) { end += 1 }
            var start = i
            while start > header, isBareKey(s[start - 1]) { start -= 1 }
            func text(_ range: Range<Int>) -> String {
                String(String.UnicodeScalarView(s[range])).trimmingCharacters(in: .whitespaces)
            }
            let (open, close) = arrayOfTables ? ("[[", "]]") : ("[", "]")
            return "a table name with letters other than A-Z, a-z, 0-9, '_' and '-' must be quoted: \(open)\(text(header..<start))\"\(text(start..<end))\"\(close)"
        }

        /// Checks a `[table]` or `[[array.of.tables]]` header starting at `i`; leaves `i` after the closing bracket.
        func checkHeader() -> Refusal? {
            advance()
            let arrayOfTables = at(0) == "["
            if arrayOfTables { advance() }
            let header = i
            while let c = at(0), c == " " || c == "\t" { advance() }
            guard let first = at(0) else { return refuse("the file ends inside a table header") }
            if first == "]" { return refuse("a table header needs a name: [name]") }
            if !(isBareKey(first) || first == "\"" || first == "'") {
                if first.value > 0x7F, !isLineSeparator(first) { return refuse(quoteTheName(header: header, arrayOfTables: arrayOfTables)) }
                if first == "\n" || first == "\r" { return refuse("a table header must be closed on its line: [name]") }
                return refuse("a table name must start with A-Z, a-z, 0-9, '_', '-' or a quote, found \(shown(first))")
            }
            while let c = at(0) {
                if isBareKey(c) || c == "." || c == " " || c == "\t" { advance(); continue }
                if c == "\"" || c == "'" {
                    if let problem = skipString() { return problem }
                    continue
                }
                if c == "]" {
                    advance()
                    if arrayOfTables {
                        guard at(0) == "]" else { return refuse("an array-of-tables header ends with ]]") }
                        advance()
                    }
                    return nil
                }
                if c.value > 0x7F, !isLineSeparator(c) { return refuse(quoteTheName(header: header, arrayOfTables: arrayOfTables)) }
                if c == "\n" || c == "\r" { return refuse("a table header must be closed on its line: \(arrayOfTables ? "]]" : "]") missing") }
                return refuse("\(shown(c)) cannot be part of a table name (quote the name if it holds such characters)")
            }
            return refuse("the file ends inside a table header")
        }

        /// A value starting `YYYY-MM-DDT` must have a digit after the T, and one looking like `YYYY-MM-DD D` a
        /// second digit (toml++ asserts both).
        func checkDateTime() -> Refusal? {
            func digit(_ n: Int) -> Bool { at(n).map { ("0"..."9").contains($0) } ?? false }
            guard digit(0), digit(1), digit(2), digit(3), at(4) == "-", digit(5), digit(6), at(7) == "-", digit(8), digit(9),
                  let t = at(10) else { return nil }
            if t == "T" || t == "t", !digit(11) {
                let found = at(11).map(shown) ?? "the end of the file"
                advance(11)
                return refuse("a date-time needs the time right after '\(Character(t))' (e.g. 1979-05-27T07:32:00), found \(found)")
            }
            return nil
        }

        /// toml++ reads a value starting with a digit up to a blank, a line break, `]`, `}`, `,` or `#`, skipping `_`;
        /// when ten characters with `-` 5th and 8th are followed by a space it looks for a time, and one digit then a
        /// terminator reaches an assertion. Not only dates: `1979-05-2w 2`, `19_79-05-27 0`. No valid TOML has a
        /// value, a space and a lone digit (a time after a date has two), so that shape is refused.
        func checkSpacedTime() -> Refusal? {
            guard let first = at(0), ("0"..."9").contains(first) else { return nil }
            var length = 0
            var counted: [Unicode.Scalar] = []
            while let c = at(length), ![" ", "\t", "\n", "\r", "]", "}", ",", "#"].contains(c) {
                if c != "_" { counted.append(c) }
                length += 1
            }
            guard counted.count == 10, counted[4] == "-", counted[7] == "-", at(length) == " ",
                  let hour = at(length + 1), ("0"..."9").contains(hour) else { return nil }
            if let next = at(length + 2), ("0"..."9").contains(next) { return nil }
            let found = at(length + 2).map(shown) ?? "the end of the file"
            advance(length + 2)
            return refuse("a date and time need a two-digit hour (e.g. 1979-05-27 07:32:00), found \(found)")
        }

        while i < s.count {
            let c = s[i]
            if c == "\0" { return refuse("a NUL byte (U+0000); TOML files cannot contain it, and everything after it would be ignored") }
            if isLineSeparator(c) {
                return refuse("the line separator \(shown(c)) is allowed only inside quoted strings and comments; use a plain line break")
            }
            // Blanks never change what comes next; a line break ends a top-level statement.
            if c == " " || c == "\t" || c == "\r" || (c == "\u{FEFF}" && i == 0) { advance(); continue }
            if c == "\n" {
                if stack.isEmpty { expecting = .statement }
                advance(); continue
            }
            if c == "#" {
                while let next = at(0), next != "\n" {
                    if next == "\0" { return refuse("a NUL byte (U+0000) in a comment; TOML files cannot contain it") }
                    advance()
                }
                continue
            }
            if expecting == .element || expecting == .value, let problem = checkDateTime() ?? checkSpacedTime() { return problem }
            if expecting == .element, c == "}" {
                let open = stack.last!
                return refuse("expected a value or ']' here, found '}' (the array opened at line \(open.line), column \(open.column) is not closed)")
            }
            switch c {
            case "\"", "'":
                if let problem = skipString() { return problem }
                expecting = .other
            case "[" where expecting == .statement && stack.isEmpty:
                if let problem = checkHeader() { return problem }
                expecting = .other
            case "[":
                stack.append((.array, line, column))
                advance()
                expecting = .element
            case "{":
                stack.append((.inlineTable, line, column))
                advance()
                expecting = .other
            case "]":
                guard let open = stack.last, open.kind == .array else {
                    return refuse(stack.isEmpty ? "']' closes nothing here" : "']' where the inline table opened at line \(stack.last!.line), column \(stack.last!.column) needs '}'")
                }
                stack.removeLast()
                advance()
                expecting = .other
            case "}":
                guard let open = stack.last, open.kind == .inlineTable else {
                    return refuse(stack.isEmpty ? "'}' closes nothing here" : "'}' where the array opened at line \(stack.last!.line), column \(stack.last!.column) needs ']'")
                }
                stack.removeLast()
                advance()
                expecting = .other
            case "=":
                advance()
                expecting = .value
            case ",":
                advance()
                expecting = stack.last?.kind == .array ? .element : .other
            default:
                advance()
                expecting = .other
            }
        }
        return nil
    }
}
