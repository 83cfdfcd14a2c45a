import Foundation

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
