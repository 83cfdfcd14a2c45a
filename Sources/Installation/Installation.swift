import Foundation
import PaymentCodes

/// Where the programs find the files they read at run time (wallet registry, screen texts, board files),
/// so a technician edits them without a build: $QRPOS_HOME, the folders above the executable (a source
/// checkout), the working directory, then /usr/share/qrpos.
public enum Installation {
    public static func locate(_ relative: String) -> String? {
        var roots: [String] = []
        if let home = ProcessInfo.processInfo.environment["QRPOS_HOME"] { roots.append(home) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            roots.append(folder.path)
            folder.deleteLastPathComponent()
        }
        roots += [FileManager.default.currentDirectoryPath, "/usr/share/qrpos"]
        return roots.map { $0 + "/" + relative }.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// A file the programs need that is missing or unreadable, in words for the technician.
public struct InstallationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Installation {
    /// The wallet registry: `explicit`, or Assets/wallets.toml found as above. One rule for qrpos and acquirer-sim.
    public static func registry(_ explicit: String? = nil) throws(InstallationError) -> WalletRegistry {
        guard let path = explicit ?? locate("Assets/wallets.toml") else {
            throw InstallationError("the wallet registry Assets/wallets.toml was not found (set QRPOS_HOME or pass --registry)")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw InstallationError("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        do { return try WalletRegistry(toml: text) } catch { throw InstallationError("\(path): \(error)") }
    }
}
