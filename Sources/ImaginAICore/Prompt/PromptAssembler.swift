/// Builds the prompt for one turn: fixed sections first, then the cards the recent text mentions, then as
/// much history as fits, newest first. Whatever is left out is reported, never silently lost.
public enum PromptAssembler {
    /// `loadHistory(beforeIndex, limit)` returns up to `limit` turns older than `beforeIndex` (nil: the
    /// newest), oldest first. It is called page by page only until the budget is full, so a long
    /// adventure is never loaded whole.
    public static func assemble(
        material: PromptMaterial,
        action: (kind: PlayerActionKind, text: String)?,
        limits: PromptLimits,
        matcher: TriggerMatcher,
        pageSize: Int = 64,
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
        if let action { set(.action, ActionFormatter.format(action.kind, action.text)) }

        let budget = limits.promptBudget
        let fixed = sections.values.reduce(0) { $0 + $1.tokens }
        guard fixed <= budget else {
            throw PromptError.fixedSectionsTooLarge(tokens: fixed, budget: budget)
        }

        // The newest page serves both the card scan window and the start of the history. The window runs
        // oldest to newest with the current action last, because a later position is a more recent
        // mention: a key the player just typed outranks one only mentioned in older turns.
        var page = try loadHistory(nil, pageSize)
        let scanWindow = (page.suffix(limits.scanDepth).map(\.text) + [action?.text ?? ""]).joined(separator: "\n")

        var fired: [FiredCard] = []
        var cardTexts: [String] = []
        var cardTokens = 0
        let cardBudget = Int(Double(budget - fixed) * limits.cardShare)
        for hit in matcher.scan(scanWindow) where material.cards.indices.contains(hit.card) {
            let card = material.cards[hit.card]
            let text = CardFormatter.format(card)
            let tokens = TokenEstimator.estimate(text) + 1
            let fits = cardTokens + tokens <= cardBudget
            if fits {
                cardTexts.append(text)
                cardTokens += tokens
            }
            fired.append(FiredCard(cardID: card.id, name: card.name, key: hit.key, included: fits))
        }
        if !cardTexts.isEmpty {
            set(.cards, cardTexts.joined(separator: "\n"))
        }

        var remaining = budget - sections.values.reduce(0) { $0 + $1.tokens }
        var included: [PromptTurn] = []
        var dropped: [Int] = []
        var olderOmitted = 0
        var full = false
        while !page.isEmpty {
            for turn in page.reversed() {
                if full {
                    dropped.append(turn.index)
                    continue
                }
                let tokens = TokenEstimator.estimate(ActionFormatter.historyText(turn)) + 1
                if tokens <= remaining {
                    included.append(turn)
                    remaining -= tokens
                } else {
                    full = true
                    dropped.append(turn.index)
                }
            }
            let oldest = page[0].index
            if full {
                // Everything older is dropped too; count it without loading it.
                olderOmitted = oldest
                break
            }
            guard oldest > 0 else { break }
            page = try loadHistory(oldest, pageSize)
        }
        included.reverse()
        if !included.isEmpty {
            set(.history, included.map(ActionFormatter.historyText).joined(separator: "\n\n"))
        }

        return AssembledPrompt(
            sections: PromptSectionKind.allCases.compactMap { sections[$0] },
            firedCards: fired,
            includedTurns: included.map(\.index),
            droppedTurns: dropped,
            olderTurnsOmitted: olderOmitted,
            budgetTokens: budget
        )
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

    static func historyText(_ turn: PromptTurn) -> String {
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
