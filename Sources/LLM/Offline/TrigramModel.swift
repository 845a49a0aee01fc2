/// Words and punctuation of the adventure's sentences, with which word follows each pair of words (and,
/// for content words, each single word), and what a generated sentence may not copy.
struct TrigramModel {
    private(set) var tokens: [String] = []
    /// Whether each token comes from the narration (which a sentence must not copy at length).
    private var fromProse: [Bool] = []
    private var followers: [Pair: [Int]] = [:]
    private var wordFollowers: [String: [Int]] = [:]
    /// Where each sentence begins in `tokens`, and what it is.
    private(set) var starts: [(index: Int, sentence: StoryMaterial.Sentence)] = []
    /// Every run of `copyLimit + 1` tokens in the material: a generated sentence containing one copies
    /// more than `copyLimit` tokens in a row.
    private var longRuns = Set<String>()
    /// The trigrams of each source sentence, to tell a new sentence from a reworded old one.
    private var sentenceTrigrams: [Set<String>] = []
    private var trigramSentences: [String: [Int]] = [:]

    /// The longest run of tokens (words and punctuation marks) a sentence may take unchanged from the material.
    static let copyLimit = 9

    struct Pair: Hashable {
        var first: String
        var second: String
    }

    init(material: StoryMaterial) {
        // Each token lowered once: the keys below are made of lowered tokens.
        var lowered: [String] = []
        for sentence in material.sentences {
            starts.append((tokens.count, sentence))
            let sentenceStart = lowered.count
            tokens += sentence.tokens
            lowered += sentence.tokens.map { $0.lowercased() }
            let low = lowered[sentenceStart...]
            fromProse += Array(repeating: sentence.kind == .prose, count: sentence.tokens.count)
            // Card facts may be told as they are (once: then they are in the story); the narration may not.
            let grams = sentence.kind == .prose ? Self.trigrams(lowered: low) : []
            for gram in grams { trigramSentences[gram, default: []].append(sentenceTrigrams.count) }
            sentenceTrigrams.append(grams)
            if sentence.kind == .prose, sentence.tokens.count > Self.copyLimit {
                for start in low.startIndex...(low.endIndex - Self.copyLimit - 1) {
                    longRuns.insert(low[start...(start + Self.copyLimit)].joined(separator: " "))
                }
            }
        }
        for index in tokens.indices {
            if index >= 2 {
                followers[Pair(first: lowered[index - 2], second: lowered[index - 1]), default: []].append(index)
            }
            if index >= 1, Self.isContentWord(tokens[index - 1]) {
                wordFollowers[lowered[index - 1], default: []].append(index)
            }
        }
    }

    init(text: String) {
        self.init(material: StoryMaterial(text))
    }

    // MARK: Generating

    /// A sentence that begins with `prefix` (or at `start`) and follows the trigram chain to a full stop,
    /// preferring, once it has followed one source sentence for a few words, to cross into another that
    /// shares two words (or one telling word), so that it says something new. Nil when it ran too long.
    func sentence(from start: Int?, prefix: [String] = [], keepUntil: Int = 0, random: inout SeededRandom, maxWords: Int = 34) -> [String]? {
        var words = prefix
        var position: Int
        var run = 0
        if let start, tokens.indices.contains(start) {
            words.append(tokens[start])
            position = start
            run = 1
        } else {
            // Continue the prefix where the material continues its last words.
            guard let last = prefix.last else { return nil }
            let pair = prefix.count >= 2 ? followers[Pair(first: prefix[prefix.count - 2].lowercased(), second: last.lowercased())] : nil
            guard let options = pair ?? wordFollowers[last.lowercased()], let next = options.randomElement(using: &random) else { return nil }
            words.append(tokens[next])
            position = next
            run = 1
        }
        while !Self.endsSentence(words[words.count - 1]) {
            guard words.count < maxWords else { return nil }
            let options = words.count < 2 ? [] : followers[Pair(first: words[words.count - 2].lowercased(), second: words[words.count - 1].lowercased())] ?? []
            let jumps = options.filter { $0 != position + 1 }
            var next: Int?
            // Cross into another sentence where the two shared words say something (after "the lighthouse",
            // not after "of the"), or anywhere once the copy grows long.
            let telling = Self.isContentWord(words[words.count - 1])
            if position + 1 < keepUntil, options.contains(position + 1) {
                next = position + 1
            } else if !jumps.isEmpty && ((run >= 3 && telling) || (run >= 8 && fromProse[position])) {
                next = jumps.randomElement(using: &random)
            } else if options.contains(position + 1) || (options.isEmpty && tokens.indices.contains(position + 1)) {
                next = position + 1
            } else {
                next = options.randomElement(using: &random)
            }
            guard let next, tokens.indices.contains(next) else { return nil }
            run = next == position + 1 ? run + 1 : 1
            position = next
            words.append(tokens[next])
        }
        return words
    }

    /// Whether a generated sentence is worth telling: long enough, not copied (no run longer than
    /// `copyLimit` from the material), and not mostly (over 60% of its trigrams) a sentence of the
    /// material or one already told.
    /// With `againstMaterial` false only the sentences already told count (for a material too small to
    /// fill the answer otherwise).
    func isNew(_ sentence: [String], told: [[String]], againstMaterial: Bool = true) -> Bool {
        let words = sentence.filter { $0.first?.isLetter == true || $0.first?.isNumber == true }
        guard words.count >= 5 else { return false }
        if againstMaterial, sentence.count > Self.copyLimit {
            for start in 0...(sentence.count - Self.copyLimit - 1) where longRuns.contains(Self.key(sentence[start...(start + Self.copyLimit)])) {
                return false
            }
        }
        let grams = Self.trigrams(sentence)
        guard !grams.isEmpty else { return false }
        let limit = Double(grams.count) * 0.6
        var shared: [Int: Int] = [:]
        for gram in grams {
            for id in trigramSentences[gram] ?? [] { shared[id, default: 0] += 1 }
        }
        for (id, count) in shared where againstMaterial && Double(count) > limit && Double(count) > Double(sentenceTrigrams[id].count) * 0.6 {
            return false
        }
        for earlier in told {
            let theirs = Self.trigrams(earlier)
            if Double(grams.intersection(theirs).count) > min(limit, Double(theirs.count) * 0.6) { return false }
            if earlier.prefix(3).map({ $0.lowercased() }) == sentence.prefix(3).map({ $0.lowercased() }) { return false }
        }
        return true
    }

    /// Where sentences that may begin a story sentence begin, those of prose first in `preferred`.
    func startIndices(where include: (StoryMaterial.Sentence) -> Bool = { _ in true }) -> [Int] {
        starts.filter { $0.sentence.canStart && include($0.sentence) }.map(\.index)
    }

    /// Whether the material has this word or phrase (any case).
    func contains(phrase: [String]) -> Bool {
        let wanted = phrase.map { $0.lowercased() }
        guard let first = wanted.first else { return false }
        for index in tokens.indices where tokens[index].lowercased() == first && index + wanted.count <= tokens.count {
            if zip(tokens[index..<(index + wanted.count)], wanted).allSatisfy({ $0.lowercased() == $1 }) { return true }
        }
        return false
    }

    // MARK: Text

    static func trigrams(_ tokens: [String]) -> Set<String> {
        guard tokens.count >= 3 else { return [] }
        return Set((0...(tokens.count - 3)).map { key(tokens[$0...($0 + 2)]) })
    }

    /// `trigrams` of tokens already lowered.
    static func trigrams(lowered tokens: ArraySlice<String>) -> Set<String> {
        guard tokens.count >= 3 else { return [] }
        return Set((tokens.startIndex...(tokens.endIndex - 3)).map { tokens[$0...($0 + 2)].joined(separator: " ") })
    }

    static func key(_ tokens: ArraySlice<String>) -> String {
        tokens.map { $0.lowercased() }.joined(separator: " ")
    }

    static func isContentWord(_ token: String) -> Bool {
        token.count >= 4 && token.first?.isLetter == true && !commonWords.contains(token.lowercased())
    }

    /// Splits into words (keeping inner apostrophes and hyphens) and single punctuation marks.
    static func tokenize(_ text: String) -> [String] {
        tokenizeASCII(text) ?? tokenizeCharacters(text)
    }

    /// `tokenize` for any text, Character by Character.
    static func tokenizeCharacters(_ text: String) -> [String] {
        var result: [String] = []
        var word = ""
        for character in text {
            if character.isLetter || character.isNumber || ((character == "'" || character == "’" || character == "-") && !word.isEmpty) {
                word.append(character)
            } else {
                if !word.isEmpty { result.append(word); word = "" }
                if character.isPunctuation && !"[]()<>{}#*_\"“”'‘’".contains(character) {
                    result.append(String(character))
                }
            }
        }
        if !word.isEmpty { result.append(word) }
        // A word can end with an apostrophe or hyphen only as a quotation mark or a dash.
        return result.map { word in
            var trimmed = word
            while let last = trimmed.last, trimmed.count > 1, last == "'" || last == "’" || last == "-" { trimmed.removeLast() }
            return trimmed
        }
    }

    /// `tokenize` for text that is all ASCII (most of it), byte by byte instead of by Character, whose
    /// Unicode property lookups were the costliest part of learning the material. The same rules: the
    /// classes come from the same Character properties (`asciiClasses`), so the tokens are the same.
    static func tokenizeASCII(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            var result: [String] = []
            var wordStart: Int?
            for (index, byte) in bytes.enumerated() {
                guard byte < 0x80 else { return nil }
                let kind = asciiClasses[Int(byte)]
                if kind.contains(.word) || (kind.contains(.joiner) && wordStart != nil) {
                    if wordStart == nil { wordStart = index }
                    continue
                }
                if let start = wordStart {
                    result.append(Self.trimmingTrailingJoiners(bytes[start..<index]))
                    wordStart = nil
                }
                if kind.contains(.token) { result.append(String(decoding: CollectionOfOne(byte), as: UTF8.self)) }
            }
            if let start = wordStart { result.append(Self.trimmingTrailingJoiners(bytes[start..<bytes.count])) }
            return result
        }
    }

    /// A word without trailing apostrophes and hyphens (keeping at least one character), as `tokenize` does.
    private static func trimmingTrailingJoiners(_ word: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        var end = word.endIndex
        while end - word.startIndex > 1, word[end - 1] == UInt8(ascii: "'") || word[end - 1] == UInt8(ascii: "-") { end -= 1 }
        return String(decoding: word[word.startIndex..<end], as: UTF8.self)
    }

    private struct ASCIIClass: OptionSet {
        let rawValue: UInt8
        /// Part of a word: a letter or digit.
        static let word = ASCIIClass(rawValue: 1)
        /// Continues a word that has begun: apostrophe, hyphen.
        static let joiner = ASCIIClass(rawValue: 2)
        /// Outside a word, a token of its own: punctuation that is not excluded.
        static let token = ASCIIClass(rawValue: 4)
    }

    /// What `tokenize` does with each ASCII character, read from the Character properties it uses.
    private static let asciiClasses: [ASCIIClass] = (0..<128).map { value in
        let character = Character(Unicode.Scalar(UInt8(value)))
        var kind: ASCIIClass = []
        if character.isLetter || character.isNumber { kind.insert(.word) }
        if character == "'" || character == "’" || character == "-" { kind.insert(.joiner) }
        if character.isPunctuation && !"[]()<>{}#*_\"“”'‘’".contains(character) { kind.insert(.token) }
        return kind
    }

    static func endsSentence(_ token: String) -> Bool {
        token == "." || token == "!" || token == "?" || token == "…"
    }

    static let determiners: Set<String> = ["the", "a", "an", "of", "and"]

    /// Words too common to say what an action is about.
    static let commonWords: Set<String> = [
        "about", "above", "after", "again", "against", "along", "also", "around", "because", "before",
        "behind", "being", "below", "between", "could", "does", "down", "from", "have", "here", "into",
        "just", "like", "more", "most", "much", "near", "only", "over", "some", "than", "that", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "toward", "towards", "under",
        "until", "very", "what", "when", "where", "which", "while", "with", "would", "your", "yours",
        "anyone", "anything", "someone", "something", "nothing", "everyone", "everything", "will", "shall",
        "were", "been", "look", "looks", "take", "takes", "make", "makes", "want", "think", "know", "tell",
        "myself", "yourself", "please", "maybe", "still", "even", "each", "every", "other", "such",
    ]

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
