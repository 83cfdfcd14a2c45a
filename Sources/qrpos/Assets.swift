import Foundation
import Installation
import Imaging
import PaymentCodes
import Terminal

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
        do { return try Installation.registry(explicit) } catch { throw Failure(error.description) }
    }

    static func merchant(_ explicit: String?) throws -> PaymentRequest {
        guard let path = explicit ?? locate("Board/sim/terminal.toml") else { throw Failure("no terminal file: pass --config FILE") }
        do { return try PaymentRequest(toml: read(path)) } catch let error as WalletRegistry.LoadError {
            throw Failure("\(path): [merchant] \(error)")
        }
    }
}

extension Assets {
    static func languages() throws -> Languages {
        do { return try CounterAssets.languages() } catch { throw Failure(error.description) }
    }

    static func strings() throws -> UIStrings {
        do { return try CounterAssets.strings(languages()) } catch let error as Failure { throw error } catch { throw Failure("\(error)") }
    }

    static func fonts() throws -> FontBook {
        do { return try CounterAssets.fonts(languages()) } catch let error as Failure { throw error } catch { throw Failure("\(error)") }
    }
}
