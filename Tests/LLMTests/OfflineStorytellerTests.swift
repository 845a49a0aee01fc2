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
