@testable import imaginai
import Foundation
import Testing

/// The line editor of `play` as a pure state machine: bytes in, line and actions out.
@Suite struct LineEditorTests {
    /// Feeds `keys` (as a terminal sends them) to an editor and returns it with every action.
    func typed(_ keys: String, history: [String] = [], prefill: String = "") -> (LineEditor, [LineEditor.Action]) {
        var editor = LineEditor(history: history, prefill: prefill)
        let actions = editor.feed(Array(keys.utf8))
        return (editor, actions)
    }

    func submitted(_ keys: String, history: [String] = []) -> [String] {
        submitted(bytes: Array(keys.utf8), history: history)
    }

    func submitted(bytes: [UInt8], history: [String] = []) -> [String] {
        var editor = LineEditor(history: history)
        return editor.feed(bytes).compactMap { if case .submit(let line) = $0 { line } else { nil } }
    }

    @Test func typingAndEnterSubmitTheLineAndKeepItInTheHistory() {
        let (editor, actions) = typed("look around\r")
        #expect(actions == [.redraw, .submit("look around")])
        #expect(editor.text == "")
        #expect(editor.history == ["look around"])
        #expect(submitted("a\nb\r\n") == ["a", "b", ""], "LF, CR and CR LF each end a line")
    }

    @Test(arguments: ["\u{1B}[D", "\u{1B}OD", "\u{02}"])
    func leftMovesBackSoTypingInsertsInTheMiddle(left: String) {
        #expect(submitted("open the dr" + left + "oo\r") == ["open the door"])
    }

    @Test(arguments: ["\u{1B}[H", "\u{1B}[1~", "\u{1B}[7~", "\u{1B}OH", "\u{01}"])
    func everyHomeFormGoesToTheStart(home: String) {
        #expect(submitted("the door" + home + "open \r") == ["open the door"])
    }

    @Test(arguments: ["\u{1B}[F", "\u{1B}[4~", "\u{1B}[8~", "\u{1B}OF", "\u{05}"])
    func everyEndFormGoesToTheEnd(end: String) {
        #expect(submitted("open the" + "\u{01}" + end + " door\r") == ["open the door"])
    }

    @Test func rightAndCtrlFMoveForwardAndStopAtTheEnd() {
        #expect(submitted("ac\u{01}\u{1B}[Cb\u{06}\u{06}\u{06}d\r") == ["abcd"])
        let (_, actions) = typed("\u{1B}[C")
        #expect(actions == [.bell], "nothing to move over")
    }

    @Test func backspaceAndDeleteRemoveBeforeAndUnderTheCursor() {
        #expect(submitted("doorx\u{7F}\r") == ["door"])
        #expect(submitted("doorx\u{08}\r") == ["door"], "Ctrl-H as Backspace")
        #expect(submitted("xdoor\u{01}\u{1B}[3~\r") == ["door"])
        #expect(submitted("xdoor\u{01}\u{04}\r") == ["door"], "Ctrl-D on a line deletes under the cursor")
    }

    @Test func ctrlUCtrlKAndCtrlWDeleteToTheStartTheEndAndTheWord() {
        #expect(submitted("open the door\u{1B}[D\u{1B}[D\u{1B}[D\u{1B}[D\u{15}\r") == ["door"])
        #expect(submitted("open the door\u{01}\u{1B}[C\u{1B}[C\u{1B}[C\u{1B}[C\u{0B}\r") == ["open"])
        #expect(submitted("open the door  \u{17}\r") == ["open the "])
        #expect(submitted("open the door\u{1B}\u{7F}\r") == ["open the "], "Alt-Backspace too")
    }

    @Test func ctrlArrowsMoveByWords() {
        #expect(submitted("open door\u{1B}[1;5Dthe \r") == ["open the door"])
        #expect(submitted("open door\u{01}\u{1B}[1;5C the\r") == ["open the door"])
        #expect(submitted("open door\u{1B}bthe \r") == ["open the door"], "Alt-b")
    }

    @Test func upAndDownWalkTheHistoryAndKeepTheDraft() {
        let history = ["first", "second"]
        #expect(submitted("\u{1B}[A\r", history: history) == ["second"])
        #expect(submitted("\u{1B}[A\u{1B}[A\r", history: history) == ["first"])
        #expect(submitted("\u{1B}[A\u{1B}[A\u{1B}[A\r", history: history) == ["first"], "no further than the oldest")
        #expect(submitted("draft\u{1B}[A\u{1B}[B\r", history: history) == ["draft"], "down past the newest brings the draft back")
        #expect(submitted("\u{10}\u{10}\u{0E}\r", history: history) == ["second"], "Ctrl-P and Ctrl-N")
        #expect(submitted("\u{1B}[A!\r", history: history) == ["second!"], "a recalled line is edited like any")
        let (editor, _) = typed("\u{1B}[A\r\u{1B}[A\r", history: history)
        #expect(editor.history == ["first", "second"], "a line equal to the last is not kept twice")
    }

    @Test func aLineNotRecordedStaysOutOfTheHistory() {
        var editor = LineEditor(history: ["kept"], prefill: "The door gives.", recordsHistory: false)
        #expect(editor.feed(Array("\r".utf8)) == [.submit("The door gives.")])
        #expect(editor.history == ["kept"])
    }

    @Test func ctrlCDropsTheLineCtrlDOnAnEmptyLineEndsCtrlLClears() {
        #expect(typed("never sent\u{03}").1 == [.redraw, .interrupt(dropped: "never sent")])
        #expect(typed("never sent\u{03}").0.text == "")
        #expect(typed("\u{04}").1 == [.endOfInput])
        #expect(typed("ab\u{0C}").1 == [.redraw, .clearScreen])
        #expect(typed("ab\u{0C}").0.text == "ab")
        #expect(typed("ab\u{1A}").1 == [.redraw, .suspend])
        #expect(typed("ab\u{1A}").0.text == "ab", "the line waits for the player's return")
    }

    @Test func escapeSequencesAndControlBytesNeverReachTheLine() {
        let noise = [
            "\u{1B}[15~", "\u{1B}[1;2P", "\u{1B}[200~", "\u{1B}[?1049h", "\u{1B}OP", "\u{1B}x", "\u{1B}[5~",
            "\u{07}", "\u{09}", "\u{1C}", "\u{1B}[1;5A", "\u{1B}\u{1B}[D",
        ]
        for sequence in noise {
            let line = submitted("a" + sequence + "b\r").first ?? "?"
            #expect(line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(sequence.debugDescription) gave \(line.debugDescription)")
        }
        #expect(submitted("a\u{1B}[15~b\r") == ["ab"], "an unknown sequence is swallowed whole")
        #expect(submitted(bytes: [0x61, 0xC2, 0x9B, 0x62, 0x0D]) == ["ab"], "C1 controls (U+009B, a CSI) too")
    }

    @Test func utf8IsDecodedAcrossChunksAndCharactersMoveAsOne() {
        var editor = LineEditor()
        let bytes = Array("né 日本".utf8)
        for byte in bytes { _ = editor.feed([byte]) }
        #expect(editor.text == "né 日本")
        #expect(editor.cursor == 5)
        #expect(submitted("日本\u{1B}[D\u{7F}x\r") == ["x本"], "Backspace takes a whole character")
        #expect(submitted("e\u{301}\r") == ["e\u{301}"], "a combining mark joins its letter")
        let (combined, _) = typed("e\u{301}")
        #expect(combined.cursor == 1)
        #expect(submitted(bytes: [0x61, 0xFF, 0xC3, 0x62, 0x0D]) == ["ab"], "invalid bytes are dropped")
    }

    @Test func wideCharactersTakeTwoColumns() {
        #expect(DisplayWidth.of("日本") == 4)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("abc") == 3)
        #expect(Console.printable("a\u{1B}[2Jb\u{7}\tc\nd\u{9B}") == "a[2Jb\tc\nd", "no control reaches the terminal from a story")
    }

    @Test func aLongLineScrollsSidewaysWithTheCursorOnTheRow() {
        let long = String(repeating: "abcdefghij", count: 10)
        let (atEnd, _) = typed(long)
        let end = atEnd.view(promptWidth: 2, columns: 20)
        #expect(end.cursorColumn == 19, "the cursor after the last character, in the last column")
        #expect(end.visible == String(long.suffix(17)))
        let (atStart, _) = typed(long + "\u{01}")
        let start = atStart.view(promptWidth: 2, columns: 20)
        #expect(start.cursorColumn == 2)
        #expect(start.visible == String(long.prefix(17)))
        let (short, _) = typed("abc\u{1B}[D")
        #expect(short.view(promptWidth: 2, columns: 20) == ("abc", 4))
        let (wide, _) = typed(String(repeating: "日", count: 20))
        let wideView = wide.view(promptWidth: 2, columns: 20)
        #expect(DisplayWidth.of(wideView.visible) <= 17)
        #expect(wideView.cursorColumn <= 19)
    }
}

/// The commands of issue 13 read from a typed line, and `models/list` read with its optional `local` flag.
@Suite struct PlayCommandParsingTests {
    @Test func editVersionsAndVersionAreUnderstood() {
        #expect(PlayInput("/edit 3") == .editTurn(index: 3))
        #expect(PlayInput("/edit 3 The door gives.") == .edit(index: 3, text: "The door gives."))
        #expect(PlayInput("/edit x") == .invalid("usage: /edit N [TEXT], where N is a turn number from /history"))
        #expect(PlayInput("/versions") == .versions(index: nil))
        #expect(PlayInput("/versions 7") == .versions(index: 7))
        #expect(PlayInput("/version 1") == .useVersion(1))
        #expect(PlayInput("/version") == .invalid("usage: /version K, where K is a version number from /versions"))
    }

    @Test func aModelListedWithoutTheLocalFlagIsNotLocal() throws {
        let json = """
            {"models": [
              {"id": "offline/storyteller", "name": "Offline", "contextTokens": 8192, "maxOutputTokens": 800, "supportsThinking": false, "available": true},
              {"id": "openai/qwen", "name": "qwen", "contextTokens": 4096, "maxOutputTokens": 800, "supportsThinking": false, "available": true, "local": true}
            ]}
            """
        let models = try JSONDecoder().decode(ListedModelsRequest.Response.self, from: Data(json.utf8)).models
        #expect(models.map(\.local) == [nil, true])
    }
}
