import Testing
@testable import ImaginAICore

private let material = PromptMaterial(
    baseSystemInstruction: "Narrate.", instructions: "Be eerie.", plotEssentials: "A mill town.",
    authorsNotes: "Slow dread.",
    cards: [
        PromptCard(id: "c-ann", type: "character", name: "Ann", description: "A gardener.", keys: ["Ann"]),
        PromptCard(id: "c-mill", type: "location", name: "Mill", description: "The old mill.", keys: ["mill"]),
        PromptCard(id: "c-key", type: "item", name: "Glass key", description: "Opens nothing.", keys: ["glass key"]),
    ])

private func history(_ count: Int, text: (Int) -> String = { "Turn \($0) goes on." }) -> [PromptTurn] {
    (0..<count).map { PromptTurn(index: $0, speaker: $0 % 2 == 0 ? .ai : .player(.do), text: text($0)) }
}

private func assemble(_ turns: [PromptTurn], action: (PlayerActionKind, String)? = (.do, "look around"), context: Int = 4000, scanDepth: Int = 4) throws -> AssembledPrompt {
    try PromptAssembler.assemble(
        material: material, action: action.map { (kind: $0.0, text: $0.1) },
        limits: PromptLimits(contextTokens: context, maxOutputTokens: 200, scanDepth: scanDepth),
        cardIndex: CardIndex(cards: material.cards)
    ) { before, limit in
        let end = before ?? turns.count
        return Array(turns[max(0, end - limit)..<end])
    }
}

@Test func sectionsComeInTheDocumentedOrder() throws {
    let prompt = try assemble(history(4, text: { $0 == 3 ? "Ann waits by the mill." : "Turn \($0)." }))
    #expect(prompt.sections.map(\.kind) == [.system, .instructions, .plotEssentials, .cards, .history, .authorsNotes, .action])
    #expect(prompt.sections.last?.text == "> You look around.")
    #expect(prompt.storyText.hasSuffix("[Author's note: Slow dread.]\n\n> You look around."))
}

@Test func cardsFireFromTheScanWindowOnlyMostRecentFirst() throws {
    var turns = history(10)
    turns[1].text = "You find a glass key."  // outside a scan depth of 4
    turns[8].text = "The mill creaks."
    turns[9].text = "Ann waves."
    let prompt = try assemble(turns)
    #expect(prompt.firedCards.map(\.name) == ["Ann", "Mill"])
    #expect(prompt.firedCards.allSatisfy { $0.included })
    let deeper = try assemble(turns, scanDepth: 9)
    #expect(deeper.firedCards.map(\.name) == ["Ann", "Mill", "Glass key"])
    let fromAction = try assemble(history(2), action: (.say, "where is the glass key?"))
    #expect(fromAction.firedCards.map(\.key) == ["glass key"])
}

@Test func theCurrentActionIsTheMostRecentMention() throws {
    // The mill is mentioned in the newest history turn, Ann only in the action being taken now: the
    // action is newer than any history, so Ann orders first.
    var turns = history(4)
    turns[3].text = "The mill creaks."
    let prompt = try assemble(turns, action: (.do, "wave to Ann"))
    #expect(prompt.firedCards.map(\.name) == ["Ann", "Mill"])
    #expect(prompt.firedCards.map(\.key) == ["Ann", "mill"])
    // A key mentioned both in history and in the action counts from the action.
    turns[2].text = "Ann is at the mill."
    let again = try assemble(turns, action: (.do, "follow Ann"))
    #expect(again.firedCards.map(\.name) == ["Ann", "Mill"])
}

@Test func historyKeepsTheNewestTurnsAndReportsExactlyWhatWasDropped() throws {
    let turns = history(50, text: { "Turn \($0) " + String(repeating: "word ", count: 20) })
    let prompt = try assemble(turns, context: 500)
    let included = prompt.includedTurns
    #expect(!included.isEmpty)
    #expect(included == Array((50 - included.count)..<50), "a contiguous run of the newest turns")
    #expect(prompt.droppedTurns.first == 49 - included.count, "the first dropped is the next older one")
    #expect(prompt.droppedTurns.count + prompt.olderTurnsOmitted + included.count == 50)
    #expect(prompt.totalTokens <= prompt.budgetTokens)
}

@Test func longAdventuresAreLoadedOnlyAsFarAsTheBudgetReaches() throws {
    let turns = history(100_000)
    var pages = 0
    let prompt = try PromptAssembler.assemble(
        material: material, action: (kind: .do, text: "wait"),
        limits: PromptLimits(contextTokens: 2000, maxOutputTokens: 200),
        cardIndex: CardIndex(cards: material.cards), pageSize: 64
    ) { before, limit in
        pages += 1
        let end = before ?? turns.count
        return Array(turns[max(0, end - limit)..<end])
    }
    #expect(pages <= 5)
    #expect(prompt.includedTurns.last == 99_999)
    #expect(prompt.olderTurnsOmitted > 99_000)
}

@Test func fixedSectionsOverTheBudgetAreAnError() {
    #expect(throws: PromptError.self) {
        _ = try assemble([], action: (.story, String(repeating: "long ", count: 2000)), context: 600)
    }
}

@Test func actionsReadInTheSecondPerson() {
    #expect(ActionFormatter.format(.do, "open the door") == "> You open the door.")
    #expect(ActionFormatter.format(.do, "You open the door!") == "> You open the door!")
    #expect(ActionFormatter.format(.do, "Open the door") == "> You open the door.")
    #expect(ActionFormatter.format(.do, "you") == "> You.")
    #expect(ActionFormatter.format(.do, "I light the lamp") == "> You light the lamp.")
    #expect(ActionFormatter.format(.do, "I'm cold") == "> You're cold.")
    #expect(ActionFormatter.format(.do, "I’ll wait") == "> You’ll wait.")
    #expect(ActionFormatter.format(.do, "Iron the shirt") == "> You iron the shirt.", "only a lone I is the first person")
    #expect(ActionFormatter.format(.say, "\"hello there\"") == "> You say \"Hello there.\"")
    #expect(ActionFormatter.format(.say, "You say where is Ann?") == "> You say \"Where is Ann?\"")
    #expect(ActionFormatter.format(.story, "  The storm breaks.  ") == "The storm breaks.")
}
