import CLinux
import Foundation
import Imaging
import Platform
import SystemPackage

/// A development preview in the terminal: true-colour half-block characters (two pixels per cell).
/// A screen with a QR prints the symbol module for module, so a phone scans it from the terminal;
/// other screens are scaled to fit the terminal.
public final class TerminalDisplay: Display {
    public let width: Int
    public let height: Int
    private let output: FileHandle
    private let clearsScreen: Bool

    /// `clearsScreen`: each frame replaces the last (a live counter), instead of scrolling (one-off previews).
    public init(width: Int, height: Int, output: FileHandle = .standardOutput, clearsScreen: Bool = false) {
        self.width = width; self.height = height; self.output = output; self.clearsScreen = clearsScreen
    }

    public var description: String { "terminal \(width)x\(height)" }

    /// Columns and rows of the terminal, or 80x24 when there is none (a pipe, a service).
    public static func terminalSize(_ fd: FileDescriptor = .standardOutput) -> (columns: Int, rows: Int) {
        var size = winsize()
        if (try? SystemCall.control(fd, windowSize, &size)) != nil, size.ws_col > 0, size.ws_row > 0 { return (Int(size.ws_col), Int(size.ws_row)) }
        return (80, 24)
    }

    static let windowSize = IOControl<winsize>("TIOCGWINSZ", qrpos_tiocgwinsz())

    public func show(_ frame: Frame) throws(DeviceError) {
        var out = clearsScreen ? "\u{1B}[H\u{1B}[2J" : ""
        if let payload = frame.codes.first {
            let qr: String
            do { qr = TerminalQR.render(try QRSymbol(payload)) } catch { throw DeviceError(device: description, call: "qr", hint: error.description) }
            out += qr + frame.texts.joined(separator: "\n") + "\n"
            // Module for module, the code cannot shrink: a window too small cuts it, and a phone cannot read half a code.
            let lines = qr.split(separator: "\n")
            let needed = (columns: lines.map { $0.filter { $0 == "▀" }.count }.max() ?? 0, rows: lines.count + frame.texts.count + 1)
            let size = Self.terminalSize()
            if size.columns < needed.columns || size.rows < needed.rows {
                out += "\u{1B}[7m enlarge this window to at least \(needed.columns)x\(needed.rows) to scan the code here (the PNG screen has it whole) \u{1B}[0m\n"
            }
        } else {
            out += Self.halfBlocks(frame.canvas, columns: Self.terminalSize().columns, rows: Self.terminalSize().rows - 1)
        }
        output.write(Data(out.utf8))
    }

    /// The canvas averaged down into cells; each cell's upper and lower halves get their own colour.
    static func halfBlocks(_ canvas: Canvas, columns: Int, rows: Int) -> String {
        let scale = max(1, max((canvas.width + columns - 1) / columns, (canvas.height + 2 * rows - 1) / (2 * rows)))
        let w = canvas.width / scale, h = canvas.height / scale
        func average(_ cx: Int, _ cy: Int) -> (UInt32, UInt32, UInt32) {
            var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
            for y in cy * scale..<(cy + 1) * scale { for x in cx * scale..<(cx + 1) * scale {
                let p = canvas.pixels[y * canvas.width + x]
                r += (p >> 16) & 0xFF; g += (p >> 8) & 0xFF; b += p & 0xFF
            } }
            let n = UInt32(scale * scale)
            return (r / n, g / n, b / n)
        }
        var out = ""
        for y in stride(from: 0, to: h - 1, by: 2) {
            for x in 0..<w {
                let top = average(x, y), bottom = average(x, y + 1)
                out += "\u{1B}[38;2;\(top.0);\(top.1);\(top.2)m\u{1B}[48;2;\(bottom.0);\(bottom.1);\(bottom.2)m▀"
            }
            out += "\u{1B}[0m\n"
        }
        return out
    }

    public func close() {}
}
