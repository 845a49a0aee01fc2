import ImaginAICore
import Testing
@testable import LLM

private let system = """
    You narrate a mystery on Morrow Rock. The lighthouse keeper, Ada Venn, has not lit the lamp for three nights.
    [Ada Venn (character): The keeper of Morrow Rock, stern and tired, who hides a brass key.]
    [The lantern room (location): The glass room at the top of the lighthouse, cold and salted.]
    """
private let story = """
    You climb the wet steps of the lighthouse. The door to the lantern room is locked. Gulls cry over the rocks. \
    Ada Venn watches you from the gallery with the brass key in her fist.

    > You ask Ada Venn about the lamp.
    """

private func request(seed: UInt64 = 7, max: Int = 120, names: [String] = ["Ada Venn"]) -> GenerationRequest {
    GenerationRequest(system: system, story: story, action: "ask Ada Venn about the lamp", mentionedNames: names, maxOutputTokens: max, seed: seed)
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

@Test func theSameSeedTellsTheSameStory() async throws {
    let first = try await run(request(seed: 42))
    let second = try await run(request(seed: 42))
    let other = try await run(request(seed: 43))
    #expect(first.text == second.text)
    #expect(!first.text.isEmpty)
    #expect(first.text != other.text || first.text.count < 40)
}

@Test func itStreamsWordByWordAndReportsAnEstimate() async throws {
    let result = try await run(request())
    #expect(result.chunks.count > 5)
    #expect(result.chunks.dropFirst().allSatisfy { $0.hasPrefix(" ") })
    #expect(result.usage?.source == .estimate)
    #expect((result.usage?.outputTokens ?? 0) > 0)
    #expect(result.finish != nil)
}

@Test func itMentionsTheCardsThePlayerBroughtUpAndFollowsTheAction() async throws {
    for seed in 0..<5 as Range<UInt64> {
        let result = try await run(request(seed: seed))
        #expect(result.text.contains("Ada Venn") || result.text.contains("lamp"), "seed \(seed): \(result.text)")
    }
}

@Test func itRespectsTheOutputLimit() async throws {
    for max in [10, 30, 60] {
        let result = try await run(request(max: max))
        #expect(TokenEstimatorProxy.estimate(result.text) <= max, "\(max): \(result.text)")
    }
}

@Test func cancellingStopsTheStream() async throws {
    let task = Task { try await run(request(max: 400), delay: 50) }
    try await Task.sleep(for: .milliseconds(120))
    task.cancel()
    let result = try await task.value
    #expect(result.chunks.count < 10)
}

@Test func tokenizerKeepsWordsAndPunctuation() {
    #expect(TrigramModel.tokenize("Ada's lamp-room, at last!") == ["Ada's", "lamp-room", ",", "at", "last", "!"])
    #expect(TrigramModel.attachPunctuation(["door", ",", "then", "."]) == ["door,", "then."])
}

@Test func seededRandomIsStable() {
    var random = SeededRandom(seed: 1)
    #expect(random.next() == 10451216379200822465)
}

enum TokenEstimatorProxy {
    static func estimate(_ text: String) -> Int { TokenEstimator.estimate(text) }
}

// MARK: The prose

/// Material as the story service sends it: plot essentials (with text meant for the model), the cards
/// the recent text fired, then the story so far.
private let morrowMaterial = """
    The player arrived today as the new keeper of Morrow Rock lighthouse, off the fishing village of Gullwick. \
    The lamp has been dark for twenty-two nights, since the previous keeper, Ottoline Vance, vanished.
    Hidden truth (reveal slowly): Ottoline let the lamp go dark on purpose. She is still alive somewhere in the fog.
    Write in the second person. Do not decide what the player does.
    PLOT ESSENTIALS

    [Brannoch Tull (character): Gullwick's ferryman: broad, grey-bearded, a man of few words who rows out to the Rock when the Stair is under water. Owed Ottoline a debt he won't name and feels he failed her. Refuses to set foot on the island after dusk, and will not say why.]
    [Morrow Rock Lighthouse (location): A squat granite tower on a tidal island a mile off Gullwick. Ground floor: store room with oil casks and coal. Middle: the keeper's room, with stove, bunk, table and the ledger. Top: the lamp room, reached by ninety-one iron steps, where the saltglass lens turns on a clockwork that must be wound every four hours.]
    [The Keeper's Ledger (item): A thick, salt-stained logbook of weather, oil used and ships sighted, kept by every keeper for a century. Ottoline's last pages grow strange: lists of voices heard, tide times circled, and a final warning.]
    [Gullwick (location): A fishing village of slate roofs and tarred sheds crowded around a stone harbor. Has a chapel, a chandlery, a net loft and one inn.]

    Brannoch Tull ships his oars without a word, and the boat noses against the weed-slick steps of Morrow Rock. \
    Above you the lighthouse rises out of the fog like a bone someone forgot to bury, its lamp room dark. It has been dark for twenty-two nights.

    "Tide turns at nine," Brannoch says, looking anywhere but at the tower. "After that the Stair's under, and nobody comes for you till morning." He does not offer to carry your trunk.

    You climb. The door at the top of the steps stands ajar, swollen with damp, and someone has scratched a row of tally marks into its paint at the height of a child's hand. \
    Inside, the keeper's room smells of lamp oil and cold tea. A ledger lies open on the table, the last entry in a cramped, furious hand: *Do not answer it in her voice.*

    Down on the water, the oars are already creaking away. The fog presses against the windows, patient as a held breath, and somewhere out in it a bell begins to ring: slow, deliberate, three times, from the direction of the causeway, where no bell has hung for forty years.

    > You look around the lamp room.
    """

private func morrow(_ action: String, line: String? = nil, seed: UInt64 = 7, max: Int = 200, names: [String] = ["The Keeper's Ledger", "Brannoch Tull"]) -> GenerationRequest {
    GenerationRequest(
        system: "", story: "It is an hour until dusk.\n\n" + (line ?? "> You \(action)."), action: action, mentionedNames: names,
        maxOutputTokens: max, seed: seed, material: morrowMaterial)
}

private func sentences(_ text: String) -> [String] {
    var result: [String] = []
    var current = ""
    for character in text {
        current.append(character)
        if ".!?".contains(character) {
            let sentence = current.trimmingWhitespace()
            if !sentence.isEmpty { result.append(sentence) }
            current = ""
        }
    }
    if !current.trimmingWhitespace().isEmpty { result.append(current.trimmingWhitespace()) }
    return result
}

private func words(_ text: String) -> [String] {
    TrigramModel.tokenize(text).filter { $0.first?.isLetter == true || $0.first?.isNumber == true }.map { $0.lowercased() }
}

@Test func metaTextIsNotToldAsStory() async throws {
    for seed in 0..<8 as Range<UInt64> {
        let text = try await run(morrow("open the logbook", seed: seed)).text
        for meta in ["player", "Hidden truth", "reveal slowly", "Write in", "PLOT", "Top:", "Middle:", "Ground floor:", "decide what"] {
            #expect(!text.contains(meta), "seed \(seed): \(text)")
        }
    }
    let material = StoryMaterial(morrowMaterial)
    #expect(!material.sentences.contains { $0.tokens.contains("player") })
    // Card fragments become sentences about the card, or are never where a sentence starts.
    let starts = material.sentences.filter(\.canStart).map { OfflineStoryteller.written($0.tokens).joined(separator: " ") }
    #expect(starts.contains("Gullwick is a fishing village of slate roofs and tarred sheds crowded around a stone harbor."))
    #expect(starts.contains("Gullwick has a chapel, a chandlery, a net loft and one inn."))
    #expect(starts.contains { $0.hasPrefix("Brannoch refuses to set foot on the island") })
    #expect(!starts.contains { $0.hasPrefix("A fishing village") || $0.hasPrefix("Has a chapel") || $0.hasPrefix("the lamp room") })
}

@Test func noSentenceIsToldTwiceInAnAnswer() async throws {
    for seed in 0..<10 as Range<UInt64> {
        for action in ["look around the lamp room", "open the logbook"] {
            let told = sentences(try await run(morrow(action, seed: seed, max: 400)).text)
            #expect(Set(told).count == told.count, "seed \(seed): \(told)")
        }
    }
}

@Test func theStorySoFarIsRecombinedNotCopied() async throws {
    let history = morrowMaterial.components(separatedBy: "\n\n").suffix(5).joined(separator: "\n")
    let historyWords = words(history)
    let limit = TrigramModel.copyLimit + 1
    var runs = Set<[String]>()
    for start in 0...(historyWords.count - limit) { runs.insert(Array(historyWords[start..<(start + limit)])) }
    for seed in 0..<10 as Range<UInt64> {
        let text = try await run(morrow("look around the lamp room", seed: seed, max: 400)).text
        let told = words(text)
        for sentence in sentences(history) where words(sentence).count > 6 {
            #expect(!text.contains(sentence), "seed \(seed) copies \(sentence)")
        }
        if told.count >= limit {
            for start in 0...(told.count - limit) {
                #expect(!runs.contains(Array(told[start..<(start + limit)])), "seed \(seed): \(told[start..<(start + limit)].joined(separator: " "))")
            }
        }
    }
}

@Test func theStoryIsDeterministicForASeed() async throws {
    let first = try await run(morrow("open the logbook", seed: 11))
    let again = try await run(morrow("open the logbook", seed: 11))
    let other = try await run(morrow("open the logbook", seed: 12))
    #expect(first.text == again.text && first.chunks == again.chunks)
    #expect(first.text != other.text)
}

@Test func itEndsOnAWholeSentenceWithinTheBudget() async throws {
    for max in [3, 6, 20, 45, 90, 200, 400] {
        let result = try await run(morrow("open the logbook", max: max))
        #expect(TokenEstimator.estimate(result.text) <= max, "\(max): \(result.text)")
        #expect(!result.text.isEmpty)
        if result.finish == .stop {
            #expect(result.text.last.map { ".!?…".contains($0) } == true, "\(max): \(result.text)")
        } else {
            // Cut only when not even one sentence fitted.
            #expect(sentences(result.text).count == 1, "\(max): \(result.text)")
        }
    }
    #expect(try await run(morrow("open the logbook", max: 200)).finish == .stop)
    #expect(try await run(morrow("open the logbook", max: 3)).finish == .length)
}

@Test func theAnswerRespondsToTheAction() async throws {
    for seed in 0..<8 as Range<UInt64> {
        let opened = try await run(morrow("open the logbook", seed: seed, names: [])).text
        #expect(opened.lowercased().contains("logbook"), "seed \(seed): \(opened)")
        let looked = try await run(morrow("I look around the lamp room", seed: seed, names: ["Morrow Rock Lighthouse"])).text
        #expect(looked.contains("lamp room") || looked.contains("Morrow Rock Lighthouse"), "seed \(seed): \(looked)")
        let said = try await run(morrow("Is anyone here?", line: "> You say \"Is anyone here?\"", seed: seed, names: ["Brannoch Tull"])).text
        #expect(said.hasPrefix("Brannoch Tull "), "seed \(seed): \(said)")
    }
    let alone = try await run(GenerationRequest(
        system: "", story: "> You say \"Hello?\"", action: "Hello?", maxOutputTokens: 100, seed: 1,
        material: "The fog presses against the windows of the empty room. Somewhere below, water drips on stone and the old stairs creak.")).text
    #expect(["No one", "Nothing", "Your words", "For a long"].contains { alone.hasPrefix($0) }, "\(alone)")
}

@Test func firstPersonActionsAreToldInTheSecond() {
    let model = TrigramModel(text: morrowMaterial)
    let reading = ActionReading(request: morrow("I light my lamp"), model: model)
    #expect(reading.phrase == ["You", "light", "your", "lamp"])
    #expect(reading.terms.first == ["lamp"])
}

// MARK: The learning window and the fast paths

@Test func theStorytellerLearnsFromTheNewestHistoryOnlyUpToItsWindow() {
    let history = (0..<10_000).map { "Paragraph \($0): the fog lies over the harbor and the bell rings twice." }.joined(separator: "\n\n")
    let material = OfflineStoryteller.learningMaterial(plotEssentials: "The plot.", cards: "[Ada (character): A keeper.]", history: history)
    #expect(material.hasPrefix("The plot.\n\n[Ada (character): A keeper.]\n\n"))
    #expect(material.hasSuffix("Paragraph 9999: the fog lies over the harbor and the bell rings twice."))
    #expect(!material.contains("Paragraph 0:"))
    let learnt = String(material.dropFirst("The plot.\n\n[Ada (character): A keeper.]\n\n".count))
    let tokens = TokenEstimatorProxy.estimate(learnt)
    #expect(tokens <= OfflineStoryteller.historyWindowTokens && tokens > OfflineStoryteller.historyWindowTokens - 40, "\(tokens)")
    // Whole paragraphs, newest ones, in story order.
    let numbers = learnt.components(separatedBy: "\n\n").map { Int($0.dropFirst(10).prefix { $0 != ":" }) ?? -1 }
    #expect(numbers == Array((10_000 - numbers.count)..<10_000))
}

@Test func aHistoryWithinTheWindowIsLearntWholeAsBefore() {
    let history = "You stand on the quay.\n\n> You look around.\n\nThe bell rings."
    let material = OfflineStoryteller.learningMaterial(plotEssentials: "The plot.", cards: nil, history: history)
    #expect(material == ["The plot.", history].joined(separator: "\n\n"))
    #expect(OfflineStoryteller.learningMaterial(plotEssentials: nil, cards: nil, history: nil).isEmpty)
}

@Test func theNewestParagraphIsKeptEvenWhenItAloneIsOverTheWindow() {
    let long = String(repeating: "word ", count: 500).trimmingWhitespace()
    #expect(OfflineStoryteller.newestParagraphs(of: "old\n\n" + long, tokens: 10) == long)
    #expect(OfflineStoryteller.newestParagraphs(of: "a\n\n\nb", tokens: 100) == "a\n\n\nb")
    #expect(OfflineStoryteller.newestParagraphs(of: "", tokens: 100) == "")
}

@Test func asciiTokenizingGivesTheSameTokensAsCharacterByCharacter() {
    let every = String((1..<128).map { Character(Unicode.Scalar(UInt8($0))) })
    var samples = [every, "Ada's lamp-room, at last!", "--'quoted' words-- and 'tis o'clock -", "x-", "'", "-", "a''b--c", "\r\nline\r\n"]
    var random = SeededRandom(seed: 9)
    for _ in 0..<300 {
        samples.append(String((0..<Int.random(in: 0..<40, using: &random)).map { _ in Character(Unicode.Scalar(UInt8(Int.random(in: 1..<128, using: &random)))) }))
    }
    for sample in samples {
        #expect(TrigramModel.tokenizeASCII(sample) == TrigramModel.tokenizeCharacters(sample), "\(sample.debugDescription)")
    }
    #expect(TrigramModel.tokenizeASCII("café") == nil)
    #expect(TrigramModel.tokenize("café au lait’s") == TrigramModel.tokenizeCharacters("café au lait’s"))
}

@Test func theLastLineOfTheStoryIsFoundFromTheEnd() {
    func reference(_ story: String) -> String {
        story.split(whereSeparator: \.isNewline).last { line in
            let trimmed = line.trimmingWhitespace()
            return !trimmed.isEmpty && !trimmed.hasPrefix("[Author's note")
        }?.trimmingWhitespace() ?? ""
    }
    for story in ["", "\n\n", "one", "one\n\n> You look.\n\n[Author's note: dread.]\n", "a\r\nb\r\n  \r\n", "  x  \n[Author's note: y]", "> You say \"Hi.\""] {
        #expect(ActionReading.lastLine(of: story) == reference(story), "\(story.debugDescription)")
    }
}
