import Foundation
import Imaging
import Installation

/// The screen texts and fonts the counter draws with, found through `Installation`.
public enum CounterAssets {
    /// The languages the counter speaks (Assets/languages.toml).
    public static func languages() throws(InstallationError) -> Languages {
        guard let path = Installation.locate("Assets/languages.toml") else {
            throw InstallationError("the language list Assets/languages.toml was not found (set QRPOS_HOME)")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw InstallationError("cannot read \(path): \(error.localizedDescription)") }
        do { return try Languages(toml: text, file: path) } catch { throw InstallationError(error.description) }
    }

    public static func strings(_ languages: Languages) throws(InstallationError) -> UIStrings {
        guard let folder = Installation.locate("Assets/strings") else {
            throw InstallationError("the screen texts Assets/strings/ were not found (set QRPOS_HOME)")
        }
        do { return try UIStrings(folder: folder, languages: languages.ids) { try String(contentsOfFile: $0, encoding: .utf8) } } catch {
            throw InstallationError("\(folder): \(error)")
        }
    }

    public static func fonts(_ languages: Languages) throws(InstallationError) -> FontBook {
        do { return try FontBook(languages: languages) } catch { throw InstallationError(error.description) }
    }
}
