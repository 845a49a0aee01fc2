/// The line editor of `play` at a terminal, as a pure state machine: bytes typed go in, the line being
/// edited and what the terminal layer must do come out. Nothing here touches a file descriptor, so every
/// key and escape form is tested without a terminal (Tests/EndToEndTests/LineEditorTests.swift).
///
/// Bytes are decoded as UTF-8; escape sequences (CSI `ESC [ … final`, SS3 `ESC O x`, `ESC x`) are parsed
/// whole, and those not understood are swallowed whole, so no control or escape byte ever reaches a line.
struct LineEditor {
    /// What the terminal layer does after a `feed`.
    enum Action: Equatable {
        /// The line or the cursor changed: draw it again.
        case redraw
        /// Enter: the line is done (already added to the history).
        case submit(String)
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-C: the line (the text given) was dropped.
        case interrupt(dropped: String)
        /// Ctrl-L: clear the screen, then draw the line.
        case clearScreen
        /// Ctrl-Z: suspend `play` as the shell's job control would (raw mode turns the key into a byte).
        case suspend
        /// The key had nothing to act on (left at the start, up with no history): nothing to draw.
        case bell
    }

    private(set) var line: [Character] = []
    /// Where the cursor is, in characters (grapheme clusters) from the start of `line`.
    private(set) var cursor = 0
    /// Earlier lines, oldest first.
    private(set) var history: [String]
    /// Which history entry is shown while browsing with up/down; nil while editing a line of one's own.
    private var browsing: Int?
    /// The line being typed before browsing started, brought back by going down past the newest entry.
    private var draft: [Character] = []
    private let recordsHistory: Bool

    private enum Parse {
        case ground
        case escape
        /// `ESC [` and the parameter bytes so far.
        case csi([UInt8])
        case ss3
    }
    private var parse = Parse.ground
    /// The bytes of a UTF-8 sequence not yet complete.
    private var pendingUTF8: [UInt8] = []

    init(history: [String] = [], prefill: String = "", recordsHistory: Bool = true) {
        self.history = history
        self.recordsHistory = recordsHistory
        line = Array(prefill)
        cursor = line.count
    }

    var text: String { String(line) }

    /// Feeds what the terminal sent; returns what to do, in order (a paste may hold several lines).
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Action] {
        var actions: [Action] = []
        for byte in bytes {
            if let action = take(byte) {
                // One redraw after many typed characters is enough.
                if action == .redraw, actions.last == .redraw { continue }
                actions.append(action)
            }
        }
        return actions
    }

    private mutating func take(_ byte: UInt8) -> Action? {
        switch parse {
        case .escape:
            switch byte {
            case UInt8(ascii: "["): parse = .csi([]); return nil
            case UInt8(ascii: "O"): parse = .ss3; return nil
            case 0x1B: return nil
            case UInt8(ascii: "b"): parse = .ground; return move(to: wordStart(before: cursor))
            case UInt8(ascii: "f"): parse = .ground; return move(to: wordEnd(after: cursor))
            case 0x7F, 0x08: parse = .ground; return deleteWordBefore()
            default:
                // Alt with any other key: swallowed, ESC and key together.
                parse = .ground
                return nil
            }
        case .csi(var parameters):
            // Parameter and intermediate bytes run until a final byte in 0x40…0x7E.
            if (0x20...0x3F).contains(byte) {
                parameters.append(byte)
                parse = parameters.count > 32 ? .ground : .csi(parameters)
                return nil
            }
            parse = .ground
            guard (0x40...0x7E).contains(byte) else { return nil }
            return csi(final: byte, parameters: String(decoding: parameters, as: UTF8.self))
        case .ss3:
            parse = .ground
            return key(final: byte, modifiers: "")
        case .ground:
            break
        }
        if !pendingUTF8.isEmpty || byte >= 0x80 { return utf8(byte) }
        switch byte {
        case 0x1B: parse = .escape; return nil
        case 0x01: return move(to: 0)
        case 0x02: return move(to: cursor - 1)
        case 0x03:
            let dropped = String(line)
            line = []; cursor = 0; browsing = nil
            return .interrupt(dropped: dropped)
        case 0x04:
            if line.isEmpty { return .endOfInput }
            return deleteForward()
        case 0x05: return move(to: line.count)
        case 0x06: return move(to: cursor + 1)
        case 0x08, 0x7F:
            guard cursor > 0 else { return .bell }
            line.remove(at: cursor - 1)
            cursor -= 1
            return .redraw
        case 0x0A, 0x0D: return submit()
        case 0x0B:
            line.removeSubrange(cursor...)
            return .redraw
        case 0x0C: return .clearScreen
        case 0x0E: return historyDown()
        case 0x10: return historyUp()
        case 0x15:
            line.removeSubrange(..<cursor)
            cursor = 0
            return .redraw
        case 0x17: return deleteWordBefore()
        case 0x1A: return .suspend
        case 0x00..<0x20: return nil
        default: return insert(Character(Unicode.Scalar(byte)))
        }
    }

    private mutating func utf8(_ byte: UInt8) -> Action? {
        if pendingUTF8.isEmpty {
            // A lead byte; a stray continuation byte or an invalid lead is dropped.
            guard (0xC2...0xF4).contains(byte) else { return nil }
            pendingUTF8 = [byte]
            return nil
        }
        guard (0x80...0xBF).contains(byte) else {
            // The sequence broke off: drop it and read this byte afresh.
            pendingUTF8 = []
            return take(byte)
        }
        pendingUTF8.append(byte)
        let lead = pendingUTF8[0]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard pendingUTF8.count == length else { return nil }
        defer { pendingUTF8 = [] }
        var decoder = UTF8()
        var iterator = pendingUTF8.makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        // C1 controls, and the bidi overrides that would make the line read differently than it is stored.
        if (0x80...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) {
            return nil
        }
        return insert(scalar)
    }

    private mutating func csi(final: UInt8, parameters: String) -> Action? {
        if final == UInt8(ascii: "~") {
            switch parameters.split(separator: ";").first ?? "" {
            case "1", "7": return move(to: 0)
            case "4", "8": return move(to: line.count)
            case "3": return deleteForward()
            default: return nil
            }
        }
        let modifiers = parameters.split(separator: ";").dropFirst().first.map(String.init) ?? ""
        return key(final: final, modifiers: modifiers)
    }

    /// The keys that come as `ESC [ x`, `ESC [ 1 ; m x` or `ESC O x`.
    private mutating func key(final: UInt8, modifiers: String) -> Action? {
        // Ctrl (5) or Alt (3) with left and right move by words.
        let byWord = modifiers == "5" || modifiers == "3"
        switch final {
        case UInt8(ascii: "A"): return historyUp()
        case UInt8(ascii: "B"): return historyDown()
        case UInt8(ascii: "C"): return move(to: byWord ? wordEnd(after: cursor) : cursor + 1)
        case UInt8(ascii: "D"): return move(to: byWord ? wordStart(before: cursor) : cursor - 1)
        case UInt8(ascii: "H"): return move(to: 0)
        case UInt8(ascii: "F"): return move(to: line.count)
        default: return nil
        }
    }

    private mutating func insert(_ character: Character) -> Action {
        line.insert(character, at: cursor)
        cursor += 1
        return .redraw
    }

    /// A combining mark joins the character before it, so the cursor never stands inside one character.
    private mutating func insert(_ scalar: Unicode.Scalar) -> Action {
        if cursor > 0 {
            let joined = String(line[cursor - 1]) + String(scalar)
            if joined.count == 1 {
                line[cursor - 1] = joined.first!
                return .redraw
            }
        }
        return insert(Character(scalar))
    }

    private mutating func move(to position: Int) -> Action {
        let clamped = min(max(position, 0), line.count)
        guard clamped != cursor else { return .bell }
        cursor = clamped
        return .redraw
    }

    private mutating func deleteForward() -> Action {
        guard cursor < line.count else { return .bell }
        line.remove(at: cursor)
        return .redraw
    }

    private mutating func deleteWordBefore() -> Action {
        let start = wordStart(before: cursor)
        guard start < cursor else { return .bell }
        line.removeSubrange(start..<cursor)
        cursor = start
        return .redraw
    }

    private func wordStart(before position: Int) -> Int {
        var index = position
        while index > 0, line[index - 1].isWhitespace { index -= 1 }
        while index > 0, !line[index - 1].isWhitespace { index -= 1 }
        return index
    }

    private func wordEnd(after position: Int) -> Int {
        var index = position
        while index < line.count, line[index].isWhitespace { index += 1 }
        while index < line.count, !line[index].isWhitespace { index += 1 }
        return index
    }

    private mutating func submit() -> Action {
        let submitted = String(line)
        if recordsHistory, !submitted.allSatisfy(\.isWhitespace), history.last != submitted {
            history.append(submitted)
        }
        line = []
        cursor = 0
        browsing = nil
        draft = []
        return .submit(submitted)
    }

    private mutating func historyUp() -> Action {
        let target = (browsing ?? history.count) - 1
        guard target >= 0 else { return .bell }
        if browsing == nil { draft = line }
        show(history: target)
        return .redraw
    }

    private mutating func historyDown() -> Action {
        guard let current = browsing else { return .bell }
        if current + 1 < history.count {
            show(history: current + 1)
        } else {
            browsing = nil
            line = draft
            cursor = line.count
        }
        return .redraw
    }

    private mutating func show(history index: Int) {
        browsing = index
        line = Array(history[index])
        cursor = line.count
    }

    // MARK: Drawing

    /// What one row shows of the line after `prompt`, scrolled sideways so the cursor stays visible on a
    /// terminal `columns` wide: a line longer than the row never wraps, so redrawing it is always just
    /// "back to column 0, write, clear the rest" and the rows above are never touched.
    func view(promptWidth: Int, columns: Int) -> (visible: String, cursorColumn: Int) {
        // The last column stays free: the cursor may stand after the last character without wrapping.
        let room = max(columns - promptWidth - 1, 1)
        let widths = line.map(DisplayWidth.of)
        // The first character shown is the leftmost that still keeps the cursor on the row.
        var first = 0
        var beforeCursor = widths[..<cursor].reduce(0, +)
        while beforeCursor > room, first < cursor {
            beforeCursor -= widths[first]
            first += 1
        }
        var used = beforeCursor
        var last = cursor
        while last < line.count, used + widths[last] <= room {
            used += widths[last]
            last += 1
        }
        return (String(line[first..<last]), promptWidth + beforeCursor)
    }
}

/// How many terminal columns text takes: East Asian wide and fullwidth characters and emoji take two,
/// combining marks none (they are part of their character here). A short table of the common wide
/// ranges, not the whole of Unicode's East Asian Width property.
enum DisplayWidth {
    static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        return of(first)
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark || value == 0x200B {
            return 0
        }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }
}
