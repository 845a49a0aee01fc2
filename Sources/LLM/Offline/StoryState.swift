import ImaginAICore

/// What the story so far says about the world, read afresh each turn from the text the model is given:
/// where the player is, who is with them, what they carry, what they lit or opened, and every sentence
/// already told (so none is told again while it is in view).
struct StoryState {
    enum ObjectState { case lit, dark, open, closed, locked }

    /// Where the player is, as the story names it ("the lamp room", "Gullwick"); "" when unknown.
    var place = ""
    /// The location card the place is, if any (an index into the cards).
    var placeCard: Int?
    /// Character cards present now, most recently seen first.
    var present: [Int] = []
    /// Character cards last seen leaving, anywhere in the story in view.
    var departed = Set<Int>()
    /// By the object's last word ("lamp", "door").
    var objects: [String: ObjectState] = [:]
    /// Objects taken and not dropped, as the player named them.
    var carried: [String] = []
    /// The object of the latest action that had one: what "it" means.
    var lastObject = ""
    /// The keys of every sentence in view (see `Prose.key`).
    var told = Set<String>()
    /// The whole story in view as one key, to find a fact already told inside a longer sentence.
    var toldText = ""
    /// Weather and setting words the story and its cards use ("fog", "rain", "forest").
    var elements: [String] = []
    /// Whether the player is under the open sky: the place or the story's setting says so.
    var isOutdoors: Bool {
        let outdoorPlaces = ["forest", "woods", "field", "road", "street", "beach", "shore", "garden", "wastelands", "wastes", "roof", "quay", "harbor", "harbour", "square", "mountain", "hill", "river", "glade", "clearing", "causeway", "stair"]
        let lowered = place.lowercased()
        if outdoorPlaces.contains(where: { StoryCard.containsWord(lowered, $0) }) { return true }
        return place.isEmpty && elements.contains { ["forest", "river", "sand", "snow", "stars", "waves"].contains($0) } && !elements.contains("machines")
    }


    /// How many paragraphs of the story (narration and actions) the state is read from.
    static let readParagraphs = 64

    /// How many paragraphs of narration back no sentence and no card fact is told again.
    static let memoryParagraphs = 24

    static let elementWords = ["fog", "mist", "rain", "wind", "snow", "sea", "storm", "smoke", "dust", "ash", "sand", "forest", "river", "fire", "stars", "moon", "tide", "waves", "ice", "rust", "machines", "neon"]
    static let departures = ["away", "leaves", "departs", "disappears", "vanishes", "vanished", "is gone", "are gone", "was gone", "slips out", "walks off", "goes out", "heads off", "rowed off", "has left", "had left", "gone now", "not here", "no longer here"]
    static let speechVerbs = ["says", "asks", "answers", "replies", "whispers", "mutters", "calls", "murmurs"]

    /// `places`: every location card of the adventure (fired or not, without facts); the fired
    /// location cards stand in for them when there are none.
    init(story: String, cards: [StoryCard], places allPlaces: [StoryCard] = [], dropCurrentAction: Bool) {
        let places = allPlaces.isEmpty ? cards.filter { $0.kind == .location } : allPlaces
        func firedIndex(of place: StoryCard) -> Int? { cards.firstIndex { $0.kind == .location && $0.name == place.name } }
        // Only the newest paragraphs are read, so a turn of a long adventure costs what one of a new
        // adventure does: what is older than them is forgotten, as a reader forgets it.
        var (paragraphs, more) = Self.newestParagraphs(of: story, count: Self.readParagraphs + 1)
        if dropCurrentAction, !paragraphs.isEmpty { paragraphs.removeLast() }
        // Where the story opened, when its opening is older than what is read.
        let trueOpening = more ? Self.openingParagraphs(of: story) : nil

        var pending: PlayerAction?
        var narrationText: [String] = []
        var moved = false
        var openingParagraphs: [String]?
        // The narration that says who is here: the end of the opening, then everything told since the
        // player last moved (people stay until they are seen leaving or the player leaves them).
        var scene: [String] = []
        for paragraph in paragraphs {
            if paragraph.hasPrefix("> ") {
                if openingParagraphs == nil {
                    openingParagraphs = narrationText
                    scene = Array(narrationText.suffix(2))
                }
                var line = String(paragraph.dropFirst(2))
                if line.hasPrefix("You say \"") || line.hasPrefix("You say “") { pending = nil; continue }
                if line.hasPrefix("You ") { line.removeFirst(4) }
                let action = PlayerAction.reading(do: line, previousObject: lastObject)
                if !action.object.isEmpty { lastObject = action.object }
                if action.verbClass == .move, !action.destination.isEmpty {
                    place = action.destination
                    placeCard = places.first { $0.isMentioned(in: action.destination.lowercased()) }.flatMap(firedIndex)
                    moved = true
                    scene = []
                }
                pending = action
                continue
            }
            narrationText.append(paragraph)
            if openingParagraphs != nil { scene.append(paragraph) }
            if let action = pending {
                record(outcome: paragraph.lowercased(), of: action)
                pending = nil
            }
        }
        if !moved {
            // Where the story opens: the place its opening names most often.
            let opening = (trueOpening ?? openingParagraphs ?? narrationText).joined(separator: "\n").lowercased()
            let counts = places.map { place in (place, place.mentions.reduce(0) { $0 + Prose.offsets(of: $1, in: opening).count }) }
            if let (best, count) = counts.max(by: { $0.1 < $1.1 }), count > 0 {
                placeCard = firedIndex(of: best)
                place = best.name
            }
        }
        present = Self.presence(in: openingParagraphs == nil ? Array(narrationText.suffix(2)) : scene, cards: cards)
        departed = Self.departures(in: narrationText, cards: cards)
        // What a reader still remembers: about the last twenty answers (and the opening, early on).
        let remembered = narrationText.suffix(Self.memoryParagraphs)
        for paragraph in remembered {
            for sentence in Prose.sentences(paragraph) {
                told.insert(Prose.key(sentence))
                if let tail = Narrator.tailKey(sentence) { told.insert(tail) }
            }
        }
        toldText = remembered.map(Prose.key).joined(separator: " | ")
        // The weather the story itself tells of; a card pack without an opening lends its own words.
        let narrated = narrationText.joined(separator: " ").lowercased()
        elements = Self.elementWords.filter { StoryCard.containsWord(narrated, $0) }
        if elements.isEmpty {
            let described = cards.flatMap { $0.facts.map(\.text) }.joined(separator: " ").lowercased()
            elements = Self.elementWords.filter { StoryCard.containsWord(described, $0) }
        }
    }

    /// The last `count` paragraphs of `story` (split at blank lines, trimmed, without the author's
    /// note), oldest first, found from the end; `more` tells whether older ones were left unread.
    static func newestParagraphs(of story: String, count: Int) -> (paragraphs: [String], more: Bool) {
        var paragraphs: [String] = []
        let bytes = story.utf8
        var end = bytes.endIndex
        var index = bytes.endIndex
        while index > bytes.startIndex && paragraphs.count < count {
            let previous = bytes.index(before: index)
            let atBreak = bytes[previous] == UInt8(ascii: "\n") && previous > bytes.startIndex
                && bytes[bytes.index(before: previous)] == UInt8(ascii: "\n")
            if atBreak || previous == bytes.startIndex {
                let start = atBreak ? index : previous
                let paragraph = String(story[start..<end]).trimmingWhitespace()
                if !paragraph.isEmpty && !paragraph.hasPrefix("[Author's note") { paragraphs.append(paragraph) }
                guard atBreak else { return (paragraphs.reversed(), false) }
                end = bytes.index(before: previous)
                index = end
                continue
            }
            index = previous
        }
        return (paragraphs.reversed(), index > bytes.startIndex)
    }

    /// The story's first paragraphs before its first action (at most six), read from the start.
    static func openingParagraphs(of story: String) -> [String] {
        var opening: [String] = []
        // The seventh piece is the rest of the story, never read.
        for paragraph in story.split(separator: "\n\n", maxSplits: 6).prefix(6) {
            let trimmed = paragraph.trimmingWhitespace()
            if trimmed.hasPrefix("> ") || opening.count == 6 { break }
            if !trimmed.isEmpty && !trimmed.hasPrefix("[Author's note") { opening.append(trimmed) }
        }
        return opening
    }

    /// What the narration after an action says happened to its object.
    private mutating func record(outcome: String, of action: PlayerAction) {
        guard !action.head.isEmpty else { return }
        switch action.verbClass {
        case .light: objects[action.head] = .lit
        case .extinguish: objects[action.head] = .dark
        case .open: objects[action.head] = outcome.contains("locked") ? .locked : .open
        case .unlock: objects[action.head] = outcome.contains("locked") ? .locked : .closed
        case .close: objects[action.head] = .closed
        case .lock: objects[action.head] = .locked
        case .take:
            if !outcome.contains("already") && !carried.contains(action.object) { carried.append(action.object) }
        case .drop: carried.removeAll { Prose.words($0).last == action.head }
        default: break
        }
    }

    /// Character cards present in `paragraphs`: named as the subject of a sentence or as a speaker, and
    /// not seen leaving after that. Most recently seen first.
    static func presence(in paragraphs: [String], cards: [StoryCard]) -> [Int] {
        var present: [Int] = []
        for sentence in paragraphs.flatMap(Prose.sentences) {
            let lowered = sentence.lowercased()
            let unquoted = Self.withoutQuotes(lowered)
            for (index, card) in cards.enumerated() where card.kind == .character {
                let names = [card.name.lowercased(), card.shortName.lowercased()]
                guard names.contains(where: { StoryCard.containsWord(lowered, $0) }) else { continue }
                if departures.contains(where: { unquoted.contains($0) }) {
                    present.removeAll { $0 == index }
                    continue
                }
                // "Ottoline's last pages…" is about her things, not her.
                let startsWithName = names.contains { unquoted.trimming(" \"“”").hasPrefix($0 + " ") }
                let speaks = names.contains { name in speechVerbs.contains { unquoted.contains("\(name) \($0)") || unquoted.contains("\($0) \(name)") } }
                if startsWithName || speaks {
                    present.removeAll { $0 == index }
                    present.insert(index, at: 0)
                }
            }
        }
        return present
    }

    /// For each character of `text`, whether it is outside double quotes.
    static func quoteMask(_ text: String) -> [Bool] {
        var inside = false
        return text.map { character in
            if character == "\"" || character == "“" || character == "”" {
                inside = character == "”" ? false : (character == "“" ? true : !inside)
                return false
            }
            return !inside
        }
    }

    /// Character cards whose latest mention in `paragraphs` is a sentence of leaving.
    static func departures(in paragraphs: [String], cards: [StoryCard]) -> Set<Int> {
        var departed = Set<Int>()
        for sentence in paragraphs.flatMap(Prose.sentences) {
            let lowered = sentence.lowercased()
            let unquoted = withoutQuotes(lowered)
            for (index, card) in cards.enumerated() where card.kind == .character {
                guard [card.name.lowercased(), card.shortName.lowercased()].contains(where: { StoryCard.containsWord(lowered, $0) }) else { continue }
                if departures.contains(where: { unquoted.contains($0) }) { departed.insert(index) } else { departed.remove(index) }
            }
        }
        return departed
    }

    static func withoutQuotes(_ text: String) -> String {
        String(zip(text, quoteMask(text)).compactMap { $1 ? $0 : nil })
    }

    /// Whether a fact's words already appear in the story in view.
    func hasTold(_ fact: StoryCard.Fact) -> Bool {
        Prose.contains(fact.key, in: toldText)
    }
}
