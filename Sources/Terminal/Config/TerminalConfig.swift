import Foundation
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

    /// Reads `path`; relative paths inside are taken from `stateFolder` (`.run/` for `make run`).
    public init(path: String, stateFolder: String, read: (String) throws -> String = { try TOMLText.read($0) }) throws(ConfigError) {
        let table = try ConfigFile.load(path, read: read)
        let f = ConfigFile(path: path, table: table)
        terminalID = try f.string("terminal.id", pattern: "^[A-Za-z0-9._-]{1,32}$", meaning: "1 to 32 letters, digits, '.', '_' or '-'")
        do {
            merchant = try PaymentRequest(table: table)
        } catch {
            throw ConfigError(file: path, key: "merchant", problem: "\(error)")
        }
        let schemeName = try f.string("sale.scheme", default: "jpqr")
        guard let scheme = MerchantSchemes.named(schemeName) else {
            throw ConfigError(file: path, key: "sale.scheme", problem: "must be one of \(MerchantSchemes.all.map(\.id).joined(separator: ", ")), found \"\(schemeName)\"")
        }
        self.scheme = scheme
        // The shown code must build now, not at the first sale: a missing identifier is named with its key.
        var sample = merchant
        sample.amount = "1"
        do { _ = try scheme.build(sample) } catch {
            let account = sample.account
            let missing = scheme.accountKeys.first { account[$0.key] == nil }
            if let missing { throw ConfigError(file: path, key: "merchant.account.\(missing.key)", problem: "missing: \(missing.meaning)") }
            throw ConfigError(file: path, key: "merchant", problem: "a \(scheme.id) code cannot be built from it: \(error)")
        }
        let url = try f.string("acquirer.url")
        guard let parsed = URL(string: url), parsed.scheme == "https", parsed.host != nil else {
            throw ConfigError(file: path, key: "acquirer.url", problem: "must be https://HOST:PORT, found \"\(url)\"")
        }
        acquirerURL = parsed
        pkiFolder = Self.resolve(try f.string("acquirer.pki", default: "pki"), in: stateFolder)
        connectTimeout = try f.int("acquirer.connect_timeout", default: 3, range: 1...60)
        readTimeout = try f.int("acquirer.read_timeout", default: 25, range: 2...120)
        requestTimeout = try f.int("acquirer.request_timeout", default: 10, range: 1...120)
        codeLifetime = try f.int("sale.code_lifetime", default: 180, range: 5...900)
        currency = try f.string("sale.currency", default: merchant.currency ?? "JPY")
        guard Currency.code(currency) != nil else { throw ConfigError(file: path, key: "sale.currency", problem: "\"\(currency)\" is not an ISO 4217 code this terminal knows") }
        acceptedWallets = try f.strings("sale.accepted_wallets", default: ["paypay", "rakutenpay", "dbarai", "aupay", "merpay", "alipayplus", "wechatpay", "unionpay"])
        maximumAmount = try f.int("sale.maximum_amount", default: 1_000_000, range: 1...9_999_999_999)
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
