/// A key a cashier can press: digits, and the few commands a counter needs.
public enum CounterKey: Equatable, Sendable {
    case digit(Int)
    case backspace
    /// Show the code for the typed amount.
    case enter
    /// Scan the shopper's code for the typed amount instead.
    case scan
    /// Cancel the sale or clear the amount; in the menu, one step back.
    case cancel
    /// The cashier's menu: today's sales, reprint, refund, the daily close.
    case menu
}

/// Where the cashier's keys come from: a USB numeric keypad (evdev) or, on the simulated board, the
/// terminal's keyboard. `keys()` ends when the device goes away.
public protocol Keypad: AnyObject, Sendable {
    var description: String { get }
    func keys() -> AsyncStream<CounterKey>
    func close()
}

/// Opens the keypad a board file names; a new keypad backend is one file plus one case here.
public enum KeypadChoice {
    public enum Backend: String, CaseIterable, Sendable { case none, terminal, evdev }

    /// nil for `none`, and for the terminal keypad when standard input is not a terminal.
    public static func open(_ backend: Backend, device: String?) throws(DeviceError) -> (any Keypad)? {
        switch backend {
        case .none: return nil
        case .terminal: return TerminalKeypad()
        case .evdev:
            guard let device else { throw DeviceError(device: "keypad", call: "open", hint: "the evdev keypad needs its /dev/input/… device") }
            return try EvdevKeypad(device: device)
        }
    }
}
