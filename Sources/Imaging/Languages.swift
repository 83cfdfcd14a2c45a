import PaymentCodes

/// The languages the counter speaks, read from `Assets/languages.toml`: their strings files, fonts, and the
/// countries whose wallets bring them to the shopper. The one list of languages; nothing repeats it as literals.
public struct Languages: Sendable, Equatable {
    public struct Language: Sendable, Equatable, Decodable {
        public var id: String
        /// Fontconfig's language tag (`zh-cn`, …).
        public var fontconfig: String
        /// The font family preferred for it.
        public var family: String
        /// Countries (ISO 3166 alpha-2) whose wallets bring this language to the shopper's screens.
        public var countries: [String]
    }

    public var all: [Language]

    public init(_ all: [Language]) { self.all = all }

    /// Reads the file's text; every mistake names the file and the line.
    public init(toml text: String, file: String) throws(TOMLTextError) {
        struct File: Decodable { var language: [Language] }
        let parsed: File
        do { parsed = try TOMLText.decode(File.self, from: text, file: file) } catch let error as TOMLTextError { throw error } catch {
            throw TOMLTextError(file: file, line: 0, column: 0, reason: "\(error)")
        }
        guard !parsed.language.isEmpty else { throw TOMLTextError(file: file, line: 1, column: 1, reason: "no [[language]] entries") }
        all = parsed.language
    }

    public var ids: [String] { all.map(\.id) }

    public func language(_ id: String) -> Language? { all.first { $0.id == id } }

    /// The language a wallet from `country` brings to the shopper's screens, if it is one the counter speaks.
    public func home(of country: String) -> String? { all.first { $0.countries.contains(country.uppercased()) }?.id }
}
