import Acquirer
import ArgumentParser
import Foundation

/// `qrpos pki dev`: a development PKI for the acquirer link, made with swift-certificates (no openssl CLI).
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Certificates for the acquirer link.", subcommands: [Dev.self])

    struct Dev: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev",
            abstract: "Write a development CA, the acquirer host's certificate and one terminal's certificate.",
            discussion: """
            Writes ca.pem + ca.key, host.pem + host.key (localhost, 127.0.0.1, ::1) and terminal.pem + terminal.key \
            (the terminal id is the certificate's common name). Keys are created 0600. Run it again with another \
            --terminal-id to issue a terminal certificate under the CA already in DIR. Start the simulator with \
            `acquirer-sim --listen 127.0.0.1:8443 --pki DIR`.
            """)

        @Option(help: "Folder to write to (created if missing).") var out: String
        @Option(help: "Terminal id, written as the common name of the terminal's certificate.") var terminalId = "SIM-0001"
        @Option(help: "Days the certificates are valid.") var days = 825
        @Option(name: .customLong("host-name"), help: "Host names in the host's certificate (repeatable).") var hostNames: [String] = ["localhost"]
        @Option(name: .customLong("host-address"), help: "IP addresses in the host's certificate (repeatable).") var hostAddresses: [String] = ["127.0.0.1", "::1"]

        func validate() throws {
            guard (1...3650).contains(days) else { throw ValidationError("--days must be 1 to 3650") }
            guard (1...64).contains(terminalId.count), terminalId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
                throw ValidationError("--terminal-id must be 1 to 64 characters of A-Z a-z 0-9 - _ . :")
            }
        }

        func run() throws {
            let folder = PKIFolder(out)
            let report: PKIFolder.Report
            do { report = try folder.write(terminalId: terminalId, hostNames: hostNames, hostAddresses: hostAddresses, days: days) } catch {
                throw Failure("cannot write the development PKI to \(out): \(error)")
            }
            if report.reusedAuthority { print("reused the CA in \(out) (ca.pem, ca.key)") }
            for file in report.written { print("wrote \(file)") }
            print("terminal \(terminalId); keys are 0600; start the host with: acquirer-sim --listen 127.0.0.1:8443 --pki \(out)")
        }
    }
}
