import ArgumentParser
import Foundation
import Imaging
import PaymentCodes

/// `make bench`: figures printed with what was measured, from a release build.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure decoding, building and rendering.")
    @Option(help: "Repetitions per measurement.") var rounds: Int = 2000

    func run() throws {
        let registry = try Assets.registry(nil)
        let classifier = Classifier(registry: registry)
        var request = try Assets.merchant(nil)
        request.amount = "1200"; request.reference = "S0000000001"; request.terminalLabel = "SIM-0001"
        let jpqr = try JPQRScheme().build(request)
        let samples: [(String, String)] = [
            ("dynamic JPQR", jpqr),
            ("SGQR + NETS", "00020101021126810011SG.COM.NETS01231198500065G9912312359000211111686614000308686614019908604108C251800007SG.SGQR01121809072DD85C020701.00010306079027040201050206060400000708201809155204581253037025802SG5912SOBA EXPRESS6009Singapore630457B3"),
            ("KHQR (Khmer tag 64)", "00020101021229460015john_smith@devb0111855122334550208Dev Bank52045999530384054031005802KH5910John Smith6010PHNOM PENH62670106#123450211855122334550311Coffee Shop0709Cashier_10810Buy coffee64280002km0108ចន ស្មីន0206ភ្នំពញ993400131726821915797011317268220357976304B73E"),
            ("EMVCo CPM (base64)", "hQVDUFYwMWEfTwigAAAAZQOSAlcTMViZAHkkKUPUkSEhAAAFEgAADw=="),
            ("WeChat Pay numeric", "134567890123456789"),
        ]
        print("qrpos bench — \(rounds) rounds each, release build, one core")
        print("decode (classify + validate + JSON) per payload:")
        for (name, payload) in samples {
            let t = time(rounds) { _ = classifier.classify(payload).json.serialized }
            print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%8.1f µs", t * 1e6))
        }
        let buildRounds = max(1, rounds / 10)
        let build = time(buildRounds) { _ = try? JPQRScheme().build(request) }
        let encode = time(buildRounds) { _ = try? QRSymbol(jpqr) }
        let symbol = try QRSymbol(jpqr)
        let raster = time(buildRounds) { _ = symbol.image(scale: symbol.moduleSize(fitting: 720)) }
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("qrpos-bench.png").path
        let image = symbol.image(scale: 8)
        let write = time(max(1, buildRounds / 10)) { try? PNGFile.write(image, to: png) }
        let reader = CodeReader()
        let read = time(max(1, buildRounds / 10)) { _ = reader.read(image) }
        print("build + render a dynamic JPQR (\(jpqr.unicodeScalars.count) characters, QR version \(symbol.version)):")
        print(String(format: "  build payload           %8.1f µs", build * 1e6))
        print(String(format: "  libqrencode (ECC M)     %8.1f µs", encode * 1e6))
        print(String(format: "  raster to 720 px        %8.1f µs", raster * 1e6))
        print(String(format: "  total build+render      %8.1f µs", (build + encode + raster) * 1e6))
        print("  " + "PNG write (\(image.width) px)".padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%8.1f µs", write * 1e6))
        print(String(format: "  zbar read back          %8.1f µs", read * 1e6))
        try? FileManager.default.removeItem(atPath: png)
        try screens(request)
        try scanning(classifier)
    }

    /// Time from an amount to a finished show-code frame in a back buffer (build the JPQR, lay out,
    /// draw text and QR, copy rows at the buffer's pitch), and a full redraw of every screen.
    private func screens(_ merchant: PaymentRequest) throws {
        let painter = ScreenPainter(fonts: try Assets.fonts())
        let strings = try Assets.strings()
        let frames = max(1, rounds / 40)
        print("counter screens (\(frames) frames each; one frame at 60 Hz is 16.7 ms):")
        for (w, h) in [(1280, 720), (1920, 1080), (480, 320)] {
            let pitch = w * 4 + 64 // dumb buffers are often padded
            let backBuffer = UnsafeMutableRawPointer.allocate(byteCount: pitch * h, alignment: 64)
            defer { backBuffer.deallocate() }
            var sequence = 0
            let t = time(frames) {
                sequence += 1
                var sale = merchant
                sale.amount = String(1000 + sequence % 9000)
                sale.reference = "S\(100_000_000 + sequence)"
                guard let payload = try? JPQRScheme().build(sale),
                      let (canvas, _) = try? painter.render(ScreenContent(.showCode, merchantName: "QRPOS", amount: 1000 + sequence % 9000, payload: payload,
                                                                         secondsLeft: 180, wallets: ["PayPay", "楽天ペイ", "d払い"]),
                                                            strings: strings, width: w, height: h) else { return }
                canvas.pixels.withUnsafeBytes { source in
                    for y in 0..<h { (backBuffer + y * pitch).copyMemory(from: source.baseAddress! + y * w * 4, byteCount: w * 4) }
                }
            }
            print("  " + "amount → show-code \(w)x\(h)".padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%8.2f ms", t * 1e3))
        }
        for name in ScreenName.allCases {
            var content = ScreenContent(name, merchantName: "キューアールポス麺処", amount: 1200, typedAmount: "1200", secondsLeft: 180,
                                        wallets: ["PayPay", "楽天ペイ", "d払い"])
            if name == .showCode { content.payload = (try? JPQRScheme().build({ var m = merchant; m.amount = "1200"; return m }())) ?? "" }
            let t = time(frames) { _ = try? painter.render(content, strings: strings, width: 1280, height: 720) }
            print("  " + "redraw \(name.rawValue) 1280x720".padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%8.2f ms", t * 1e3))
        }
        try languages(painter, strings)
    }

    /// HarfBuzz's part: shaping one line in each language (a new string each time, so nothing comes from the
    /// book's cache, as on a screen never drawn before), and the paid screen with the shopper's language first.
    private func languages(_ painter: ScreenPainter, _ strings: UIStrings) throws {
        let ids = try Assets.languages().ids
        print("text in every language (shape: one new line at 48 px; paid: the screen with the shopper's language first):")
        var sequence = 0
        for language in ids {
            let line = strings.text("scan_to_pay", language)
            let shape = time(rounds / 4) { sequence += 1; _ = painter.fonts.shape(line + " " + String(sequence), language: language, pixels: 48) }
            let content = ScreenContent(.paid, merchantName: "キューアールポス麺処", languages: [language, "ja", "en"], amount: 1200)
            let paid = time(max(1, rounds / 40)) { sequence += 1; var c = content; c.amount = 1200 + sequence; _ = try? painter.render(c, strings: strings, width: 800, height: 480) }
            print("  " + language.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "shape %7.1f µs   paid 800x480 %6.2f ms", shape * 1e6, paid * 1e3))
        }
    }

    private func time(_ n: Int, _ body: () -> Void) -> Double {
        body() // warm-up
        let clock = ContinuousClock()
        let elapsed = clock.measure { for _ in 0..<n { body() } }
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(n)
    }
}
