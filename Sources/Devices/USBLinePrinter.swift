import Foundation
import Imaging
import Platform
import SystemPackage

/// An ESC/POS printer on USB through the kernel's usblp driver (/dev/usb/lp0): bytes written to the device, the
/// real-time status read back from it (usblp is bidirectional when the printer is).
public final class USBLinePrinter: Printer {
    public let device: String
    public let dots: Int
    private let paper: PrinterChoice.Paper
    public var description: String { "escpos usb \(device) \(paper.rawValue) mm" }

    public init(device: String, paper: PrinterChoice.Paper) throws(DeviceError) {
        // Opened per job, not held: a printer unplugged and plugged back in is a new device file.
        guard FileManager.default.fileExists(atPath: device) else {
            throw DeviceError(device: device, call: "open", errno: ENOENT, hint: "no USB printer: is it plugged in and on (usblp loaded)?")
        }
        self.device = device; self.paper = paper; dots = paper.dots
    }

    public func print(_ slip: MonoImage, named name: String) throws(DeviceError) {
        let fd = try PrinterIO.open(device)
        defer { SystemCall.close(fd) }
        try PrinterIO.writeAll(fd, ESCPOS.job(slip), device: device)
    }

    public func status() throws(DeviceError) -> PrinterStatus? {
        let fd = try PrinterIO.open(device)
        defer { SystemCall.close(fd) }
        return try PrinterIO.askStatus(fd, device: device)
    }

    public func close() {}
}

/// The few calls the ESC/POS backends make, each through SystemCall, with the hints a technician acts on.
enum PrinterIO {
    static func open(_ path: String) throws(DeviceError) -> FileDescriptor {
        do { return try SystemCall.open(path, .readWrite) } catch {
            throw DeviceError(device: path, error, hint: error.errno == .permissionDenied ? "add the qrpos user to the lp group" : "")
        }
    }

    static func writeAll(_ fd: FileDescriptor, _ bytes: [UInt8], device: String) throws(DeviceError) {
        do { try SystemCall.writeAll(fd, bytes) } catch {
            throw DeviceError(device: device, error, hint: "the printer stopped taking data (paper, cover, cable?)")
        }
    }

    /// One status byte, or nil when none came within `timeout`.
    static func readStatusByte(_ fd: FileDescriptor, timeout: Duration, device: String) throws(DeviceError) -> UInt8? {
        do {
            while true {
                guard try SystemCall.poll(fd, for: .readable, timeout: timeout) != nil else { return nil }
                var byte: UInt8 = 0
                guard try SystemCall.readValue(fd, into: &byte) else { return nil }
                // Skip anything that is not a status byte (an automatic status a printer sent earlier, say).
                if ESCPOS.isStatusByte(byte) { return byte }
            }
        } catch {
            throw DeviceError(device: device, error)
        }
    }

    /// DLE EOT 1, 2 and 4 in turn; nil when the printer does not answer (a one-way printer).
    static func askStatus(_ fd: FileDescriptor, device: String, timeout: Duration = .milliseconds(500)) throws(DeviceError) -> PrinterStatus? {
        var answers: [UInt8] = []
        for (request, _) in ESCPOS.statusRequests {
            try writeAll(fd, request, device: device)
            guard let byte = try readStatusByte(fd, timeout: timeout, device: device) else { return nil }
            answers.append(byte)
        }
        return ESCPOS.status(printer: answers[0], offlineCause: answers[1], paper: answers[2])
    }
}
