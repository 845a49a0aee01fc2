import Testing
@testable import ImaginAICore

// The World Info rules applied when a prompt is built (CardSelection via PromptAssembler).

private func card(
    _ name: String, keys: [String]? = nil, description: String = "", rules: PromptCardRules = .plain
) -> PromptCard {
    PromptCard(id: "c-" + name.lowercased(), type: "other", name: name, description: description, keys: keys ?? [name], rules: rules)
}

private func turns(_ texts: [String]) -> [PromptTurn] {
    texts.enumerated().map { PromptTurn(index: $0.offset, speaker: $0.offset % 2 == 0 ? .ai : .player(.do), text: $0.element) }
}

private func assemble(
    _ cards: [PromptCard], history: [String] = [], action: String = "", scanDepth: Int = 4, recursionDepth: Int = 2,
    context: Int = 8000, moment: PromptMoment? = nil, authorsNotes: String = "", pageSize: Int = 64
) throws -> AssembledPrompt {
    let turns = turns(history)
    return try PromptAssembler.assemble(
        material: PromptMaterial(baseSystemInstruction: "Narrate.", instructions: "", plotEssentials: "", authorsNotes: authorsNotes, cards: cards),
        action: (kind: .do, text: action),
        limits: PromptLimits(contextTokens: context, maxOutputTokens: 200, scanDepth: scanDepth, recursionDepth: recursionDepth),
        cardIndex: CardIndex(cards: cards),
        moment: moment ?? PromptMoment(adventureID: "adv", answerIndex: turns.count + 1),
        pageSize: pageSize
    ) { before, limit in
        let end = before ?? turns.count
        return Array(turns[max(0, end - limit)..<end])
    }
}

private func included(_ prompt: AssembledPrompt) -> [String] { prompt.firedCards.filter(\.included).map(\.name) }

// MARK: Secondary keys

@Test(arguments: [
    (PromptCardRules.SecondaryLogic.andAny, ["Ann in the garden", "Ann with a rose in the garden"], ["Ann alone"]),
    (.andAll, ["Ann with a rose in the garden"], ["Ann in the garden", "Ann alone"]),
    (.notAny, ["Ann alone"], ["Ann in the garden", "Ann with a rose"]),
    (.notAll, ["Ann in the garden", "Ann alone"], ["Ann with a rose in the garden"]),
])
func secondaryKeysFollowTheirLogic(logic: PromptCardRules.SecondaryLogic, fires: [String], doesNot: [String]) throws {
    let ann = card("Ann", rules: PromptCardRules(secondaryKeys: ["garden", "rose"], secondaryLogic: logic))
    for text in fires {
        let prompt = try assemble([ann], action: text)
        #expect(included(prompt) == ["Ann"], "\(logic): \(text)")
        #expect(prompt.firedCards.first?.key == "Ann", "the primary key is the one reported")
    }
    for text in doesNot {
        #expect(try assemble([ann], action: text).firedCards.isEmpty, "\(logic): \(text)")
    }
    #expect(try assemble([ann], action: "a rose in the garden").firedCards.isEmpty, "secondary keys alone never fire")
}

@Test func withoutSecondaryKeysThePrimaryAloneDecidesWhateverTheLogic() throws {
    for logic in [PromptCardRules.SecondaryLogic.andAny, .andAll, .notAny, .notAll] {
        let ann = card("Ann", rules: PromptCardRules(secondaryLogic: logic))
        #expect(included(try assemble([ann], action: "Ann waves")) == ["Ann"], "\(logic)")
    }
}

@Test func secondaryKeysAreSearchedInTheCardsOwnWindowWithTheSameMatchingRules() throws {
    let ann = card("Ann", rules: PromptCardRules(secondaryKeys: ["garden", "/ros(e|es)/i"], secondaryLogic: .andAll, scanDepth: 1))
    // "garden" two turns back is outside Ann's window of one turn.
    #expect(try assemble([ann], history: ["Ann's garden.", "Quiet.", "Ann holds ROSES."], action: "").firedCards.isEmpty)
    #expect(included(try assemble([ann], history: ["Ann's garden.", "Quiet.", "Ann's garden, ROSES."], action: "")) == ["Ann"])
    // Whole words: "gardener" is not "garden".
    #expect(try assemble([ann], action: "Ann the gardener, roses").firedCards.isEmpty)
}

// MARK: Constant and disabled

@Test func constantCardsNeedNoKeysAndDisabledCardsNeverFire() throws {
    let fog = card("Fog", keys: [], description: "Fog lies on the town.", rules: PromptCardRules(constant: true))
    let ann = card("Ann", rules: PromptCardRules(enabled: false))
    let offConstant = card("Bell", keys: [], rules: PromptCardRules(constant: true, enabled: false))
    let prompt = try assemble([fog, ann, offConstant], action: "Ann rings the Bell")
    #expect(prompt.firedCards.map(\.name) == ["Fog"])
    #expect(prompt.firedCards.first?.trigger == .constant)
    #expect(prompt.firedCards.first?.key == nil)
    #expect(prompt.text(of: .cards) == "[Fog (other): Fog lies on the town.]")
    // Named as well, a constant card is still listed as constant, once.
    let named = try assemble([card("Fog", rules: PromptCardRules(constant: true))], action: "the Fog")
    #expect(named.firedCards.map(\.trigger) == [.constant])
}

// MARK: Scan depth

@Test func eachCardSearchesItsOwnNumberOfTurns() throws {
    let history = ["Ann, Mill and Key.", "Ann, Mill and Key.", "a", "b", "c", "d"]
    let shallow = card("Ann", rules: PromptCardRules(scanDepth: 1))
    let usual = card("Mill")
    let deep = card("Key", rules: PromptCardRules(scanDepth: 5))
    // The setting (4) reaches turns 2-5; the deep card reaches turn 1; the shallow one only turn 5.
    let prompt = try assemble([shallow, usual, deep], history: history, scanDepth: 4)
    #expect(prompt.firedCards.map(\.name) == ["Key"])
    let wider = try assemble([shallow, usual, deep], history: history, scanDepth: 5)
    #expect(Set(wider.firedCards.map(\.name)) == ["Mill", "Key"])
    // Depth 0 is the action alone.
    let actionOnly = card("Ann", rules: PromptCardRules(scanDepth: 0))
    #expect(try assemble([actionOnly], history: ["Ann"], action: "").firedCards.isEmpty)
    #expect(included(try assemble([actionOnly], history: ["x"], action: "Ann")) == ["Ann"])
}

@Test func aScanDeeperThanAPageLoadsTheTurnsItNeeds() throws {
    var history = Array(repeating: "rain", count: 150)
    history[20] = "The lighthouse."
    let deep = card("Lighthouse", rules: PromptCardRules(scanDepth: 140))
    #expect(included(try assemble([deep], history: history, pageSize: 16)) == ["Lighthouse"])
    let short = card("Lighthouse", rules: PromptCardRules(scanDepth: 120))
    #expect(try assemble([short], history: history, pageSize: 16).firedCards.isEmpty)
}

// MARK: Recursion

private let chain = [
    card("Ada", description: "Ada works for Bram."),
    card("Bram", description: "Bram owes Cole money."),
    card("Cole", description: "Cole is a moneylender."),
]

@Test func recursionFollowsCardTextsForTheSetNumberOfRounds() throws {
    let two = try assemble(chain, action: "Ada arrives", recursionDepth: 2)
    #expect(two.firedCards.map(\.name) == ["Ada", "Bram", "Cole"])
    #expect(two.firedCards.map(\.trigger) == [.story, .card, .card])
    #expect(two.firedCards.map(\.firedBy) == [nil, "c-ada", "c-bram"])
    #expect(two.firedCards.map(\.key) == ["Ada", "Bram", "Cole"])
    #expect(two.firedCards.allSatisfy { $0.included })
    #expect(try assemble(chain, action: "Ada arrives", recursionDepth: 1).firedCards.map(\.name) == ["Ada", "Bram"])
    #expect(try assemble(chain, action: "Ada arrives", recursionDepth: 0).firedCards.map(\.name) == ["Ada"])
}

@Test func excludeAndPreventRecursionCutTheChain() throws {
    var excluded = chain
    excluded[1].rules.excludeRecursion = true
    #expect(try assemble(excluded, action: "Ada arrives").firedCards.map(\.name) == ["Ada"])
    // An excluded card still fires from the story, and its text still fires others.
    #expect(try assemble(excluded, action: "Bram arrives").firedCards.map(\.name) == ["Bram", "Cole"])

    var prevented = chain
    prevented[1].rules.preventRecursion = true
    #expect(try assemble(prevented, action: "Ada arrives").firedCards.map(\.name) == ["Ada", "Bram"])
    prevented[0].rules.preventRecursion = true
    #expect(try assemble(prevented, action: "Ada arrives").firedCards.map(\.name) == ["Ada"])
}

@Test func cardsLeftOutByTheirRollDoNotFireOthers() throws {
    var lost = chain
    lost[0].rules.probability = 0
    let prompt = try assemble(lost, action: "Ada arrives")
    #expect(prompt.firedCards.map(\.name) == ["Ada"])
    #expect(prompt.firedCards.first?.leftOut == .probability)
}

// MARK: Probability

@Test func rollsAreReproducibleAndDependOnEveryInput() {
    let roll = CardRoll.percent(adventureID: "adv_1", cardID: "crd_1", turnIndex: 7, version: 0)
    #expect(roll == CardRoll.percent(adventureID: "adv_1", cardID: "crd_1", turnIndex: 7, version: 0))
    // Over a range of each input, the roll takes many values: each input is part of it.
    #expect(Set((0..<50).map { CardRoll.percent(adventureID: "adv_1", cardID: "crd_1", turnIndex: 7, version: $0) }).count > 20)
    #expect(Set((0..<50).map { CardRoll.percent(adventureID: "adv_1", cardID: "crd_1", turnIndex: $0, version: 0) }).count > 20)
    #expect(Set((0..<50).map { CardRoll.percent(adventureID: "adv_1", cardID: "crd_\($0)", turnIndex: 7, version: 0) }).count > 20)
    #expect(Set((0..<50).map { CardRoll.percent(adventureID: "adv_\($0)", cardID: "crd_1", turnIndex: 7, version: 0) }).count > 20)
}

@Test func rollsAreSpreadEvenly() {
    var buckets = [Int](repeating: 0, count: 10)
    let count = 20_000
    for turn in 0..<count {
        let roll = CardRoll.percent(adventureID: "adv_x", cardID: "crd_y", turnIndex: turn, version: turn % 3)
        #expect((0..<100).contains(roll))
        buckets[roll / 10] += 1
    }
    // Each tenth expects 2,000; a fair die strays by about 42 (one standard deviation).
    for bucket in buckets { #expect(abs(bucket - count / 10) < 250, "\(buckets)") }
}

@Test func aCardIsIncludedExactlyWhenItsRollIsUnderItsProbability() throws {
    for turn in 0..<40 {
        let ann = card("Ann", rules: PromptCardRules(probability: 50))
        let moment = PromptMoment(adventureID: "adv_p", answerIndex: turn, version: 1)
        let prompt = try assemble([ann], action: "Ann", moment: moment)
        let expected = CardRoll.percent(adventureID: "adv_p", cardID: "c-ann", turnIndex: turn, version: 1) < 50
        #expect(prompt.firedCards.count == 1)
        #expect(prompt.firedCards[0].included == expected)
        #expect(prompt.firedCards[0].leftOut == (expected ? nil : .probability))
        #expect(try assemble([ann], action: "Ann", moment: moment).firedCards == prompt.firedCards, "the same inputs roll the same")
    }
    #expect(included(try assemble([card("Ann", rules: PromptCardRules(probability: 100))], action: "Ann")) == ["Ann"])
    #expect(try assemble([card("Ann", rules: PromptCardRules(probability: 0))], action: "Ann").firedCards.map(\.leftOut) == [.probability])
}

// MARK: Groups and order

@Test func ofAGroupOnlyTheHighestOrderIsIncluded() throws {
    let cards = [
        card("Low", rules: PromptCardRules(order: 10, group: "weather")),
        card("High", rules: PromptCardRules(order: 50, group: "weather")),
        card("Tied", rules: PromptCardRules(order: 50, group: "weather")),
        card("Free", rules: PromptCardRules(order: 1)),
    ]
    // Tied is mentioned last, so it fired first and wins the tie with High.
    let prompt = try assemble(cards, action: "Low High Free Tied")
    #expect(prompt.firedCards.map(\.name) == ["Tied", "Free", "High", "Low"])
    #expect(prompt.firedCards.map(\.leftOut) == [nil, nil, .group, .group])
    #expect(prompt.text(of: .cards) == "[Tied (other)]\n[Free (other)]")
    // A group whose winner fired in an earlier round keeps it against a later round's higher order.
    let recursive = [
        card("Ada", description: "Ada knows Storm.", rules: PromptCardRules(order: 1, group: "g")),
        card("Storm", rules: PromptCardRules(order: 99, group: "g")),
    ]
    #expect(try assemble(recursive, action: "Ada").firedCards.map(\.leftOut) == [nil, .group])
}

@Test func whenTheBudgetIsShortHigherOrderIsKeptFirst() throws {
    let long = String(repeating: "A long account of the past. ", count: 20)
    let cards = [
        card("Minor", description: long, rules: PromptCardRules(order: 10)),
        card("Major", description: long, rules: PromptCardRules(order: 200)),
        card("Other", description: long, rules: PromptCardRules(order: 10)),
    ]
    // Room for about one card: Minor is the most recent mention, but Major's order wins.
    let prompt = try assemble(cards, action: "Other, Major, Minor", context: 800)
    #expect(prompt.firedCards.map(\.name) == ["Minor", "Major", "Other"])
    #expect(prompt.firedCards.map(\.leftOut) == [.budget, nil, .budget])
    // Among equal orders the most recently mentioned is kept.
    let equal = cards.map { var card = $0; card.rules.order = 100; return card }
    #expect(try assemble(equal, action: "Other, Major, Minor", context: 800).firedCards.map(\.leftOut) == [nil, .budget, .budget])
}

// MARK: Positions

@Test func cardsGoWhereTheirPositionSays() throws {
    let cards = [
        card("Before", description: "b."),
        card("After", description: "a.", rules: PromptCardRules(position: .afterHistory)),
        card("Newest", description: "n.", rules: PromptCardRules(position: .atDepth(0))),
        card("Deep", description: "d.", rules: PromptCardRules(position: .atDepth(2))),
        card("Past", description: "p.", rules: PromptCardRules(position: .atDepth(99))),
    ]
    let history = ["T0 Before After Newest Deep Past.", "T1.", "T2.", "T3."]
    let prompt = try assemble(cards, history: history, action: "wait", authorsNotes: "Dread.")
    #expect(prompt.sections.map(\.kind) == [.system, .cards, .history, .cardsAfterHistory, .authorsNotes, .action])
    #expect(prompt.text(of: .cards) == "[Before (other): b.]")
    #expect(prompt.text(of: .cardsAfterHistory) == "[After (other): a.]")
    #expect(prompt.text(of: .history) == """
        [Past (other): p.]

        T0 Before After Newest Deep Past.

        > You T1.

        [Deep (other): d.]

        T2.

        > You T3.

        [Newest (other): n.]
        """)
    #expect(prompt.storyText.hasPrefix("[Past (other): p.]"))
    #expect(prompt.storyText.hasSuffix("[Newest (other): n.]\n\n[After (other): a.]\n\n[Author's note: Dread.]\n\n> You wait."))
    #expect(!prompt.systemText.contains("[After"))
    #expect(prompt.systemText.contains("[Before"))
    #expect(prompt.totalTokens == prompt.sections.reduce(0) { $0 + $1.tokens })
}

@Test func cardsAtADepthComeOutOfTheHistorysRoom() throws {
    let big = String(repeating: "Much to say here. ", count: 40)
    let history = (0..<120).map { "Turn \($0) " + String(repeating: "word ", count: 10) + ($0 == 119 ? "Ann" : "") }
    let none = try assemble([], history: history, context: 1200)
    let atDepth = try assemble([card("Ann", description: big, rules: PromptCardRules(position: .atDepth(1)))], history: history, context: 1200)
    #expect(included(atDepth) == ["Ann"])
    #expect(!none.droppedTurns.isEmpty, "without the card the history alone is over the budget")
    #expect(atDepth.includedTurns.count < none.includedTurns.count)
    #expect(atDepth.totalTokens <= atDepth.budgetTokens)
}

// MARK: Timed effects

private func moment(_ answer: Int, activated: [(Int, [String])] = []) -> PromptMoment {
    PromptMoment(adventureID: "adv", answerIndex: answer, activations: activated.map { CardActivation(turnIndex: $0.0, cardIDs: $0.1) })
}

@Test func stickyKeepsACardThenCooldownHoldsItBack() throws {
    let ann = card("Ann", rules: PromptCardRules(sticky: 2, cooldown: 2))
    let activated = [(5, ["c-ann"])]
    // Activated for the ai turn at 5: sticky for answers 6 and 7, with no mention needed.
    for answer in [6, 7] {
        let prompt = try assemble([ann], action: "nothing here", moment: moment(answer, activated: activated))
        #expect(prompt.firedCards.map(\.trigger) == [.sticky], "answer \(answer)")
        #expect(prompt.firedCards.first?.key == nil)
        #expect(prompt.activatedCardIDs.isEmpty, "a sticky carry-over is not a fresh activation")
    }
    // Cooling down for 8 and 9 even when named; free again at 10.
    for answer in [8, 9] {
        #expect(try assemble([ann], action: "Ann", moment: moment(answer, activated: activated)).firedCards.isEmpty, "answer \(answer)")
    }
    let free = try assemble([ann], action: "Ann", moment: moment(10, activated: activated))
    #expect(free.firedCards.map(\.trigger) == [.story])
    #expect(free.activatedCardIDs == ["c-ann"])
    // An activation at or after the answer's index (the turn a retry replaces) does not count.
    #expect(try assemble([ann], action: "", moment: moment(5, activated: activated)).firedCards.isEmpty)
    // Only the latest activation counts.
    #expect(try assemble([ann], action: "", moment: moment(12, activated: [(5, ["c-ann"]), (11, ["c-ann"])])).firedCards.map(\.trigger) == [.sticky])
}

@Test func cooldownAloneCountsFromTheActivation() throws {
    let ann = card("Ann", rules: PromptCardRules(cooldown: 1))
    #expect(try assemble([ann], action: "Ann", moment: moment(4, activated: [(3, ["c-ann"])])).firedCards.isEmpty)
    #expect(try assemble([ann], action: "Ann", moment: moment(5, activated: [(3, ["c-ann"])])).activatedCardIDs == ["c-ann"])
}

@Test func delayHoldsACardBackUntilTheStoryIsLongEnough() throws {
    let ann = card("Ann", rules: PromptCardRules(delay: 3))
    let fog = card("Fog", keys: [], rules: PromptCardRules(constant: true, delay: 3))
    #expect(try assemble([ann, fog], action: "Ann", moment: moment(2)).firedCards.isEmpty)
    #expect(try assemble([ann, fog], action: "Ann", moment: moment(3)).firedCards.map(\.name) == ["Ann", "Fog"])
}

@Test func onlyCardsWithTimedEffectsAreRecordedAsActivated() throws {
    let cards = [
        card("Ann", rules: PromptCardRules(sticky: 1)), card("Bo"), card("Cy", rules: PromptCardRules(probability: 0, cooldown: 3)),
    ]
    let prompt = try assemble(cards, action: "Ann Bo Cy", moment: moment(1))
    #expect(prompt.activatedCardIDs == ["c-ann"], "Bo has no timed effect; Cy lost its roll")
    #expect(CardIndex(cards: cards).timedSpan == 3)
    #expect(CardIndex(cards: [card("Bo")]).timedSpan == 0)
}

@Test func aStickyCardKeepsItsGroupAndDisabledStickyCardsDrop() throws {
    let cards = [
        card("Rain", rules: PromptCardRules(order: 1, sticky: 3, group: "weather")),
        card("Snow", rules: PromptCardRules(order: 90, group: "weather")),
    ]
    let prompt = try assemble(cards, action: "Snow", moment: moment(4, activated: [(3, ["c-rain"])]))
    #expect(prompt.firedCards.map(\.name) == ["Rain", "Snow"])
    #expect(prompt.firedCards.map(\.leftOut) == [nil, .group])
    var disabled = cards
    disabled[0].rules.enabled = false
    #expect(try assemble(disabled, action: "Snow", moment: moment(4, activated: [(3, ["c-rain"])])).firedCards.map(\.name) == ["Snow"])
}

@Test func aSecondaryKeySharedByManyCardsCountsForEachOfThem() throws {
    let cards = [
        card("Ann", rules: PromptCardRules(secondaryKeys: ["rain"], secondaryLogic: .andAny)),
        card("Bo", rules: PromptCardRules(secondaryKeys: ["rain"], secondaryLogic: .notAny)),
        card("Cy", rules: PromptCardRules(secondaryKeys: ["rain", "wind"], secondaryLogic: .andAll)),
    ]
    #expect(Set(included(try assemble(cards, action: "Ann, Bo and Cy in the rain"))) == ["Ann"])
    #expect(Set(included(try assemble(cards, action: "Ann, Bo and Cy in the wind and rain"))) == ["Ann", "Cy"])
    #expect(Set(included(try assemble(cards, action: "Ann, Bo and Cy"))) == ["Bo"])
}

@Test func regexKeysAreJudgedByTheTurnTheyAreIn() throws {
    let ann = card("Ann", keys: ["/an+e?/i"], rules: PromptCardRules(scanDepth: 1))
    #expect(try assemble([ann], history: ["ANNE", "x", "y"], action: "").firedCards.isEmpty)
    #expect(included(try assemble([ann], history: ["x", "y", "ANNE"], action: "")) == ["Ann"])
    #expect(try assemble([ann], history: ["x", "ANNE", "y"], action: "").firedCards.isEmpty)
}
