import FoundationEssentials
import ImaginAIFormats
import ImaginAIProtocol
import ImaginAIStore
import LLM

/// Checks the store cannot make because they depend on where a value sits in the params: each failure
/// is a -32602 naming that place.
enum Validation {
    static let maxListLimit = 500
    static let defaultListLimit = 50
    /// Names of scenarios, cards and adventures, in Unicode code points: a title, never a text.
    static let maxNameLength = 1_000
    /// Every story text (card descriptions, scenario and adventure sections, turn text), in code points:
    /// about 25k tokens, more than any model's whole prompt budget for one section.
    static let maxTextLength = 100_000

    static func name(_ value: String?, field: String) throws {
        guard let value else { return }
        if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must not be empty", field: field)
        }
        try length(value, maxNameLength, field: field)
    }

    static func text(_ value: String?, field: String) throws {
        guard let value else { return }
        try length(value, maxTextLength, field: field)
    }

    /// `subject` says what is too long when `field` alone cannot (a text put together from a file).
    private static func length(_ value: String, _ limit: Int, field: String, subject: String? = nil) throws {
        // The UTF-8 count bounds the code point count from above: the exact count only for long strings.
        guard value.utf8.count > limit else { return }
        let count = value.unicodeScalars.count
        guard count > limit else { return }
        throw ResponseError.tooLarge(
            "Too large: \(subject ?? "'\(field)'") is \(count) characters; the limit is \(limit)", field: field, limit: limit)
    }

    // MARK: Imported files

    /// Cards read from a file get the limits of every other write; a failure names the entry's field
    /// in the file under `data` (`data.entries.12.content`), so the user knows what to shorten.
    static func imported(_ cards: [CardDraft], origins: [CardOrigin]) throws {
        for (card, origin) in zip(cards, origins) {
            try length(card.name, maxNameLength, field: CardOrigin.join("data", origin.name))
            try length(card.description, maxTextLength, field: CardOrigin.join("data", origin.description))
            // Notes and group may be put together from several fields of the entry (AI Dungeon's
            // description, SillyTavern's secondary keys): the entry is the place named.
            let entry = CardOrigin.join("data", origin.entry)
            try length(card.rules.notes, maxTextLength, field: entry, subject: "the notes of the card read from '\(entry)'")
            if let group = card.rules.group {
                try length(group, maxNameLength, field: entry, subject: "the group of the card read from '\(entry)'")
            }
        }
    }

    static func imported(_ file: ScenarioImport) throws {
        let draft = file.scenario
        let fields: [(String, String, Int)] = [
            ("name", draft.name, maxNameLength), ("instructions", draft.instructions, maxTextLength),
            ("plotEssentials", draft.plotEssentials, maxTextLength), ("authorsNotes", draft.authorsNotes, maxTextLength),
            ("openingScene", draft.openingScene, maxTextLength), ("playerDescription", draft.playerDescription, maxTextLength),
        ]
        for (name, value, limit) in fields {
            switch file.origins.fields[name] {
            case .at(let path)?:
                try length(value, limit, field: CardOrigin.join("data", path))
            case .assembled(let parts)?:
                try length(value, limit, field: "data", subject: "the \(name) put together from \(parts) of 'data'")
            case .param(let param)?:
                try length(value, limit, field: param, subject: "the \(name) taken from '\(param)'")
            case nil:
                try length(value, limit, field: "data", subject: "the \(name) of the imported scenario")
            }
        }
        try imported(draft.cards, origins: file.origins.cards)
    }

    /// The five story sections shared by scenarios and adventures, under `prefix` (`scenario`, `changes`).
    static func sections(
        _ prefix: String, instructions: String?, plotEssentials: String?, authorsNotes: String?,
        openingScene: String?, playerDescription: String?
    ) throws {
        try text(instructions, field: "\(prefix).instructions")
        try text(plotEssentials, field: "\(prefix).plotEssentials")
        try text(authorsNotes, field: "\(prefix).authorsNotes")
        try text(openingScene, field: "\(prefix).openingScene")
        try text(playerDescription, field: "\(prefix).playerDescription")
    }

    static func limit(_ value: Int?, field: String = "limit") throws -> Int {
        guard let value else { return defaultListLimit }
        guard (1...maxListLimit).contains(value) else {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must be between 1 and \(maxListLimit); got \(value)", field: field)
        }
        return value
    }

    static func optionalLimit(_ value: Int?, field: String = "limit") throws -> Int? {
        guard let value else { return nil }
        guard value >= 1 else {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must be at least 1; got \(value)", field: field)
        }
        return value
    }

    static func offset(_ value: Int?) throws -> Int {
        guard let value else { return 0 }
        guard value >= 0 else {
            throw ResponseError.invalidParams("Invalid params: 'offset' must not be negative; got \(value)", field: "offset")
        }
        return value
    }

    static func cards(_ cards: [CardDraft]?, field: String) throws {
        for (index, card) in (cards ?? []).enumerated() {
            try name(card.name, field: "\(field)[\(index)].name")
            try text(card.description, field: "\(field)[\(index)].description")
            try rules(card.rules, field: "\(field)[\(index)]")
        }
    }

    /// The numbers of a card's rules in their ranges; `changed` (for a change set) limits the check to
    /// the fields it sets. `field` is where the card sits in the params (`card`, `changes`).
    static func rules(_ rules: CardRules, changed: CardRuleChanges? = nil, field: String) throws {
        func check(_ value: Int?, _ range: ClosedRange<Int>, _ name: String, set: Bool) throws {
            guard set else { return }
            try self.range(value, range, field: "\(field).\(name)")
        }
        try check(rules.probability, CardRules.probabilityRange, "probability", set: changed.map { $0.probability != nil } ?? true)
        try check(rules.scanDepth, Settings.scanDepthRange, "scanDepth", set: changed.map { $0.scanDepth != nil } ?? true)
        try check(rules.sticky, CardRules.turnsRange, "sticky", set: changed.map { $0.sticky != nil } ?? true)
        try check(rules.cooldown, CardRules.turnsRange, "cooldown", set: changed.map { $0.cooldown != nil } ?? true)
        try check(rules.delay, CardRules.turnsRange, "delay", set: changed.map { $0.delay != nil } ?? true)
        try check(rules.depth, CardRules.turnsRange, "depth", set: changed.map { $0.depth != nil } ?? true)
        if changed.map({ $0.notes != nil }) ?? true { try text(rules.notes, field: "\(field).notes") }
        if let group = rules.group, changed.map({ $0.group != nil }) ?? true {
            try length(group, maxNameLength, field: "\(field).group")
        }
    }

    static func owner(scenarioId: String?, adventureId: String?) throws -> AppDatabase.CardOwner {
        switch (scenarioId, adventureId) {
        case (let scenario?, nil): return .scenario(scenario)
        case (nil, let adventure?): return .adventure(adventure)
        case (nil, nil):
            throw ResponseError.invalidParams("Invalid params: give 'scenarioId' or 'adventureId'", field: "scenarioId")
        case (_?, _?):
            throw ResponseError.invalidParams("Invalid params: give 'scenarioId' or 'adventureId', not both", field: "adventureId")
        }
    }

    static func settings(_ changes: SettingsChanges) throws {
        if let tokens = changes.maxOutputTokens, !Settings.maxOutputTokensRange.contains(tokens) {
            let range = Settings.maxOutputTokensRange
            throw ResponseError.invalidParams(
                "Invalid params: 'changes.maxOutputTokens' must be between \(range.lowerBound) and \(range.upperBound); got \(tokens)",
                field: "changes.maxOutputTokens")
        }
        try range(changes.scanDepth, Settings.scanDepthRange, field: "changes.scanDepth")
        try range(changes.recursionDepth, Settings.recursionDepthRange, field: "changes.recursionDepth")
        try range(changes.storytellerDelayMs, Settings.storytellerDelayRange, field: "changes.storytellerDelayMs")
        try range(changes.summaryEveryTurns, Settings.summaryEveryTurnsRange, field: "changes.summaryEveryTurns")
        if case .some(.some(let tokens)) = changes.contextTokens, !Settings.contextTokensRange.contains(tokens) {
            let range = Settings.contextTokensRange
            throw ResponseError.invalidParams(
                "Invalid params: 'changes.contextTokens' must be between \(range.lowerBound) and \(range.upperBound), or null for the model's whole context window; got \(tokens)",
                field: "changes.contextTokens")
        }
        if let model = changes.model {
            let parts = model.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ResponseError.invalidParams(
                    "Invalid params: 'changes.model' must look like 'provider/model' (e.g. offline/storyteller); got '\(model)'",
                    field: "changes.model")
            }
            // Checked now: stored, an unknown provider would only fail the next story turn, far from the cause.
            let provider = String(parts[0])
            guard ModelRegistry.knownProviders.contains(provider) else {
                throw ResponseError.invalidParams(
                    "Invalid params: 'changes.model' names no known provider: '\(provider)' in '\(model)'; the providers are "
                        + ModelRegistry.knownProviders.joined(separator: ", ") + " (models/list shows their models)",
                    field: "changes.model")
            }
            if provider == "offline" && model != OfflineStoryteller.id {
                throw ResponseError.invalidParams(
                    "Invalid params: 'changes.model': the offline provider has one model, \(OfflineStoryteller.id); got '\(model)'",
                    field: "changes.model")
            }
        }
    }

    private static func range(_ value: Int?, _ range: ClosedRange<Int>, field: String) throws {
        guard let value, !range.contains(value) else { return }
        throw ResponseError.invalidParams(
            "Invalid params: '\(field)' must be between \(range.lowerBound) and \(range.upperBound); got \(value)", field: field)
    }
}
