import Foundation
import PaymentCodes

/// The words on the screens, one TOML file per language in `Assets/strings/` (the languages of Assets/languages.toml).
public struct UIStrings: Sendable {
    /// The languages there are words for, in the order of Assets/languages.toml.
    public let languages: [String]
    private var table: [String: [String: String]]

    public init(tables: [String: [String: String]]) { table = tables; languages = tables.keys.sorted() }

    /// Reads `<folder>/<language>.toml` for every language; a missing or broken file is an error naming it.
    public init(folder: String, languages: [String], read: (String) throws -> String) throws {
        table = [:]
        self.languages = languages
        for language in languages {
            let path = "\(folder)/\(language).toml"
            do {
                table[language] = try TOMLText.decode([String: String].self, from: read(path), file: path)
            } catch let error as TOMLTextError {
                throw UIStringsError(path: path, message: error.located)
            } catch {
                throw UIStringsError(path: path, message: "\(error)")
            }
        }
    }

    /// The text in `language`, falling back to English, then to the key itself (never an empty screen).
    public func text(_ key: String, _ language: String, time: String? = nil) -> String {
        let raw = table[language]?[key] ?? table["en"]?[key] ?? key
        return time.map { raw.replacingOccurrences(of: "{time}", with: $0) } ?? raw
    }

    public func has(_ key: String, _ language: String) -> Bool { table[language]?[key] != nil }
    public var keys: Set<String> { Set(table.values.flatMap(\.keys)) }
}

public struct UIStringsError: Error, CustomStringConvertible {
    public var path: String, message: String
    public var description: String { "\(path): \(message)" }
}

