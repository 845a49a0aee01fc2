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
        let model = TrigramModel(text: corpus(request.material ?? (request.system + "\n\n" + request.story)))
        var random = SeededRandom(seed: request.seed ^ UInt64(truncatingIfNeeded: request.story.utf8.count &* 31))
        var sentences: [[String]] = []
        var told = Set<String>()
        /// A sentence already told (or one that adds nothing) is not told again.
        func tell(_ sentence: [String]) {
            let key = sentence.joined(separator: " ")
            guard sentence.count > 2, told.insert(key).inserted else { return }
            sentences.append(sentence)
        }

        // First, something that answers the action: a sentence that starts where the corpus talks about
        // the action's most telling word.
        if let action = request.action, let anchor = model.anchor(for: action, random: &random) {
            tell(model.sentence(from: anchor, random: &random))
        }
        // Then the cards the player brought up, by name.
        for name in request.mentionedNames.prefix(2) {
            if let anchor = model.anchor(forPhrase: name) {
                tell(model.sentence(from: anchor, random: &random))
            }
        }
        // Then the story goes on from wherever it likes.
        let budget = max(8, request.maxOutputTokens)
        var attempts = 0
        while TokenEstimator.estimate(sentences.joined().joined(separator: " ")) < budget * 6 / 10 && attempts < 24 {
            attempts += 1
            guard let start = model.randomSentenceStart(random: &random) else { break }
            tell(model.sentence(from: start, random: &random))
        }

        var pieces: [String] = []
        var tokens = 0
        var finish = FinishReason.stop
        outer: for sentence in sentences where !sentence.isEmpty {
            let cost = TokenEstimator.estimate(sentence.joined(separator: " "))
            if tokens + cost > budget {
                // Room for part of it only: a model that hits its limit stops mid-sentence.
                for word in sentence {
                    let wordCost = TokenEstimator.estimate(word)
                    if tokens + wordCost > budget { break }
                    pieces.append((pieces.isEmpty ? "" : " ") + word)
                    tokens += wordCost
                }
                finish = .length
                break outer
            }
            for word in sentence {
                pieces.append((pieces.isEmpty ? "" : " ") + word)
            }
            tokens += cost
        }
        return (pieces, finish)
    }
}

extension OfflineStoryteller {
    /// The prose to learn from: the player's own action lines (`> You …`) and the author's note are
    /// left out (the story should not parrot the player), and card entries keep only their text.
    static func corpus(_ text: String) -> String {
        var lines: [String] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingWhitespace()
            if line.hasPrefix(">") || line.hasPrefix("[Author's note") { continue }
            if line.hasPrefix("["), line.hasSuffix("]"), let colon = line.firstIndex(of: ":") {
                line = String(line[line.index(after: colon)..<line.index(before: line.endIndex)]).trimmingWhitespace()
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// Words and punctuation of a text, with which word follows each pair of words.
struct TrigramModel {
    private(set) var tokens: [String] = []
    private var followers: [Pair: [Int]] = [:]
    private var sentenceStarts: [Int] = []

    struct Pair: Hashable {
        var first: String
        var second: String
    }

    init(text: String) {
        tokens = Self.tokenize(text)
        var startOfSentence = true
        for index in tokens.indices {
            let token = tokens[index]
            if startOfSentence, token.first?.isLetter == true, token.first?.isUppercase == true {
                sentenceStarts.append(index)
            }
            startOfSentence = Self.endsSentence(token)
            if index >= 2 {
                followers[Pair(first: tokens[index - 2], second: tokens[index - 1]), default: []].append(index)
            }
        }
    }

    /// Splits into words (keeping inner apostrophes and hyphens) and single punctuation marks.
    static func tokenize(_ text: String) -> [String] {
        var result: [String] = []
        var word = ""
        for character in text {
            if character.isLetter || character.isNumber || ((character == "'" || character == "’" || character == "-") && !word.isEmpty) {
                word.append(character)
            } else {
                if !word.isEmpty { result.append(word); word = "" }
                if character.isPunctuation && !"[]()<>{}#*_\"“”".contains(character) {
                    result.append(String(character))
                }
            }
        }
        if !word.isEmpty { result.append(word) }
        return result
    }

    static func endsSentence(_ token: String) -> Bool {
        token == "." || token == "!" || token == "?" || token == "…"
    }

    func randomSentenceStart(random: inout SeededRandom) -> Int? {
        sentenceStarts.randomElement(using: &random)
    }

    /// Where the corpus first uses the action's longest word it knows (a crude "what is this about").
    func anchor(for action: String, random: inout SeededRandom) -> Int? {
        let words = Self.tokenize(action)
            .filter { $0.count > 3 && !Self.commonWords.contains($0.lowercased()) }
            .sorted { $0.count > $1.count }
        for word in words {
            let lowered = word.lowercased()
            let hits = tokens.indices.filter { tokens[$0].lowercased() == lowered }
            if let hit = hits.randomElement(using: &random) {
                // Start at the beginning of that sentence so the sentence reads whole.
                return sentenceStart(containing: hit)
            }
        }
        return nil
    }

    /// Words too common to say what an action is about.
    static let commonWords: Set<String> = [
        "about", "above", "after", "again", "against", "along", "also", "around", "because", "before",
        "behind", "being", "below", "between", "could", "does", "down", "from", "have", "here", "into",
        "just", "like", "more", "most", "much", "near", "only", "over", "some", "than", "that", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "toward", "towards", "under",
        "until", "very", "what", "when", "where", "which", "while", "with", "would", "your", "yours",
    ]

    func anchor(forPhrase phrase: String) -> Int? {
        let wanted = Self.tokenize(phrase).map { $0.lowercased() }
        guard let first = wanted.first else { return nil }
        for index in tokens.indices where tokens[index].lowercased() == first {
            if index + wanted.count <= tokens.count,
               zip(tokens[index..<(index + wanted.count)], wanted).allSatisfy({ $0.lowercased() == $1 }) {
                return sentenceStart(containing: index)
            }
        }
        return nil
    }

    private func sentenceStart(containing index: Int) -> Int {
        var start = index
        while start > 0 && !Self.endsSentence(tokens[start - 1]) && index - start < 40 { start -= 1 }
        return start
    }

    /// A sentence of at most 40 words from `start`, following the trigram chain (so it can wander from
    /// the source sentence into another one that shares two words), ending at a full stop.
    func sentence(from start: Int, random: inout SeededRandom) -> [String] {
        guard tokens.indices.contains(start) else { return [] }
        var words = [tokens[start]]
        var position = start
        while words.count < 40 {
            let next: Int
            if words.count >= 2, let options = followers[Pair(first: words[words.count - 2], second: words[words.count - 1])], !options.isEmpty {
                next = options.randomElement(using: &random)!
            } else {
                next = position + 1
            }
            guard tokens.indices.contains(next) else { break }
            position = next
            words.append(tokens[next])
            if Self.endsSentence(tokens[next]) { break }
        }
        if let last = words.last, !Self.endsSentence(last) { words.append(".") }
        return Self.attachPunctuation(words)
    }

    /// Glues punctuation to the word before it so streamed pieces read naturally ("door," not "door ,").
    static func attachPunctuation(_ words: [String]) -> [String] {
        var result: [String] = []
        for word in words {
            if let first = word.first, first.isPunctuation, word.count == 1, "-".contains(first) == false, !result.isEmpty {
                result[result.count - 1] += word
            } else {
                result.append(word)
            }
        }
        return result
    }
}
