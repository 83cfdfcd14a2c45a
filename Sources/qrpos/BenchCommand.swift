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
    }

    private func time(_ n: Int, _ body: () -> Void) -> Double {
        body() // warm-up
        let clock = ContinuousClock()
        let elapsed = clock.measure { for _ in 0..<n { body() } }
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(n)
    }
}
