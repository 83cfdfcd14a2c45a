/// What slips and the close report share on paper: a column with margins, text in the slip's languages, rules
/// across it, and the pen's height so far. Pure: it only collects boxes for `ScreenPainter`.
struct Paper {
    let width: Int
    let margin: Int
    let inner: Int
    let strings: UIStrings
    let primary: String
    let secondary: String?
    var elements: [ScreenElement] = []
    var y: Int

    init(width: Int, strings: UIStrings, languages: [String]) {
        self.width = width; self.strings = strings
        margin = width / 48
        inner = width - 2 * margin
        primary = languages.first ?? "ja"
        secondary = languages.dropFirst().first
        y = margin
    }

    /// Text in a box at the pen's height (the whole column unless `x`/`w` say otherwise); the pen does not move.
    mutating func text(_ t: String, height: Int, alignment: TextItem.Alignment = .center, x: Int? = nil, w: Int? = nil, language: String? = nil) {
        let box = Rect(x: x ?? margin, y: y, width: w ?? inner, height: height)
        elements.append(.text(TextItem(text: t, language: language ?? primary, box: box, maximumSize: height, color: .black, alignment: alignment)))
    }

    /// A label in the main language, followed by the second language's when it differs ("合計 Total").
    func label(_ key: String) -> String {
        let main = strings.text(key, primary)
        guard let secondary, strings.text(key, secondary) != main else { return main }
        return main + " " + strings.text(key, secondary)
    }

    /// A line across the column, half a text line high with its space.
    mutating func rule(line: Int) {
        elements.append(.fill(Rect(x: margin, y: y + line / 4, width: inner, height: max(2, width / 192)), .black))
        y += line / 2
    }
}
