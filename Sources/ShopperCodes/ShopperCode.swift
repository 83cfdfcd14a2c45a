import Imaging

/// What a shopper's wallet shows at the counter, drawn for the simulated camera and the test corpus:
/// numeric codes as a Code 128 barcode (as the wallets show them), anything else as a QR code.
public enum ShopperCode {
    public enum Symbology: String, CaseIterable, Sendable { case qr, code128 }

    public static func symbology(for payload: String) -> Symbology {
        !payload.isEmpty && payload.allSatisfy { $0.isASCII && $0.isNumber } ? .code128 : .qr
    }

    /// The code alone on white, `module` pixels per module (bars half as tall as wide, like a phone shows them).
    public static func render(_ payload: String, as symbology: Symbology? = nil, module: Int = 4) throws -> GrayImage {
        switch symbology ?? self.symbology(for: payload) {
        case .qr:
            return try QRSymbol(payload).image(scale: module)
        case .code128:
            let symbol = try Code128Symbol(payload)
            return symbol.image(moduleWidth: module, height: max(40, (symbol.modules.count + 20) * module / 3))
        }
    }

    /// A camera's view of a phone held up: the code on a white screen, centred in a dim `width`x`height` frame.
    public static func phoneFrame(_ code: GrayImage, width: Int = 640, height: Int = 480) -> GrayImage {
        var frame = GrayImage(width: width, height: height, fill: 70)
        let margin = 24
        let screenW = min(width, code.width + 2 * margin), screenH = min(height, code.height + 2 * margin)
        frame.fill(x: (width - screenW) / 2, y: (height - screenH) / 2, width: screenW, height: screenH, value: 235)
        let left = (width - code.width) / 2, top = (height - code.height) / 2
        for y in 0..<code.height where (0..<height).contains(top + y) {
            for x in 0..<code.width where (0..<width).contains(left + x) {
                // The code's white is the screen's white: a phone screen is not paper.
                frame[left + x, top + y] = code[x, y] == 255 ? 235 : code[x, y]
            }
        }
        return frame
    }
}
