import Testing
@testable import ImaginAICore

private func ai(_ index: Int, _ text: String) -> PromptTurn { PromptTurn(index: index, speaker: .ai, text: text) }
private func player(_ index: Int, _ kind: PlayerActionKind, _ text: String) -> PromptTurn {
    PromptTurn(index: index, speaker: .player(kind), text: text)
}

@Test func theSummaryKeepsActionsFirstSentencesAndSentencesNamingCards() {
    let summary = ExtractiveSummary.rewrite(
        previous: "You came to Kell.",
        turns: [
            player(1, .do, "I open the gate"),
            ai(2, "The gate creaks open. Rain falls. Mira Vell waits beyond it, arms folded. A dog barks."),
            player(3, .say, "hello, Mira"),
            ai(4, "\"Late again,\" she says. \"The ferry left.\" The lamps go out."),
        ],
        names: ["Mira Vell", "The ferry"])
    #expect(summary == """
        You came to Kell. You open the gate. The gate creaks open. Mira Vell waits beyond it, arms folded. \
        You say "Hello, Mira." "Late again," she says. "The ferry left."
        """)
}

@Test func overTheLimitTheOldestSentencesGoAndNoneIsCut() {
    let turns = (1...40).map { ai($0, "Event number \($0) happens here.") }
    let summary = ExtractiveSummary.rewrite(previous: "", turns: turns, names: [], limit: 100)
    #expect(summary.count <= 100)
    #expect(summary.hasSuffix("Event number 40 happens here."))
    #expect(summary.hasPrefix("Event number"), "starts at a sentence: \(summary)")
    #expect(!summary.contains("Event number 1 happens"))
    // One sentence longer than the limit is kept whole rather than cut or lost.
    let long = String(repeating: "word ", count: 40) + "end."
    #expect(ExtractiveSummary.rewrite(previous: "", turns: [ai(1, long)], names: [], limit: 50) == long)
}

@Test func sentencesEndAtStopsWithTheirClosingQuotesAndAtLineEnds() {
    #expect(ExtractiveSummary.split("He said \"Go.\" Then left!  Why?\nA heading\n\nNext… yes") ==
        ["He said \"Go.\"", "Then left!", "Why?", "A heading", "Next…", "yes"])
    #expect(ExtractiveSummary.split("  ") == [])
}
