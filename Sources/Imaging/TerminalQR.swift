/// A QR symbol as text for a terminal: each character cell holds two modules with "▀" (upper half
/// block), the top module in the foreground colour and the bottom in the background. Colours are set
/// explicitly (black on white) so a phone can scan it on dark and light terminal themes alike.
public enum TerminalQR {
    public static func render(_ symbol: QRSymbol, quietZone: Int = 4) -> String {
        let quiet = max(4, quietZone)
        let side = symbol.size + 2 * quiet
        func dark(_ x: Int, _ y: Int) -> Bool {
            let mx = x - quiet, my = y - quiet
            return mx >= 0 && my >= 0 && mx < symbol.size && my < symbol.size && symbol[mx, my]
        }
        let black = "0;0;0", white = "255;255;255"
        var out = ""
        for row in stride(from: 0, to: side, by: 2) {
            for x in 0..<side {
                let top = dark(x, row), bottom = row + 1 < side && dark(x, row + 1)
                out += "\u{1B}[38;2;\(top ? black : white)m\u{1B}[48;2;\(bottom ? black : white)m▀"
            }
            out += "\u{1B}[0m\n"
        }
        return out
    }
}
