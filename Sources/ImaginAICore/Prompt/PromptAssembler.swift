/// Builds the prompt for one turn: fixed sections first, then the cards the recent text mentions (see
/// `CardSelection` for which), then as much history as fits, newest first. Whatever is left out is
/// reported, never silently lost.
public enum PromptAssembler {
    /// `loadHistory(beforeIndex, limit)` returns up to `limit` turns older than `beforeIndex` (nil: the
    /// newest), oldest first. It is called page by page only until the budget is full, so a long
    /// adventure is never loaded whole. `cardIndex` must have been built from `material.cards`.
    /// `recall` searches the turns older than the history (see `RecallRequest`); nil: no memories.
    public static func assemble(
        material: PromptMaterial,
        action: (kind: PlayerActionKind, text: String)?,
        limits: PromptLimits,
        cardIndex: CardIndex,
        moment: PromptMoment = PromptMoment(),
        pageSize: Int = 64,
        recall: ((RecallRequest) throws -> [RecallHit])? = nil,
        loadHistory: (_ beforeIndex: Int?, _ limit: Int) throws -> [PromptTurn]
    ) throws -> AssembledPrompt {
        var sections: [PromptSectionKind: PromptSection] = [:]
        func set(_ kind: PromptSectionKind, _ text: String) {
            let trimmed = text.trimmingWhitespace()
            guard !trimmed.isEmpty else { return }
            sections[kind] = PromptSection(kind: kind, text: trimmed, tokens: TokenEstimator.estimate(trimmed))
        }
        set(.system, material.baseSystemInstruction)
        set(.instructions, material.instructions)
        set(.plotEssentials, material.plotEssentials)
        set(.authorsNotes, material.authorsNotes.isEmpty ? "" : "[Author's note: \(material.authorsNotes.trimmingWhitespace())]")
        set(.summary, SummaryFormatter.format(material.summary))
        if let action { set(.action, ActionFormatter.format(action.kind, action.text)) }

        let budget = limits.promptBudget
        let fixed = sections.values.reduce(0) { $0 + $1.tokens }
        guard fixed <= budget else {
            throw PromptError.fixedSectionsTooLarge(tokens: fixed, budget: budget)
        }

        // The newest page serves both the card scan window and the start of the history; it reaches as
        // deep as the deepest card scan. The window runs oldest to newest with the current action last,
        // because a later position is a more recent mention: a key the player just typed outranks one
        // only mentioned in older turns.
        let widest = cardIndex.widestScan(defaultDepth: limits.scanDepth)
        let page = try loadHistory(nil, max(pageSize, widest))
        let window = page.suffix(widest).map(\.text) + [action?.text ?? ""]

        let cardBudget = Int(Double(budget - fixed) * limits.cardShare)
        var cardTexts: [Int: String] = [:]
        let selection = CardSelection(
            cards: material.cards, index: cardIndex, window: window, defaultScanDepth: limits.scanDepth,
            recursionDepth: limits.recursionDepth, moment: moment, cardBudget: cardBudget
        ) { card in
            let text = CardFormatter.format(material.cards[card])
            cardTexts[card] = text
            return TokenEstimator.estimate(text) + 1
        }

        // Placement, each place in budget order (highest order first).
        var before: [String] = []
        var after: [String] = []
        var atDepth: [Int: [String]] = [:]
        var atDepthTokens = 0
        for position in selection.included {
            let card = selection.candidates[position].card
            let text = cardTexts[card] ?? CardFormatter.format(material.cards[card])
            switch material.cards[card].rules.position {
            case .beforeHistory: before.append(text)
            case .afterHistory: after.append(text)
            case .atDepth(let depth):
                atDepth[max(0, depth), default: []].append(text)
                atDepthTokens += TokenEstimator.estimate(text) + 1
            }
        }
        set(.cards, before.joined(separator: "\n"))
        set(.cardsAfterHistory, after.joined(separator: "\n"))

        // Cards placed at a depth go inside the history text but come out of the card budget, so the
        // history gets what is left after them.
        let remaining = budget - sections.values.reduce(0) { $0 + $1.tokens } - atDepthTokens
        var history = HistoryPages(first: page, pageSize: pageSize)
        var kept = try history.fill(remaining, load: loadHistory)

        // Recall: only when the history cannot hold every turn. The memories' share comes out of the
        // history's part first; the turns recall then brings back are older than any the smaller history
        // holds, so none is in both; what the memories leave unused goes back to the history, which
        // grows no further back than the newest recalled turn.
        var recalled: [RecallHit] = []
        if let recall, limits.memoryShare > 0, history.leavesTurnsOut(kept) {
            let memoryBudget = min(remaining, Int(Double(budget - fixed) * limits.memoryShare))
            kept = try history.fill(remaining - memoryBudget, load: loadHistory)
            let query = RecallQuery.build(
                action: action?.text,
                cardNames: selection.candidates.filter { $0.leftOut == nil }.map { material.cards[$0.card].name },
                recentTexts: page.suffix(max(1, limits.scanDepth)).map(\.text))
            let hits = query.isEmpty ? [] : try recall(RecallRequest(
                query: query, beforeIndex: history.oldestIndex(keeping: kept), limit: limits.memoryCandidates))
            var memoryLeft = memoryBudget
            for hit in hits {
                let cost = TokenEstimator.estimate(MemoryFormatter.format(hit.turn)) + 1
                guard cost <= memoryLeft else { continue }
                recalled.append(hit)
                memoryLeft -= cost
            }
            recalled.sort { $0.turn.index < $1.turn.index }
            set(.memories, recalled.map { MemoryFormatter.format($0.turn) }.joined(separator: "\n"))
            kept = try history.fill(remaining - (sections[.memories]?.tokens ?? 0), above: recalled.last?.turn.index, load: loadHistory)
        }
        var included = Array(history.loaded.prefix(kept))
        let dropped = history.loaded.dropFirst(kept).map(\.index)
        let olderOmitted = history.leavesTurnsOut(kept) ? (history.loaded.last?.index ?? 0) : 0
        included.reverse()
        var paragraphs = included.map(ActionFormatter.historyText)
        // Shallowest first: each insertion is then behind the places of the deeper ones still to come, so
        // it does not move them. A depth past the oldest included turn puts the cards at the start.
        for (depth, texts) in atDepth.sorted(by: { $0.key < $1.key }) {
            let place = max(0, included.count - depth)
            paragraphs.insert(texts.joined(separator: "\n"), at: place)
        }
        set(.history, paragraphs.joined(separator: "\n\n"))

        let firedCards = selection.candidates.map { candidate in
            let card = material.cards[candidate.card]
            return FiredCard(
                cardID: card.id, name: card.name, trigger: candidate.trigger, key: candidate.key,
                firedBy: candidate.firedBy.map { material.cards[$0].id }, leftOut: candidate.leftOut)
        }
        let activated = selection.candidates.filter { candidate in
            let rules = material.cards[candidate.card].rules
            return candidate.leftOut == nil && candidate.trigger != .sticky && (rules.sticky > 0 || rules.cooldown > 0)
        }.map { material.cards[$0.card].id }

        return AssembledPrompt(
            sections: PromptSectionKind.allCases.compactMap { sections[$0] },
            firedCards: firedCards,
            activatedCardIDs: activated,
            includedTurns: included.map(\.index),
            droppedTurns: dropped,
            olderTurnsOmitted: olderOmitted,
            recalledTurns: recalled.map { RecalledTurn(turnID: $0.turnID, index: $0.turn.index, text: $0.turn.text) },
            budgetTokens: budget
        )
    }
}

/// The history's turns newest first, loaded a page at a time only as far as a fill needs them.
struct HistoryPages {
    /// Newest first.
    private(set) var loaded: [PromptTurn] = []
    private var costs: [Int] = []
    private var exhausted = false
    let pageSize: Int

    init(first page: [PromptTurn], pageSize: Int) {
        self.pageSize = pageSize
        append(page)
    }

    private mutating func append(_ page: [PromptTurn]) {
        // The story starts at index 0: a page that reaches it, or an empty one, is the last.
        if page.isEmpty || page[0].index == 0 { exhausted = true }
        for turn in page.reversed() {
            loaded.append(turn)
            costs.append(TokenEstimator.estimate(ActionFormatter.historyText(turn)) + 1)
        }
    }

    /// How many of the newest turns fit `budget`, none of them at or below index `floor`. Loads pages as
    /// far as that takes, and the whole page where it stops (its other turns are reported dropped).
    mutating func fill(
        _ budget: Int, above floor: Int? = nil, load: (_ beforeIndex: Int?, _ limit: Int) throws -> [PromptTurn]
    ) throws -> Int {
        var left = budget
        var count = 0
        while true {
            if count == loaded.count {
                guard !exhausted, let oldest = loaded.last?.index else { return count }
                let before = loaded.count
                append(try load(oldest, pageSize))
                if loaded.count == before { return count }
            }
            if let floor, loaded[count].index <= floor { return count }
            guard costs[count] <= left else { return count }
            left -= costs[count]
            count += 1
        }
    }

    /// Whether keeping the newest `kept` turns leaves any turn of the story out.
    func leavesTurnsOut(_ kept: Int) -> Bool {
        kept < loaded.count || !exhausted
    }

    /// The index below which turns are not in a history of the newest `kept` turns.
    func oldestIndex(keeping kept: Int) -> Int {
        if kept > 0 { return loaded[kept - 1].index }
        return (loaded.first?.index).map { $0 + 1 } ?? 0
    }
}

/// How a recalled turn reads in the `memories` section: marked with its turn's index, so the model (and
/// the player reading the preview) can tell it from the running story.
enum MemoryFormatter {
    static func format(_ turn: PromptTurn) -> String {
        "[Turn \(turn.index)] " + ActionFormatter.historyText(turn)
    }
}

enum CardFormatter {
    static func format(_ card: PromptCard) -> String {
        let description = card.description.trimmingWhitespace()
        let type = card.type.trimmingWhitespace()
        let label = type.isEmpty ? card.name : "\(card.name) (\(type))"
        return description.isEmpty ? "[\(label)]" : "[\(label): \(description)]"
    }
}

/// How player actions read to the model: the second person, as the storyteller is asked to write.
public enum ActionFormatter {
    public static func format(_ kind: PlayerActionKind, _ text: String) -> String {
        let trimmed = text.trimmingWhitespace()
        switch kind {
        case .story:
            return trimmed
        case .do:
            guard !trimmed.isEmpty else { return "" }
            var body = trimmed
            // "You open" and "you open" and "open" all become "> You open".
            if body.lowercased().hasPrefix("you ") { body = String(body.dropFirst(4)).trimmingWhitespace() }
            if body.lowercased() == "you" { body = "" }
            // Players often write in the first person; the story is told in the second.
            if body.hasPrefix("I ") || body == "I" { body = String(body.dropFirst(1)).trimmingWhitespace() }
            if body.hasPrefix("I'") || body.hasPrefix("I’") {
                // I'm, I'd, I'll, I've: the contraction reads the same after "You" ("You're" aside).
                let contraction = body.dropFirst(1)
                let rest = contraction.hasPrefix("'m") || contraction.hasPrefix("’m")
                    ? contraction.prefix(1) + "re" + contraction.dropFirst(2) : contraction
                return "> " + endingWithPunctuation("You" + rest)
            }
            let sentence = body.isEmpty ? "You" : "You " + lowercasedFirst(body)
            return "> " + endingWithPunctuation(sentence)
        case .say:
            guard !trimmed.isEmpty else { return "" }
            var speech = trimmed
            if speech.lowercased().hasPrefix("you say ") { speech = String(speech.dropFirst(8)).trimmingWhitespace() }
            let quotes: Set<Character> = ["\"", "“", "”", "'"]
            while let first = speech.first, quotes.contains(first) { speech.removeFirst() }
            while let last = speech.last, quotes.contains(last) { speech.removeLast() }
            speech = speech.trimmingWhitespace()
            return "> You say \"\(endingWithPunctuation(upperFirst(speech)))\""
        }
    }

    public static func historyText(_ turn: PromptTurn) -> String {
        switch turn.speaker {
        case .ai: return turn.text.trimmingWhitespace()
        case .player(let kind): return format(kind ?? .do, turn.text)
        }
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        // Keep acronyms as written: only lower a capital followed by a lowercase letter.
        let second = text.dropFirst().first
        if first.isUppercase, let second, second.isLowercase {
            return first.lowercased() + text.dropFirst()
        }
        return text
    }

    private static func upperFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    private static func endingWithPunctuation(_ text: String) -> String {
        guard let last = text.last else { return text }
        return ".!?…\"”)".contains(last) ? text : text + "."
    }
}

/// How the adventure's summary reads in the prompt: labelled, so the model takes it as what happened
/// before the history, not as text to continue.
public enum SummaryFormatter {
    public static func format(_ summary: String) -> String {
        let trimmed = summary.trimmingWhitespace()
        return trimmed.isEmpty ? "" : "[Story so far: \(trimmed)]"
    }
}
