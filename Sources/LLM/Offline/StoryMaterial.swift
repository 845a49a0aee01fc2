import ImaginAICore

/// The adventure's text sorted the way the offline storyteller uses it: narrative prose (the opening and
/// the story so far, plus plot essentials that read as story) for style and sentence starts, and card
/// facts for anchors. Text written to the model rather than to the reader (mentions of "the player",
/// instruction-like imperatives, "Label:" prefixes, headings) is left out; card descriptions, often
/// fragments ("A fishing village of slate roofs…", "Knows every rock…"), are turned into whole sentences
/// about the card ("Gullwick is a fishing village…", "Wren knows every rock…") or kept only as links
/// between words, never as sentence starts.
struct StoryMaterial {
    struct Sentence: Equatable {
        enum Kind: Equatable { case prose, card }
        var tokens: [String]
        var kind: Kind
        /// Reads as a whole sentence of narration, so a generated sentence may begin where it begins.
        var canStart: Bool
    }

    struct Card: Equatable {
        var name: String
        var type: String
        var description: String
        /// "he", "she", "they" or "it", from the description.
        var pronoun: String

        var isCharacter: Bool { type.lowercased() == "character" || type.lowercased() == "person" }
        /// How the story names it after the first time: a character's first name, otherwise the name.
        var shortName: String {
            let words = name.split(separator: " ")
            guard isCharacter, words.count > 1, let first = words.first, !TrigramModel.determiners.contains(first.lowercased()) else { return name }
            return String(first)
        }
    }

    var sentences: [Sentence] = []
    var cards: [Card] = []

    init(_ text: String) {
        var proseLines: [String] = []
        var cardEntries: [(label: String, description: String)] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix(">") || line.hasPrefix("#") || line.hasPrefix("[Author's note") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let inner = String(line.dropFirst().dropLast())
                if let colon = inner.firstIndex(of: ":") {
                    cardEntries.append((String(inner[..<colon]).trimmingWhitespace(), String(inner[inner.index(after: colon)...]).trimmingWhitespace()))
                } else {
                    cardEntries.append((inner.trimmingWhitespace(), ""))
                }
                continue
            }
            proseLines.append(line)
        }
        for entry in cardEntries {
            var name = entry.label
            var type = ""
            if name.hasSuffix(")"), let open = name.lastIndex(of: "(") {
                type = String(name[name.index(after: open)..<name.index(before: name.endIndex)]).trimmingWhitespace()
                name = String(name[..<open]).trimmingWhitespace()
            }
            cards.append(Card(name: name, type: type, description: entry.description, pronoun: Self.pronoun(of: entry.description)))
        }

        // Each text is split into sentences once: the proper words are read from the same sentences.
        let proseSentences = proseLines.map(Self.sentences(of:))
        let cardSentences = cards.map { Self.sentences(of: $0.description) }
        let proper = Self.properWords(sentencesOf: proseSentences + cardSentences, cardNames: cards.map(\.name))
        for lineSentences in proseSentences {
            for sentence in lineSentences {
                guard let cleaned = Self.clean(sentence) else { break }  // a meta sentence hides the rest of its line
                guard cleaned.tokens.count > 1 else { continue }
                let startsWell = cleaned.labelled == false && Self.isCapitalized(cleaned.tokens[0])
                sentences.append(Sentence(tokens: cleaned.tokens, kind: .prose, canStart: startsWell))
            }
        }
        for (card, descriptionSentences) in zip(cards, cardSentences) {
            for (index, sentence) in descriptionSentences.enumerated() {
                guard let cleaned = Self.clean(sentence) else { break }
                guard cleaned.tokens.count > 1 else { continue }
                if let whole = Self.wholeSentence(cleaned.tokens, first: index == 0 && !cleaned.labelled, card: card, proper: proper) {
                    sentences.append(Sentence(tokens: whole, kind: .card, canStart: true))
                } else {
                    // A fragment: it may link words, but a sentence never begins with it.
                    sentences.append(Sentence(tokens: cleaned.tokens, kind: .card, canStart: false))
                }
            }
        }
    }

    // MARK: Sentences

    static func sentences(of text: String) -> [[String]] {
        var result: [[String]] = []
        var current: [String] = []
        for token in TrigramModel.tokenize(text) {
            current.append(token)
            if TrigramModel.endsSentence(token) {
                result.append(current)
                current = []
            }
        }
        if current.contains(where: { $0.first?.isLetter == true }) { result.append(current + ["."]) }
        return result
    }

    /// The sentence without a harmless label ("Top: the lamp room…" loses "Top:"), or nil when it is
    /// written to the model rather than to the reader.
    static func clean(_ sentence: [String]) -> (tokens: [String], labelled: Bool)? {
        let words = sentence.filter { $0.first?.isLetter == true || $0.first?.isNumber == true }
        let lowered = words.map { $0.lowercased() }
        guard !lowered.isEmpty else { return ([], false) }
        // Headings: all capitals.
        let letters = words.joined().filter(\.isLetter)
        if letters.count >= 4 && letters.allSatisfy({ $0.isUppercase }) { return nil }
        // About the game rather than in it.
        if lowered.contains(where: { metaWords.contains($0) }) { return nil }
        if words.contains("AI") || words.contains("OOC") { return nil }
        for index in lowered.indices.dropLast() where metaPairs.contains(lowered[index] + " " + lowered[index + 1]) { return nil }
        // Instructions: "Write in the second person.", "Do not decide what…".
        if instructionVerbs.contains(lowered[0]) { return nil }
        if lowered.count > 1, ["do", "don't", "don’t", "never", "always", "please"].contains(lowered[0]) {
            let next = lowered[0] == "do" && lowered[1] == "not" && lowered.count > 2 ? lowered[2] : lowered[1]
            if instructionVerbs.contains(next) || ["decide", "mention", "reveal", "narrate", "break", "speak", "act"].contains(next) { return nil }
        }
        // "Label: text" with a short label at the start.
        if let colon = sentence.firstIndex(of: ":"), (1...4).contains(colon), isCapitalized(sentence[0]),
           sentence[..<colon].allSatisfy({ $0.first?.isLetter == true && !["is", "are", "was", "were", "has", "had"].contains($0.lowercased()) }) {
            if sentence[..<colon].contains(where: { metaLabels.contains($0.lowercased()) }) { return nil }
            return (Array(sentence[(colon + 1)...]), true)
        }
        return (sentence, false)
    }

    static let metaWords: Set<String> = [
        "player", "player's", "player’s", "players", "narrator", "narrate", "narrates", "narrating", "reader",
        "user", "chatbot", "out-of-character", "roleplay", "spoiler", "spoilers",
    ]
    static let metaPairs: Set<String> = [
        "second person", "present tense", "past tense", "first person", "third person", "reveal slowly", "this story",
        "author's note", "hidden truth", "each reply", "every reply", "the response",
    ]
    static let metaLabels: Set<String> = [
        "hidden", "truth", "secret", "secrets", "note", "notes", "spoiler", "reveal", "style", "rule", "rules",
        "instruction", "instructions", "gm", "dm", "ooc", "author", "summary", "goal", "goals", "objective", "tone",
        "genre", "premise", "plot", "essentials", "setting", "background", "important", "remember", "todo",
    ]
    static let instructionVerbs: Set<String> = [
        "write", "narrate", "describe", "keep", "reveal", "give", "favour", "favor", "avoid", "use", "make",
        "remember", "end", "respect", "include", "focus", "show", "introduce", "portray", "mention", "ensure",
        "treat", "stay", "refer", "let", "begin", "continue", "limit", "allow", "maintain", "emphasize",
        "emphasise", "vary", "create", "play", "respond", "reply", "act", "follow", "prefer", "try",
    ]

    // MARK: Card facts as sentences

    /// Words written with a capital in the middle of a sentence (names), and the words of card names.
    static func properWords(sentencesOf texts: [[[String]]], cardNames: [String]) -> Set<String> {
        var result = Set<String>()
        for textSentences in texts {
            for sentence in textSentences {
                for token in sentence.dropFirst() where isCapitalized(token) { result.insert(bare(token)) }
            }
        }
        for name in cardNames {
            for word in TrigramModel.tokenize(name) where isCapitalized(word) && !TrigramModel.determiners.contains(word.lowercased()) {
                result.insert(bare(word))
            }
        }
        return result
    }

    static func bare(_ word: String) -> String {
        for suffix in ["'s", "’s"] where word.hasSuffix(suffix) { return String(word.dropLast(2)) }
        return word
    }

    static func isCapitalized(_ token: String) -> Bool { token.first?.isUppercase == true }

    /// Words that begin ordinary sentences.
    static let starters: Set<String> = [
        "the", "a", "an", "it", "its", "he", "she", "they", "his", "her", "their", "there", "this", "that", "these",
        "those", "since", "when", "inside", "many", "some", "one", "no", "every", "each", "as", "if", "in", "on", "at",
        "from", "halfway", "above", "below", "behind", "down", "up", "outside", "after", "before", "until", "while",
        "you", "your", "but", "and", "so", "yet", "then", "now", "here", "all", "most", "nobody", "someone",
        "something", "nothing", "what", "where", "who", "how", "why", "with", "without", "for", "by", "to", "over",
        "under", "through", "across", "along", "beyond", "near", "only", "somewhere", "far", "out", "beneath",
    ]
    static let finiteVerbs: Set<String> = [
        "is", "are", "was", "were", "has", "have", "had", "can", "cannot", "will", "does", "did", "lives", "stands",
        "sits", "lies", "runs", "keeps", "hangs", "rises", "waits",
    ]
    static let subjectlessAdverbs: Set<String> = ["never", "always", "still", "often", "rarely", "seldom", "also", "sometimes", "usually"]

    /// A card sentence as a whole sentence of narration, or nil for a fragment that cannot be mended.
    static func wholeSentence(_ tokens: [String], first: Bool, card: Card, proper: Set<String>) -> [String]? {
        guard let head = tokens.first, isCapitalized(head) else { return nil }
        let lowered = head.lowercased()
        let name = TrigramModel.tokenize(card.name)
        let startsWithName = tokens.starts(with: name) || (card.isCharacter && head == card.shortName)
        if startsWithName || ["he", "she", "it", "they", "there", "this", "these", "you"].contains(lowered) { return tokens }
        let group = ["faction", "group", "people", "organization", "organisation"].contains(card.type.lowercased())
        let copula = group && card.name.hasSuffix("s") ? "are" : "is"
        let lowerHead = proper.contains(bare(head)) ? head : lowered
        if first {
            // The opening fragment of a description says what the card is: "A squat granite tower…".
            if tokens.prefix(6).contains(where: { finiteVerbs.contains($0.lowercased()) }) {
                return starters.contains(lowered) || proper.contains(bare(head)) ? tokens : nil
            }
            return name + [copula, lowerHead] + tokens.dropFirst()
        }
        if starters.contains(lowered) || proper.contains(bare(head)) { return tokens }
        // No subject: "Knows every rock…", "Walkable only…", "Never stopped…".
        let subject = TrigramModel.tokenize(card.isCharacter ? card.shortName : card.name)
        if subjectlessAdverbs.contains(lowered) || (lowered.hasSuffix("s") && !lowered.hasSuffix("ss")) || lowered.hasSuffix("ed") {
            return subject + [lowered] + tokens.dropFirst()
        }
        return subject + [copula, lowered] + tokens.dropFirst()
    }

    static func pronoun(of description: String) -> String {
        var counts: [String: Int] = ["she": 0, "he": 0, "it": 0, "they": 0]
        for word in TrigramModel.tokenize(description) {
            switch word.lowercased() {
            case "she", "her", "hers", "herself": counts["she", default: 0] += 1
            case "he", "his", "him", "himself": counts["he", default: 0] += 1
            case "it", "its", "itself": counts["it", default: 0] += 1
            case "they", "their", "them", "themselves": counts["they", default: 0] += 1
            default: break
            }
        }
        // In a fixed order, so ties always go the same way.
        var best = "they"
        var bestCount = 0
        for candidate in ["she", "he", "it", "they"] where counts[candidate, default: 0] > bestCount {
            best = candidate
            bestCount = counts[candidate, default: 0]
        }
        return best
    }
}
