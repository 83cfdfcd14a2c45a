import ArgumentParser
import Devices
import Foundation
import Imaging
import PaymentCodes

/// `qrpos screen NAME`: any counter screen, offline into a PNG or onto a real panel.
struct ScreenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen", abstract: "Render a counter screen to a PNG file or show it on a display.",
        discussion: "Screens: \(ScreenName.allCases.map(\.rawValue).joined(separator: ", "))."
    )

    @Argument(help: "The screen to draw.") var name: String
    @Option(help: "Panel size WxH, 480x320 up to 1920x1080 (PNG and terminal; DRM and fbdev use the panel's).") var size: String = "1280x720"
    @Option(help: "Panel rotation in degrees clockwise: 0, 90, 180, 270.") var rotate: Int = 0
    @Option(help: "Amount in the currency's minor unit (yen).") var amount: Int = 1200
    @Option(help: "Languages, most important first.") var lang: String = "ja,en"
    @Option(help: "Terminal file with the [merchant] table (default: Board/sim/terminal.toml).") var config: String?
    @Option(help: "Wallet ids shown as accepted (registry ids).") var wallets: String = "paypay,rakutenpay,dbarai,aupay,merpay,alipayplus,wechatpay,unionpay"
    @Option(help: "Seconds left on the show-code countdown.") var secondsLeft: Int = 180
    @Option(help: "PNG file to write.") var png: String?
    @Option(help: "Show on a display instead: drm, fbdev or terminal.") var display: String?
    @Option(help: "Device for --display (a /dev/dri/cardN or /dev/fbN; default: search).") var device: String?
    @Option(help: "DRM mode WxH[@Hz] (default: the panel's preferred).") var mode: String?
    @Flag(help: "Large text in high contrast (the terminal file's [screen] large_text).") var largeText = false
    @Option(help: "A line under the title (the paid screen's wallet and slip number, a decline reason).") var detail: String?
    @Option(help: "Keep the screen up this many seconds on a device (SIGTERM/Ctrl-C restore the panel).") var hold: Int = 5

    func validate() throws {
        guard ScreenName(rawValue: name) != nil else {
            throw ValidationError("unknown screen \"\(name)\"; one of \(ScreenName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard [0, 90, 180, 270].contains(rotate) else { throw ValidationError("--rotate takes 0, 90, 180 or 270") }
        guard parsedSize != nil else { throw ValidationError("--size is WxH between 320 and 3840 pixels a side, e.g. 1280x720") }
        guard png != nil || display != nil else { throw ValidationError("give --png FILE or --display drm|fbdev|terminal") }
        if let display, DisplayChoice.Backend(rawValue: display) == nil { throw ValidationError("--display takes drm, fbdev or terminal") }
        guard !lang.split(separator: ",").isEmpty else { throw ValidationError("--lang takes a comma list of languages, e.g. ja,en") }
        guard amount >= 0, amount < 10_000_000_000 else { throw ValidationError("--amount must be 0 to 9,999,999,999") }
    }

    var parsedSize: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (320...3840).contains(parts[0]), (320...3840).contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let screen = ScreenName(rawValue: name)!
        var merchant = try Assets.merchant(config)
        let registry = try Assets.registry(nil)
        let languages = lang.split(separator: ",").map(String.init)
        var content = ScreenContent(screen, merchantName: languages.first == "ja" ? merchant.alternateName ?? merchant.merchantName : merchant.merchantName,
                                    languages: languages, amount: amount, currency: merchant.currency ?? "JPY", typedAmount: String(amount),
                                    secondsLeft: secondsLeft,
                                    wallets: wallets.split(separator: ",").compactMap { registry.entry(String($0))?.name(for: languages[0]) })
        content.largeText = largeText
        content.detail = detail
        if screen == .showCode {
            merchant.amount = String(amount)
            merchant.reference = "S" + String(Int(Date().timeIntervalSince1970))
            do { content.payload = try JPQRScheme().build(merchant) } catch { throw Failure("the merchant cannot build a JPQR: \(error)") }
        }
        let painter = ScreenPainter(fonts: try Assets.fonts())
        let strings = try Assets.strings()
        guard languages.allSatisfy(strings.languages.contains) else {
            throw ValidationError("--lang takes a comma list of \(strings.languages.joined(separator: ", ")) (Assets/languages.toml)")
        }
        if let png {
            let (w, h) = parsedSize!
            let frame = try render(painter, content, strings, width: w, height: h)
            do { try frame.canvas.writePNG(to: png) } catch { throw Failure(error.description) }
            if let payload = content.payload { print(payload) }
        }
        if let display, let backend = DisplayChoice.Backend(rawValue: display) {
            let (w, h) = backend == .terminal ? terminalSize() : parsedSize!
            let panel: any Display
            do { panel = try DisplayChoice.open(backend, device: device, mode: mode, width: w, height: h) } catch { throw Failure(error.description) }
            let guardian = TerminationGuard { panel.close() }
            defer { withExtendedLifetime(guardian) { panel.close() } }
            let frame = try render(painter, content, strings, width: panel.width, height: panel.height)
            do { try panel.show(frame) } catch { throw Failure(error.description) }
            if backend != .terminal {
                printError("showing \(name) on \(panel.description) for \(hold) s")
                RunLoop.main.run(until: Date().addingTimeInterval(TimeInterval(hold)))
            }
        }
    }

    private func terminalSize() -> (Int, Int) {
        let t = TerminalDisplay.terminalSize()
        return (max(320, t.columns * 8), max(320, t.rows * 16))
    }

    private func render(_ painter: ScreenPainter, _ content: ScreenContent, _ strings: UIStrings, width: Int, height: Int) throws -> Frame {
        do {
            let (canvas, drawn) = try painter.render(content, strings: strings, width: width, height: height, rotation: rotate)
            return Frame(canvas: canvas, texts: drawn.texts.map(\.item.text), codes: drawn.codes.map(\.payload))
        } catch { throw Failure(error.description) }
    }
}
