import CALSA
import Foundation

/// Tones through ALSA (libasound): a PCM by its name in ALSA's configuration ("default", "plughw:1,0", "null"),
/// 16-bit mono at `Tone.sampleRate`. Every libasound call stays in this file. The PCM is kept open between tones;
/// after a failed write it is closed and opened again for the next tone (a USB speaker unplugged and back).
public final class ALSASounder: Sounder {
    public let device: String
    public let sampleRate: Int
    private var pcm: OpaquePointer?
    public var description: String { "alsa \(device) \(sampleRate) Hz" }

    /// Opens the PCM now, so a board without the device says so at start and in the self-test, not at the first sale.
    public init(device: String = "default", sampleRate: Int = Tone.sampleRate) throws(DeviceError) {
        self.device = device; self.sampleRate = sampleRate
        pcm = try Self.open(device, sampleRate: sampleRate)
    }

    deinit { close() }

    private static func open(_ device: String, sampleRate: Int) throws(DeviceError) -> OpaquePointer {
        qrpos_alsa_quiet()
        var handle: OpaquePointer?
        // Non-blocking open: a hw device held by another program answers EBUSY at once instead of waiting for it.
        let opened = snd_pcm_open(&handle, device, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard opened == 0, let handle else { throw failure(device, "snd_pcm_open", opened) }
        // Writes then block until alsa-lib has taken the frames: the player's thread waits, not the counter.
        _ = snd_pcm_nonblock(handle, 0)
        // S16_LE mono, interleaved; soft resampling lets alsa-lib's plug layer convert for a card that does not take
        // 16 kHz; 100 ms of buffer is short enough that a tone starts with its event.
        let set = snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, UInt32(sampleRate), 1, 100_000)
        guard set == 0 else {
            snd_pcm_close(handle)
            throw failure(device, "snd_pcm_set_params", set, hint: "the device takes no 16-bit mono at \(sampleRate) Hz: name a plughw: or the default device")
        }
        return handle
    }

    public func play(_ event: SoundEvent, volume: Int) throws(DeviceError) {
        let pcm: OpaquePointer
        if let open = self.pcm { pcm = open } else { pcm = try Self.open(device, sampleRate: sampleRate); self.pcm = pcm }
        let samples = Tone.of(event).samples(sampleRate: sampleRate, volume: volume)
        var offset = 0
        while offset < samples.count {
            let written = samples.withUnsafeBufferPointer { buffer in
                snd_pcm_writei(pcm, buffer.baseAddress! + offset, snd_pcm_uframes_t(samples.count - offset))
            }
            if written >= 0 { offset += Int(written); continue }
            // An underrun (EPIPE) or a suspended card (ESTRPIPE) is recovered and the tone goes on; anything else ends it.
            if snd_pcm_recover(pcm, Int32(written), 1) < 0 {
                close()
                throw Self.failure(device, "snd_pcm_writei", Int32(written))
            }
        }
        // Waits until the last frame has been played; drain leaves the PCM stopped, prepare readies it for the next tone.
        let drained = snd_pcm_drain(pcm)
        guard drained == 0, snd_pcm_prepare(pcm) == 0 else {
            close()
            throw Self.failure(device, "snd_pcm_drain", drained)
        }
    }

    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
    }

    /// The error for a failed call, with what a technician does about it. alsa-lib returns negative errno values.
    static func failure(_ device: String, _ call: String, _ code: Int32, hint: String? = nil) -> DeviceError {
        let errno = -code
        let why: String
        switch errno {
        case ENOENT where !defined(device):
            why = "no PCM named \"\(device)\" in ALSA's configuration: `aplay -L` lists the names this board has"
        case ENOENT where !hasSoundCard():
            why = "this board has no sound card (`aplay -l` finds none): connect one, or write [sound] backend = \"none\" or \"gpio-buzzer\" in board.toml"
        case ENOENT, ENODEV:
            why = "\"\(device)\" names a card or device this board does not have (unplugged?): `aplay -l` lists the cards"
        case EBUSY: why = "the device is in use by another program (a hw: device plays one stream at a time; \"default\" mixes)"
        case EACCES, EPERM: why = "no permission for /dev/snd: the qrpos user needs the audio group"
        default: why = String(cString: snd_strerror(code))
        }
        return DeviceError(device: "alsa \(device)", call: call, errno: errno > 0 && errno < 4096 ? errno : 0, hint: hint ?? why)
    }

    /// Whether alsa-lib's configuration defines a PCM by this name ("plughw:1,0" is the "plughw" definition with arguments).
    static func defined(_ device: String) -> Bool {
        var top: OpaquePointer?
        guard snd_config_update_ref(&top) >= 0, let top else { return true }
        defer { snd_config_unref(top) }
        let base = device.split(separator: ":", maxSplits: 1).first.map(String.init) ?? device
        var node: OpaquePointer?
        return snd_config_search(top, "pcm." + base, &node) >= 0
    }

    static func hasSoundCard() -> Bool {
        var card: Int32 = -1
        return snd_card_next(&card) == 0 && card >= 0
    }
}
