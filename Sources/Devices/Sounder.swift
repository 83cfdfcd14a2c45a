/// What plays the counter's tones. One file per backend: ALSA (libasound), a buzzer on a GPIO line, and the
/// simulated board's folder of WAV files. The board file chooses (`[sound]`); nothing above knows which.
public protocol Sounder: AnyObject {
    /// "alsa default 16000 Hz", for logs, health and the self-test.
    var description: String { get }
    /// Plays the event's tone to its end at `volume` (0…100). It blocks for the tone's length: the counter plays
    /// off its own loop.
    func play(_ event: SoundEvent, volume: Int) throws(DeviceError)
    /// Gives the device back. Safe to call twice.
    func close()
}

/// Opens the sounder a board file names.
public enum SoundChoice {
    public enum Backend: String, CaseIterable, Sendable {
        case alsa
        case gpioBuzzer = "gpio-buzzer"
        case simulated
        /// The board has nothing to play on (the virtual board has no sound card): said, not failed.
        case none
    }

    /// nil for `none`.
    public static func open(_ setup: BoardDevices.SoundSetup, output: @escaping (String) -> Void = { print($0) }) throws(DeviceError) -> (any Sounder)? {
        switch setup.backend {
        case .alsa: return try ALSASounder(device: setup.target)
        case .gpioBuzzer:
            guard let wiring = setup.buzzer else { throw DeviceError(device: "[sound]", call: "open", hint: "the gpio-buzzer backend needs line = \"NAME\" or line = OFFSET") }
            return try GPIOBuzzer(chip: setup.chip, wiring: wiring)
        case .simulated: return try SimulatedSounder(folder: setup.target, output: output)
        case .none: return nil
        }
    }
}
