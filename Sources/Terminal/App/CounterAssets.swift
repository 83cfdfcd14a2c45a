import Foundation
import Imaging
import Installation

/// The screen texts and fonts the counter draws with, found through `Installation`.
public enum CounterAssets {
    public static func strings() throws(InstallationError) -> UIStrings {
        guard let folder = Installation.locate("Assets/strings") else {
            throw InstallationError("the screen texts Assets/strings/ were not found (set QRPOS_HOME)")
        }
        do { return try UIStrings(folder: folder) { try String(contentsOfFile: $0, encoding: .utf8) } } catch {
            throw InstallationError("\(folder): \(error)")
        }
    }

    public static func fonts() throws(InstallationError) -> FontBook {
        do { return try FontBook() } catch { throw InstallationError(error.description) }
    }
}
