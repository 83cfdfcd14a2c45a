import ArgumentParser
import Foundation
import Terminal

/// `qrpos provision`: enrolls the terminal with its acquirer (a key made here, a one-time code, the host's CA pinned)
/// and stores the certificate and the merchant profile the counter starts with. Argument parsing only.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision", abstract: "Enroll this terminal with the acquirer: identity, certificate and merchant profile.",
        discussion: "First time: --terminal-id ID --code CODE and the host's CA (--ca FILE or --fingerprint SHA256). Later: --renew, before the certificate expires.")

    @Option(help: "Board folder with board.toml and terminal.toml.") var board: String = "Board/sim"
    @Option(help: "Terminal file; default: the board's terminal.toml.") var config: String?
    @Option(help: "State folder (PKI, merchant profile, journal).") var state: String = ".run"
    @Option(help: "The terminal id the enrollment code was issued for.") var terminalId: String?
    @Option(help: "The one-time enrollment code from the acquirer.") var code: String?
    @Option(help: "Where to enroll, https://HOST:PORT; default: acquirer.enroll_url in the terminal file.") var enrollUrl: String?
    @Option(help: "The acquirer's CA certificate (PEM), as shipped with the image.") var ca: String?
    @Option(help: "The SHA-256 fingerprint of the acquirer's CA, as the acquirer gave it.") var fingerprint: String?
    @Flag(help: "Renew the certificate with the current one (mutual TLS), keeping the merchant profile up to date.") var renew = false

    func validate() throws {
        if let enrollUrl, URL(string: enrollUrl)?.scheme != "https" { throw ValidationError("--enroll-url must be https://HOST:PORT") }
        if renew, code != nil { throw ValidationError("--renew needs no code: the current certificate authenticates it") }
    }

    func run() async throws {
        let folder = board.hasSuffix("/") ? String(board.dropLast()) : board
        let request = Provisioning.Request(terminalFile: config ?? folder + "/terminal.toml", stateFolder: state, terminalID: terminalId, code: code,
                                           enrollURL: enrollUrl.flatMap(URL.init(string:)), authorityFile: ca, fingerprint: fingerprint, renew: renew)
        do { print(try await Provisioning.run(request)) } catch { throw Failure(error.description) }
    }
}
