import Foundation
import Platform
import SystemPackage

/// The terminal's keyboard as the counter keypad (simulated board): raw mode, no echo, restored on close.
public final class TerminalKeypad: Keypad, @unchecked Sendable {
    private var saved = termios()
    private var raw = false
    private let fd: Int32

    public var description: String { "terminal keyboard" }

    /// Nil when standard input is not a terminal (a service, `make run </dev/null`).
    public init?(fd: Int32 = STDIN_FILENO) {
        guard isatty(fd) == 1 else { return nil }
        self.fd = fd
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var settings = saved
        // No line buffering, no echo; signals (Ctrl-C) stay on so the run can be stopped.
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1; cc[Int(VTIME)] = 0
        }
        raw = tcsetattr(fd, TCSANOW, &settings) == 0
    }

    /// Maps a byte from the keyboard: digits, Backspace/Delete, Enter, s (scan), Esc or c (cancel).
    public static func key(for byte: UInt8) -> CounterKey? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .digit(Int(byte - UInt8(ascii: "0")))
        case 0x7F, 0x08: return .backspace
        case 0x0A, 0x0D: return .enter
        case UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "+"): return .scan
        case 0x1B, UInt8(ascii: "c"), UInt8(ascii: "C"), UInt8(ascii: "-"): return .cancel
        case UInt8(ascii: "m"), UInt8(ascii: "M"), UInt8(ascii: "*"): return .menu
        default: return nil
        }
    }

    public func keys() -> AsyncStream<CounterKey> {
        let fd = self.fd
        return AsyncStream { continuation in
            let thread = Thread {
                var byte: UInt8 = 0
                while (try? SystemCall.readValue(FileDescriptor(rawValue: fd), into: &byte)) == true {
                    if let key = TerminalKeypad.key(for: byte) { continuation.yield(key) }
                }
                continuation.finish()
            }
            thread.name = "qrpos.keypad"
            thread.start()
        }
    }

    public func close() {
        if raw { tcsetattr(fd, TCSANOW, &saved); raw = false }
    }

    deinit { close() }
}
