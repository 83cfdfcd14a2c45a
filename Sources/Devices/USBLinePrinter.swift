import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#endif

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
        let fd = try PrinterIO.open(device, flags: O_RDWR)
        defer { Glibc.close(fd) }
        try PrinterIO.writeAll(fd, ESCPOS.job(slip), device: device)
    }

    public func status() throws(DeviceError) -> PrinterStatus? {
        let fd = try PrinterIO.open(device, flags: O_RDWR)
        defer { Glibc.close(fd) }
        return try PrinterIO.askStatus(fd, device: device)
    }

    public func close() {}
}

/// The few calls the ESC/POS backends make, with EINTR and short writes handled once.
enum PrinterIO {
    static func open(_ path: String, flags: Int32) throws(DeviceError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno != EINTR { throw DeviceError(device: path, call: "open", errno: errno, hint: errno == EACCES ? "add the qrpos user to the lp group" : "") }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], device: String) throws(DeviceError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw DeviceError(device: device, call: "write", errno: errno, hint: "the printer stopped taking data (paper, cover, cable?)")
            }
            offset += written
        }
    }

    /// One status byte, or nil when none came within `timeout` milliseconds.
    static func readStatusByte(_ fd: Int32, timeout: Int32, device: String) throws(DeviceError) -> UInt8? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, timeout)
            if ready < 0 { if errno == EINTR { continue }; throw DeviceError(device: device, call: "poll", errno: errno) }
            if ready == 0 { return nil }
            var byte: UInt8 = 0
            let count = Glibc.read(fd, &byte, 1)
            if count < 0 { if errno == EINTR { continue }; throw DeviceError(device: device, call: "read", errno: errno) }
            if count == 0 { return nil }
            // Skip anything that is not a status byte (an automatic status a printer sent earlier, say).
            if ESCPOS.isStatusByte(byte) { return byte }
        }
    }

    /// DLE EOT 1, 2 and 4 in turn; nil when the printer does not answer (a one-way printer).
    static func askStatus(_ fd: Int32, device: String, timeout: Int32 = 500) throws(DeviceError) -> PrinterStatus? {
        var answers: [UInt8] = []
        for (request, _) in ESCPOS.statusRequests {
            try writeAll(fd, request, device: device)
            guard let byte = try readStatusByte(fd, timeout: timeout, device: device) else { return nil }
            answers.append(byte)
        }
        return ESCPOS.status(printer: answers[0], offlineCause: answers[1], paper: answers[2])
    }
}
