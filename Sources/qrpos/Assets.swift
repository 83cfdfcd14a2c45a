import Foundation
import Installation
import Imaging
import PaymentCodes

/// The files the terminal reads at run time, found through `Installation`.
enum Assets {
    static func locate(_ relative: String) -> String? { Installation.locate(relative) }

    /// A TOML file's text; invalid UTF-8 is named by line and column.
    static func read(_ path: String) throws -> String {
        do { return try TOMLText.read(path) } catch {
            throw Failure(error.line == 0 ? "cannot read \(path): \(error.reason)" : error.description)
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
