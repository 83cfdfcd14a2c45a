import Acquirer
import AcquirerSimulator
import ArgumentParser
import Foundation
import Installation

/// `acquirer-sim enroll-code --terminal-id T`: issues a one-time enrollment code with the merchant profile the
/// terminal will receive. The code is printed alone on standard output (for scripts); what it is, on standard error.
struct EnrollCodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enroll-code", abstract: "Issue a one-time enrollment code for a terminal.")

    @Option(help: "The terminal id the code is for (its certificate's common name).") var terminalId: String
    @Option(help: "SQLite ledger file of the host that will enroll the terminal.") var db = "acquirer-sim.sqlite"
    @Option(help: "Merchant profile (TOML: [merchant], [merchant.account], [names], [sale]); default: the demo shop, Assets/acquirer/demo-merchant.toml.")
    var merchant: String?
    @Option(help: "Minutes the code stays valid.") var validMinutes = 60
    @Option(help: "Wallet registry (default: Assets/wallets.toml).") var registry: String?

    func validate() throws {
        guard terminalId.range(of: "^[A-Za-z0-9._-]{1,32}$", options: .regularExpression) != nil else {
            throw ValidationError("--terminal-id must be 1 to 32 letters, digits, '.', '_' or '-'")
        }
        guard (1...10_080).contains(validMinutes) else { throw ValidationError("--valid-minutes must be 1 to 10080 (a week)") }
    }

    func run() throws {
        let registry = try RegistryFile.load(registry)
        guard let file = merchant ?? Installation.locate("Assets/acquirer/demo-merchant.toml") else {
            throw ValidationError("no merchant profile: pass --merchant FILE")
        }
        let profile: MerchantProfile
        do { profile = try MerchantProfileFile.read(file, terminalId: terminalId, registry: registry) } catch { throw ValidationError(error.description) }
        let store = try LedgerStore(path: db)
        let code = try store.issueEnrollmentCode(terminalId: terminalId, profile: profile, validFor: Double(validMinutes) * 60)
        print(code)
        FileHandle.standardError.write(Data("enrollment code for terminal \(terminalId) (\(profile.merchant.merchantName)): valid once, for \(validMinutes) minutes\n".utf8))
    }
}
