import Foundation
import Installation
import Imaging
import PaymentCodes
import Terminal

/// The files the terminal reads at run time, found through `Installation`.
enum Assets {
    static func locate(_ relative: String) -> String? { Installation.locate(relative) }

    static func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Failure("cannot read \(path): \((error as NSError).localizedDescription)")
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
    static func strings() throws -> UIStrings {
        do { return try CounterAssets.strings() } catch { throw Failure(error.description) }
    }

    static func fonts() throws -> FontBook {
        do { return try CounterAssets.fonts() } catch { throw Failure(error.description) }
    }
}
