import ImaginAICore

/// Writes one answer: a consequence for the player's action, the facts of the cards the story brought
/// up set into the scene, the people who are present, and the scene itself, as whole sentences none of
/// which the story in view has told before.
struct Narrator {
    let cards: [StoryCard]
    let properNouns: Set<String>
    let state: StoryState
    let action: PlayerAction?
    /// Sentence keys the answer must not repeat: the story in view and any earlier answer to this turn.
    var avoid: Set<String>
    var random: SeededRandom
    /// Earlier answers to this turn, as one key: a retry tells other facts.
    let earlierText: String
    let budget: Int
    let target: Int

    private(set) var told: [String] = []
    private(set) var tokens = 0
    /// The first sentence that did not fit, kept in case nothing else is told.
    private(set) var oversized: String?
    private var usedFacts = Set<String>()
    private var grammar: Grammar

    init(
        cards: [StoryCard], properNouns: Set<String>, state: StoryState, action: PlayerAction?, avoid: Set<String>,
        earlierAnswers: [String], random: SeededRandom, budget: Int
    ) {
        earlierText = earlierAnswers.map(Prose.key).joined(separator: " | ")
        self.cards = cards
        self.properNouns = properNouns.subtracting(["The", "A", "An"])
        self.state = state
        self.action = action
        self.avoid = avoid
        self.random = random
        self.budget = budget
        // A paragraph, not a chapter: long answers read as padding.
        target = min(budget, 110)
        var grammar = StoryGrammar.base
        let elementLines = state.elements.flatMap { StoryGrammar.elementLines[$0] ?? [] }
        if !elementLines.isEmpty { grammar = grammar.with("elementLine", elementLines) }
        self.grammar = grammar
    }

    var isFull: Bool { tokens >= target }

    // MARK: Telling

    /// Tells the sentence if it is whole, new and fits; returns whether it did.
    @discardableResult
    mutating func tell(_ raw: String) -> Bool {
        let sentence = Self.tidy(raw)
        let key = Prose.key(sentence)
        let tail = Self.tailKey(sentence)
        let words = Prose.words(sentence)
        if state.isOutdoors, words.contains(where: Self.indoorWords.contains), !words.contains(action?.head ?? "-") { return false }
        guard !key.isEmpty, !sentence.contains("{"), !avoid.contains(key), tail.map({ !avoid.contains($0) }) ?? true,
              Prose.quotesBalanced(sentence), Prose.sentences(sentence).allSatisfy(Prose.hasVerb) else { return false }
        let cost = TokenEstimator.estimate(sentence)
        guard tokens + cost <= budget else {
            if oversized == nil { oversized = sentence }
            return false
        }
        told.append(sentence)
        avoid.insert(key)
        if let tail { avoid.insert(tail) }
        for part in Prose.sentences(sentence) { avoid.insert(Prose.key(part)) }
        tokens += cost
        return true
    }

    /// Expands `rule` until it gives a sentence that can be told (a few tries), and tells it.
    @discardableResult
    mutating func tell(rule: String, _ values: [String: String] = [:], tries: Int = 24) -> Bool {
        let grammar = values.isEmpty ? self.grammar : self.grammar.with(Self.withCapitals(values))
        for _ in 0..<tries {
            if tell(grammar.expand("{\(rule)}", &random)) { return true }
        }
        return false
    }

    /// What air and people pass through when it is open.
    static let passages: Set<String> = ["door", "gate", "window", "hatch", "shutter", "trapdoor", "doors", "gates", "shutters"]

    /// What a scene under the open sky does not have.
    static let indoorWords: Set<String> = ["door", "window", "windows", "ceiling", "floor", "walls", "roof", "stove", "shutter", "corners", "room"]

    /// The key of what follows a short opening phrase ("Outside, water drips onto stone" → "water drips
    /// onto stone"): the same event told from another place is still the same sentence to a reader.
    static func tailKey(_ sentence: String) -> String? {
        guard let comma = sentence.firstIndex(of: ","), sentence[..<comma].split(separator: " ").count <= 3 else { return nil }
        let tail = Prose.key(String(sentence[sentence.index(after: comma)...]))
        return tail.split(separator: " ").count >= 3 ? tail : nil
    }

    /// Capitalises the first letter, after any opening quote, and ends the sentence with a stop.
    static func tidy(_ raw: String) -> String {
        var sentence = raw.trimmingWhitespace()
        while sentence.contains("  ") { sentence = sentence.replacing("  ", with: " ") }
        if let index = sentence.firstIndex(where: \.isLetter), sentence[index].isLowercase {
            sentence.replaceSubrange(index...index, with: sentence[index].uppercased())
        }
        if let last = sentence.last, !".!?\"”…".contains(last) { sentence += "." }
        return sentence
    }

    /// Each value also as `Capitalised` under its capitalised slot name (`obj` → `Obj`).
    static func withCapitals(_ values: [String: String]) -> [String: String] {
        var all = values
        for (name, value) in values { all[name.capitalizedFirst] = value.capitalizedFirst }
        return all
    }

    // MARK: Facts

    /// The card's facts not yet in the story or this answer, in the card's order.
    func freshFacts(of card: StoryCard) -> [StoryCard.Fact] {
        card.facts.filter { !usedFacts.contains($0.key) && !state.hasTold($0) && !Prose.contains($0.key, in: earlierText) }
    }

    /// Tells one new fact of the card, set into the scene the way the card stands in it; false when
    /// the card has nothing new to tell.
    @discardableResult
    mutating func tellFact(of index: Int, as role: FactRole) -> Bool {
        let card = cards[index]
        var facts = freshFacts(of: card)
        if case .spoken = role { facts.sort { ($0.form == .description ? 1 : 0) < ($1.form == .description ? 1 : 0) } }
        for fact in facts {
            usedFacts.insert(fact.key)
            if tell(fact: fact, of: card, as: role) { return true }
        }
        return false
    }

    enum FactRole { case here, present, object, remembered, spoken(by: Int) }

    private mutating func tell(fact: StoryCard.Fact, of card: StoryCard, as role: FactRole) -> Bool {
        let name = Self.midSentence(card.name)
        let names: [String: String] = ["name": name, "desc": fact.text]
        switch (fact.form, role) {
        case (.quote, .spoken(let speaker)):
            let text = fact.text
            return tell(rule: "saysQuote", ["name": callName(speaker), "quote": text, "quoteNoStop": String(text.dropLast())])
        case (.quote, _):
            return tell(rule: "heardWords", ["quote": fact.text])
        case (.clause, .spoken(let speaker)):
            let speakerName = callName(speaker)
            return tell(rule: "answerIntro", ["name": speakerName, "poss": cards[speaker].pronoun.possessive])
                && tell("\"\(fact.text)\"")
        case (.clause, .here), (.clause, .present), (.clause, .object):
            return tell(fact.text)
        case (.clause, .remembered):
            let clause = StoryCard.lowercasingFirstWord(fact.text, properNouns: properNouns)
            return tell(rule: "recall", ["clause": clause])
        case (.description, .here) where card.kind == .location:
            // "You take in X: walkable only at low tide" reads wrong; a colon wants a noun after it.
            let nounFirst = ["a", "an", "the"].contains(Prose.words(fact.text).first ?? "") || fact.text.first?.isUppercase == true
            return tell(rule: nounFirst ? "placeDescription" : "placeAppositive", names)
        case (.description, .here):
            return tell(rule: "objectDescription", names)
        case (.description, .present):
            return tell(rule: "presentDescription", names)
        case (.description, .object):
            return tell(rule: "objectDescription", names)
        case (.description, .spoken(let speaker)):
            return tell(rule: "tellsAbout", ["name": callName(speaker), "topic": name, "desc": fact.text])
        case (.description, .remembered):
            return tell(rule: "thinkOf", names)
        }
    }

    /// How the answer names a card: in full the first time, by its short name after that
    /// ("Brannoch Tull arrives… Brannoch says…").
    func callName(_ index: Int) -> String {
        let card = cards[index]
        let full = Self.midSentence(card.name)
        return card.shortName != card.name && told.contains(where: { $0.contains(card.name) || $0.contains(full) }) ? card.shortName : full
    }

    /// "The Grey Tenant" inside a sentence is "the Grey Tenant".
    static func midSentence(_ name: String) -> String {
        name.hasPrefix("The ") ? "the" + name.dropFirst(3) : name
    }

    // MARK: The answer

    mutating func compose() {
        switch action?.kind {
        case .doing: answerDo(action!)
        case .saying: answerSay(action!)
        case .story: tell(rule: "story")
        case nil: tell(rule: "event")
        }
        fillScene()
    }

    /// The cards the object names, most specific first.
    func cardNamed(in phrase: String) -> Int? {
        let lowered = phrase.lowercased()
        guard !lowered.isEmpty else { return nil }
        return cards.indices.first { cards[$0].isMentioned(in: lowered) }
    }

    private mutating func answerDo(_ action: PlayerAction) {
        let objectValues = Self.objectSlots(action.object).merging(["action": Self.secondPerson(action.text)]) { $1 }
        let head = action.head
        let objectCard = cardNamed(in: action.object)
        switch action.verbClass {
        case .light where !action.object.isEmpty:
            tell(rule: state.objects[head] == .lit ? "alreadyLit" : "light", objectValues)
        case .extinguish where !action.object.isEmpty:
            tell(rule: state.objects[head] == .dark ? "alreadyDark" : "extinguish", objectValues)
        case .open where !action.object.isEmpty:
            switch state.objects[head] {
            case .open: tell(rule: "alreadyOpen", objectValues)
            case .locked: tell(rule: "stillLocked", objectValues)
            default: tell(rule: Int.random(in: 0..<10, using: &random) < 7 ? "open" : "locked", objectValues)
            }
        case .close where !action.object.isEmpty:
            tell(rule: "close", objectValues)
        case .unlock where !action.object.isEmpty:
            if let key = state.carried.first(where: { $0.lowercased().contains("key") }) {
                tell(rule: "unlockWithKey", objectValues.merging(["key": key]) { $1 })
            } else {
                tell(rule: "unlockWithout", objectValues)
            }
        case .lock where !action.object.isEmpty:
            tell(rule: "lock", objectValues)
        case .take where !action.object.isEmpty:
            tell(rule: state.carried.contains(action.object) ? "alreadyCarried" : "take", objectValues)
        case .drop where !action.object.isEmpty:
            tell(rule: state.carried.contains { Prose.words($0).last == head } ? "drop" : "notCarried", objectValues)
        case .look:
            if action.verb == "listen" {
                tell(rule: "listen", objectValues)
                tell(rule: "atmosphere")
            } else if action.object.isEmpty || cardNamed(in: action.object).map({ $0 == state.placeCard }) == true {
                lookAround()
                return
            } else {
                tell(rule: action.verb == "read" ? "read" : "lookAt", objectValues)
                if let objectCard, tellFact(of: objectCard, as: .object) {
                    tellFact(of: objectCard, as: .object)
                } else {
                    tell(rule: "detail", objectValues)
                }
                return
            }
        case .move:
            move(action)
            return
        case .talk:
            answerSay(action)
            return
        case .fight:
            if let target = cards.indices.first(where: { cards[$0].kind == .character && cards[$0].isMentioned(in: action.text.lowercased()) }),
               state.present.contains(target) {
                tell(rule: "fightCharacter", ["name": callName(target), "poss": cards[target].pronoun.possessive])
            } else if !action.object.isEmpty {
                tell(rule: "fightObject", objectValues)
            } else {
                tell(rule: "use", objectValues)
            }
        case .rest:
            tell(rule: "rest", objectValues)
            tell(rule: "time")
        default:
            tell(rule: "use", objectValues)
            tell(rule: action.object.isEmpty ? "useNothing" : "useResult", objectValues)
        }
        // Every known consequence of this already told in view: the action is still answered, in words
        // of its own.
        if told.isEmpty && !action.object.isEmpty {
            _ = tell(rule: "use", objectValues) || tell(rule: "lookAt", objectValues) || tell(rule: "objectFallback", objectValues)
        }
        // The object's own card says more about it.
        if let objectCard, objectCard != state.placeCard { tellFact(of: objectCard, as: .object) }
    }

    private mutating func lookAround() {
        tell(rule: "lookAround")
        if let place = state.placeCard {
            tellFact(of: place, as: .here)
            tellFact(of: place, as: .here)
        } else {
            tell(rule: "surroundings")
            tell(rule: "surroundings")
        }
    }

    private mutating func move(_ action: PlayerAction) {
        let destination = action.destination
        if destination.isEmpty || destination.first?.isLetter == false || !PlayerAction.determiners.contains(Prose.words(destination).first ?? "") && destination.first?.isLowercase == true {
            tell(rule: "moveAway", ["action": Self.secondPerson(action.text)])
            tell(rule: "arriveSomewhere")
        } else {
            tell(rule: "moveTo", ["dest": destination])
            if let place = cardNamed(in: destination), cards[place].kind == .location, tellFact(of: place, as: .here) {
            } else {
                tell(rule: "arrive", ["dest": destination])
            }
        }
        // People who were with you come along now and then; the rest stay behind.
        if let companion = state.present.first, Int.random(in: 0..<3, using: &random) == 0 {
            tell(rule: "follows", ["name": callName(companion)])
        }
    }

    private mutating func answerSay(_ action: PlayerAction) {
        let lowered = action.text.lowercased()
        // "Ask Isaura about Ottoline" is addressed to the one named first; speech to the one it opens
        // or ends with ("Wren, are you there?"); "What happened to Ottoline?" is about her, not to her.
        let mentioned = cards.indices.filter { cards[$0].kind == .character }
            .compactMap { index in cards[index].firstMention(in: lowered).map { (index, $0) } }
        let addressed: Int? = if action.kind == .saying {
            mentioned.first { Self.isVocative(lowered, at: $0.1) }?.0
        } else {
            mentioned.min { $0.1 < $1.1 }?.0
        }
        var listener: Int? = if let addressed { state.present.contains(addressed) ? addressed : nil } else { state.present.first }
        // Someone called by name who has not left for good may come at the call, now and then.
        if listener == nil, let addressed, canArrive(addressed), Int.random(in: 0..<2, using: &random) == 0,
           tell(rule: "joins", ["name": callName(addressed)]) {
            listener = addressed
        }
        guard let listener else {
            if let addressed {
                tell(rule: "absentListener", ["name": callName(addressed)])
            }
            tell(rule: "nobodyAnswers")
            return
        }
        let name = callName(listener)
        let values = ["name": name, "poss": cards[listener].pronoun.possessive]
        let words = Prose.words(action.text)
        let isQuestion = action.text.contains("?") || ["who", "what", "where", "why", "how", "when", "is", "are", "do", "does", "did", "can", "will"].contains(words.first ?? "")
        // "Brannoch?" says nothing but the name: it is a greeting.
        let onlyTheName = !words.isEmpty && words.allSatisfy { word in cards[listener].mentions.contains { $0.split(separator: " ").contains(Substring(word)) } }
        if onlyTheName || ["hello", "hi", "hey", "greetings", "evening", "morning"].contains(words.first ?? "") {
            tell(rule: "greet", values)
        } else if isQuestion {
            // A question about something the story knows is answered with it, now and then refused.
            let topic = cards.indices.first { $0 != listener && cards[$0].isMentioned(in: lowered) && !freshFacts(of: cards[$0]).isEmpty }
                ?? (freshFacts(of: cards[listener]).contains { $0.form == .quote } ? listener : nil)
            if let topic, Int.random(in: 0..<4, using: &random) > 0, tellFact(of: topic, as: .spoken(by: listener)) {
            } else {
                tell(rule: "refuse", values)
            }
        } else {
            tell(rule: "acknowledge", values)
        }
        if !isFull { tell(rule: "beat", values) }
    }

    /// The rest of the scene, until the answer is a paragraph: the people here, what the story
    /// brought up, what is lit, open or carried, the weather, and an ending that invites the next move.
    /// Whether the name at `offset` of `speech` is the one spoken to: first, or after the last comma.
    /// `offset` is in UTF-8 bytes, as `StoryCard.firstMention` gives it.
    static func isVocative(_ speech: String, at offset: Int) -> Bool {
        let before = String(decoding: speech.utf8.prefix(offset), as: UTF8.self).trimmingWhitespace()
        return before.isEmpty || before.hasSuffix(",") && !speech.utf8.dropFirst(offset).contains(UInt8(ascii: ","))
    }

    /// Whether a character may walk into the scene: a character card, not here, not seen leaving in
    /// the story in view, and not gone for good by its own card ("vanished", "dead").
    func canArrive(_ index: Int) -> Bool {
        let card = cards[index]
        return card.kind == .character && !state.present.contains(index) && !state.departed.contains(index) && !card.isGoneForGood
    }

    private mutating func fillScene() {
        // An empty scene is sometimes joined by someone the story has been talking about.
        if state.present.isEmpty, told.count < 3, action?.kind != .saying, action?.verbClass != .talk,
           let arriving = cards.indices.first(where: canArrive), Int.random(in: 0..<4, using: &random) == 0,
           tell(rule: "joins", ["name": callName(arriving)]) {
            tellFact(of: arriving, as: .present)
        }
        // People do not stay for ever: now and then, when the player waits or the story moves on, one goes.
        if let leaving = state.present.last, action == nil || action?.verbClass == .rest || action?.kind == .story,
           Int.random(in: 0..<5, using: &random) == 0, !told.contains(where: { $0.contains(cards[leaving].shortName) }) {
            tell(rule: "leaves", ["name": callName(leaving)])
        }
        for index in state.present.prefix(2) where !isFull && !told.contains(where: { $0.contains(cards[index].name) || $0.contains(cards[index].shortName) }) {
            if Int.random(in: 0..<3, using: &random) == 0, tellFact(of: index, as: .present) { continue }
            tell(rule: "beat", ["name": callName(index), "poss": cards[index].pronoun.possessive])
        }
        // Cards the recent text mentioned: one new fact, remembered rather than recited.
        var remembered = 0
        for index in cards.indices where !isFull && remembered < 1 {
            if state.present.contains(index) || index == state.placeCard && action?.verbClass == .look { continue }
            if told.contains(where: { $0.contains(cards[index].name) }) { continue }
            if tellFact(of: index, as: state.placeCard == index ? .here : .remembered) { remembered += 1 }
        }
        if !isFull, Int.random(in: 0..<3, using: &random) == 0 {
            if let lit = state.objects.first(where: { $0.value == .lit })?.key, action?.head != lit {
                tell(rule: "callbackLit", ["lit": "the " + lit])
            } else if let carried = state.carried.last, action?.object != carried {
                tell(rule: "callbackCarried", ["carried": carried])
            } else if let open = state.objects.first(where: { $0.value == .open && Self.passages.contains($0.key) })?.key, action?.head != open {
                tell(rule: "callbackOpen", ["open": "the " + open])
            }
        }
        // The scene: one line of it, two when the answer is still short, each of a different kind.
        var kinds = ["sceneSound", "sceneAir", "sceneLight", "sceneSilence", "elementLine", "elementLine", action == nil ? "time" : "event"]
        var scene = 0
        while !isFull && scene < (told.count < 3 ? 2 : 1) && !kinds.isEmpty {
            let kind = kinds.remove(at: Int.random(in: 0..<kinds.count, using: &random))
            if tell(rule: kind) { scene += 1 }
        }
        if !isFull && told.count >= 3 && Int.random(in: 0..<2, using: &random) == 0 { tell(rule: "hook") }
    }

    /// The object and the words that agree with it: "the lamp … it is", "the rations … they are".
    static func objectSlots(_ object: String) -> [String: String] {
        let head = Prose.words(object).last ?? ""
        let singularInS: Set<String> = ["lens", "atlas", "canvas", "gas", "bus", "chaos", "news", "series", "species", "iris", "axis", "bias", "pelvis"]
        let plural = head.count > 2 && head.hasSuffix("s") && !["ss", "us", "is"].contains(where: head.hasSuffix) && !singularInS.contains(head)
            || ["some", "these", "those", "several", "two", "three", "many"].contains(Prose.words(object).first ?? "")
        return plural
            ? ["obj": object, "it": "them", "itS": "they", "is": "are", "s": "", "es": "", "has": "have", "does": "do", "was": "were"]
            : ["obj": object, "it": "it", "itS": "it", "is": "is", "s": "s", "es": "es", "has": "has", "does": "does", "was": "was"]
    }

    /// A `do` action as the story tells it: "I light my lamp" → "light your lamp".
    static func secondPerson(_ text: String) -> String {
        var words = text.split(separator: " ").map(String.init)
        while let first = words.first, ["i", "you"].contains(first.lowercased()) { words.removeFirst() }
        let swaps = ["my": "your", "me": "you", "myself": "yourself", "mine": "yours", "i": "you", "am": "are"]
        words = words.map { swaps[$0.lowercased()] ?? $0 }
        var phrase = words.joined(separator: " ")
        while let last = phrase.last, ".!?,;:".contains(last) { phrase.removeLast() }
        return phrase.prefix(1).lowercased() + phrase.dropFirst()
    }
}
