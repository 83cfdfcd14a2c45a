/// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor (EMVCo MPM tag 63).
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    public static func ccittFalse<Bytes: Sequence>(_ bytes: Bytes) -> UInt16 where Bytes.Element == UInt8 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes { crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte))] }
        return crc
    }

    /// Four upper-case hex digits, as tag 63 carries them.
    public static func hex(_ crc: UInt16) -> String {
        let digits = String(crc, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The CRC of an MPM payload over its UTF-8 bytes, up to and including "6304".
    public static func payloadChecksum(_ throughCRCHeader: some StringProtocol) -> String {
        hex(ccittFalse(throughCRCHeader.utf8))
    }
}
