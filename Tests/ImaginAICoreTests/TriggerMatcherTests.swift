import Testing
@testable import ImaginAICore

private func fired(_ cards: [[String]], _ text: String) -> [Int] {
    TriggerMatcher(cards: cards).scan(text).map(\.card)
}

@Test func wholeWordsOnly() {
    #expect(fired([["Ann"]], "The Annual report") == [])
    #expect(fired([["Ann"]], "Ann's report") == [0])
    #expect(fired([["Ann"]], "“Ann,” she said.") == [0])
    #expect(fired([["he"]], "the hero") == [])
    #expect(fired([["K-9"]], "Unit K-9 barks") == [0])
}

@Test func caseAndCanonicalEquivalenceAreIgnored() {
    #expect(fired([["Zoë"]], "ZOË waves") == [0])
    #expect(fired([["Zoë"]], "Zoe\u{0308} waves") == [0], "decomposed ë matches composed")
    #expect(fired([["Zoe\u{0308}"]], "Zoë waves") == [0])
    #expect(fired([["Ærø"]], "sailing to ærø.") == [0])
    #expect(fired([["Ærø"]], "Ærøskøbing") == [], "a prefix of a longer word is not a mention")
}

@Test func multiWordKeysMatchAcrossAnyWhiteSpace() {
    #expect(fired([["black market"]], "the Black\n  Market at dusk") == [0])
    #expect(fired([["black market"]], "blackmarket") == [])
}

@Test func unspacedScriptsMatchInsideRuns() {
    #expect(fired([["東京"]], "私は東京に住んでいます") == [0])
    #expect(fired([["カタナ"]], "古いカタナを持つ") == [0])
}

@Test func overlappingAndSharedKeysAllFire() {
    let cards = [["shop"], ["shop", "store"], ["market"], ["black market"]]
    #expect(Set(fired(cards, "the shop")) == [0, 1])
    #expect(Set(fired(cards, "the black market")) == [2, 3])
}

@Test func mostRecentMentionComesFirstWithTheKeyThatFired() {
    let matcher = TriggerMatcher(cards: [["Ann"], ["bazaar"], ["Zoë", "the smith"]])
    let hits = matcher.scan("Ann met the smith at the bazaar; later Ann left")
    #expect(hits.map(\.card) == [0, 1, 2])
    #expect(hits.last?.key == "the smith")
}

@Test func regexKeys() {
    #expect(fired([["/dragons?/i"]], "A DRAGON lands") == [0])
    #expect(fired([["/dragons?/"]], "A DRAGON lands") == [])
    #expect(fired([["/m(é|e)lanie/i"]], "Melanie waves") == [0])
    #expect(TriggerMatcher.invalidKeys(["/(unclosed/", "/(|)/", "plain", "/ok/i"]) == ["/(unclosed/", "/(|)/"])
    #expect(fired([["/(|)/"]], "anything") == [], "a regex matching the empty string never fires")
}

@Test func emptyKeysAndCardsAreHarmless() {
    #expect(fired([[], [""], ["  "]], "text") == [])
    #expect(fired([], "text") == [])
    #expect(fired([["a"]], "") == [])
}

@Test func tenThousandCardsFindExactlyTheMentionedOnes() {
    let cards = (0..<10_000).map { ["name\($0) alpha", "word\($0)", "k\($0)z"] }
    let matcher = TriggerMatcher(cards: cards)
    let hits = matcher.scan("word77 jumps over name5000 alpha, then k9999z but not word1234x or name12 beta")
    #expect(Set(hits.map(\.card)) == [77, 5000, 9999])
}

@Test func asciiTextFoldsAsTheUnicodePathWouldFoldIt() {
    // Text with one non-ASCII scalar takes the Unicode path: the ASCII fast path must agree with it.
    let samples = ["Hello\t\n  WORLD x", " Leading and trailing \r\n", "K-9_Unit\u{0B}\u{0C}tabs", "MiXeD 123 @#[]{}~", "\u{1F}\u{7F}control"]
    for sample in samples {
        let slow = TriggerMatcher.fold(sample + "é")
        #expect(TriggerMatcher.fold(sample) == Array(slow.dropLast()), "\(sample.debugDescription)")
    }
}
