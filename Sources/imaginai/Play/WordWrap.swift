/// Story text broken into rows at the spaces between words, so that the terminal never splits a word
/// across two rows (its own wrapping cuts wherever the row ends: "its l" / "amp room").
///
/// The text may come in any fragments (one word per chunk from the offline storyteller, pieces of words
/// from a provider): it is taken a character at a time, and a word is printed only once it has ended,
/// so the rows come out the same however the text was split. The same state counts the rows printed,
/// which is what taking streamed text back off the screen needs: wrapping and counting cannot disagree.
struct WordWrap {
    /// Columns a row may fill; nil passes text through untouched (stdout is not a terminal).
    let width: Int?
    /// The cursor's column on its row.
    private(set) var column: Int
    /// Rows the printed text reaches, the cursor's row included: 1 until a row is ended.
    private(set) var rows = 1
    /// Whitespace after the last printed word: printed only if the next word follows on the same row.
    private var spaces = ""
    /// The word being received, not yet printed: where it goes depends on its whole width.
    private var word = ""
    private var wordWidth = 0
    /// Rows continued by wrapping start under the text's second column (see `init`).
    let hangs: Bool
    /// The column continued rows of this line of the text start at, once known.
    private var hangColumn: Int?
    private var hangFromColumns = false
    private var lineHasWord = false

    /// One column is left free at the right: a row filled to the last column leaves terminals in
    /// different states (some wrap at once, some on the next character), and then rows cannot be counted.
    static let rightMargin = 1

    /// Wrapping for a terminal `columns` wide, the text starting at `column` (after a "[3] " label).
    ///
    /// `hangs` is for text laid out in columns (`/help`, lists): a row continued by wrapping starts where
    /// its line's second column does (after the first run of two or more spaces), or else under the
    /// line's indentation. Not for prose, where a double space after a full stop is no column.
    init(columns: Int, column: Int = 0, hangs: Bool = false) {
        self.init(width: max(columns - Self.rightMargin, 1), column: column, hangs: hangs)
    }

    init(width: Int?, column: Int = 0, hangs: Bool = false) {
        self.width = width.map { max($0, 1) }
        self.column = column
        self.hangs = hangs
    }

    /// What to print for `text`; a word not yet ended is kept for a later `feed` or `finish`.
    mutating func feed(_ text: some StringProtocol) -> String {
        guard let width else { return String(text) }
        var out = ""
        for character in text {
            switch character {
            case "\n", "\r\n":
                out += placeWord(width: width)
                spaces = ""
                out += "\n"
                column = 0
                rows += 1
                hangColumn = nil
                hangFromColumns = false
                lineHasWord = false
            case " ", "\t":
                out += placeWord(width: width)
                spaces.append(character)
            default:
                word.append(character)
                wordWidth += DisplayWidth.of(character)
                if wordWidth > width { out += breakLongWord(width: width) }
            }
        }
        return out
    }

    /// The word still held, printed: the text has ended. Whitespace at its end is not printed.
    mutating func finish() -> String {
        guard let width else { return "" }
        let out = placeWord(width: width)
        spaces = ""
        return out
    }

    /// `text` wrapped whole, for text printed at once (a turn from the history).
    static func wrap(_ text: String, columns: Int?, column: Int = 0, hangs: Bool = false) -> String {
        var wrap = columns.map { WordWrap(columns: $0, column: column, hangs: hangs) } ?? WordWrap(width: nil)
        return wrap.feed(text) + wrap.finish()
    }

    /// The held word goes after the held spaces if it fits on the row, else at the start of the next.
    private mutating func placeWord(width: Int) -> String {
        guard !word.isEmpty else { return "" }
        defer {
            word = ""
            wordWidth = 0
            spaces = ""
        }
        let gap = Self.width(of: spaces, from: column)
        if column + gap + wordWidth <= width {
            if hangs { noteHang(at: column + gap, afterGap: gap) }
            column += gap + wordWidth
            return spaces + word
        }
        // Indentation that leaves no room for the word at the start of a row is dropped, not wrapped.
        if column == 0 {
            if hangs { noteHang(at: 0, afterGap: 0) }
            column = wordWidth
            return word
        }
        let indent = hangColumn.flatMap { $0 + wordWidth <= width ? $0 : nil } ?? 0
        column = indent + wordWidth
        rows += 1
        return "\n" + String(repeating: " ", count: indent) + word
    }

    /// The line's first word sets where its continued rows start (its indentation); the first word after
    /// a gap of two or more columns sets it once for the rest of the line.
    private mutating func noteHang(at wordColumn: Int, afterGap gap: Int) {
        defer { lineHasWord = true }
        guard lineHasWord else {
            hangColumn = wordColumn
            return
        }
        if gap >= 2 && !hangFromColumns {
            hangColumn = wordColumn
            hangFromColumns = true
        }
    }

    /// A word wider than a whole row cannot be kept whole: it starts a row of its own and fills it,
    /// and what did not fit (the character just received) stays held.
    private mutating func breakLongWord(width: Int) -> String {
        var out = column > 0 ? "\n" : ""
        if column > 0 { rows += 1 }
        let last = word.removeLast()
        out += word + "\n"
        rows += 1
        column = 0
        spaces = ""
        word = String(last)
        wordWidth = DisplayWidth.of(last)
        return out
    }

    /// The columns whitespace takes from `column` (tabs stop every 8 columns).
    private static func width(of whitespace: String, from column: Int) -> Int {
        whitespace.reduce(column) { column, character in character == "\t" ? (column / 8 + 1) * 8 : column + 1 } - column
    }
}
