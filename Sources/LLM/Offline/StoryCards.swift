import ImaginAICore

/// A story card as the storyteller uses it: what kind of thing it is, how to name it, and the facts its
/// description states, each one a whole sentence or a description that can be set into one.
struct StoryCard {
    enum Kind { case character, location, item, group, lore }

    /// One thing the card says.
    struct Fact {
        enum Form {
            /// A whole sentence that stands on its own ("Gullwick has a chapel, a chandlery and one inn.").
            case clause
            /// A noun phrase that describes the card ("a squat granite tower on a tidal island"), without
            /// its final full stop: it is set into a sentence beside the card's name.
            case description
            /// A sentence spoken in the first person, told as words someone said.
            case quote
        }
        var form: Form
        var text: String
        /// What tells this fact apart in the story so far (see `Prose.key`).
        var key: String
    }

    var name: String
    /// The name for a second mention: a character's first name, else the name.
    var shortName: String
    var kind: Kind
    var pronoun: Lexicon.Pronoun
    /// Lowercased names and keys, the ways the story may mention the card.
    var mentions: [String]
    var facts: [Fact]

    init(_ card: PromptCard, properNouns: Set<String>) {
        name = Self.displayName(card.name)
        kind = Self.kind(of: card.type)
        pronoun = switch kind {
        case .group: .they
        case .character: Lexicon.pronoun(of: card.description)
        case .location, .item, .lore: .it
        }
        let words = name.split(separator: " ").map(String.init)
        if kind == .character, words.count >= 2, !Lexicon.functionWords.contains(words[0].lowercased()) {
            shortName = words[0]
        } else {
            shortName = name
        }
        mentions = ([name, shortName] + card.keys).map { $0.lowercased().trimmingWhitespace() }.filter { $0.count >= 3 }
        facts = Self.facts(of: card, name: name, pronoun: pronoun, kind: kind, properNouns: properNouns).map { [mentions, name, pronoun, kind] fact in
            guard fact.form == .clause, !mentions.contains(where: { StoryCard.containsWord(fact.text.lowercased(), $0) }) else { return fact }
            // Told away from its card, "its lower prisms" needs the name it stands for.
            var fact = fact
            fact.text = Self.naming(fact.text, name: Narrator.midSentence(name), pronoun: kind == .group ? .they : pronoun)
            fact.key = Prose.key(fact.text)
            return fact
        }
    }

    /// The first possessive or subject pronoun of `pronoun`'s kind in `text`, replaced by `name`.
    static func naming(_ text: String, name: String, pronoun: Lexicon.Pronoun) -> String {
        // Words inside quotes are someone else's ("Do not answer it in her voice"): never renamed.
        let unquoted = StoryState.quoteMask(text)
        for (word, replacement) in [(pronoun.possessive, name + "'s"), (pronoun.subject, name)] where pronoun != .they || word == "their" {
            if let found = text.ranges(of: " \(word) ").first(where: { unquoted[text.distance(from: text.startIndex, to: $0.lowerBound)] }) {
                var named = text
                named.replaceSubrange(found, with: " \(replacement) ")
                return named
            }
        }
        return text
    }

    /// Names typed in lowercase ("eldoria") are written as names; anything that is not a plain name
    /// (script syntax, several lines) is reduced to its first line's letters.
    static func displayName(_ raw: String) -> String {
        let line = raw.split(whereSeparator: \.isNewline).first.map(String.init) ?? raw
        let cleaned = line.filter { $0.isLetter || $0.isNumber || " '’-.".contains($0) }.trimmingWhitespace()
        let words = cleaned.split(separator: " ")
        guard !words.isEmpty else { return "the stranger" }
        if cleaned == cleaned.lowercased() {
            return words.map { $0.capitalizedFirst }.joined(separator: " ")
        }
        return words.joined(separator: " ")
    }

    static func kind(of type: String) -> Kind {
        switch type.lowercased().trimmingWhitespace() {
        case "character", "npc", "person", "char", "creature", "companion", "enemy", "villain", "ally": .character
        case "location", "place", "area", "region", "city", "town", "village", "building", "room", "world", "realm", "planet", "country", "kingdom": .location
        case "item", "object", "weapon", "artifact", "artefact", "tool", "equipment", "vehicle": .item
        case "faction", "group", "organization", "organisation", "guild", "race", "species", "class", "family", "house": .group
        default: .lore
        }
    }

    /// A character whose own card says they are gone ("vanished", "dead"): never walks into a scene.
    var isGoneForGood: Bool {
        facts.contains { fact in
            ["vanished", "disappeared", "dead", "died", "missing", "drowned", "killed", "lost at sea"].contains { StoryCard.containsWord(fact.text.lowercased(), $0) }
        }
    }

    /// Whether `text` (lowercased) mentions the card by name or key, as a whole word.
    func isMentioned(in lowered: String) -> Bool {
        mentions.contains { StoryCard.containsWord(lowered, $0) }
    }

    /// Where the card is first mentioned in `lowered` (an offset in UTF-8 bytes), or nil.
    func firstMention(in lowered: String) -> Int? {
        mentions.compactMap { Prose.offsets(of: $0, in: lowered, wholeWords: true).first }.min()
    }

    static func containsWord(_ text: String, _ word: String) -> Bool {
        Prose.contains(word, in: text, wholeWords: true)
    }

    // MARK: Reading a description into facts

    static func facts(of card: PromptCard, name: String, pronoun: Lexicon.Pronoun, kind: Kind, properNouns: Set<String>) -> [Fact] {
        var facts: [Fact] = []
        var seen = Set<String>()
        func add(_ form: Fact.Form, _ text: String) {
            let key = Prose.key(text)
            guard !key.isEmpty, seen.insert(key).inserted else { return }
            facts.append(Fact(form: form, text: text, key: key))
        }
        // A line that opens with a quote is a line of dialogue: its quotes are the facts, whole, before
        // the line is cut into sentences (which would cut through them).
        var prose: [String] = []
        for line in cleaned(card.description, name: name).split(whereSeparator: \.isNewline) {
            if line.first == "\"" || line.first == "“" {
                for quote in quotedSentences(in: String(line)) { add(.quote, quote) }
            } else {
                prose.append(String(line))
            }
        }
        for (position, sentence) in Prose.sentences(prose.joined(separator: "\n")).enumerated() {
            let quoted = sentence.contains("\"") || sentence.contains("“")
            // A statement that quotes something ("…and a final warning: "Do not answer it."") is still
            // a statement; a line of dialogue is words someone says.
            let statement = quoted && Prose.quotesBalanced(sentence) && !"\"“".contains(sentence.first ?? " ")
                && Lexicon.mainVerbIndex(StoryState.withoutQuotes(sentence)) != nil
                && !sentence.contains(where: { $0 == "*" })
            if quoted && !statement {
                for quote in quotedSentences(in: sentence) { add(.quote, quote) }
                continue
            }
            guard let (form, text) = readFact(sentence, first: position == 0, name: name, pronoun: pronoun, kind: kind, properNouns: properNouns) else { continue }
            add(form, text)
        }
        return facts
    }

    /// The description without what is not prose: template macros, emphasis marks, list items, script
    /// settings and the player's own lines of a sample dialogue.
    static func cleaned(_ description: String, name: String) -> String {
        var text = description
        for (macro, value) in [("{{user}}", "you"), ("{{User}}", "you"), ("<USER>", "you"), ("{{char}}", name), ("{{Char}}", name), ("<BOT>", name)] {
            text = text.replacing(macro, with: value)
        }
        // *Emotes* are a roleplay's stage directions for another scene, not facts: dropped whole.
        text = Self.withoutEmotes(text)
        var lines: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            var line = line.trimmingWhitespace()
            guard let first = line.first, !">-•#|[{(<=+~0123456789".contains(first) else { continue }
            // "Label: value" lines are data, except a speaker's line of dialogue, which keeps its words.
            if let colon = line.firstIndex(of: ":") {
                let label = line[..<colon]
                let labelWords = label.split(separator: " ")
                if labelWords.count <= 3 && !Prose.hasVerb(String(label)) {
                    let value = line[line.index(after: colon)...].trimmingWhitespace()
                    if label.lowercased() == "you" { continue }
                    if value.first == "\"" || value.first == "“" || label == name {
                        line = value
                    } else if ["description", "summary", "about", "background", "history", "appearance", "overview"].contains(label.lowercased()) {
                        line = value
                    } else if labelWords.count == 1 || !(label.first?.isUppercase ?? false) || line.filter({ $0 == ":" }).count > 1 {
                        continue
                    }
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `text` without its `*…*` spans (and any `*` left unpaired).
    static func withoutEmotes(_ text: String) -> String {
        var result = ""
        var inside = false
        for character in text {
            if character == "*" {
                inside.toggle()
            } else if !inside || character.isNewline {
                result.append(character)
            }
        }
        return result
    }

    /// The sentences inside the double quotes of `sentence` that read as things someone would say.
    static func quotedSentences(in sentence: String) -> [String] {
        var quotes: [String] = []
        var current: String?
        for character in sentence {
            if character == "\"" || character == "“" || character == "”" {
                let closing = character == "”" || (character == "\"" && current != nil)
                if closing, let quote = current {
                    quotes.append(quote)
                    current = nil
                } else {
                    current = ""
                }
            } else if current != nil {
                current!.append(character)
            }
        }
        return quotes.flatMap { Prose.sentences($0) }.filter { quote in
            let words = Prose.words(quote)
            return words.count >= 4 && words.count <= 30 && ".!?".contains(quote.last ?? " ")
                && quote.first?.isUppercase == true && Prose.hasVerb(quote) && !quote.contains(where: { "[]{}<>|#=*_".contains($0) })
        }
    }

    /// One sentence of a description as a fact, or nil when it cannot be told as a whole sentence.
    static func readFact(
        _ raw: String, first: Bool, name: String, pronoun: Lexicon.Pronoun, kind: Kind, properNouns: Set<String>
    ) -> (StoryCard.Fact.Form, String)? {
        var sentence = raw
        guard !sentence.contains(where: { "[]{}<>|#=+@/\\_~^".contains($0) }), Prose.quotesBalanced(sentence), !sentence.lowercased().contains("http"),
              sentence.first?.isUppercase == true else { return nil }
        var words = Prose.words(sentence)
        guard words.count >= 3, words.count <= 45 else { return nil }
        // First-person sentences outside quotes are someone's notes, not the story's facts.
        if words.contains(where: { ["i", "my", "me", "we", "our", "us", "i'm", "mine"].contains($0) }) { return nil }
        if !".!?".contains(sentence.last(where: { !"\"”’')".contains($0) }) ?? " ") { sentence += "." }

        // A sentence that starts with the card's pronoun is about the card: say its name instead.
        let lead = words[0]
        let replacements: [String: String] = switch pronoun {
        case .she: ["she": name, "her": name + "'s"]
        case .he: ["he": name, "his": name + "'s"]
        case .it: ["it": name, "its": name + "'s"]
        case .they: kind == .group ? ["they": name, "their": name + "'s"] : [:]
        }
        if let replacement = replacements[lead] {
            sentence = replacement + sentence.drop { $0.isLetter || $0 == "'" || $0 == "’" }
            words = Prose.words(sentence)
        } else if ["he", "she", "it", "they", "his", "her", "its", "their", "this", "these"].contains(lead) {
            return nil
        }

        if let colon = sentence.firstIndex(of: ":") {
            let label = String(sentence[..<colon])
            if !Prose.hasVerb(label) {
                // "Gullwick's ferryman: broad, grey-bearded, a man of few words…": the label is who it
                // is, the rest what it is like; a heading ("Ground floor: store room…") is neither.
                let labelWords = Prose.words(label)
                let startsAsNoun = ["a", "an", "the"].contains(labelWords.first ?? "") || labelWords.first?.hasSuffix("'s") == true
                guard first, startsAsNoun, labelWords.count >= 2 else { return nil }
                sentence = label + "," + sentence[sentence.index(after: colon)...]
                words = Prose.words(sentence)
            }
        }

        if let verb = Lexicon.mainVerbIndex(sentence) {
            let adverbs: Set<String> = ["never", "always", "often", "still", "once", "rarely", "also", "sometimes", "usually", "only"]
            if verb == 0 || (verb == 1 && adverbs.contains(words[0])) {
                // "Refuses to set foot on the island…": the card is the one who refuses.
                return (.clause, name + " " + lowercasingFirstWord(sentence, properNouns: properNouns))
            }
            return (.clause, sentence)
        }
        // No verb of its own: a description, if its first phrase has no verb either ("Civil protection
        // wear masks" only lacks a verb this lexicon knows).
        let head = sentence.prefix { $0 != "," }
        if Prose.words(String(head)).contains(where: Lexicon.baseForms.contains) { return nil }
        // "The Citadel also functions as…": a clause about the card whose verb this lexicon does not know.
        let nameWords = Prose.words(name).filter { !Lexicon.functionWords.contains($0) }
        if Lexicon.relativeWords.contains(words[0]) || words.prefix(3).contains(where: nameWords.contains) { return nil }
        // "…as she looks upon you": a clause whose verb this lexicon does not know.
        if words.contains(where: { ["she", "he", "they", "we", "you", "i"].contains($0) }) { return nil }
        var description = lowercasingFirstWord(sentence, properNouns: properNouns)
        while let last = description.last, ".!?".contains(last) { description.removeLast() }
        return (.description, description)
    }

    /// `sentence` with its first word lowercased, unless that word is a name.
    static func lowercasingFirstWord(_ sentence: String, properNouns: Set<String>) -> String {
        let firstWord = sentence.prefix { $0.isLetter }
        if properNouns.contains(String(firstWord)) || firstWord.count <= 1 && firstWord != "A" { return sentence }
        if firstWord.count > 1, firstWord.dropFirst().contains(where: \.isUppercase) { return sentence }
        return sentence.prefix(1).lowercased() + sentence.dropFirst()
    }

    /// Capitalised words that appear where no sentence starts: names, in any of the texts.
    static func properNouns(in texts: [String]) -> Set<String> {
        var nouns = Set<String>()
        for text in texts {
            for sentence in Prose.sentences(text) {
                var atStart = true
                var word = ""
                for character in sentence + " " {
                    if character.isLetter {
                        word.append(character)
                        continue
                    }
                    if !word.isEmpty {
                        if !atStart, word.first!.isUppercase, !Lexicon.functionWords.contains(word.lowercased()) { nouns.insert(word) }
                        atStart = false
                        word = ""
                    }
                    if "\"“(".contains(character) { atStart = true }
                }
            }
        }
        return nouns
    }
}
