@testable import imaginai
import Testing

/// `play`'s story text wrapped at the terminal's width: between words only, the same however it streams.
@Suite struct WordWrapTests {
    static let scene = """
        The lighthouse keeper climbs the spiral stair with the lamp held high, and its light runs ahead of \
        her over the whitewashed walls. Somewhere below, the sea knocks at the rocks like a visitor who \
        will not be turned away.

        At the top the great lens waits, cold and patient.
        "Who is there?" she calls into the dark.
        """

    /// Feeds `pieces` one after another, as chunks arrive, and returns what was printed.
    func streamed(_ pieces: [String], width: Int, column: Int = 0) -> (text: String, rows: Int) {
        var wrap = WordWrap(width: width, column: column)
        let text = pieces.map { wrap.feed($0) }.joined() + wrap.finish()
        return (text, wrap.rows)
    }

    func whole(_ text: String, width: Int, column: Int = 0) -> (text: String, rows: Int) {
        streamed([text], width: width, column: column)
    }

    @Test func rowsBreakBetweenWordsAndNoRowIsWiderThanTheWidth() {
        for width in [20, 33, 40, 59, 99] {
            let wrapped = whole(Self.scene, width: width).text
            let rows = wrapped.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(rows.allSatisfy { DisplayWidth.of($0) <= width }, "width \(width):\n\(wrapped)")
            #expect(rows.allSatisfy { !$0.hasSuffix(" ") }, "no space is left at the end of a row")
            // Every word whole, in order: only spaces became row breaks.
            #expect(wrapped.split(whereSeparator: \.isWhitespace) == Self.scene.split(whereSeparator: \.isWhitespace))
            // Greedy: the first word of each row would not have fitted on the row before.
            for (above, below) in zip(rows, rows.dropFirst()) where !above.isEmpty && !below.isEmpty {
                let firstWord = below.prefix { $0 != " " }
                let isTextBreak = Self.scene.contains(above + "\n" + below)
                #expect(isTextBreak || DisplayWidth.of(above) + 1 + firstWord.count > width, "\(above) | \(below)")
            }
        }
    }

    @Test func paragraphBreaksAndSingleNewlinesAreKept() {
        let wrapped = whole(Self.scene, width: 40).text
        #expect(wrapped.contains("turned away.\n\nAt the top"))
        #expect(wrapped.contains("patient.\n\"Who is there?\""))
        #expect(whole("one\n\n\ntwo", width: 10).text == "one\n\n\ntwo")
    }

    @Test func theWrappingAtTheHundredColumnsThatSplitAWordBefore() {
        let text = "The keeper lights its lamp room and waits for the ship that was promised two days ago, watching its lamp."
        let wrapped = WordWrap.wrap(text, columns: 100)
        #expect(wrapped == "The keeper lights its lamp room and waits for the ship that was promised two days ago, watching its\nlamp.")
    }

    @Test func streamingInAnyFragmentsWrapsAsTheWholeText() {
        let expected = whole(Self.scene, width: 37)
        // Split once at every place.
        let characters = Array(Self.scene)
        for split in 0...characters.count {
            let pieces = [String(characters[..<split]), String(characters[split...])]
            let result = streamed(pieces, width: 37)
            #expect(result.text == expected.text && result.rows == expected.rows, "split at \(split)")
        }
        // One word per chunk, as the offline storyteller sends, and one character per chunk.
        let words = Self.scene.split(separator: " ", omittingEmptySubsequences: false).map { String($0) + " " }
        #expect(streamed(words, width: 37) == expected)
        #expect(streamed(characters.map { String($0) }, width: 37) == expected)
        // Ragged pieces of every size from 1 to 9, as a provider's tokens.
        var pieces: [String] = []
        var rest = Substring(Self.scene)
        var size = 1
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
            size = size % 9 + 1
        }
        #expect(streamed(pieces, width: 37) == expected)
    }

    @Test func aWordIsHeldUntilItEndsAndTheLastOneIsPrintedByFinish() {
        var wrap = WordWrap(width: 10)
        #expect(wrap.feed("its l") == "its")
        #expect(wrap.feed("amp ") == " lamp")
        #expect(wrap.feed("room") == "")
        #expect(wrap.finish() == "\nroom")
        #expect(wrap.rows == 2)
    }

    @Test func rowsCountEveryRowThePrintedTextReaches() {
        for width in [12, 25, 40] {
            let (text, rows) = whole(Self.scene, width: width)
            #expect(rows == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        }
        #expect(whole("", width: 10).rows == 1)
        #expect(whole("ends a row\n", width: 20).rows == 2, "the cursor's row counts")
        #expect(whole("abcdefghij", width: 5) == ("abcde\nfghij", 2))
    }

    @Test func aWordWiderThanTheRowIsBrokenHardOnRowsOfItsOwn() {
        #expect(whole("a abcdefghijkl b", width: 5) == ("a\nabcde\nfghij\nkl b", 4))
        #expect(whole("日本日本日本", width: 5) == ("日本\n日本\n日本", 3), "a wide character is never cut in half")
    }

    @Test func theTextCanStartAfterALabel() {
        // "[12] " is printed first: the first row has that much less room.
        #expect(whole("one two three", width: 12, column: 5) == ("one two\nthree", 2))
    }

    @Test func spacesAndTabsInsideARowAreKeptAndIndentationThatDoesNotFitIsDropped() {
        #expect(whole("a  b\tc", width: 20).text == "a  b\tc")
        #expect(whole("abcdef\tgh", width: 9).text == "abcdef\ngh", "the tab reaches column 8")
        #expect(whole("\n      abcde", width: 8).text == "\nabcde")
        #expect(whole("  ab", width: 8).text == "  ab")
    }

    @Test func textInColumnsContinuesItsRowsUnderTheSecondColumn() {
        let help = """
            Commands:
              /retry           write the last part again (earlier versions are kept)
              /edit N [TEXT]   replace the text of turn N; without TEXT it opens
                               the turn's text for editing
            Keys: Ctrl-L clears the screen and Ctrl-D leaves.
            """
        #expect(WordWrap.wrap(help, columns: 41, hangs: true) == """
            Commands:
              /retry           write the last part
                               again (earlier
                               versions are kept)
              /edit N [TEXT]   replace the text of
                               turn N; without TEXT
                               it opens
                               the turn's text for
                               editing
            Keys: Ctrl-L clears the screen and
            Ctrl-D leaves.
            """)
        // Prose does not hang: a double space after a full stop is no column.
        #expect(WordWrap.wrap("It is late.  The lamp is out and the door is shut.", columns: 26)
            == "It is late.  The lamp is\nout and the door is shut.")
        #expect(WordWrap.wrap("It is late.  The lamp is out and the door is shut.", columns: 26, hangs: true)
            == "It is late.  The lamp is\n             out and the\n             door is\n             shut.")
        // A word that would not fit after the indentation starts its row at the left.
        #expect(WordWrap.wrap("  a  bcdefgh ijklmnopqrst", columns: 16, hangs: true) == "  a  bcdefgh\nijklmnopqrst")
        #expect(WordWrap.wrap("  a  bcdefgh ijklmnopqr", columns: 16, hangs: true) == "  a  bcdefgh\n     ijklmnopqr")
    }

    @Test func withoutATerminalTheTextPassesUntouched() {
        var wrap = WordWrap(width: nil)
        #expect(wrap.feed(Self.scene) == Self.scene)
        #expect(wrap.finish() == "")
        #expect(WordWrap.wrap("its l", columns: nil) == "its l")
    }

    @Test func aTerminalKeepsItsLastColumnFree() {
        // Twenty characters would fill a row of twenty exactly; the last word goes to the next row.
        #expect(WordWrap.wrap("abcd abcd abcd abcde", columns: 20) == "abcd abcd abcd\nabcde")
        #expect(WordWrap.wrap("abcd abcd abcd abcd", columns: 20) == "abcd abcd abcd abcd")
    }
}
