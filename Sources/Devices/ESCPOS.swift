import Imaging

/// The ESC/POS bytes a receipt printer takes, and the real-time status it answers. Pure: the backends only move
/// bytes. Slips go as raster images (GS v 0), never as text in a code page, so every language prints as drawn.
public enum ESCPOS {
    static let initialise: [UInt8] = [0x1B, 0x40]                       // ESC @
    /// Rows per GS v 0 command: small printers' buffers take a band of this size at a time.
    static let bandRows = 256

    /// One slip: reset, the picture in bands, a feed past the tear bar, a partial cut.
    public static func job(_ image: MonoImage, cut: Bool = true) -> [UInt8] {
        var bytes = initialise
        var row = 0
        while row < image.height {
            let rows = min(bandRows, image.height - row)
            let width = image.bytesPerRow
            bytes += [0x1D, 0x76, 0x30, 0x00, UInt8(width & 0xFF), UInt8(width >> 8), UInt8(rows & 0xFF), UInt8(rows >> 8)]
            bytes += image.bits[row * width..<(row + rows) * width]
            row += rows
        }
        bytes += [0x1B, 0x64, 0x03]                                       // ESC d 3: feed three lines
        if cut { bytes += [0x1D, 0x56, 0x42, 0x00] }                      // GS V 66 0: feed to the cutter, partial cut
        return bytes
    }

    /// DLE EOT n: the printer (1), offline cause (2) and paper roll sensor (4) status, answered at once even mid-job.
    public static let statusRequests: [(request: [UInt8], kind: Int)] = [([0x10, 0x04, 0x01], 1), ([0x10, 0x04, 0x02], 2), ([0x10, 0x04, 0x04], 4)]

    /// A status byte has bit 1 and bit 4 set and bits 0 and 7 clear; anything else is not an answer to DLE EOT.
    public static func isStatusByte(_ byte: UInt8) -> Bool { byte & 0x93 == 0x12 }

    /// The three answers, in the order of `statusRequests`.
    public static func status(printer: UInt8, offlineCause: UInt8, paper: UInt8) -> PrinterStatus {
        var status = PrinterStatus()
        status.online = printer & 0x08 == 0
        status.coverOpen = offlineCause & 0x04 != 0
        status.paperOut = offlineCause & 0x20 != 0 || paper & 0x60 != 0
        status.failed = offlineCause & 0x40 != 0
        status.paperNearEnd = paper & 0x0C != 0
        return status
    }
}

/// What the printer says about itself (ESC/POS real-time status), for the cashier, health and the self-test.
public struct PrinterStatus: Sendable, Equatable {
    public var online = true
    public var coverOpen = false
    public var paperOut = false
    public var paperNearEnd = false
    /// A mechanical or cutter error.
    public var failed = false
    public init() {}

    /// Why nothing can print now, in words for the cashier; nil when it can.
    public var problem: String? {
        if paperOut { return "the printer is out of paper" }
        if coverOpen { return "the printer cover is open" }
        if failed { return "the printer reports an error (cutter or mechanism)" }
        if !online { return "the printer is offline" }
        return nil
    }

    /// Worth saying while it still prints.
    public var warning: String? { problem == nil && paperNearEnd ? "the paper roll is nearly finished" : nil }
}
