/// The text of turns as the recall index holds it, and the queries that search it.
///
/// SQLite's unicode61 tokenizer splits words at spaces and punctuation, which is right for scripts that
/// separate their words and useless for those that do not: a whole Japanese sentence would be one token,
/// found only by a query for that exact sentence. So before a text is indexed, every character (grapheme
/// cluster) of a script written without spaces (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar) is set
/// apart by spaces and becomes a token of its own, while other scripts keep their words. A query looks
/// such a script up by pairs of adjacent characters, each an FTS5 phrase (`"パ ス"`), which match only where
/// the two stand side by side: the usual bigram search for CJK without a dictionary, at the cost of one
/// index entry per character. The alternative, SQLite's trigram tokenizer, would also turn every Latin
/// word into trigrams (an index about three times larger) and cannot find a one- or two-character word.
public enum RecallText {
    /// The text to index for `text`: unchanged when it holds no character of a script without spaces
    /// (checked on the UTF-8 bytes, as the index is built for every turn written).
    public static func indexed(_ text: String) -> String {
        // Every script without spaces lies above U+0E00, so its UTF-8 takes three bytes or more, led by
        // a byte of 0xE0 or above; prose with dashes and curly quotes has such bytes too, so the scalars
        // are checked before the (slower) walk by grapheme.
        guard text.utf8.contains(where: { $0 >= 0xE0 }), text.unicodeScalars.contains(where: { isSpaceless($0.value) })
        else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + text.utf8.count / 2)
        var apart = false
        for character in text {
            if isSpaceless(character) {
                if !apart { result.append(" ") }
                result.append(character)
                result.append(" ")
                apart = true
            } else {
                result.append(character)
                apart = false
            }
        }
        return result
    }

    /// Whether a character belongs to a script written without spaces between words. Fixed code point
    /// ranges rather than Unicode properties: the index must transform a text the same way when the
    /// turn is deleted as when it was written, whatever version of the runtime wrote it.
    public static func isSpaceless(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        return isSpaceless(scalar.value)
    }

    static func isSpaceless(_ value: UInt32) -> Bool {
        switch value {
        case 0x0E00...0x0EFF,  // Thai, Lao
             0x1000...0x109F,  // Myanmar
             0x1780...0x17FF,  // Khmer
             0x2E80...0x2FDF,  // CJK radicals, Kangxi radicals
             0x3005...0x3007,  // 々 〆 〇
             0x3040...0x30FF,  // Hiragana, Katakana
             0x3100...0x312F,  // Bopomofo
             0x31F0...0x31FF,  // Katakana phonetic extensions
             0x3400...0x4DBF,  // CJK extension A
             0x4E00...0x9FFF,  // CJK unified ideographs
             0xF900...0xFAFF,  // CJK compatibility ideographs
             0xFF66...0xFF9F,  // Halfwidth katakana
             0x20000...0x3134F:  // CJK extensions B to G
            return true
        default:
            return false
        }
    }
}

/// What recall searches the older turns with: words and character pairs from the player's action and
/// the fired cards' names, then from the recent story.
///
/// The two are searched one after the other, the action's first: BM25 cannot weigh one term above
/// another, and the recent story has many more words than the action, so one query of all of them would
/// rank a long turn that shares a few of the story's words above the short one that answers what the
/// player just asked.
public struct RecallQuery: Sendable, Equatable {
    /// One FTS5 term each: a lowercased word, or a phrase of two characters of a script without spaces,
    /// set apart as the index holds them ("パ ス"). A lone such character stands alone. From the action,
    /// then the cards' names.
    public var terms: [String]
    /// From the recent story, newest first; none of `terms`.
    public var contextTerms: [String]

    public init(terms: [String], contextTerms: [String] = []) {
        self.terms = terms
        self.contextTerms = contextTerms
    }

    public var isEmpty: Bool { terms.isEmpty && contextTerms.isEmpty }

    /// The most terms a query keeps, both kinds together; the store narrows them further to the rarer
    /// ones. Each term costs the store a look-up of its count (about 50-100 µs on a 100,000-turn index),
    /// and 32 already reach back over the three or four newest turns.
    public static let maxTerms = 32

    /// `recentTexts` oldest first (the newest counts most).
    public static func build(action: String?, cardNames: [String], recentTexts: [String], maxTerms: Int = maxTerms) -> RecallQuery {
        var seen = Set<String>()
        var count = 0
        func collect(_ texts: [String]) -> [String] {
            var terms: [String] = []
            for text in texts {
                for term in Self.terms(in: text) where count < maxTerms && seen.insert(term).inserted {
                    terms.append(term)
                    count += 1
                }
            }
            return terms
        }
        let primary = collect((action.map { [$0] } ?? []) + cardNames)
        return RecallQuery(terms: primary, contextTerms: collect(recentTexts.reversed()))
    }

    /// The terms of one text, in reading order, repeats included.
    static func terms(in text: String) -> [String] {
        var result: [String] = []
        var word = ""
        var run: [Character] = []
        func endWord() {
            defer { word = "" }
            guard !word.isEmpty else { return }
            let lowered = word.lowercased()
            // One letter or digit says too little to search by ("a", "I", "3").
            guard lowered.count > 1, !StopWords.english.contains(lowered) else { return }
            result.append(lowered)
        }
        func endRun() {
            defer { run = [] }
            if run.count == 1 {
                result.append(String(run[0]))
                return
            }
            for position in run.indices.dropLast() {
                result.append("\(run[position]) \(run[position + 1])")
            }
        }
        for character in text {
            if RecallText.isSpaceless(character) {
                endWord()
                run.append(character)
            } else if character.isLetter || character.isNumber {
                endRun()
                word.append(character)
            } else {
                endWord()
                endRun()
            }
        }
        endWord()
        endRun()
        return result
    }

    /// An FTS5 query matching any of `terms`: each one quoted (a double quote inside doubled), so no word
    /// a player typed (AND, NOT, NEAR, a `*` or a `:`) is read as query syntax. Nil for no terms.
    public static func matchExpression(_ terms: [String]) -> String? {
        guard !terms.isEmpty else { return nil }
        return terms.map { term in
            var quoted = "\""
            for character in term {
                quoted.append(character)
                if character == "\"" { quoted.append("\"") }
            }
            return quoted + "\""
        }.joined(separator: " OR ")
    }
}

/// A turn recall found, as the store returns it: best match first.
public struct RecallHit: Sendable, Equatable {
    public var turnID: String
    public var turn: PromptTurn

    public init(turnID: String, turn: PromptTurn) {
        self.turnID = turnID
        self.turn = turn
    }
}

/// What recall is asked for: turns older than `beforeIndex` (those not in the history) matching the query,
/// at most `limit`, best first.
public struct RecallRequest: Sendable, Equatable {
    public var query: RecallQuery
    public var beforeIndex: Int
    public var limit: Int

    public init(query: RecallQuery, beforeIndex: Int, limit: Int) {
        self.query = query
        self.beforeIndex = beforeIndex
        self.limit = limit
    }
}

/// Words too common in English stories to tell turns apart. Other languages need no list: the store
/// leaves out any term found in too many turns, which catches their common words the same way.
enum StopWords {
    static let english: Set<String> = [
        "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
        "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "every", "few", "for", "from",
        "further", "get", "gets", "go", "goes", "going", "got", "had", "has", "have", "having", "he", "her",
        "here", "hers", "herself", "him", "himself", "his", "how", "if", "in", "into", "is", "it", "its",
        "itself", "just", "let", "like", "ll", "me", "more", "most", "much", "my", "myself", "no", "nor", "not",
        "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out",
        "over", "own", "re", "said", "same", "say", "says", "she", "should", "so", "some", "still", "such",
        "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
        "this", "those", "through", "to", "too", "under", "until", "up", "upon", "us", "ve", "very", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
        "yet", "you", "your", "yours", "yourself", "yourselves",
    ]
}
