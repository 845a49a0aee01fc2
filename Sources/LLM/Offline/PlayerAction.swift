import ImaginAICore

/// The player's action as the storyteller understands it: what kind it is, the verb, what it is done to
/// and who it is about.
struct PlayerAction {
    enum Kind { case doing, saying, story }

    /// What a verb does to the world; each has its own consequences.
    enum VerbClass { case light, extinguish, open, close, unlock, lock, take, drop, look, move, talk, fight, rest, use }

    var kind: Kind
    /// As typed (trimmed), in the second person for a `do`.
    var text: String
    /// Lowercased verb, "" for speech and narration.
    var verb = ""
    var verbClass: VerbClass = .use
    /// "the lamp", "your lantern", "Brannoch Tull"; "" when the action has no object.
    var object = ""
    /// The object's last word, lowercased: what an answer must mention ("lamp").
    var head = ""
    /// Where a move goes ("the lamp room"), or "" when it names nowhere.
    var destination = ""

    static let particles: Set<String> = ["up", "down", "at", "around", "to", "into", "out", "on", "off", "for", "through", "over", "in", "inside", "outside", "back", "away", "about", "onto", "toward", "towards", "across", "under", "along", "with", "from"]
    /// Words that end the object and begin a detail of place or manner.
    static let objectEnders: Set<String> = ["in", "on", "with", "at", "from", "to", "into", "for", "using", "and", "then", "while", "before", "after", "by", "under", "behind", "near", "beside", "toward", "towards", "again", "carefully", "slowly", "quickly", "quietly", "so", "until", "because"]
    static let determiners: Set<String> = ["the", "a", "an", "your", "my", "his", "her", "their", "its", "this", "that", "these", "those", "some", "every", "each", "all"]

    static let classes: [String: VerbClass] = {
        var table: [String: VerbClass] = [:]
        func add(_ verbClass: VerbClass, _ verbs: String) {
            for verb in verbs.split(separator: " ") { table[String(verb)] = verbClass }
        }
        add(.light, "light ignite kindle relight")
        add(.extinguish, "extinguish douse snuff")
        add(.open, "open unbar unlatch unseal")
        add(.close, "close shut bar latch seal")
        add(.unlock, "unlock")
        add(.lock, "lock")
        add(.take, "take grab get pick collect pocket steal seize lift")
        add(.drop, "drop discard abandon")
        add(.look, "look examine inspect study search check read watch observe peer scan explore investigate listen smell touch feel sniff")
        add(.move, "go walk run head climb return enter leave cross descend ascend travel follow flee hurry sail row wander step approach exit move")
        add(.talk, "talk speak ask greet tell call shout question chat whisper answer reply say yell")
        add(.fight, "attack hit strike fight kill stab shoot punch kick slash")
        add(.rest, "wait rest sleep sit pray think remember hide breathe relax meditate")
        return table
    }()

    init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// Reads a `do` action ("I light the lamp in the tower", "pick up the key", "go to the village").
    /// `previousObject` is what "it" and "them" stand for.
    static func reading(do raw: String, previousObject: String) -> PlayerAction {
        var tokens = raw.split(whereSeparator: { $0 == " " || $0.isNewline }).map(String.init)
        while let first = tokens.first, ["i", "you", "i'll", "i’ll", "then", "now", "carefully", "slowly", "quickly", "quietly", "try", "to"].contains(first.lowercased()) {
            tokens.removeFirst()
        }
        var action = PlayerAction(kind: .doing, text: raw)
        guard let first = tokens.first else { return action }
        action.verb = first.lowercased().trimming(".,!?;:")
        action.verbClass = classes[action.verb] ?? .use
        var rest = Array(tokens.dropFirst())
        if let particle = rest.first?.lowercased().trimming(".,!?;:"), particles.contains(particle) {
            rest.removeFirst()
            switch (action.verb, particle) {
            case ("blow", "out"), ("put", "out"): action.verbClass = .extinguish
            case ("put", "down"), ("set", "down"): action.verbClass = .drop
            case ("pick", "up"), ("take", _): action.verbClass = .take
            case ("turn", "on"), ("switch", "on"): action.verbClass = .light
            case ("turn", "off"), ("switch", "off"): action.verbClass = .extinguish
            case ("look", _), ("search", _), ("listen", _): action.verbClass = .look
            default: break
            }
        }
        // A move may name where as its object ("climb the stairs") or after a particle ("go to the quay").
        var objectWords: [String] = []
        for token in rest {
            let word = token.lowercased().trimming(".,!?;:\"'")
            if !objectWords.isEmpty && objectEnders.contains(word) { break }
            if token.last.map({ ".,!?;:".contains($0) }) == true {
                objectWords.append(token.trimming(".,!?;:"))
                break
            }
            objectWords.append(token)
        }
        objectWords = objectWords.map { ["my": "your", "me": "you", "myself": "yourself", "mine": "yours"][$0.lowercased()] ?? $0 }
        if objectWords.count == 1, ["it", "them", "him", "her"].contains(objectWords[0].lowercased()), !previousObject.isEmpty {
            objectWords = previousObject.split(separator: " ").map(String.init)
        }
        if objectWords.count == 1, ["around", "about", "here", "there", "everything", "yourself", "you"].contains(objectWords[0].lowercased()) {
            objectWords = []
        }
        guard !objectWords.isEmpty else {
            action.readDestination()
            return action
        }
        let firstWord = objectWords[0]
        if !determiners.contains(firstWord.lowercased()) && firstWord.first?.isLowercase == true && !["upstairs", "downstairs", "outside", "inside", "home", "back", "away", "forward", "north", "south", "east", "west"].contains(firstWord.lowercased()) {
            objectWords.insert("the", at: 0)
        }
        action.object = objectWords.joined(separator: " ")
        action.head = Prose.words(objectWords.last ?? "").last ?? ""
        if action.verbClass == .move { action.destination = action.object }
        action.readDestination()
        return action
    }

    /// Where a move ends: the phrase after its last "to" or "into" ("climb the stairs to the lamp room"),
    /// else its object.
    mutating func readDestination() {
        guard verbClass == .move else { return }
        let tokens = text.split(separator: " ").map(String.init)
        guard let marker = tokens.lastIndex(where: { ["to", "into", "toward", "towards"].contains($0.lowercased()) }), marker + 1 < tokens.count else { return }
        var words: [String] = []
        for token in tokens[(marker + 1)...] {
            let word = token.lowercased().trimming(".,!?;:")
            if !words.isEmpty && ["and", "then", "while", "before", "after", "with", "again"].contains(word) { break }
            words.append(token.trimming(".,!?;:"))
            if token.last.map({ ".,!?;:".contains($0) }) == true { break }
        }
        if let first = words.first, first.first?.isLowercase == true, !Self.determiners.contains(first.lowercased()) { words.insert("the", at: 0) }
        if !words.isEmpty { destination = words.joined(separator: " ") }
    }
}
