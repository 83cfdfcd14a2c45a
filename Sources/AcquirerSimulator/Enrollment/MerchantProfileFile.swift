import Acquirer
import Foundation
import PaymentCodes
import TOMLKit

/// The merchant profile the host hands a terminal at enrollment, read from a TOML file with the [merchant] and
/// [sale] tables of a terminal file and a [names] table (language tag = the shop's name). Checked when the
/// enrollment code is issued, so a mistake is found at the desk and not at the counter.
public enum MerchantProfileFile {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Sale: Decodable {
        var accepted_wallets: [String]?
        var maximum_amount: Int?
        var code_lifetime: Int?
        var currency: String?
        var scheme: String?
    }
    private struct Rest: Decodable {
        var names: [String: String]?
        var sale: Sale?
    }

    public static func read(_ path: String, terminalId: String, registry: WalletRegistry, now: Date = Date()) throws(Problem) -> MerchantProfile {
        let text: String
        do { text = try TOMLText.read(path) } catch { throw Problem(description: "\(path): \(error)") }
        return try parse(text, file: path, terminalId: terminalId, registry: registry, now: now)
    }

    public static func parse(_ text: String, file: String, terminalId: String, registry: WalletRegistry, now: Date = Date()) throws(Problem) -> MerchantProfile {
        let merchant: PaymentRequest, rest: Rest
        do {
            let table = try TOMLText.table(text, file: file)
            merchant = try PaymentRequest(table: table)
            rest = try TOMLDecoder().decode(Rest.self, from: table)
        } catch { throw Problem(description: "\(file): \(error)") }
        let sale = rest.sale ?? Sale()
        let currency = sale.currency ?? merchant.currency ?? "JPY"
        guard Currency.code(currency) != nil else { throw Problem(description: "\(file): sale.currency \"\(currency)\" is not an ISO 4217 code") }
        let wallets = sale.accepted_wallets ?? registry.all.map(\.id)
        if let unknown = wallets.first(where: { registry.entry($0) == nil }) {
            throw Problem(description: "\(file): sale.accepted_wallets names \"\(unknown)\", which is not in the wallet registry")
        }
        let lifetime = sale.code_lifetime ?? 180, maximum = sale.maximum_amount ?? 1_000_000
        guard (5...900).contains(lifetime) else { throw Problem(description: "\(file): sale.code_lifetime \(lifetime) is outside 5…900 seconds") }
        guard maximum >= 1 else { throw Problem(description: "\(file): sale.maximum_amount must be at least 1") }
        let schemeName = sale.scheme ?? "jpqr"
        guard let scheme = MerchantSchemes.named(schemeName) else { throw Problem(description: "\(file): sale.scheme \"\(schemeName)\" is not a scheme this host knows") }
        // The shown code must build from it, or the terminal would refuse to start after enrolling.
        var sample = merchant
        sample.amount = "1"
        do { _ = try scheme.build(sample) } catch {
            throw Problem(description: "\(file): no \(scheme.id) code can be built from [merchant]: \(error)")
        }
        return MerchantProfile(terminalId: terminalId, merchant: merchant, names: rest.names ?? [:],
                               sale: .init(acceptedWallets: wallets, maximumAmount: maximum, codeLifetime: lifetime, currency: currency, scheme: scheme.id),
                               issuedAt: now)
    }
}
