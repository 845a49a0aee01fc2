import ImaginAICore

/// The default model: a word trigram model trained, each turn, on the adventure's own text (instructions,
/// plot essentials, triggered cards, the story so far). It needs no network and no key, so a new user can
/// play at once and every test runs offline. It is not a neural model and says so in its name; its
/// stories are recombinations of the adventure's own sentences, steered toward the player's action and
/// the cards the action mentions.
public struct OfflineStoryteller: LanguageModel {
    public static let id = "offline/storyteller"

    public let descriptor = ModelDescriptor(
        id: OfflineStoryteller.id,
        name: "Offline storyteller (a word trigram model trained on the adventure's own text; no network)",
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
        let material = StoryMaterial(request.material ?? (request.system + "\n\n" + request.story))
        let model = TrigramModel(material: material)
        var random = SeededRandom(seed: request.seed ^ UInt64(truncatingIfNeeded: request.story.utf8.count &* 31))
        let budget = max(1, request.maxOutputTokens)
        let target = budget * 7 / 10
        var told: [[String]] = []
        var tokens = 0
        var oversized: [String]?

        /// Tells the sentence if it fits the budget; the first one that does not fit is kept in case
        /// nothing else is told (then it is cut, as a model at its limit would be).
        @discardableResult
        func tell(_ sentence: [String]) -> Bool {
            let cost = TokenEstimator.estimate(sentence.joined(separator: " "))
            guard tokens + cost <= budget else {
                if oversized == nil { oversized = sentence }
                return false
            }
            told.append(sentence)
            tokens += cost
            return true
        }
        /// Tries a few times for a new sentence (see `TrigramModel.isNew`) that passes `accept`, and tells it.
        @discardableResult
        func tellNew(tries: Int, _ make: (inout SeededRandom) -> [String]?, accept: ([String]) -> Bool = { _ in true }) -> Bool {
            for _ in 0..<tries {
                if let sentence = make(&random), model.isNew(sentence, told: told), accept(sentence) { return tell(sentence) }
            }
            return false
        }
        /// A sentence that starts where the material talks about `phrase` and keeps it.
        func tellAbout(_ phrase: [String], alsoAccepting other: [String] = []) {
            let lowered = phrase.map { $0.lowercased() }
            let places = model.starts.filter { $0.sentence.canStart && Self.find(lowered, in: $0.sentence.tokens) != nil }
            guard !places.isEmpty else { return }
            // Narration before card facts, where there is any.
            let prose = places.filter { $0.sentence.kind == .prose }
            tellNew(tries: 24, { random in
                let pool = !prose.isEmpty && Int.random(in: 0..<3, using: &random) > 0 ? prose : places
                let place = pool.randomElement(using: &random)!
                let at = Self.find(lowered, in: place.sentence.tokens)!
                return model.sentence(from: place.index, keepUntil: place.index + at + phrase.count, random: &random)
            }, accept: { Self.find(lowered, in: $0.map { $0.lowercased() }) != nil || (!other.isEmpty && Self.find(other.map { $0.lowercased() }, in: $0.map { $0.lowercased() }) != nil) })
        }

        // First, an answer to the action.
        let action = ActionReading(request: request, model: model)
        switch action.kind {
        case .saying:
            tell(action.reply(cards: material.cards, mentioned: request.mentionedNames, random: &random))
        case .doing:
            if action.phrase.count <= 12 {
                // "You open the logbook" goes on as the material goes on after "the logbook", if it goes on
                // with a clause of its own ("…, reached by…", "… of weather…"), not with a verb of its own.
                tellNew(tries: 24, { random in model.sentence(from: nil, prefix: action.phrase, random: &random, maxWords: 40) },
                        accept: { $0.count >= action.phrase.count + 4 && Self.linkWords.contains($0[action.phrase.count].lowercased()) })
            }
        case .story, .none:
            break
        }
        if let term = action.terms.first, !told.contains(where: { Self.find(term.map { $0.lowercased() }, in: $0.map { $0.lowercased() }) != nil }) {
            tellAbout(term)
        }
        // Said plainly when the material has nothing new to add about it: the answer still answers.
        if action.kind == .doing, action.phrase.count <= 12, let term = action.terms.first ?? Optional(Array(action.phrase.suffix(1))),
           !told.contains(where: { Self.find(term.map { $0.lowercased() }, in: $0.map { $0.lowercased() }) != nil }),
           tell(action.phrase + ["."]) {
            told.insert(told.removeLast(), at: 0)
        }
        // Then the cards the recent text brought up, by name.
        for name in request.mentionedNames.prefix(2) {
            let card = material.cards.first { $0.name == name }
            let words = TrigramModel.tokenize(name)
            let short = card.map { TrigramModel.tokenize($0.shortName) } ?? words
            let all = told.joined().map { $0.lowercased() }
            if Self.find(short.map { $0.lowercased() }, in: all) != nil { continue }
            tellAbout(words, alsoAccepting: short)
            if Self.find(short.map { $0.lowercased() }, in: told.joined().map { $0.lowercased() }) == nil, short != words {
                tellAbout(short)
            }
        }
        // Then the story goes on from wherever it likes, mostly from the narration's own sentences.
        let prose = model.startIndices { $0.kind == .prose }
        let any = model.startIndices()
        // Card facts read like an encyclopedia: two at most among them.
        var facts = 0
        var attempts = 0
        while tokens < target && attempts < 60 && !any.isEmpty {
            attempts += 1
            let pool = !prose.isEmpty && (facts >= 2 || Int.random(in: 0..<10, using: &random) < 7) ? prose : any
            let start = pool.randomElement(using: &random)!
            if let sentence = model.sentence(from: start, random: &random), model.isNew(sentence, told: told), tell(sentence),
               !prose.contains(start) {
                facts += 1
            }
        }
        // A material too small for much that is new: recombine it freely, each sentence still unlike
        // the others in the answer, then retell it, each sentence once.
        attempts = 0
        while tokens < target / 2 && attempts < 60 && !any.isEmpty {
            attempts += 1
            if let sentence = model.sentence(from: any.randomElement(using: &random)!, random: &random),
               model.isNew(sentence, told: told, againstMaterial: false) {
                tell(sentence)
            }
        }
        if told.count < 3 {
            for start in any where tokens < target {
                if let sentence = model.sentence(from: start, random: &random),
                   !told.contains(where: { TrigramModel.key($0[...]) == TrigramModel.key(sentence[...]) }) {
                    tell(sentence)
                }
            }
        }
        // A material too small to say anything new in: say something old rather than nothing.
        if told.isEmpty && oversized == nil, let start = any.first ?? model.starts.first?.index,
           let sentence = model.sentence(from: start, random: &random) ?? Optional(Array(model.tokens[start...].prefix(30))) {
            tell(sentence)
        }

        var pieces: [String] = []
        func say(_ words: [String]) {
            for word in words { pieces.append((pieces.isEmpty ? "" : " ") + word) }
        }
        if told.isEmpty, let sentence = oversized {
            // Room for part of it only: a model that hits its limit stops mid-sentence.
            var cost = 0
            for word in Self.written(sentence) {
                let wordCost = TokenEstimator.estimate(word)
                if cost + wordCost > budget { break }
                say([word])
                cost += wordCost
            }
            return (pieces, .length)
        }
        for sentence in told { say(Self.written(sentence)) }
        return (pieces, .stop)
    }

    static let linkWords: Set<String> = [
        ",", "of", "with", "in", "on", "at", "and", "where", "that", "which", "to", "for", "by", "from", "under",
        "beside", "into", "toward", "towards", "near", "behind", "above", "below", "through", "across", "along",
    ]

    /// A sentence's tokens as written: capitalised, punctuation glued to the words before it.
    static func written(_ sentence: [String]) -> [String] {
        var words = TrigramModel.attachPunctuation(sentence)
        if let first = words.first, let letter = first.first, letter.isLowercase {
            words[0] = letter.uppercased() + first.dropFirst()
        }
        return words
    }

    /// Where `phrase` (lowercased) occurs in `tokens`, compared without case.
    static func find(_ phrase: [String], in tokens: [String]) -> Int? {
        guard !phrase.isEmpty, tokens.count >= phrase.count else { return nil }
        for index in 0...(tokens.count - phrase.count) where tokens[index].lowercased() == phrase[0] {
            if zip(tokens[index..<(index + phrase.count)], phrase).allSatisfy({ $0.lowercased() == $1 }) { return index }
        }
        return nil
    }
}

extension OfflineStoryteller {
    /// The prose to learn from, as the storyteller sorts it (kept for callers that want the text).
    static func corpus(_ text: String) -> String {
        StoryMaterial(text).sentences.map { written($0.tokens).joined(separator: " ") }.joined(separator: "\n")
    }
}
