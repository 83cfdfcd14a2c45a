import Foundation
import Imaging
import PaymentCodes

/// A code the scanner read and classified.
public struct ScannedCode: Sendable {
    public var symbology: CodeReader.Symbol.Kind
    public var text: String
    public var report: CodeReport
    /// The frame it was read in, and the image file for the simulated camera.
    public var frame: Int
    public var file: String?
    /// Which look at the frame found it (as-is, inverted, …).
    public var attempt: ScanAttempt
}

/// Reads shoppers' codes out of camera frames: zbar (QR, Code 128, EAN-13 only), a second look when a
/// frame yields nothing, classification by PaymentCodes, and a de-duplication window so a code held
/// in view is reported once. Not for sharing between threads (one zbar scanner inside).
public final class CodeScanner {
    public struct Settings: Sendable {
        /// zbar scan density: 1 reads every line (still images), 2 every other line (video).
        public var density: Int
        /// A code seen again within this long of its last sighting is the same showing, not a new code.
        public var window: Duration
        /// Looks at a frame, in order, until one finds a code.
        public var attempts: [ScanAttempt]

        public init(density: Int = 2, window: Duration = .seconds(3), attempts: [ScanAttempt] = ScanAttempt.video) {
            self.density = max(1, density); self.window = window; self.attempts = attempts.isEmpty ? [.asIs] : attempts
        }

        public static let video = Settings()
        /// Each image is its own showing: every line, every attempt, no window.
        public static let stillImages = Settings(density: 1, window: .zero, attempts: ScanAttempt.still)
    }

    public let settings: Settings
    private let reader: CodeReader
    private let classifier: Classifier
    private let now: () -> Duration
    private let log: ((String) -> Void)?
    private var sightings: SightingWindow
    private var inverted: [UInt8] = []

    /// `now` is monotonic time from any origin (a test passes its own clock); `log` hears each new code, masked.
    public init(classifier: Classifier, settings: Settings = .video, now: (() -> Duration)? = nil, log: ((String) -> Void)? = nil) {
        self.settings = settings
        self.classifier = classifier
        reader = CodeReader(density: settings.density)
        let start = ContinuousClock.now
        self.now = now ?? { ContinuousClock.now - start }
        self.log = log
        sightings = SightingWindow(window: settings.window)
    }

    /// The codes in this frame not already reported within the window.
    public func scan(_ frame: LumaFrame) -> [ScannedCode] {
        let (symbols, attempt) = read(frame)
        let time = now()
        var codes: [ScannedCode] = []
        // A window of zero means every frame is its own showing (still images).
        for symbol in symbols where (settings.window == .zero || sightings.isNew(symbol.text, at: time)) && !codes.contains(where: { $0.text == symbol.text }) {
            let report = classifier.classify(symbol.text)
            codes.append(ScannedCode(symbology: symbol.kind, text: symbol.text, report: report, frame: frame.sequence, file: frame.file, attempt: attempt))
            log?("read \(symbol.kind.rawValue) \(report.wallet ?? report.scheme ?? report.kind.rawValue) \(Mask.scanned(symbol.text))"
                 + " in frame \(frame.sequence)" + (attempt == .asIs ? "" : " (\(attempt.rawValue))"))
        }
        return codes
    }

    /// Every symbol zbar finds, trying each attempt until one finds something; no classification, no window.
    public func read(_ frame: LumaFrame) -> (symbols: [CodeReader.Symbol], attempt: ScanAttempt) {
        var copy: GrayImage?
        for attempt in settings.attempts where attempt.worthTrying(width: frame.width, height: frame.height) {
            let symbols: [CodeReader.Symbol]
            switch attempt {
            case .asIs:
                // The camera's own buffer goes to zbar: no copy.
                symbols = reader.read(luma: frame.pixels, width: frame.width, height: frame.height)
            case .inverted:
                symbols = readInverted(frame)
            default:
                let image = copy ?? GrayImage(width: frame.width, height: frame.height,
                                              pixels: Array(UnsafeBufferPointer(start: frame.pixels, count: frame.width * frame.height)))
                copy = image
                symbols = reader.read(attempt.apply(image))
            }
            let readable = Self.trustworthy(symbols, from: attempt)
            if !readable.isEmpty { return (readable, attempt) }
        }
        return ([], settings.attempts.first ?? .asIs)
    }

    /// What may be charged. A Code 128 or EAN-13 read on a single scan line (zbar's quality 1) can be a misread
    /// whose check character still matches; the extra looks (smoothed, sharpened, …) make such misreads, so there a
    /// 1D code must be read on two lines or more. Two different 1D readings in one frame keep only a clear favourite.
    /// An empty symbol (zbar can report a zero-length Code 128) is no reading at all.
    static func trustworthy(_ symbols: [CodeReader.Symbol], from attempt: ScanAttempt) -> [CodeReader.Symbol] {
        let oneDimensional: Set<CodeReader.Symbol.Kind> = [.code128, .ean13]
        let plainLook = attempt == .asIs || attempt == .inverted
        var kept = symbols.filter { !$0.text.isEmpty && (plainLook || !oneDimensional.contains($0.kind) || $0.quality >= 2) }
        for kind in oneDimensional {
            let readings = kept.filter { $0.kind == kind }
            guard Set(readings.map(\.text)).count > 1 else { continue }
            let best = readings.map(\.quality).max() ?? 0
            let favourites = Set(readings.filter { $0.quality == best }.map(\.text))
            kept.removeAll { $0.kind == kind && (favourites.count > 1 || !favourites.contains($0.text)) }
        }
        return kept
    }

    /// Dark-mode wallets: the frame inverted into a buffer kept between frames.
    private func readInverted(_ frame: LumaFrame) -> [CodeReader.Symbol] {
        let count = frame.width * frame.height
        if inverted.count != count { inverted = [UInt8](repeating: 0, count: count) }
        return inverted.withUnsafeMutableBufferPointer { out in
            for i in 0..<count { out[i] = ~frame.pixels[i] }
            return reader.read(luma: UnsafePointer(out.baseAddress!), width: frame.width, height: frame.height)
        }
    }

    /// Forgets every code seen, so the next sighting of any code is new (a sale finished, a new one starts).
    public func resetWindow() { sightings = SightingWindow(window: settings.window) }
}

extension Mask {
    /// A scanned code for a log line: numbers as `Mask.number`, anything else its first 8 characters and its length.
    public static func scanned(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy(\.isNumber) { return number(text) }
        return String(text.prefix(min(8, text.count / 2))) + "…(\(text.count) characters)"
    }
}
