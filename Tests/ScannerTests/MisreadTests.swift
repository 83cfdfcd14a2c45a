@testable import Devices
@testable import Imaging
import Testing

/// A 1D code read on one scan line can be a misread whose check character still fits (two wrong symbols
/// can cancel out in Code 128's modulo 103): what the scanner passes on for charging.
struct MisreadTests {
    typealias Symbol = CodeReader.Symbol
    static let right = Symbol(kind: .code128, text: "28079244026859952890", quality: 3)
    static let wrong = Symbol(kind: .code128, text: "28079205026859951190", quality: 1)

    @Test func aSingleLineReadingCountsOnlyFromThePlainLooks() {
        let once = Symbol(kind: .code128, text: "900081818812345678901234", quality: 1)
        #expect(CodeScanner.trustworthy([once], from: .asIs) == [once])
        #expect(CodeScanner.trustworthy([once], from: .inverted) == [once])
        #expect(CodeScanner.trustworthy([once], from: .smoothed).isEmpty)
        #expect(CodeScanner.trustworthy([once], from: .sharpened).isEmpty)
        var twice = once; twice.quality = 2
        #expect(CodeScanner.trustworthy([twice], from: .smoothed) == [twice])
        // QR codes carry Reed–Solomon error correction: one reading is enough from any look.
        let qr = Symbol(kind: .qr, text: "hQVDUFYwMQ==", quality: 1)
        #expect(CodeScanner.trustworthy([qr], from: .sharpened) == [qr])
    }

    @Test func twoDifferentReadingsKeepOnlyAClearFavourite() {
        #expect(CodeScanner.trustworthy([Self.wrong, Self.right], from: .asIs) == [Self.right])
        var tie = Self.wrong; tie.quality = 3
        #expect(CodeScanner.trustworthy([tie, Self.right], from: .asIs).isEmpty)
        // A QR beside them is not affected, nor is the same number read as Code 128 and QR.
        let qr = Symbol(kind: .qr, text: Self.right.text, quality: 1)
        #expect(CodeScanner.trustworthy([Self.right, qr], from: .asIs) == [Self.right, qr])
    }

    @Test func anEmptySymbolIsNoReading() {
        #expect(CodeScanner.trustworthy([Symbol(kind: .code128, text: "", quality: 1)], from: .asIs).isEmpty)
    }
}
