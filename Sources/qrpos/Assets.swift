import Foundation
import Imaging
import PaymentCodes

/// Finds the files the terminal reads at run time (wallet registry, board files) without a build:
/// $QRPOS_HOME, then the folders above the executable (a source checkout), then /usr/share/qrpos.
enum Assets {
    static func locate(_ relative: String) -> String? {
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

    static func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Failure("cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }

    static func registry(_ explicit: String?) throws -> WalletRegistry {
        guard let path = explicit ?? locate("Assets/wallets.toml") else {
            throw Failure("the wallet registry Assets/wallets.toml was not found (set QRPOS_HOME or pass --registry)")
        }
        do { return try WalletRegistry(toml: read(path)) } catch let error as WalletRegistry.LoadError {
            throw Failure("\(path): \(error)")
        }
    }

    static func merchant(_ explicit: String?) throws -> PaymentRequest {
        guard let path = explicit ?? locate("Board/sim/terminal.toml") else { throw Failure("no terminal file: pass --config FILE") }
        do { return try PaymentRequest(toml: read(path)) } catch let error as WalletRegistry.LoadError {
            throw Failure("\(path): [merchant] \(error)")
        }
    }
}

extension Assets {
    static func strings() throws -> UIStrings {
        guard let folder = locate("Assets/strings") else { throw Failure("the screen texts Assets/strings/ were not found (set QRPOS_HOME)") }
        do { return try UIStrings(folder: folder, read: read) } catch { throw Failure("\(error)") }
    }

    static func fonts() throws -> FontBook {
        do { return try FontBook() } catch { throw Failure(error.description) }
    }
}
