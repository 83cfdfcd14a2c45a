import ArgumentParser
import Foundation
import Imaging
import PaymentCodes

/// `make run` until the terminal lands: the demo merchant's dynamic JPQR for a sample sale.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Show a dynamic JPQR for a sample sale in this terminal and as a PNG.")
    @Option(help: "Terminal file with the [merchant] table (default: Board/sim/terminal.toml).") var config: String?
    @Option(help: "Amount in yen.") var amount: Int = 1200
    @Option(help: "PNG file to write.") var png: String = "demo-jpqr.png"

    func run() throws {
        var request = try Assets.merchant(config)
        request.amount = String(amount)
        request.reference = "DEMO" + String(Int(Date().timeIntervalSince1970) % 100_000_000)
        request.terminalLabel = "SIM-0001"
        let payload: String
        do { payload = try JPQRScheme().build(request) } catch { throw Failure("the demo merchant cannot build a JPQR: \(error)") }
        let symbol: QRSymbol
        do { symbol = try QRSymbol(payload) } catch { throw Failure(error.description) }
        print(TerminalQR.render(symbol), terminator: "")
        print("\(request.merchantName)  ¥\(amount)  (JPQR, dynamic, reference \(request.reference!))")
        print(payload)
        do { try PNGFile.write(symbol.image(scale: 8), to: png) } catch { throw Failure(error.description) }
        print("wrote \(png)")
    }
}
