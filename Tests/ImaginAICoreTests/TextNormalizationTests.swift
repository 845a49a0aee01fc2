import Testing
@testable import ImaginAICore

@Test func keysAreTrimmedAndEmptiesDropped() {
    #expect(TextNormalization.keys(["  Ann ", "", "   ", "black market", "Ann", "\u{00A0}Zoë\u{00A0}"])
        == ["Ann", "black market", "Zoë"])
}

@Test func tagsDeduplicateCaseInsensitively() {
    #expect(TextNormalization.tags(["Noir", "noir ", " Cyberpunk", ""]) == ["Noir", "Cyberpunk"])
}

@Test func commaListsSplitOnEveryComma() {
    #expect(TextNormalization.splitCommaList("Greed,7 Sins, Seven Sins") == ["Greed", "7 Sins", " Seven Sins"])
    #expect(TextNormalization.keys(TextNormalization.splitCommaList(" a ,, b,")) == ["a", "b"])
}

@Test func excerptCutsAtAWordAndFoldsLines() {
    #expect(TextNormalization.excerpt("short\ntext") == "short text")
    let long = String(repeating: "word ", count: 100)
    let excerpt = TextNormalization.excerpt(long, limit: 22)
    #expect(excerpt == "word word word word…")
}

@Test func tokenEstimatesFollowTheDocumentedRule() {
    #expect(TokenEstimator.estimate("") == 0)
    #expect(TokenEstimator.estimate("the") == 1)
    #expect(TokenEstimator.estimate("lantern") == 2)
    // 13 UTF-8 bytes (Æ and each ø take two): four started groups of four.
    #expect(TokenEstimator.estimate("Ærøskøbing") == 4)
    #expect(TokenEstimator.estimate("You open the door.") == 5)
    #expect(TokenEstimator.estimate("東京") == 2)
    #expect(TokenEstimator.estimate("🐉!") == 3)
    // Ordinary English prose lands near the usual four characters per token.
    let prose = "The rain taps a slow rhythm against the window while you sort the letters on your desk."
    let estimate = TokenEstimator.estimate(prose)
    #expect((18...26).contains(estimate), "\(estimate)")
}

@Test func truncationKeepsWholeSentencesWithTheirQuotes() {
    #expect(Truncation.toLastSentence("You open the door. The hinges scream and") == "You open the door.")
    #expect(Truncation.toLastSentence("She says, \"Run!\" Then the lights") == "She says, \"Run!\"")
    #expect(Truncation.toLastSentence("It costs 3.5 coins and the") == nil)
    #expect(Truncation.toLastSentence("Wait... something moves in") == "Wait...")
    #expect(Truncation.toLastSentence("The end.") == "The end.")
    #expect(Truncation.toLastSentence("no sentence end at all") == nil)
    #expect(Truncation.toLastSentence("霧が出た。灯台は") == "霧が出た。")
}

@Test func asciiIsEstimatedByTheSameRulesAsAnyOtherText() {
    // The ASCII shortcut: each character alone is a word (1), Unicode White_Space (0) or punctuation (1).
    for value in UInt8(1)..<128 {
        let scalar = Unicode.Scalar(value)
        let expected = scalar.properties.isWhitespace ? 0 : 1
        #expect(TokenEstimator.estimate(String(Character(scalar))) == expected, "U+\(String(value, radix: 16))")
    }
    // Words across ASCII white space and punctuation, and next to non-ASCII text.
    #expect(TokenEstimator.estimate("lantern\tlantern\u{0B}x\u{0C}y\r\nz") == 2 + 2 + 1 + 1 + 1)
    #expect(TokenEstimator.estimate("the\u{00A0}door, Ærøskøbing!") == 1 + 1 + 1 + 4 + 1)
}
