import Testing
@testable import ImaginAICore

/// The cutter fed the answer in pieces, as a stream delivers it.
private func cut(_ pieces: [String]) -> (shown: [String], isCut: Bool) {
    var cutter = StoryCutter()
    var shown = pieces.map { cutter.feed($0) }
    shown.append(cutter.finish())
    return (shown, cutter.isCut)
}

/// The rule written plainly, over the whole text: the answer ends at the first line whose first
/// non-blank character is `>` or `[`; the line breaks and blanks before that line go with it.
private func expected(_ text: String) -> (text: String, isCut: Bool) {
    let scalars = Array(text.unicodeScalars)
    var lineStart = 0
    var position = 0
    while position <= scalars.count {
        if position == scalars.count || scalars[position] == "\n" || scalars[position] == "\r" {
            // The line is scalars[lineStart..<position]; its first visible character decides.
            if let first = scalars[lineStart..<position].first(where: { $0 != " " && $0 != "\t" }), first == ">" || first == "[" {
                // Back over the blank lines and blanks before it, to the line break that ended real text.
                var end = lineStart
                while end > 0, [" ", "\t", "\n", "\r"].contains(scalars[end - 1]) { end -= 1 }
                // Blanks at the end of the last text line were shown before any line break came.
                var kept = end
                while kept < lineStart, scalars[kept] == " " || scalars[kept] == "\t" { kept += 1 }
                if end == 0 { kept = 0 }
                var result = String.UnicodeScalarView()
                result.append(contentsOf: scalars[0..<kept])
                return (String(result), true)
            }
            lineStart = position + 1
        }
        position += 1
    }
    return (text, false)
}

/// Every way of splitting `text` into two or three pieces, at every Unicode scalar (a stream may split
/// "\r\n" or a character with a combining mark).
private func splits(_ text: String) -> [[String]] {
    let scalars = Array(text.unicodeScalars)
    func piece(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range])
        return String(view)
    }
    var result: [[String]] = [[text], scalars.map { String(Character($0)) }]
    for first in 0...scalars.count {
        result.append([piece(0..<first), piece(first..<scalars.count)])
        for second in first...scalars.count {
            result.append([piece(0..<first), piece(first..<second), piece(second..<scalars.count)])
        }
    }
    return result
}

private let samples = [
    "The door opens.\n> You take a moment to talk.\nMore",
    "The door opens.\r\n> You step in.",
    "The door opens.\n\n> You step in.",
    "The door opens. \n  \t> You step in.",
    "> You take a moment.\nThe door opens.",
    "  > You wait.",
    "\n\n> You wait.",
    "The sign reads > EXIT and 2 > 1.\nShe nods.",
    "A line.\nAnother > line.\n",
    "She said [quietly] that it was late.\nThe end.",
    "The fog lifts.\n[Author's note: keep it grim]\nMore.",
    "Tam turns.\n[Old Tam (character): the keeper]",
    "Zoë smiles.\n\u{301}> combining mark after the break",
    "Zoë smiles. 🌊\nThe tide turns.\r\nNo action here.",
    "Lines end\rwith carriage returns\r> alone.",
    "No line breaks at all",
    "Trailing blank lines\n\n",
    "",
    "\n",
    ">",
    "[",
]

@Test(arguments: samples)
func everySplitOfTheStreamGivesTheSameCutAsTheWholeText(_ text: String) {
    let want = expected(text)
    for pieces in splits(text) {
        let (shown, isCut) = cut(pieces)
        #expect(shown.joined() == want.text, "\(pieces.map(\.debugDescription))")
        #expect(isCut == want.isCut, "\(pieces.map(\.debugDescription))")
    }
}

@Test func theIssuesExampleEndsAtTheLastStoryLine() {
    let (shown, isCut) = cut(["The door ", "opens.", "\n", "> You", " take a moment to talk.\nMore"])
    #expect(shown == ["The door ", "opens.", "", "", "", ""])
    #expect(isCut)
}

@Test func anAnswerThatStartsWithAnActionLeavesNothing() {
    #expect(cut(["> You take", " a moment."]) == (["", "", ""], true))
    #expect(cut(["\n", " [Author", "'s note"]) == (["", "", "", ""], true))
}

@Test func aMarkerInsideALineIsStory() {
    let (shown, isCut) = cut(["He wrote 3 > 2 [sic].", "\nThen left."])
    #expect(shown.joined() == "He wrote 3 > 2 [sic].\nThen left.")
    #expect(!isCut)
}

@Test func onlyTheLineBreakAndBlanksAreHeldBack() {
    var cutter = StoryCutter()
    #expect(cutter.feed("Rain falls.\n  ") == "Rain falls.")
    #expect(cutter.feed("The lamp") == "\n  The lamp")
    #expect(cutter.feed(" gutters.") == " gutters.")
    #expect(cutter.feed("\r\n") == "")
    #expect(cutter.finish() == "\r\n")
    #expect(!cutter.isCut)
}

@Test func afterTheCutNothingPasses() {
    var cutter = StoryCutter()
    #expect(cutter.feed("Done.\n>") == "Done.")
    #expect(cutter.feed(" You leave.\nMore story.") == "")
    #expect(cutter.feed("Even more.") == "")
    #expect(cutter.finish() == "")
    #expect(cutter.isCut)
}

@Test func theProviderStopSequencesAreTheMarkersAfterALineBreak() {
    #expect(StoryCutter.stopSequences == ["\n>", "\n["])
    // Each one, streamed, cuts.
    for stop in StoryCutter.stopSequences {
        #expect(cut(["Story.", stop, "rest"]).isCut)
    }
}
