/// The terminal's status lights. One file per backend: libgpiod (GPIO lines), the sysfs LED class, simulated.
public protocol Lights: AnyObject {
    /// "gpiod gpio-sim.0-node0 green=led-green amber=led-amber red=led-red", for logs and health (`GET /v1/health`).
    var description: String { get }
    /// The board's lights by colour name ("green", "amber", "red"), in board order.
    var names: [String] { get }
    /// Sets one light from 0 (off) to 1 (full); lights that can only switch are on from 0.5.
    func set(_ name: String, level: Double) throws(DeviceError)
    /// Turns every light off and gives the lines back. Safe to call twice.
    func close()
}
