import Testing
@testable import ImaginAICore

// MARK: Index text

@Test func textWithoutSpacelessScriptsIsIndexedAsWritten() {
    let text = "The password is heliotrope. Café, naïve — “quoted” 42."
    #expect(RecallText.indexed(text) == text)
}

@Test func japaneseAndChineseCharactersBecomeTokensOfTheirOwn() {
    #expect(RecallText.indexed("合言葉はヘリオトロープだ。") == " 合 言 葉 は ヘ リ オ ト ロ ー プ だ 。")
    #expect(RecallText.indexed("密码是向日葵") == " 密 码 是 向 日 葵 ")
    // Latin words inside keep their shape; the characters around them are set apart.
    #expect(RecallText.indexed("Annは港") == "Ann は 港 ")
}

@Test func thaiIsSplitByGraphemeSoVowelMarksStayWithTheirConsonant() {
    // สวัสดี: ส วั ส ดี (the vowel marks ั and ี combine with the consonant before them).
    #expect(RecallText.indexed("สวัสดี") == " ส วั ส ดี ")
}

// MARK: Query terms

@Test func queryTermsComeFromTheActionThenCardNamesThenNewestTextWithoutStopWords() {
    let query = RecallQuery.build(
        action: "What is the password?", cardNames: ["Glass Key"],
        recentTexts: ["An old mill stands.", "You are at the door of the mill."])
    #expect(query.terms == ["password", "glass", "key"])
    #expect(query.contextTerms == ["door", "mill", "old", "stands"])
}

@Test func queryTermsAreLowercasedAndRepeatsDropped() {
    let query = RecallQuery.build(action: "Ask ANN about Ann's garden", cardNames: ["Ann"], recentTexts: [])
    #expect(query.terms == ["ask", "ann", "garden"])
    // A word of the action is not searched again with the story's.
    let again = RecallQuery.build(action: "find Ann", cardNames: [], recentTexts: ["Ann left the garden."])
    #expect(again.terms == ["find", "ann"] && again.contextTerms == ["left", "garden"])
}

@Test func queryTermsAreCapped() {
    let words = (0..<100).map { "word\($0)" }.joined(separator: " ")
    let query = RecallQuery.build(action: words, cardNames: [], recentTexts: ["more words here"], maxTerms: 10)
    #expect(query.terms == (0..<10).map { "word\($0)" } && query.contextTerms.isEmpty)
}

@Test func spacelessScriptsAreQueriedByAdjacentPairs() {
    #expect(RecallQuery.terms(in: "パスワード") == ["パ ス", "ス ワ", "ワ ー", "ー ド"])
    #expect(RecallQuery.terms(in: "猫") == ["猫"])
    #expect(RecallQuery.terms(in: "the 密码 of Ann") == ["密 码", "ann"])
}

@Test func matchExpressionQuotesEveryTermSoNothingReadsAsSyntax() {
    #expect(RecallQuery.matchExpression([]) == nil)
    #expect(RecallQuery.matchExpression(["near", "パ ス", "a\"b"]) == "\"near\" OR \"パ ス\" OR \"a\"\"b\"")
    // Operators and punctuation a player types never reach the expression as operators.
    let query = RecallQuery.build(action: "NOT this AND that* OR col:umn NEAR(x)", cardNames: [], recentTexts: [])
    #expect(RecallQuery.matchExpression(query.terms) == "\"col\" OR \"umn\" OR \"near\"")
}

// MARK: Assembly

private let material = PromptMaterial(
    baseSystemInstruction: "Narrate.", instructions: "", plotEssentials: "", authorsNotes: "", cards: [])

private func story(_ count: Int) -> [PromptTurn] {
    (0..<count).map { index in
        PromptTurn(
            index: index, speaker: index % 2 == 0 ? .ai : .player(.do),
            text: index == 2 ? "The password is heliotrope." : "You go on and on and on, \(index).")
    }
}

/// A stand-in for the store: the turns older than the request's bound whose text holds one of the terms,
/// ranked by the first term they hold (then oldest first), recording each request.
private final class FakeRecall {
    let turns: [PromptTurn]
    var requests: [RecallRequest] = []
    init(_ turns: [PromptTurn]) { self.turns = turns }

    func callAsFunction(_ request: RecallRequest) -> [RecallHit] {
        requests.append(request)
        let terms = request.query.terms + request.query.contextTerms
        let ranked = turns.filter { $0.index < request.beforeIndex }.compactMap { turn in
            terms.firstIndex { turn.text.lowercased().contains($0) }.map { (rank: $0, turn: turn) }
        }.sorted { ($0.rank, $0.turn.index) < ($1.rank, $1.turn.index) }
        return ranked.prefix(request.limit).map { RecallHit(turnID: "turn-\($0.turn.index)", turn: $0.turn) }
    }
}

private func assemble(_ turns: [PromptTurn], action: String, context: Int, recall: FakeRecall?) throws -> AssembledPrompt {
    try PromptAssembler.assemble(
        material: material, action: (kind: .say, text: action),
        limits: PromptLimits(contextTokens: context, maxOutputTokens: 100),
        cardIndex: CardIndex(cards: []), pageSize: 8,
        recall: recall.map { fake in { fake($0) } }
    ) { before, limit in
        let end = before ?? turns.count
        return Array(turns[max(0, end - limit)..<end])
    }
}

@Test func aTurnOutsideTheHistoryIsRecalledIntoMemoriesBeforeTheHistory() throws {
    let turns = story(60)
    let fake = FakeRecall(turns)
    let prompt = try assemble(turns, action: "What was the password?", context: 400, recall: fake)
    #expect(prompt.sections.map(\.kind) == [.system, .memories, .history, .action])
    #expect(prompt.text(of: .memories) == "[Turn 2] The password is heliotrope.")
    #expect(prompt.recalledTurns == [RecalledTurn(turnID: "turn-2", index: 2, text: "The password is heliotrope.")])
    #expect(fake.requests.first?.query.terms.first == "password")
    // Nothing recalled is in the history, and the whole prompt keeps to the budget.
    let oldest = try #require(prompt.includedTurns.first)
    #expect(prompt.recalledTurns.allSatisfy { $0.index < oldest })
    #expect(!prompt.includedTurns.contains(2))
    #expect(prompt.totalTokens <= prompt.budgetTokens)
    // The memories go to chat models as background, not as the story to continue.
    #expect(prompt.systemText.contains("heliotrope"))
    #expect(!prompt.storyText.contains("heliotrope"))
}

@Test func memoriesLeaveTheHistoryWhatTheyDoNotUse() throws {
    let turns = story(60)
    let without = try assemble(turns, action: "What was the password?", context: 400, recall: nil)
    // A query nothing matches: the history keeps the whole of its budget.
    let unmatched = try assemble(turns, action: "Where is the zeppelin?", context: 400, recall: FakeRecall(turns))
    #expect(unmatched.text(of: .memories) == nil)
    #expect(unmatched.includedTurns == without.includedTurns)
    #expect(unmatched.droppedTurns == without.droppedTurns)
    #expect(unmatched.olderTurnsOmitted == without.olderTurnsOmitted)
}

@Test func noRecallWhileTheWholeStoryFits() throws {
    let turns = story(6)
    let fake = FakeRecall(turns)
    let prompt = try assemble(turns, action: "What was the password?", context: 4000, recall: fake)
    #expect(fake.requests.isEmpty)
    #expect(prompt.includedTurns == Array(0..<6))
    #expect(prompt.recalledTurns.isEmpty)
}

@Test func recalledTurnsComeOldestFirstEachMarked() throws {
    var turns = story(60)
    turns[7].text = "smell the heliotrope by the gate"
    turns[5].text = "whisper heliotrope to Ann"
    // The fake returns its hits oldest first; reversed, the assembler must sort them.
    let fake = FakeRecall(turns)
    let prompt = try PromptAssembler.assemble(
        material: material, action: (kind: .do, text: "think of heliotrope"),
        limits: PromptLimits(contextTokens: 500, maxOutputTokens: 100), cardIndex: CardIndex(cards: []), pageSize: 8,
        recall: { Array(fake($0).reversed()) }
    ) { before, limit in
        let end = before ?? turns.count
        return Array(turns[max(0, end - limit)..<end])
    }
    #expect(prompt.recalledTurns.map(\.index) == [2, 5, 7])
    #expect(prompt.text(of: .memories) == """
        [Turn 2] The password is heliotrope.
        [Turn 5] > You whisper heliotrope to Ann.
        [Turn 7] > You smell the heliotrope by the gate.
        """)
}
