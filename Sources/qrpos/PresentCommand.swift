import ArgumentParser
import Devices
import ShopperCodes
import Foundation
import Imaging
import PaymentCodes

/// `qrpos present`: a shopper holds up a phone to the simulated board's camera.
struct PresentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "present", abstract: "Show a shopper's code to the simulated camera (an image in its folder).",
        discussion: "Numbers become a Code 128 barcode (libzint), anything else a QR code. The image lands in the folder of "
            + "Board/sim's [camera] unless --into names another; `qrpos scan --board Board/sim` reads it.")

    @Argument(help: "The code the shopper's wallet shows (a number, a base64 CPM code, …).") var payload: String
    @Option(help: "Folder to put the image in (default: the simulated board's camera folder).") var into: String?
    @Option(help: "Board whose camera folder to use.") var board: String = "sim"
    @Option(help: "The state folder of the board's `qrpos run` (relative folders in the board file are taken from it).") var state: String = ".run"
    @Option(name: .customLong("as"), help: "qr or code128 (default: code128 for numbers, qr otherwise).") var symbology: String?
    @Option(help: "Pixels per module.") var module: Int = 4

    func validate() throws {
        if let symbology, ShopperCode.Symbology(rawValue: symbology) == nil { throw ValidationError("--as takes qr or code128") }
        guard (1...16).contains(module) else { throw ValidationError("--module must be 1 to 16 pixels") }
        guard !payload.isEmpty else { throw ValidationError("the payload is empty") }
    }

    func run() throws {
        let folder = try into ?? cameraFolder()
        let kind = symbology.flatMap(ShopperCode.Symbology.init) ?? ShopperCode.symbology(for: payload)
        let code: GrayImage
        do { code = try ShopperCode.render(payload, as: kind, module: module) } catch { throw Failure("\(error)") }
        let frame = ShopperCode.phoneFrame(code, width: max(640, code.width + 96), height: max(480, code.height + 96))
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw Failure("cannot create \(folder)")
        }
        let name = "shopper-\(Int(Date().timeIntervalSince1970 * 1000)).png"
        let partial = folder + "/." + name, final = folder + "/" + name
        // Written under a dot name, then renamed: the watching camera never sees half an image.
        do { try PNGFile.write(frame, to: partial) } catch { throw Failure(error.description) }
        guard rename(partial, final) == 0 else { throw Failure("cannot move \(partial) into place: \(String(cString: strerror(errno)))") }
        let report = Classifier(registry: try Assets.registry(nil)).classify(payload)
        print("\(final) \(kind.rawValue) \(report.wallet ?? report.scheme ?? report.kind.rawValue)")
    }

    private func cameraFolder() throws -> String {
        let devices = try BoardFile.devices(board, state: state)
        guard let camera = devices.camera, camera.backend == .images else {
            throw Failure("\(devices.file) has no image-folder camera; pass --into DIR")
        }
        return camera.device
    }
}
