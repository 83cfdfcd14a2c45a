/// A key a cashier can press: digits, and the few commands a counter needs.
public enum CounterKey: Equatable, Sendable {
    case digit(Int)
    case backspace
    /// Show the code for the typed amount.
    case enter
    /// Scan the shopper's code for the typed amount instead.
    case scan
    /// Cancel the sale or clear the amount.
    case cancel
}

/// Where the cashier's keys come from: a USB numeric keypad (evdev) or, on the simulated board, the
/// terminal's keyboard. `keys()` ends when the device goes away.
public protocol Keypad: AnyObject, Sendable {
    var description: String { get }
    func keys() -> AsyncStream<CounterKey>
    func close()
}
