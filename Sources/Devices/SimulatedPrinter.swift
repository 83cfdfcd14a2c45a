import Foundation
import Imaging

/// The simulated board's printer: each slip as a PNG (what the paper would show) and as the exact ESC/POS bytes
/// a real printer would get (`.bin`), in a folder. A `printer-status` file in the folder plays the printer's
/// state for demos and tests: `paper-out`, `near-end`, `cover-open` or `offline`.
public final class SimulatedPrinter: Printer {
    public let folder: String
    public let dots: Int
    private let paper: PrinterChoice.Paper
    public var description: String { "simulated \(folder) \(paper.rawValue) mm" }

    public init(folder: String, paper: PrinterChoice.Paper) throws(DeviceError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw DeviceError(device: folder, call: "create the receipts folder", hint: "\(error.localizedDescription)")
        }
        self.folder = folder; self.paper = paper; dots = paper.dots
    }

    public func print(_ slip: MonoImage, named name: String) throws(DeviceError) {
        if let problem = try status()?.problem { throw DeviceError(device: description, call: "print", hint: problem) }
        let base = folder + "/" + name
        do { try Data(ESCPOS.job(slip)).write(to: URL(fileURLWithPath: base + ".bin")) } catch {
            throw DeviceError(device: base + ".bin", call: "write", hint: "\(error.localizedDescription)")
        }
        do { try PNGFile.write(slip.gray, to: base + ".png") } catch { throw DeviceError(device: base + ".png", call: "write", hint: error.description) }
    }

    public func status() throws(DeviceError) -> PrinterStatus? {
        var status = PrinterStatus()
        guard let text = try? String(contentsOfFile: folder + "/printer-status", encoding: .utf8) else { return status }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "paper-out": status.paperOut = true
        case "near-end": status.paperNearEnd = true
        case "cover-open": status.coverOpen = true
        case "offline": status.online = false
        default: break
        }
        return status
    }

    public func close() {}
}
