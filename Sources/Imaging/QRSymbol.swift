import CQRencode
import Glibc

/// A QR symbol's module grid, encoded by libqrencode.
public struct QRSymbol: Sendable {
    public enum Correction: Sendable {
        case low, medium, quartile, high
        var level: QRecLevel {
            switch self { case .low: QR_ECLEVEL_L; case .medium: QR_ECLEVEL_M; case .quartile: QR_ECLEVEL_Q; case .high: QR_ECLEVEL_H }
        }
    }

    public enum EncodeError: Error, CustomStringConvertible {
        case tooLong(bytes: Int)
        case failed(errno: Int32)
        public var description: String {
            switch self {
            case let .tooLong(bytes): return "\(bytes) bytes do not fit in a QR code at this error-correction level"
            case let .failed(errno): return "libqrencode failed (errno \(errno))"
            }
        }
    }

    /// Modules per side (21 for version 1, +4 per version).
    public let size: Int
    public let version: Int
    /// Row-major, true = dark module.
    public let modules: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Encodes the text's UTF-8 bytes; libqrencode picks numeric, alphanumeric and byte segments.
    /// ECC M by default: EMVCo and JPQR ask for at least M.
    public init(_ text: String, correction: Correction = .medium) throws(EncodeError) {
        // QRcode_encodeString stops at NUL, and Swift strings may carry one; refuse rather than truncate.
        guard !text.utf8.contains(0) else { throw .failed(errno: 22) }
        guard let code = text.utf8.allSatisfy({ $0 < 0x80 }) ? QRcode_encodeString(text, 0, correction.level, QR_MODE_8, 1)
                                                           : Self.encodeUTF8(text, correction.level) else {
            let err = errno_value()
            if err == 34 { throw .tooLong(bytes: text.utf8.count) }
            throw .failed(errno: err)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        version = Int(code.pointee.version)
        // Bit 0 of each byte is "black"; the other bits describe the module's role.
        modules = (0..<width * width).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// Non-ASCII text (tag 64 names) carries ECI 26 ("UTF-8"): without it readers guess the character
    /// set, and zbar takes "Café" for Shift-JIS. libqrencode's own segmenting is not public, so the
    /// ASCII runs are split here to keep numeric and alphanumeric segments and a small symbol.
    private static func encodeUTF8(_ text: String, _ level: QRecLevel) -> UnsafeMutablePointer<QRcode>? {
        guard let input = QRinput_new2(0, level), QRinput_appendECIheader(input, 26) == 0 else { return nil }
        defer { QRinput_free(input) }
        for (mode, bytes) in segments(Array(text.utf8)) {
            guard QRinput_append(input, mode, Int32(bytes.count), bytes) == 0 else { return nil }
        }
        return QRcode_encodeInput(input)
    }

    /// Runs worth their segment header: 6+ digits as numeric (3.3 bits each), 8+ alphanumeric
    /// characters as alphanumeric (5.5 bits each); everything else in byte mode (8 bits each).
    static func segments(_ bytes: [UInt8]) -> [(QRencodeMode, [UInt8])] {
        let alphanumeric = Set(Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8))
        func isDigit(_ b: UInt8) -> Bool { (48...57).contains(b) }
        var result: [(QRencodeMode, [UInt8])] = []
        func add(_ mode: QRencodeMode, _ run: ArraySlice<UInt8>) {
            if mode == QR_MODE_8, let last = result.last, last.0 == QR_MODE_8 { result[result.count - 1].1 += run } else { result.append((mode, Array(run))) }
        }
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, isDigit(bytes[j]) { j += 1 }
            if j - i >= 6 { add(QR_MODE_NUM, bytes[i..<j]); i = j; continue }
            j = i
            while j < bytes.count, alphanumeric.contains(bytes[j]) { j += 1 }
            if j - i >= 8 { add(QR_MODE_AN, bytes[i..<j]); i = j; continue }
            add(QR_MODE_8, bytes[i..<max(i + 1, j)])
            i = max(i + 1, j)
        }
        return result
    }

    /// Draws the symbol with `scale` pixels per module and a quiet zone of `quietZone` modules (at least 4).
    public func image(scale: Int, quietZone: Int = 4) -> GrayImage {
        let scale = max(1, scale), quiet = max(4, quietZone)
        let side = (size + 2 * quiet) * scale
        var image = GrayImage(width: side, height: side)
        for y in 0..<size {
            for x in 0..<size where self[x, y] {
                image.fill(x: (x + quiet) * scale, y: (y + quiet) * scale, width: scale, height: scale, value: 0)
            }
        }
        return image
    }

    /// The largest integer module size that fits the symbol and its quiet zone into `pixels`.
    public func moduleSize(fitting pixels: Int, quietZone: Int = 4) -> Int { max(1, pixels / (size + 2 * max(4, quietZone))) }
}

@inline(__always) func errno_value() -> Int32 { Glibc.errno }
