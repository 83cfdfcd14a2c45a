import Foundation
import Imaging

/// Where slips go. One file per backend: ESC/POS over USB (usblp), ESC/POS over the network (TCP 9100),
/// and the simulated board's folder of PNG and .bin files. Every backend gets the finished 1-bit picture.
public protocol Printer: AnyObject {
    /// "escpos usb /dev/usb/lp0 58 mm", for logs, health and the self-test.
    var description: String { get }
    /// Printable width in dots: 384 on 58 mm paper, 576 on 80 mm.
    var dots: Int { get }
    /// Prints one slip; `name` names it where a backend keeps files ("0001-S-20261202-0001").
    func print(_ slip: MonoImage, named name: String) throws(DeviceError)
    /// The printer's own status, or nil when it does not answer status requests (a one-way printer).
    func status() throws(DeviceError) -> PrinterStatus?
    func close()
}

/// Opens the printer a board file names.
public enum PrinterChoice {
    public enum Backend: String, CaseIterable, Sendable { case usb, network, simulated }
    public enum Paper: Int, CaseIterable, Sendable {
        case mm58 = 58, mm80 = 80
        public var dots: Int { self == .mm58 ? 384 : 576 }
    }

    /// `target`: the usblp device, HOST:PORT, or the simulated board's folder.
    public static func open(_ backend: Backend, target: String, paper: Paper) throws(DeviceError) -> any Printer {
        switch backend {
        case .usb: return try USBLinePrinter(device: target, paper: paper)
        case .network: return try NetworkPrinter(address: target, paper: paper)
        case .simulated: return try SimulatedPrinter(folder: target, paper: paper)
        }
    }
}
