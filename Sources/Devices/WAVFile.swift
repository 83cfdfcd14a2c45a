import Foundation

/// A RIFF WAVE file of 16-bit mono PCM: the 44-byte header every player reads, then the samples, little-endian.
public enum WAVFile {
    public static func data(_ samples: [Int16], sampleRate: Int) -> Data {
        var out = Data(capacity: 44 + samples.count * 2)
        func text(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { out.append(contentsOf: $0) } }
        let bytes = samples.count * 2
        text("RIFF"); u32(36 + bytes); text("WAVE")
        // fmt: PCM (1), one channel, the rate, bytes per second, bytes per frame, bits per sample.
        text("fmt "); u32(16); u16(1); u16(1); u32(sampleRate); u32(sampleRate * 2); u16(2); u16(16)
        text("data"); u32(bytes)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}
