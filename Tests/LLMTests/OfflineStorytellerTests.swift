import ImaginAICore
import Testing
@testable import LLM

private let cards = [
    PromptCard(id: "c1", type: "character", name: "Brannoch Tull", description: """
        Gullwick's ferryman: broad, grey-bearded, a man of few words who rows out to the Rock when the Stair is under water. \
        Owed Ottoline a debt he won't name and feels he failed her. Refuses to set foot on the island after dusk, and will not say why.
        """, keys: ["Brannoch", "ferryman"]),
    PromptCard(id: "c2", type: "location", name: "Morrow Rock Lighthouse", description: """
        A squat granite tower on a tidal island a mile off Gullwick. Ground floor: store room with oil casks and coal. \
        Top: the lamp room, reached by ninety-one iron steps.
        """, keys: ["lighthouse", "lamp room", "the tower"]),
    PromptCard(id: "c3", type: "item", name: "The Keeper's Ledger", description: """
        A thick, salt-stained logbook of weather, oil used and ships sighted, kept by every keeper for a century. \
        Its last pages grow strange: lists of voices heard, tide times circled, and a final warning: "Do not answer it in her voice."
        """, keys: ["ledger", "logbook"]),
]

private let opening = """
    Brannoch Tull ships his oars without a word, and the boat noses against the steps of the lighthouse.

    "Tide turns at nine," Brannoch says, looking anywhere but at the tower.

    You climb to the keeper's room. A ledger lies open on the table. Down on the water, Brannoch's oars are already creaking away.
    """

private func request(_ story: String, action: String?, seed: UInt64 = 7, max: Int = 200, earlier: [String] = []) -> GenerationRequest {
    GenerationRequest(system: "", story: story, action: action, maxOutputTokens: max, seed: seed, cards: cards, earlierAnswers: earlier)
}

private func run(_ request: GenerationRequest, delay: Int = 0) async throws -> (text: String, chunks: [String], finish: FinishReason?, usage: ModelUsage?) {
    var chunks: [String] = []
    var finish: FinishReason?
    var usage: ModelUsage?
    for try await event in OfflineStoryteller(delayMilliseconds: delay).stream(request) {
        switch event {
        case .text(let text): chunks.append(text)
        case .finished(let reason, let reported): finish = reason; usage = reported
        }
    }
    return (chunks.joined(), chunks, finish, usage)
}

@Test func theSameSeedTellsTheSameStoryAndAnotherSeedAnother() async throws {
    let story = opening + "\n\n> You open the ledger."
    let first = try await run(request(story, action: "open the ledger", seed: 42))
    let again = try await run(request(story, action: "open the ledger", seed: 42))
    let other = try await run(request(story, action: "open the ledger", seed: 43))
    #expect(first.text == again.text && first.chunks == again.chunks)
    #expect(first.text != other.text)
}

@Test func itStreamsWordByWordAndReportsAnEstimate() async throws {
    let result = try await run(request(opening + "\n\n> You look around.", action: "look around"))
    #expect(result.chunks.count > 10)
    #expect(result.chunks.dropFirst().allSatisfy { $0.hasPrefix(" ") })
    #expect(result.usage?.source == .estimate)
    #expect(result.finish == .stop)
}

@Test func itEndsOnAWholeSentenceWithinTheBudget() async throws {
    for max in [3, 6, 20, 45, 90, 200] {
        let result = try await run(request(opening + "\n\n> You open the ledger.", action: "open the ledger", max: max))
        #expect(TokenEstimator.estimate(result.text) <= max, "\(max): \(result.text)")
        #expect(!result.text.isEmpty)
        if result.finish == .stop {
            #expect(result.text.last.map { ".!?\"”".contains($0) } == true, "\(max): \(result.text)")
        } else {
            #expect(Prose.sentences(result.text).count == 1, "cut only when not one sentence fits: \(result.text)")
        }
    }
}

@Test func cancellingStopsTheStream() async throws {
    let task = Task { try await run(request(opening + "\n\n> You look around.", action: "look around", max: 400), delay: 50) }
    try await Task.sleep(for: .milliseconds(120))
    task.cancel()
    #expect(try await task.value.chunks.count < 10)
}

@Test func theActionsObjectGetsAConsequenceAndTheStateIsKept() async throws {
    for seed in 0..<10 as Range<UInt64> {
        let lit = try await run(request(opening + "\n\n> You light the lamp in the tower.", action: "light the lamp in the tower", seed: seed)).text
        #expect(lit.lowercased().contains("lamp"), "seed \(seed): \(lit)")
        #expect(!lit.contains("already"), "seed \(seed): \(lit)")
        // Lit once, it is already burning the second time.
        let again = try await run(request(opening + "\n\n> You light the lamp.\n\n" + lit + "\n\n> You light the lamp.", action: "light the lamp", seed: seed)).text
        #expect(again.contains("already") || again.contains("still burns"), "seed \(seed): \(again)")
        // A door found locked stays locked.
        let locked = opening + "\n\n> You open the door.\n\nThe door will not open; it is locked fast.\n\n> You open the door."
        let tried = try await run(request(locked, action: "open the door", seed: seed)).text
        #expect(tried.contains("locked"), "seed \(seed): \(tried)")
    }
}

@Test func someoneWhoLeftDoesNotAnswer() async throws {
    // The opening ends with Brannoch rowing away ("Brannoch's oars are creaking away"): nobody is left to answer.
    for seed in 0..<10 as Range<UInt64> {
        let said = try await run(request(opening + "\n\n> You say \"Is anyone here?\"", action: "Is anyone here?", seed: seed)).text
        #expect(!said.contains("Brannoch Tull says") && !said.hasPrefix("Brannoch"), "seed \(seed): \(said)")
        let addressed = try await run(request(opening + "\n\n> You say \"Brannoch, wait!\"", action: "Brannoch, wait!", seed: seed)).text
        #expect(addressed.contains("not here") || addressed.contains("is gone"), "seed \(seed): \(addressed)")
    }
    // Someone who is here answers.
    let present = "Brannoch Tull stands by the stove, dripping.\n\n> You say \"What happened to Ottoline?\""
    let answer = try await run(request(present, action: "What happened to Ottoline?")).text
    #expect(answer.contains("Brannoch Tull"), "\(answer)")
}

@Test func aRetryNeverRepeatsAnEarlierVersion() async throws {
    let story = opening + "\n\n> You wind the clockwork."
    var earlier: [String] = []
    for version in 0..<6 as Range<UInt64> {
        let text = try await run(request(story, action: nil, seed: version, earlier: earlier)).text
        let keys = Set(Prose.sentences(text).map(Prose.key))
        for previous in earlier {
            #expect(keys.isDisjoint(with: Prose.sentences(previous).map(Prose.key)), "version \(version): \(text)")
        }
        earlier.append(text)
    }
}

@Test func noSentenceOfTheStoryInViewIsToldAgain() async throws {
    var story = opening
    var told: [String] = []
    for turn in 0..<30 {
        let action = ["look around", "listen", "wait", "read the ledger", "open the door"][turn % 5]
        story += "\n\n> You \(action)."
        let text = try await run(request(story, action: action, seed: UInt64(turn))).text
        let keys = Prose.sentences(text).map(Prose.key)
        for key in keys { #expect(!told.suffix(60).contains(key), "turn \(turn): \(key)") }
        told += keys
        story += "\n\n" + text
    }
}

@Test func cardsAreReadIntoWholeSentencesAndDescriptions() {
    let card = StoryCard(cards[0], properNouns: ["Gullwick", "Ottoline", "Rock", "Stair"])
    #expect(card.kind == .character && card.shortName == "Brannoch" && card.pronoun == .he)
    let facts = card.facts.map { "\($0.form): \($0.text)" }
    #expect(facts.contains("description: Gullwick's ferryman, broad, grey-bearded, a man of few words who rows out to the Rock when the Stair is under water"), "\(facts)")
    #expect(facts.contains("clause: Brannoch Tull owed Ottoline a debt he won't name and feels he failed her."), "\(facts)")
    #expect(facts.contains("clause: Brannoch Tull refuses to set foot on the island after dusk, and will not say why."), "\(facts)")

    let place = StoryCard(cards[1], properNouns: ["Gullwick"])
    #expect(place.facts.map(\.text) == ["a squat granite tower on a tidal island a mile off Gullwick"], "headings are not facts: \(place.facts)")

    let ledger = StoryCard(cards[2], properNouns: [])
    #expect(ledger.facts.first?.form == .description)
    #expect(ledger.facts.contains { $0.form == .clause && $0.text.hasPrefix("The Keeper's Ledger's last pages grow strange") }, "\(ledger.facts)")

    let dialogue = StoryCard(PromptCard(id: "d", type: "", name: "glade", description: """
        {{user}}: "What is the glade?"
        {{char}}: *Seraphina smiles softly, her eyes sparkling.* "This is my forest glade, a haven of safety I've warded with ancient magic. No foul beast may enter."
        """, keys: ["glade"]), properNouns: [])
    #expect(dialogue.name == "Glade")
    #expect(dialogue.facts.map(\.form).allSatisfy { $0 == .quote }, "\(dialogue.facts)")
    #expect(dialogue.facts.map(\.text).contains("No foul beast may enter."))
    #expect(!dialogue.facts.contains { $0.text.contains("Seraphina") || $0.text.contains("What is") })
}

@Test(arguments: ["the lamp", "the rations"])
func everyRuleOfTheGrammarIsAWholeSentence(object: String) {
    var random = SeededRandom(seed: 3)
    let others = ["dest": "the quay", "name": "Mira", "poss": "her", "action": "wind the clock", "key": "the iron key", "desc": "a tall woman",
                  "clause": "the tide turns at nine.", "quote": "The tide turns at nine.", "quoteNoStop": "The tide turns at nine",
                  "lit": "the lamp", "carried": "the key", "open": "the door", "topic": "the ferry"]
    let values = Narrator.withCapitals(Narrator.objectSlots(object).merging(others) { $1 })
    let grammar = StoryGrammar.base.with(values).with("elementLine", StoryGrammar.elementLines.values.flatMap { $0 })
    // Slots that are parts of a sentence, not sentences.
    let parts: Set<String> = ["flame", "lightSpreads", "aSound", "condition", "clue", "manner", "manner2", "away", "where", "soundEvent", "coda", "thingCoda", "restTime"]
    for rule in grammar.rules.keys where rule.first?.isLowercase == true && values[rule] == nil && !parts.contains(rule) && !rule.hasSuffix("Does") {
        for _ in 0..<200 {
            let sentence = Narrator.tidy(grammar.expand("{\(rule)}", &random))
            #expect(!sentence.contains("{"), "\(rule): \(sentence)")
            #expect(Prose.quotesBalanced(sentence), "\(rule): \(sentence)")
            #expect(Prose.sentences(sentence).allSatisfy(Prose.hasVerb), "\(rule): \(sentence)")
            if object == "the rations" {
                for wrong in ["rations is", "rations comes", "rations opens", "rations gives", "rations stays", "take it", "keep it"] {
                    #expect(!sentence.contains(wrong), "\(rule): \(sentence)")
                }
            }
        }
    }
}

@Test func actionsAreReadForVerbObjectAndDestination() {
    let lamp = PlayerAction.reading(do: "I light my lamp in the tower", previousObject: "")
    #expect(lamp.verbClass == .light && lamp.object == "your lamp" && lamp.head == "lamp")
    let pick = PlayerAction.reading(do: "pick up the iron key", previousObject: "")
    #expect(pick.verbClass == .take && pick.object == "the iron key")
    let move = PlayerAction.reading(do: "climb the stairs to the lamp room", previousObject: "")
    #expect(move.verbClass == .move && move.destination == "the lamp room")
    let it = PlayerAction.reading(do: "open it", previousObject: "the trunk")
    #expect(it.object == "the trunk")
    let around = PlayerAction.reading(do: "look around", previousObject: "the trunk")
    #expect(around.verbClass == .look && around.object.isEmpty)
}

@Test func proseIsSplitIntoSentencesAsAReaderWould() {
    #expect(Prose.sentences("\"Wait!\" she says. Mr. Vance left at nine. Then silence…") == ["\"Wait!\" she says.", "Mr. Vance left at nine.", "Then silence…"])
    #expect(Prose.quotesBalanced("He says, \"Go.\"") && !Prose.quotesBalanced("He says, \"Go."))
    #expect(Prose.hasVerb("The lamp burns.") && !Prose.hasVerb("Down on the water, always three times."))
    #expect(Prose.key("Outside,  the Fog  rolls in!") == "outside the fog rolls in")
}

@Test func seededRandomIsStable() {
    var random = SeededRandom(seed: 1)
    #expect(random.next() == 10451216379200822465)
}

@Test func speechIsToWhoItNamesFirstOrLastNotAboutWhom() {
    #expect(Narrator.isVocative("wren, are you there?", at: 0))
    #expect(Narrator.isVocative("are you there, wren?", at: 15))
    #expect(!Narrator.isVocative("what happened to ottoline?", at: 17))
}

@Test func aQuestionAboutSomeoneAbsentIsNotTakenAsCallingThem() async throws {
    for seed in 0..<10 as Range<UInt64> {
        let said = try await run(request(opening + "\n\n> You say \"What happened to Brannoch?\"", action: "What happened to Brannoch?", seed: seed)).text
        #expect(!said.contains("not here") && !said.contains("is gone"), "seed \(seed): \(said)")
    }
}

@Test func someoneCalledByNameWhoHasNotGoneForGoodMayCome() async throws {
    let wren = PromptCard(id: "w", type: "character", name: "Wren Abernathy", description: "A thin, fierce girl of about twelve who mudlarks the flats for copper and bottle-glass.", keys: ["Wren"])
    let vanished = PromptCard(id: "o", type: "character", name: "Ottoline Vance", description: "The previous keeper. Vanished with her oilskin and lantern.", keys: ["Ottoline"])
    var came = 0
    for seed in 0..<12 as Range<UInt64> {
        for (card, name) in [(wren, "Wren"), (vanished, "Ottoline")] {
            let story = "The keeper's room is cold.\n\n> You say \"\(name), are you there?\""
            let text = try await run(GenerationRequest(system: "", story: story, action: "\(name), are you there?", maxOutputTokens: 200, seed: seed, cards: [card])).text
            // Came: the answer has them in the scene (as its subject or speaker, not leaving).
            let answered = !StoryState.presence(in: [text], cards: [StoryCard(card, properNouns: [])]).isEmpty
            if card.id == "o" {
                #expect(!answered, "a vanished character never comes: \(text)")
            } else if answered {
                came += 1
            }
        }
    }
    #expect(came > 0 && came < 12, "Wren came \(came) times in 12")
}

@Test func thePlaceIsKnownFromEveryCardNotOnlyThoseThatFired() {
    let places = [StoryCard(PromptCard(id: "p", type: "location", name: "Morrow Rock Lighthouse", description: "", keys: ["lighthouse", "the tower", "keeper's room"]), properNouns: [])]
    let ledger = StoryCard(cards[2], properNouns: [])
    let state = StoryState(story: opening, cards: [ledger], places: places, dropCurrentAction: false)
    #expect(state.place == "Morrow Rock Lighthouse")
    #expect(state.placeCard == nil, "the card did not fire, so it has no facts to tell")
    let moved = StoryState(story: opening + "\n\n> You walk to the lighthouse.", cards: [ledger], places: places, dropCurrentAction: false)
    #expect(moved.place == "the lighthouse")
}

@Test func theNewestParagraphsAreFoundFromTheEndAsASplitWouldFindThem() {
    func reference(_ story: String, _ count: Int) -> (paragraphs: [String], more: Bool) {
        let all = story.split(separator: "\n\n").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty && !$0.hasPrefix("[Author's note") }
        return (Array(all.suffix(count)), all.count > count)
    }
    var random = SeededRandom(seed: 5)
    let pieces = ["a", "b c", "\n", "\n\n", "\n\n\n", " ", "[Author's note: x]", "> You go.", "é"]
    for _ in 0..<500 {
        let story = (0..<Int.random(in: 0..<12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        for count in [1, 2, 5, 64] {
            let found = StoryState.newestParagraphs(of: story, count: count)
            let expected = reference(story, count)
            #expect(found.paragraphs == expected.paragraphs, "\(story.debugDescription) \(count)")
            // Reading stops at the count: whether more is left is only known when something is.
            if found.paragraphs.count < count { #expect(!found.more || expected.more) }
        }
    }
}

@Test func wordsAreFoundByBytesAsByCharacters() {
    func reference(_ needle: String, _ haystack: String) -> Bool {
        haystack.ranges(of: needle).contains { found in
            let before = found.lowerBound == haystack.startIndex ? nil : haystack[haystack.index(before: found.lowerBound)]
            let after = found.upperBound == haystack.endIndex ? nil : haystack[found.upperBound]
            return (before.map { !$0.isLetter && !$0.isNumber } ?? true) && (after.map { !$0.isLetter && !$0.isNumber } ?? true)
        }
    }
    var random = SeededRandom(seed: 8)
    let pieces = ["ab", "a", "b", " ", ",", "'s", "é", "1", "-", "ba"]
    for _ in 0..<2000 {
        let haystack = (0..<Int.random(in: 0..<10, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        let needle = (0..<Int.random(in: 1..<3, using: &random)).map { _ in ["ab", "a", "b", "ba"].randomElement(using: &random)! }.joined()
        #expect(StoryCard.containsWord(haystack, needle) == reference(needle, haystack), "\(needle) in \(haystack.debugDescription)")
        #expect(Prose.contains(needle, in: haystack) == haystack.contains(needle))
    }
}

// MARK: Memories

private let memories = ["Brannoch rows you across. The guard whispers: the password is heliotrope.", "The tide is low."]

private func withMemories(_ story: String, action: String, earlier: [String] = []) -> GenerationRequest {
    var request = request(story, action: action, earlier: earlier)
    request.memories = memories
    return request
}

@Test func aRecalledTurnTheActionAsksAboutIsRemembered() async throws {
    let answer = try await run(withMemories(opening + "\n\n> You say \"What was the password?\"", action: "What was the password?"))
    #expect(answer.text.hasPrefix("You remember: The guard whispers: the password is heliotrope."), "\(answer.text)")
    // Nothing in the memories is about the lamp: no recollection.
    let unrelated = try await run(withMemories(opening + "\n\n> You light the lamp.", action: "light the lamp"))
    #expect(!unrelated.text.contains("heliotrope"), "\(unrelated.text)")
}

@Test func aRecollectionIsNeverRepeated() async throws {
    let story = opening + "\n\n> You say \"What was the password?\""
    let first = try await run(withMemories(story, action: "What was the password?"))
    #expect(first.text.contains("heliotrope"))
    // A retry does not give it again, and neither does asking again once it is in view.
    let retry = try await run(withMemories(story, action: "What was the password?", earlier: [first.text]))
    #expect(!retry.text.contains("heliotrope"), "\(retry.text)")
    let again = try await run(withMemories(story + "\n\n" + first.text + "\n\n> You say \"The password?\"", action: "The password?"))
    #expect(!again.text.contains("heliotrope"), "\(again.text)")
}
