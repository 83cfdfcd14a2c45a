import CLinux
import Foundation
import Platform
import SystemPackage

/// A USB numeric keypad through evdev (/dev/input/eventN or a stable /dev/input/by-id/… link).
/// Only key presses are used; Enter shows the code, + scans, - or Esc cancels, Backspace deletes.
public final class EvdevKeypad: Keypad, @unchecked Sendable {
    public let device: String
    private var fd: FileDescriptor?

    public var description: String { "evdev \(device)" }

    public init(device: String) throws(DeviceError) {
        self.device = device
        do { fd = try SystemCall.open(device, .readOnly) } catch {
            throw DeviceError(device: device, error,
                              hint: error.errno == .permissionDenied ? "add the qrpos user to the input group" : "is the keypad plugged in?")
        }
    }

    /// Linux key codes (input-event-codes.h) of a numeric keypad and the number row.
    public static func key(for code: UInt16) -> CounterKey? {
        let digits: [UInt16: Int] = [82: 0, 79: 1, 80: 2, 81: 3, 75: 4, 76: 5, 77: 6, 71: 7, 72: 8, 73: 9,
                                     11: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 7, 9: 8, 10: 9]
        if let digit = digits[code] { return .digit(digit) }
        switch code {
        case 96, 28: return .enter          // KEY_KPENTER, KEY_ENTER
        case 78, 31: return .scan           // KEY_KPPLUS, KEY_S
        case 74, 1, 111: return .cancel     // KEY_KPMINUS, KEY_ESC, KEY_DELETE
        case 14: return .backspace          // KEY_BACKSPACE
        case 55, 50: return .menu           // KEY_KPASTERISK, KEY_M
        default: return nil
        }
    }

    public func keys() -> AsyncStream<CounterKey> {
        let fd = self.fd
        return AsyncStream { continuation in
            let thread = Thread {
                var event = input_event()
                while let fd, (try? SystemCall.readValue(fd, into: &event)) == true {
                    // type 1 = EV_KEY, value 1 = pressed (2 is auto-repeat, 0 released).
                    if event.type == 1, event.value == 1, let key = EvdevKeypad.key(for: event.code) { continuation.yield(key) }
                }
                continuation.finish() // ENODEV: unplugged
            }
            thread.name = "qrpos.evdev"
            thread.start()
        }
    }

    public func close() {
        if let fd { SystemCall.close(fd) }
        fd = nil
    }
}
