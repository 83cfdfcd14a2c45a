import ArgumentParser
import Devices
import Foundation
import Imaging
import PaymentCodes

struct CodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code", abstract: "Decode, build, render and scan payment codes.",
        subcommands: [Decode.self, Encode.self, Render.self, Scan.self]
    )

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a scanned string is, as JSON (exit 1 when invalid).")
        @Argument(help: "The scanned text: an EMVCo code, a base64 consumer code, a number or a upi:// link.") var payload: String
        @Option(help: "Apply this scheme's rules even if the code does not name it (jpqr, khqr, qris, …).") var scheme: String?
        @Option(help: "Wallet registry file (default: Assets/wallets.toml).") var registry: String?

        func run() throws {
            var forced: (any MerchantScheme)?
            if let scheme {
                guard let found = MerchantSchemes.named(scheme) else {
                    throw ValidationError("unknown scheme \"\(scheme)\"; one of \(MerchantSchemes.all.map(\.id).joined(separator: ", "))")
                }
                forced = found
            }
            let report = Classifier(registry: try Assets.registry(registry)).classify(payload, as: forced)
            print(report.json.serialized)
            if !report.valid { throw ExitCode(1) }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a merchant-presented payload (dynamic when an amount is given).",
            discussion: "Schemes: \((MerchantSchemes.all.map(\.id) + ["upi"]).joined(separator: ", ")). Scheme identifiers go in --set KEY=VALUE; "
                + "run with a scheme and no identifiers to see the keys it needs."
        )
        @Argument(help: "Scheme to build.") var scheme: String
        @Option(help: "Merchant profile file with a [merchant] table; options override it.") var profile: String?
        @Option(help: "Merchant name (at most 25 characters).") var name: String?
        @Option(help: "Merchant city (at most 15 characters).") var city: String?
        @Option(help: "Postal code.") var postal: String?
        @Option(help: "Merchant category code, 4 digits.") var mcc: String?
        @Option(help: "Merchant name in the local language (tag 64).") var altName: String?
        @Option(help: "City in the local language (tag 64).") var altCity: String?
        @Option(help: "Language of --alt-name, ISO 639-1.") var altLanguage: String?
        @Option(help: "Amount in the currency's main unit (1200 yen, 5.50 dollars).") var amount: String?
        @Option(help: "Currency, ISO 4217 letters or number (default: the scheme's own).") var currency: String?
        @Option(help: "Reference or sale id (62.05).") var reference: String?
        @Option(help: "Terminal label (62.07).") var terminal: String?
        @Option(help: "Store label (62.03).") var store: String?
        @Option(help: "Bill number (62.01).") var bill: String?
        @Option(help: "Purpose of the transaction (62.08).") var purpose: String?
        @Option(help: "JPQR unified store identifier, 13-4-6-6 digits.") var jpqrId: String?
        @Option(help: "Code lifetime in seconds for schemes that carry an expiry (KHQR).") var expiresIn: Int = 600
        @Option(name: .customLong("set"), help: "A scheme identifier, KEY=VALUE (repeatable).") var settings: [String] = []

        func run() throws {
            var request = PaymentRequest(merchantName: "", merchantCity: "")
            if let profile { request = try Assets.merchant(profile) }
            let overrides: [(WritableKeyPath<PaymentRequest, String?>, String?)] = [
                (\.postalCode, postal), (\.categoryCode, mcc), (\.alternateName, altName), (\.alternateCity, altCity),
                (\.alternateLanguage, altLanguage), (\.amount, amount), (\.currency, currency), (\.reference, reference),
                (\.terminalLabel, terminal), (\.storeLabel, store), (\.billNumber, bill), (\.purpose, purpose),
            ]
            for (path, value) in overrides where value != nil { request[keyPath: path] = value }
            if let name { request.merchantName = name }
            if let city { request.merchantCity = city }
            if let jpqrId { request.account["jpqr-id"] = jpqrId }
            for setting in settings {
                let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--set takes KEY=VALUE, found \"\(setting)\"") }
                request.account[parts[0]] = parts[1]
            }
            guard !request.merchantName.isEmpty else { throw ValidationError("--name (or a --profile) is required") }
            if scheme.lowercased() == "upi" {
                print(try build { try UPILink.build(request) })
                return
            }
            guard let profile = MerchantSchemes.named(scheme) else {
                throw ValidationError("unknown scheme \"\(scheme)\"; one of \((MerchantSchemes.all.map(\.id) + ["upi"]).joined(separator: ", "))")
            }
            if profile.id == "khqr", request.account["created"] == nil {
                // KHQR carries its own lifetime; the builder is pure, so the clock is read here.
                let now = Int(Date().timeIntervalSince1970 * 1000)
                request.account["created"] = String(now)
                if request.amount != nil { request.account["expires"] = String(now + expiresIn * 1000) }
            }
            guard !request.merchantCity.isEmpty else { throw ValidationError("--city (or a --profile) is required") }
            if profile.id == "jpqr", altCity != nil {
                // JPQR's tag 64 holds the language and the name only (JPQR guidelines): say so rather than drop it quietly.
                printError("note: JPQR carries no alternate city (tag 64.02); --alt-city is left out of the code")
            }
            do {
                print(try build { try profile.build(request) })
            } catch let error as Failure where error.description.hasPrefix("missing") {
                let keys = profile.accountKeys.map { "  --set \($0.key)=…  \($0.meaning)" }.joined(separator: "\n")
                throw ValidationError("\(error)\n\(profile.id) identifiers:\n\(keys)")
            }
        }

        private func build(_ body: () throws -> String) throws -> String {
            do { return try body() } catch let error as PaymentCodeError { throw Failure(error.description) }
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw a payload as a QR code (ECC M, quiet zone 4) into a PNG file.")
        @Argument(help: "The text to encode.") var payload: String
        @Option(help: "PNG file to write.") var png: String
        @Option(help: "Pixels per module.") var scale: Int = 8
        @Flag(help: "Also show the code in this terminal.") var terminal = false

        func validate() throws {
            guard (1...64).contains(scale) else { throw ValidationError("--scale must be 1 to 64 pixels per module") }
        }

        func run() throws {
            let symbol: QRSymbol
            do { symbol = try QRSymbol(payload) } catch { throw Failure(error.description) }
            do { try PNGFile.write(symbol.image(scale: scale), to: png) } catch { throw Failure(error.description) }
            if terminal { print(TerminalQR.render(symbol), terminator: "") }
            printError("wrote \(png): version \(symbol.version), \(symbol.size) modules, \(scale) px per module")
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read codes from images with zbar; one decode JSON line per code.")
        @Argument(help: "Images (PNG, JPEG, PGM/PPM, BMP, GIF, TIFF, WebP, … as zbarimg reads).") var images: [String]
        @Option(help: "Wallet registry file (default: Assets/wallets.toml).") var registry: String?

        func validate() throws { if images.isEmpty { throw ValidationError("name at least one image") } }

        func run() throws {
            // The scanner's still-image looks (as-is, inverted for dark-mode wallets, …), as `qrpos scan --images`.
            let scanner = CodeScanner(classifier: Classifier(registry: try Assets.registry(registry)), settings: .stillImages)
            var failed = false
            for path in images {
                let frames: [GrayImage]
                do { frames = try ImageFile.readFrames(path) } catch {
                    printError(error.description); failed = true; continue
                }
                var texts: [String] = []
                for (index, image) in frames.enumerated() {
                    let codes = image.pixels.withUnsafeBufferPointer { pixels in
                        scanner.scan(LumaFrame(pixels: pixels.baseAddress!, width: image.width, height: image.height, sequence: index + 1, file: path, borrowed: true))
                    }
                    for code in codes where !texts.contains(code.text) {
                        texts.append(code.text)
                        print(code.report.json.serialized)
                    }
                }
                if texts.isEmpty { printError("\(path): no code found"); failed = true }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
