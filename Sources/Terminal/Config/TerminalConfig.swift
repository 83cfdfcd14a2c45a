import Acquirer
import Foundation
import Imaging
import PaymentCodes
import TOMLKit

/// A configuration mistake, named the way a technician can fix it: the file, the key and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var key: String
    public var problem: String
    public init(file: String, key: String, problem: String) { self.file = file; self.key = key; self.problem = problem }
    public var description: String { key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)" }
}

/// The terminal file: who the merchant is, how to reach the acquirer, how sales behave, the ECR API.
public struct TerminalConfig: Sendable {
    public var terminalID: String
    public var merchant: PaymentRequest
    public var acquirerURL: URL
    /// Folder with ca.pem, terminal.pem, terminal.key (as `qrpos pki dev` writes them).
    public var pkiFolder: String
    public var connectTimeout: Int, readTimeout: Int, requestTimeout: Int
    /// Seconds a shown code stays valid.
    public var codeLifetime: Int
    /// The scheme of the code the terminal shows (`sale.scheme`, jpqr by default): any scheme PaymentCodes builds.
    public var scheme: any MerchantScheme
    public var currency: String
    public var acceptedWallets: [String]
    /// The largest amount the terminal takes, in minor units (yen).
    public var maximumAmount: Int
    public var ecrListen: (host: String, port: Int)
    /// Where the Prometheus text format is served (`metrics.listen`); nil, the default, is off.
    public var metricsListen: (host: String, port: Int)?
    public var ecrTokenFile: String
    public var journalPath: String
    /// Refuse payments until the system clock is synchronised.
    public var requireClockSync: Bool
    /// Large text in high contrast on every screen, for shoppers who need it (`[screen] large_text`).
    public var largeText = false
    public var receipts: ReceiptSettings
    /// The counter's tones: volume and quiet hours (`[sound]`).
    public var sound: SoundSettings

    /// Which slips print by themselves, and the business day they are numbered in (`[receipt]`).
    public struct ReceiptSettings: Sendable, Equatable {
        /// Slips printed when a sale is paid, cancelled after payment, or refunded; the others only on request.
        public var automatic: Set<SlipContent.Kind> = Set(SlipContent.Kind.allCases)
        /// Also a merchant copy (加盟店控え) after the customer copy.
        public var merchantCopy = false
        /// Minutes after midnight when the business day starts (05:00: a sale at 01:30 belongs to the day before).
        public var dayStarts = 0
        /// The daily close (日計) happens by itself at this time (minutes after midnight); nil: only when asked.
        public var closeAt: Int?
        public init() {}
    }

    /// Where the merchant, the code scheme and the sale limits came from: the terminal file, or the profile the
    /// acquirer issued at enrollment (`qrpos provision`), which wins so nobody types JPQR identifiers on a board.
    public var merchantSource: String
    public var enrollURL: URL?
    public var profilePath: String

    /// The [acquirer] part alone, which `qrpos provision` needs before the terminal has a merchant profile.
    public struct Link: Sendable {
        public var terminalID: String?
        public var acquirerURL: URL
        public var enrollURL: URL?
        public var pkiFolder: String
        public var profilePath: String

        init(_ f: ConfigFile, stateFolder: String) throws(ConfigError) {
            terminalID = try f.optionalString("terminal.id")
            if let id = terminalID, id.range(of: Self.idPattern, options: .regularExpression) == nil {
                throw ConfigError(file: f.path, key: "terminal.id", problem: "\"\(id)\" is not valid: 1 to 32 letters, digits, '.', '_' or '-'")
            }
            acquirerURL = try Self.https(f, "acquirer.url")
            enrollURL = try f.optionalString("acquirer.enroll_url") == nil ? nil : try Self.https(f, "acquirer.enroll_url")
            pkiFolder = TerminalConfig.resolve(try f.string("acquirer.pki", default: "pki"), in: stateFolder)
            profilePath = TerminalConfig.resolve(try f.string("terminal.profile", default: "merchant-profile.json"), in: stateFolder)
        }

        public init(path: String, stateFolder: String, read: (String) throws -> String = { try TOMLText.read($0) }) throws(ConfigError) {
            try self.init(ConfigFile(path: path, table: try ConfigFile.load(path, read: read)), stateFolder: stateFolder)
        }

        public static let idPattern = "^[A-Za-z0-9._-]{1,32}$"

        static func https(_ f: ConfigFile, _ key: String) throws(ConfigError) -> URL {
            let url = try f.string(key)
            guard let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil else {
                throw ConfigError(file: f.path, key: key, problem: "must be https://HOST:PORT, found \"\(url)\"")
            }
            return parsed
        }
    }

    /// Reads `path`; relative paths inside are taken from `stateFolder` (`.run/` for `make run`).
    public init(path: String, stateFolder: String, read: (String) throws -> String = { try TOMLText.read($0) }) throws(ConfigError) {
        let table = try ConfigFile.load(path, read: read)
        let f = ConfigFile(path: path, table: table)
        let link = try Link(f, stateFolder: stateFolder)
        profilePath = link.profilePath
        enrollURL = link.enrollURL
        let profile = try Self.profile(link.profilePath, fileTerminalID: link.terminalID, file: path)
        if let profile {
            terminalID = profile.terminalId
            merchant = profile.merchant
            merchantSource = link.profilePath
        } else {
            guard let id = link.terminalID else {
                throw ConfigError(file: path, key: "terminal.id", problem: "missing (or provision the terminal: `qrpos provision`)")
            }
            terminalID = id
            guard table["merchant"] != nil else {
                throw ConfigError(file: path, key: "merchant", problem: "missing: provision the terminal (`qrpos provision`) or write a [merchant] table")
            }
            do {
                merchant = try PaymentRequest(table: table)
            } catch {
                throw ConfigError(file: path, key: "merchant", problem: "\(error)")
            }
            merchantSource = path
        }
        let fileScheme = try f.string("sale.scheme", default: "jpqr")
        let schemeName = profile?.sale.scheme ?? fileScheme
        guard let scheme = MerchantSchemes.named(schemeName) else {
            throw ConfigError(file: merchantSource, key: "sale.scheme", problem: "must be one of \(MerchantSchemes.all.map(\.id).joined(separator: ", ")), found \"\(schemeName)\"")
        }
        self.scheme = scheme
        // The shown code must build now, not at the first sale: a missing identifier is named with its key.
        var sample = merchant
        sample.amount = "1"
        do { _ = try scheme.build(sample) } catch {
            let account = sample.account
            let missing = scheme.accountKeys.first { account[$0.key] == nil }
            if let missing { throw ConfigError(file: merchantSource, key: "merchant.account.\(missing.key)", problem: "missing: \(missing.meaning)") }
            throw ConfigError(file: merchantSource, key: "merchant", problem: "a \(scheme.id) code cannot be built from it: \(error)")
        }
        acquirerURL = link.acquirerURL
        pkiFolder = link.pkiFolder
        connectTimeout = try f.int("acquirer.connect_timeout", default: 3, range: 1...60)
        readTimeout = try f.int("acquirer.read_timeout", default: 25, range: 2...120)
        requestTimeout = try f.int("acquirer.request_timeout", default: 10, range: 1...120)
        if let sale = profile?.sale {
            codeLifetime = sale.codeLifetime
            currency = sale.currency
            acceptedWallets = sale.acceptedWallets
            maximumAmount = sale.maximumAmount
        } else {
            codeLifetime = try f.int("sale.code_lifetime", default: 180, range: 5...900)
            currency = try f.string("sale.currency", default: merchant.currency ?? "JPY")
            acceptedWallets = try f.strings("sale.accepted_wallets", default: ["paypay", "rakutenpay", "dbarai", "aupay", "merpay", "alipayplus", "wechatpay", "unionpay"])
            maximumAmount = try f.int("sale.maximum_amount", default: 1_000_000, range: 1...9_999_999_999)
        }
        guard Currency.code(currency) != nil else { throw ConfigError(file: merchantSource, key: "sale.currency", problem: "\"\(currency)\" is not an ISO 4217 code this terminal knows") }
        ecrListen = try f.listenAddress("ecr.listen", default: "127.0.0.1:8417")
        // Off unless the file names an address; never the ECR API's own (one of the two could not start).
        if f.value("metrics.listen") != nil {
            let metrics = try f.listenAddress("metrics.listen", default: "")
            if metrics.port == ecrListen.port && (metrics.host == ecrListen.host || [metrics.host, ecrListen.host].contains("0.0.0.0")) {
                throw ConfigError(file: path, key: "metrics.listen", problem: "must differ from ecr.listen (\(ecrListen.host):\(ecrListen.port))")
            }
            metricsListen = metrics
        } else {
            metricsListen = nil
        }
        ecrTokenFile = Self.resolve(try f.string("ecr.token_file", default: "ecr.token"), in: stateFolder)
        journalPath = Self.resolve(try f.string("terminal.journal", default: "journal.sqlite"), in: stateFolder)
        requireClockSync = try f.bool("clock.require_sync", default: true)
        largeText = try f.bool("screen.large_text", default: false)
        receipts = ReceiptSettings()
        let kinds = try f.strings("receipt.print", default: SlipContent.Kind.allCases.map(\.rawValue))
        if let wrong = kinds.first(where: { SlipContent.Kind(rawValue: $0) == nil }) {
            throw ConfigError(file: path, key: "receipt.print", problem: "\"\(wrong)\" is not a slip: write sale, cancel and refund, or []")
        }
        receipts.automatic = Set(kinds.compactMap(SlipContent.Kind.init(rawValue:)))
        receipts.merchantCopy = try f.bool("receipt.merchant_copy", default: false)
        func minutes(_ key: String, _ text: String) throws(ConfigError) -> Int {
            let clock = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard clock.count == 2, let hours = clock[0], let minutes = clock[1], (0...23).contains(hours), (0...59).contains(minutes) else {
                throw ConfigError(file: path, key: key, problem: "must be HH:MM, found \"\(text.prefix(16))\"")
            }
            return hours * 60 + minutes
        }
        receipts.dayStarts = try minutes("receipt.day_starts", try f.string("receipt.day_starts", default: "00:00"))
        let closeAt = try f.string("receipt.close_at", default: "")
        receipts.closeAt = closeAt.isEmpty ? nil : try minutes("receipt.close_at", closeAt)
        sound = SoundSettings(volume: try f.int("sound.volume", default: 80, range: 0...100))
        let quietFrom = try f.optionalString("sound.quiet_from"), quietTo = try f.optionalString("sound.quiet_to")
        if let quietFrom, let quietTo {
            let quiet = QuietHours(from: try minutes("sound.quiet_from", quietFrom), to: try minutes("sound.quiet_to", quietTo))
            guard quiet.from != quiet.to else { throw ConfigError(file: path, key: "sound.quiet_to", problem: "is the same time as quiet_from: leave both out for no quiet hours") }
            sound.quiet = quiet
        } else if quietFrom != nil || quietTo != nil {
            throw ConfigError(file: path, key: quietFrom == nil ? "sound.quiet_from" : "sound.quiet_to", problem: "missing: quiet hours need both quiet_from and quiet_to (HH:MM)")
        }
    }

    /// The stored merchant profile, if the terminal was provisioned. A terminal file naming another terminal id is
    /// a mistake to fix, not to guess about: the certificate is for the profile's id.
    static func profile(_ path: String, fileTerminalID: String?, file: String) throws(ConfigError) -> MerchantProfile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let profile: MerchantProfile
        do {
            profile = try WireFormat.decoder().decode(MerchantProfile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigError(file: path, key: "", problem: "the merchant profile cannot be read (\(error)); provision again with `qrpos provision`")
        }
        if let fileTerminalID, fileTerminalID != profile.terminalId {
            throw ConfigError(file: file, key: "terminal.id", problem: "says \(fileTerminalID) but the terminal was provisioned as \(profile.terminalId): remove the key or provision again")
        }
        return profile
    }

    static func resolve(_ path: String, in folder: String) -> String { path.hasPrefix("/") ? path : folder + "/" + path }
}

/// Typed reads of dotted keys out of a TOML table, each failure naming the file and the key.
struct ConfigFile {
    var path: String
    var table: TOMLTable

    static func load(_ path: String, read: (String) throws -> String) throws(ConfigError) -> TOMLTable {
        let text: String
        do { text = try read(path) } catch let error as TOMLTextError {
            throw ConfigError(file: path, key: "", problem: error.line == 0 ? "cannot read the file (\(error.reason))" : error.located)
        } catch { throw ConfigError(file: path, key: "", problem: "cannot read the file (\(error.localizedDescription))") }
        do { return try TOMLText.table(text, file: path) } catch { throw ConfigError(file: path, key: "", problem: error.located) }
    }

    func value(_ key: String) -> (any TOMLValueConvertible)? {
        var node: TOMLTable? = table
        let parts = key.split(separator: ".").map(String.init)
        for part in parts.dropLast() { node = node?[part]?.table }
        return node?[parts.last!]
    }

    func string(_ key: String, default fallback: String? = nil, pattern: String? = nil, meaning: String = "") throws(ConfigError) -> String {
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(file: path, key: key, problem: "missing")
        }
        guard let text = raw.string else { throw ConfigError(file: path, key: key, problem: "must be a quoted string") }
        if let pattern, text.range(of: pattern, options: .regularExpression) == nil {
            throw ConfigError(file: path, key: key, problem: "\"\(text)\" is not valid: \(meaning)")
        }
        return text
    }

    /// A string that may be left out; one of the wrong type is an error, never silently ignored.
    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard value(key) != nil else { return nil }
        return try string(key)
    }

    /// A HOST:PORT to listen on (`ecr.listen`, `metrics.listen`): a host name or IPv4 address, a port in 1…65535.
    func listenAddress(_ key: String, default fallback: String) throws(ConfigError) -> (host: String, port: Int) {
        let listen = try string(key, default: fallback)
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
              let port = Int(parts[1]), (1...65535).contains(port) else {
            throw ConfigError(file: path, key: key, problem: "must be HOST:PORT, found \"\(listen)\"")
        }
        return (String(parts[0]), port)
    }

    /// One of an enum's cases by its name; the error lists the names it takes.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) throws(ConfigError) -> Choice where Choice.RawValue == String {
        let name = try string(key, default: fallback.rawValue)
        guard let value = Choice(rawValue: name) else {
            let names = Choice.allCases.map(\.rawValue)
            throw ConfigError(file: path, key: key, problem: "must be \(names.dropLast().joined(separator: ", ")) or \(names.last ?? ""), found \"\(name)\"")
        }
        return value
    }

    func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = value(key) else { return fallback }
        guard let number = raw.int else { throw ConfigError(file: path, key: key, problem: "must be a whole number") }
        guard range.contains(number) else { throw ConfigError(file: path, key: key, problem: "\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let raw = value(key) else { return fallback }
        guard let flag = raw.bool else { throw ConfigError(file: path, key: key, problem: "must be true or false") }
        return flag
    }

    func strings(_ key: String, default fallback: [String]) throws(ConfigError) -> [String] {
        guard let raw = value(key) else { return fallback }
        guard let array = raw.array else { throw ConfigError(file: path, key: key, problem: "must be a list of quoted strings") }
        var out: [String] = []
        for item in array {
            guard let text = item.string else { throw ConfigError(file: path, key: key, problem: "must be a list of quoted strings") }
            out.append(text)
        }
        return out
    }
}
