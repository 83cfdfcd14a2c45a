import Imaging
import PaymentCodes

/// The one rule for a sale's shopper's language, for its screens and its customer slip: the one the cashier picked
/// on the keypad, else the one the register named, else the paying wallet's home language (the registry's country
/// for the wallet, else the country the host named). Nil when none is known or the counter does not speak it.
public enum ShopperLanguage {
    public static func of(_ sale: Sale?, chosen: String? = nil, registry: WalletRegistry, languages: Languages) -> String? {
        let picked = chosen ?? sale?.language ?? home(wallet: sale?.wallet, country: sale?.walletCountry, registry: registry, languages: languages)
        guard let picked, languages.language(picked) != nil else { return nil }
        return picked
    }

    public static func home(wallet: String?, country: String?, registry: WalletRegistry, languages: Languages) -> String? {
        (wallet.flatMap { registry.entry($0)?.country } ?? country).flatMap(languages.home(of:))
    }
}
