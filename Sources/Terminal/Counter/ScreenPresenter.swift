import Devices
import Foundation
import Imaging
import Logging

/// Owns the panel and the fonts (FreeType is single-threaded): draws each screen and shows it.
public actor ScreenPresenter {
    private let display: any Display
    private let preview: (any Display)?
    private let painter: ScreenPainter
    private let strings: UIStrings
    private let rotation: Int
    private let logger: Logger
    public private(set) var shown: ScreenContent?
    /// Why the panel (not the preview) could not show the last screen, or nil when it did.
    public private(set) var lastFailure: String?
    private var missingReported: Set<String> = []

    public init(display: sending any Display, preview: sending (any Display)?, fonts: sending FontBook, strings: UIStrings, rotation: Int, logger: Logger) {
        self.display = display; self.preview = preview; painter = ScreenPainter(fonts: fonts); self.strings = strings
        self.rotation = rotation; self.logger = logger
    }

    public func show(_ content: ScreenContent) {
        // The same picture again (a sale event and the clock tick both redraw) is not written to the panel twice.
        guard content != shown else { return }
        shown = content
        for panel in [display] + (preview.map { [$0] } ?? []) {
            do {
                let (canvas, drawn) = try painter.render(content, strings: strings, width: panel.width, height: panel.height,
                                                         rotation: panel === display ? rotation : 0)
                try panel.show(Frame(canvas: canvas, texts: drawn.texts.map(\.item.text), codes: drawn.codes.map(\.payload)))
                if panel === display {
                    lastFailure = nil
                    // A character no installed font has (a shop name in a script without its Noto package): said once.
                    for text in drawn.texts where text.missing > 0 && missingReported.count < 64 && missingReported.insert(text.item.language + text.shown).inserted {
                        logger.warning("screen \(content.name.rawValue): \(text.missing) character(s) of a \(text.item.language) text have no font here and show as boxes; install the Noto font for their script")
                    }
                }
            } catch {
                if panel === display { lastFailure = "\(error)" }
                // A broken panel must not stop the sale: the register still gets its answer.
                logger.error("cannot show \(content.name.rawValue) on \(panel.description): \(error)")
            }
        }
    }

    public func close() {
        display.close()
        preview?.close()
    }
}
