import ImaginAICore

/// The default model: a story grammar, not a neural model. It needs no network and no key, so a new user
/// can play at once and every test runs offline. Each turn it reads the story in view for a light world
/// state (where the player is, who is present, what is lit, open or carried), answers the action with a
/// consequence, sets the facts of the cards that fired into the scene, and fills the paragraph from a
/// Tracery-style grammar, never telling a sentence the story in view already holds.
public struct OfflineStoryteller: LanguageModel {
    public static let id = "offline/storyteller"

    public let descriptor = ModelDescriptor(
        id: OfflineStoryteller.id,
        name: "Offline storyteller (a story grammar that follows your actions and the cards that fired; no network)",
        contextTokens: 8192, maxOutputTokens: 800, supportsThinking: false)

    /// The pause between words, for the typewriter feel; zero streams as fast as possible.
    public var delayMilliseconds: Int

    public init(delayMilliseconds: Int = 35) {
        self.delayMilliseconds = delayMilliseconds
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let words = Self.compose(request)
        let delay = delayMilliseconds
        let promptTokens = TokenEstimator.estimate(request.system) + TokenEstimator.estimate(request.story)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var output = ""
                for (index, word) in words.pieces.enumerated() {
                    if Task.isCancelled { break }
                    if delay > 0 && index > 0 {
                        try? await Task.sleep(for: .milliseconds(delay))
                        if Task.isCancelled { break }
                    }
                    output += word
                    continuation.yield(.text(word))
                }
                let usage = ModelUsage(promptTokens: promptTokens, outputTokens: TokenEstimator.estimate(output), source: .estimate)
                continuation.yield(.finished(words.finish, usage))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The whole answer as the pieces it is streamed in (each a word with its leading space).
    static func compose(_ request: GenerationRequest) -> (pieces: [String], finish: FinishReason) {
        // Names are learnt from the cards alone: reading the whole story for them would cost a long
        // adventure more than a new one.
        let texts = request.cards.map(\.description)
        let properNouns = StoryCard.properNouns(in: texts).union(request.cards.flatMap { card in
            card.name.split(separator: " ").map(String.init).filter { $0.first?.isUppercase == true && !Lexicon.functionWords.contains($0.lowercased()) }
        })
        let cards = request.cards.map { StoryCard($0, properNouns: properNouns) }
        let reading = Self.readAction(request)
        let places = request.knownCards.filter { StoryCard.kind(of: $0.type) == .location }.map { StoryCard($0, properNouns: []) }
        let state = StoryState(story: request.story, cards: cards, places: places, dropCurrentAction: reading != nil)
        var action = reading
        if action?.kind == .doing, let text = action?.text {
            action = PlayerAction.reading(do: text, previousObject: state.lastObject)
        }
        var avoid = state.told
        for answer in request.earlierAnswers {
            for sentence in Prose.sentences(answer) {
                avoid.insert(Prose.key(sentence))
                if let tail = Narrator.tailKey(sentence) { avoid.insert(tail) }
            }
        }
        let random = SeededRandom(seed: request.seed ^ UInt64(truncatingIfNeeded: request.story.utf8.count &* 31))
        let remembered = recollection(request, avoid: avoid)
        let recollectionCost = remembered.map { TokenEstimator.estimate($0) + 1 } ?? 0
        var narrator = Narrator(cards: cards, properNouns: properNouns, state: state, action: action, avoid: avoid, earlierAnswers: request.earlierAnswers, random: random, budget: max(1, request.maxOutputTokens - recollectionCost))
        narrator.compose()

        var pieces: [String] = []
        func say(_ text: String) {
            for word in text.split(separator: " ") { pieces.append((pieces.isEmpty ? "" : " ") + word) }
        }
        if let remembered { say(remembered) }
        if narrator.told.isEmpty, let sentence = narrator.oversized {
            // Room for part of it only: a model that hits its limit stops mid-sentence.
            var cost = 0
            for word in sentence.split(separator: " ") {
                let wordCost = TokenEstimator.estimate(String(word))
                if cost + wordCost > request.maxOutputTokens { break }
                say(String(word))
                cost += wordCost
            }
            return (pieces, .length)
        }
        for sentence in narrator.told { say(sentence) }
        return (pieces, .stop)
    }

    /// The sentence of a recalled turn that shares the most words with the player's action (ties: the
    /// newer turn), told as something the player remembers: how an old fact the story has moved past
    /// comes back when the player asks about it. None when no memory shares a word with the action, or
    /// when that sentence was already told in view or in an earlier answer to this turn (a retry then
    /// gets a different answer, and the memory never repeats itself).
    static func recollection(_ request: GenerationRequest, avoid: Set<String>) -> String? {
        guard let action = request.action, !request.memories.isEmpty else { return nil }
        let wanted = contentWords(action)
        guard !wanted.isEmpty else { return nil }
        var best: (sentence: String, shared: Int)?
        for memory in request.memories {
            for sentence in Prose.sentences(memory) {
                let shared = contentWords(sentence).intersection(wanted).count
                guard shared > 0, shared >= (best?.shared ?? 0) else { continue }
                let told = "You remember: " + sentence
                guard !avoid.contains(Prose.key(sentence)), !avoid.contains(Prose.key(told)) else { continue }
                best = (told, shared)
            }
        }
        guard let sentence = best?.sentence.trimmingWhitespace(), let last = sentence.last else { return nil }
        return ".!?…\"”".contains(last) ? sentence : sentence + "."
    }

    /// The words of a text that carry its meaning: lowercased, three letters or more, no function words.
    static func contentWords(_ text: String) -> Set<String> {
        Set(text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter {
            $0.count > 2 && !Lexicon.functionWords.contains($0)
        })
    }

    /// The action the answer answers: the request's, read with the kind the story's last line gives it
    /// (`> You say "…"` is speech, `> You …` a deed, anything else narration); a retry or a continue
    /// after an unanswered action has none of its own and answers that line.
    static func readAction(_ request: GenerationRequest) -> PlayerAction? {
        let lastLine = lastLine(of: request.story)
        let isSpeech = lastLine.hasPrefix("> You say \"") || lastLine.hasPrefix("> You say “")
        if let text = request.action?.trimmingWhitespace(), !text.isEmpty {
            if isSpeech { return PlayerAction(kind: .saying, text: text) }
            if lastLine.hasPrefix("> ") { return PlayerAction(kind: .doing, text: text) }
            return PlayerAction(kind: .story, text: text)
        }
        if isSpeech {
            return PlayerAction(kind: .saying, text: String(lastLine.dropFirst(10)).trimming(" \"“”"))
        }
        if lastLine.hasPrefix("> ") {
            var text = String(lastLine.dropFirst(2))
            if text.hasPrefix("You ") { text.removeFirst(4) }
            return PlayerAction(kind: .doing, text: text)
        }
        return nil
    }

    /// The story's last line that is neither blank nor the author's note, trimmed; "" if none. Read from
    /// the end, so a long story costs no more than a short one.
    static func lastLine(of story: String) -> String {
        var end = story.endIndex
        while end > story.startIndex {
            var start = end
            while start > story.startIndex, !story[story.index(before: start)].isNewline {
                start = story.index(before: start)
            }
            let trimmed = story[start..<end].trimmingWhitespace()
            if !trimmed.isEmpty && !trimmed.hasPrefix("[Author's note") { return trimmed }
            guard start > story.startIndex else { break }
            end = story.index(before: start)
        }
        return ""
    }
}
