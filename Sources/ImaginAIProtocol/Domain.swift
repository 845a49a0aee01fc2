import Foundation

// The things a user writes, as they travel on the wire. Ids are strings; times are ISO 8601 UTC with
// milliseconds ("2026-11-28T17:46:22.123Z"), kept as strings so they round-trip byte for byte.

public enum Visibility: String, Codable, Sendable, CaseIterable {
    case `private`, unlisted, `public`
}

public struct Card: Codable, Hashable, Sendable {
    public var id: String
    /// Free text; character, location, item, faction and lore are the common ones.
    public var type: String
    public var name: String
    public var description: String
    public var keys: [String]
    /// When it fires besides its keys; on the wire its fields sit beside the others.
    public var rules: CardRules

    public init(id: String, type: String, name: String, description: String, keys: [String], rules: CardRules = .default) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case id, type, name, description, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        type = try c.decode(String.self, forKey: .type)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decode(String.self, forKey: .description)
        keys = try c.decode([String].self, forKey: .keys)
        rules = try CardRules(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(keys, forKey: .keys)
        try rules.encode(to: encoder)
    }
}

/// A card as a client writes it: everything but the name may be left out.
public struct CardDraft: Codable, Hashable, Sendable {
    /// Only meaningful in `scenario/update` card lists: names an existing card of that owner to keep its id.
    public var id: String?
    public var type: String
    public var name: String
    public var description: String
    public var keys: [String]
    public var rules: CardRules

    public static let defaultType = "other"

    public init(
        id: String? = nil, type: String = CardDraft.defaultType, name: String, description: String = "", keys: [String] = [],
        rules: CardRules = .default
    ) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
        self.rules = rules
    }

    /// The card as it is, as a draft (to copy it elsewhere).
    public init(_ card: Card) {
        self.init(type: card.type, name: card.name, description: card.description, keys: card.keys, rules: card.rules)
    }

    enum CodingKeys: String, CodingKey { case id, type, name, description, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? CardDraft.defaultType
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        keys = try c.decodeIfPresent([String].self, forKey: .keys) ?? []
        rules = try CardRules(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(keys, forKey: .keys)
        try rules.encode(to: encoder)
    }
}

/// A partial change to a card: absent fields stay as they are. `null` is not a value any field takes,
/// except `scanDepth` and `group`, where it means "the setting" and "no group".
public struct CardChanges: Codable, Hashable, Sendable {
    public var type: String?
    public var name: String?
    public var description: String?
    public var keys: [String]?
    public var rules: CardRuleChanges

    public init(
        type: String? = nil, name: String? = nil, description: String? = nil, keys: [String]? = nil,
        rules: CardRuleChanges = CardRuleChanges()
    ) {
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case type, name, description, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodePresent(String.self, forKey: .type)
        name = try c.decodePresent(String.self, forKey: .name)
        description = try c.decodePresent(String.self, forKey: .description)
        keys = try c.decodePresent([String].self, forKey: .keys)
        rules = try CardRuleChanges(from: decoder.container(keyedBy: CardRules.CodingKeys.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(type, forKey: .type)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(keys, forKey: .keys)
        var r = encoder.container(keyedBy: CardRules.CodingKeys.self)
        try rules.encode(to: &r)
    }
}

public struct Scenario: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var instructions: String
    public var plotEssentials: String
    public var authorsNotes: String
    public var openingScene: String
    public var playerDescription: String
    public var tags: [String]
    public var visibility: Visibility
    public var cards: [Card]
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, name: String, instructions: String, plotEssentials: String, authorsNotes: String,
        openingScene: String, playerDescription: String, tags: [String], visibility: Visibility,
        cards: [Card], createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
        self.visibility = visibility
        self.cards = cards
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A scenario as a client writes it for `scenario/create`: only the name is required.
public struct ScenarioDraft: Codable, Hashable, Sendable {
    public var name: String
    public var instructions: String
    public var plotEssentials: String
    public var authorsNotes: String
    public var openingScene: String
    public var playerDescription: String
    public var tags: [String]
    public var visibility: Visibility
    public var cards: [CardDraft]

    public init(
        name: String, instructions: String = "", plotEssentials: String = "", authorsNotes: String = "",
        openingScene: String = "", playerDescription: String = "", tags: [String] = [],
        visibility: Visibility = .private, cards: [CardDraft] = []
    ) {
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
        self.visibility = visibility
        self.cards = cards
    }

    enum CodingKeys: String, CodingKey {
        case name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription, tags, visibility, cards
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        instructions = try c.decodeIfPresent(String.self, forKey: .instructions) ?? ""
        plotEssentials = try c.decodeIfPresent(String.self, forKey: .plotEssentials) ?? ""
        authorsNotes = try c.decodeIfPresent(String.self, forKey: .authorsNotes) ?? ""
        openingScene = try c.decodeIfPresent(String.self, forKey: .openingScene) ?? ""
        playerDescription = try c.decodeIfPresent(String.self, forKey: .playerDescription) ?? ""
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        visibility = try c.decodeIfPresent(Visibility.self, forKey: .visibility) ?? .private
        cards = try c.decodeIfPresent([CardDraft].self, forKey: .cards) ?? []
    }
}

/// A partial change to a scenario. `cards`, when present, replaces the whole set.
public struct ScenarioChanges: Codable, Hashable, Sendable {
    public var name: String?
    public var instructions: String?
    public var plotEssentials: String?
    public var authorsNotes: String?
    public var openingScene: String?
    public var playerDescription: String?
    public var tags: [String]?
    public var visibility: Visibility?
    public var cards: [CardDraft]?

    public init(
        name: String? = nil, instructions: String? = nil, plotEssentials: String? = nil,
        authorsNotes: String? = nil, openingScene: String? = nil, playerDescription: String? = nil,
        tags: [String]? = nil, visibility: Visibility? = nil, cards: [CardDraft]? = nil
    ) {
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
        self.visibility = visibility
        self.cards = cards
    }

    enum CodingKeys: String, CodingKey {
        case name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription, tags, visibility, cards
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodePresent(String.self, forKey: .name)
        instructions = try c.decodePresent(String.self, forKey: .instructions)
        plotEssentials = try c.decodePresent(String.self, forKey: .plotEssentials)
        authorsNotes = try c.decodePresent(String.self, forKey: .authorsNotes)
        openingScene = try c.decodePresent(String.self, forKey: .openingScene)
        playerDescription = try c.decodePresent(String.self, forKey: .playerDescription)
        tags = try c.decodePresent([String].self, forKey: .tags)
        visibility = try c.decodePresent(Visibility.self, forKey: .visibility)
        cards = try c.decodePresent([CardDraft].self, forKey: .cards)
    }
}

public struct ScenarioSummary: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var playerDescription: String
    public var tags: [String]
    public var visibility: Visibility
    public var cardCount: Int
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, name: String, playerDescription: String, tags: [String], visibility: Visibility,
        cardCount: Int, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.name = name
        self.playerDescription = playerDescription
        self.tags = tags
        self.visibility = visibility
        self.cardCount = cardCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A playthrough: a frozen, independent copy of a scenario's text and cards plus its own history.
public struct Adventure: Codable, Hashable, Sendable {
    public var id: String
    /// Null once the scenario it started from is deleted.
    public var scenarioId: String?
    public var scenarioName: String
    public var name: String
    public var instructions: String
    public var plotEssentials: String
    public var authorsNotes: String
    public var openingScene: String
    public var playerDescription: String
    public var tags: [String]
    public var cards: [Card]
    public var createdAt: String
    public var updatedAt: String
    public var lastPlayedAt: String
    public var turnCount: Int
    /// What happened so far, sent as the prompt's `summary` section (none when empty).
    public var summary: String

    public init(
        id: String, scenarioId: String?, scenarioName: String, name: String, instructions: String,
        plotEssentials: String, authorsNotes: String, openingScene: String, playerDescription: String,
        tags: [String], cards: [Card], createdAt: String, updatedAt: String, lastPlayedAt: String, turnCount: Int,
        summary: String = ""
    ) {
        self.id = id
        self.scenarioId = scenarioId
        self.scenarioName = scenarioName
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
        self.cards = cards
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastPlayedAt = lastPlayedAt
        self.turnCount = turnCount
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case id, scenarioId, scenarioName, name, instructions, plotEssentials, authorsNotes, openingScene
        case playerDescription, tags, cards, createdAt, updatedAt, lastPlayedAt, turnCount, summary
    }

    /// An adventure written before summaries (a client's saved copy) reads with an empty one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        scenarioId = try c.decodeIfPresent(String.self, forKey: .scenarioId)
        scenarioName = try c.decode(String.self, forKey: .scenarioName)
        name = try c.decode(String.self, forKey: .name)
        instructions = try c.decode(String.self, forKey: .instructions)
        plotEssentials = try c.decode(String.self, forKey: .plotEssentials)
        authorsNotes = try c.decode(String.self, forKey: .authorsNotes)
        openingScene = try c.decode(String.self, forKey: .openingScene)
        playerDescription = try c.decode(String.self, forKey: .playerDescription)
        tags = try c.decode([String].self, forKey: .tags)
        cards = try c.decode([Card].self, forKey: .cards)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        updatedAt = try c.decode(String.self, forKey: .updatedAt)
        lastPlayedAt = try c.decode(String.self, forKey: .lastPlayedAt)
        turnCount = try c.decode(Int.self, forKey: .turnCount)
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
    }

    // Spelled out so a missing scenario is sent as `"scenarioId": null`, never left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(scenarioId, forKey: .scenarioId)
        try c.encode(scenarioName, forKey: .scenarioName)
        try c.encode(name, forKey: .name)
        try c.encode(instructions, forKey: .instructions)
        try c.encode(plotEssentials, forKey: .plotEssentials)
        try c.encode(authorsNotes, forKey: .authorsNotes)
        try c.encode(openingScene, forKey: .openingScene)
        try c.encode(playerDescription, forKey: .playerDescription)
        try c.encode(tags, forKey: .tags)
        try c.encode(cards, forKey: .cards)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(lastPlayedAt, forKey: .lastPlayedAt)
        try c.encode(turnCount, forKey: .turnCount)
        try c.encode(summary, forKey: .summary)
    }
}

/// Who wrote a version of an adventure's summary.
public enum SummarySource: String, Codable, Sendable, CaseIterable {
    /// The user, through `adventure/update`.
    case user
    /// The storyteller's rewrite after `summaryEveryTurns` turns (`settings.autoSummary`).
    case auto
}

/// One text an adventure's summary has had; `current` is the one the prompt uses (the latest).
public struct SummaryVersion: Codable, Hashable, Sendable {
    public var version: Int
    public var text: String
    public var createdAt: String
    public var source: SummarySource
    public var current: Bool

    public init(version: Int, text: String, createdAt: String, source: SummarySource, current: Bool) {
        self.version = version
        self.text = text
        self.createdAt = createdAt
        self.source = source
        self.current = current
    }
}

public struct AdventureSummary: Codable, Hashable, Sendable {
    public var id: String
    public var scenarioId: String?
    public var scenarioName: String
    public var name: String
    public var createdAt: String
    public var updatedAt: String
    public var lastPlayedAt: String
    public var turnCount: Int
    /// The start of the latest turn's text, for a list row.
    public var excerpt: String

    public init(
        id: String, scenarioId: String?, scenarioName: String, name: String, createdAt: String,
        updatedAt: String, lastPlayedAt: String, turnCount: Int, excerpt: String
    ) {
        self.id = id
        self.scenarioId = scenarioId
        self.scenarioName = scenarioName
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastPlayedAt = lastPlayedAt
        self.turnCount = turnCount
        self.excerpt = excerpt
    }

    enum CodingKeys: String, CodingKey {
        case id, scenarioId, scenarioName, name, createdAt, updatedAt, lastPlayedAt, turnCount, excerpt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(scenarioId, forKey: .scenarioId)
        try c.encode(scenarioName, forKey: .scenarioName)
        try c.encode(name, forKey: .name)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(lastPlayedAt, forKey: .lastPlayedAt)
        try c.encode(turnCount, forKey: .turnCount)
        try c.encode(excerpt, forKey: .excerpt)
    }
}

/// The fields of an adventure a client may change: its name and its copy of the scenario's text.
public struct AdventureChanges: Codable, Hashable, Sendable {
    public var name: String?
    public var instructions: String?
    public var plotEssentials: String?
    public var authorsNotes: String?
    public var openingScene: String?
    public var playerDescription: String?
    public var tags: [String]?
    /// A new version of the summary (an earlier version's text takes a bad rewrite back).
    public var summary: String?

    public init(
        name: String? = nil, instructions: String? = nil, plotEssentials: String? = nil,
        authorsNotes: String? = nil, openingScene: String? = nil, playerDescription: String? = nil,
        tags: [String]? = nil, summary: String? = nil
    ) {
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription, tags, summary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodePresent(String.self, forKey: .name)
        instructions = try c.decodePresent(String.self, forKey: .instructions)
        plotEssentials = try c.decodePresent(String.self, forKey: .plotEssentials)
        authorsNotes = try c.decodePresent(String.self, forKey: .authorsNotes)
        openingScene = try c.decodePresent(String.self, forKey: .openingScene)
        playerDescription = try c.decodePresent(String.self, forKey: .playerDescription)
        tags = try c.decodePresent([String].self, forKey: .tags)
        summary = try c.decodePresent(String.self, forKey: .summary)
    }
}

public enum TurnRole: String, Codable, Sendable, CaseIterable {
    case player, ai
}

public enum ActionKind: String, Codable, Sendable, CaseIterable {
    case `do`, say, story
}

public struct Turn: Codable, Hashable, Sendable {
    public var id: String
    public var index: Int
    public var role: TurnRole
    /// The player's action kind; null for ai turns.
    public var action: ActionKind?
    public var text: String
    public var createdAt: String
    /// What generating it cost; null for player turns, the opening scene and imported turns.
    public var usage: TurnUsage?

    public init(id: String, index: Int, role: TurnRole, action: ActionKind?, text: String, createdAt: String, usage: TurnUsage? = nil) {
        self.id = id
        self.index = index
        self.role = role
        self.action = action
        self.text = text
        self.createdAt = createdAt
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey { case id, index, role, action, text, createdAt, usage }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(index, forKey: .index)
        try c.encode(role, forKey: .role)
        try c.encode(action, forKey: .action)
        try c.encode(text, forKey: .text)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(usage, forKey: .usage)
    }
}

public enum ResponseHandling: String, Codable, Sendable, CaseIterable {
    case truncate, summarize
}

public struct Settings: Codable, Hashable, Sendable {
    /// `provider/model`, e.g. `offline/storyteller`.
    public var model: String
    public var responseHandling: ResponseHandling
    public var allowThinking: Bool
    public var maxOutputTokens: Int
    public var baseSystemInstruction: String
    /// How many recent turns, besides the current action, are scanned for story-card keys.
    public var scanDepth: Int
    /// How many rounds of cards fired by other cards' text (0: only the story fires cards).
    public var recursionDepth: Int
    /// The offline storyteller's pause between words, in milliseconds (0: as fast as it can).
    public var storytellerDelayMs: Int
    /// The offline storyteller's seed: the same seed and the same story so far give the same text.
    public var storytellerSeed: Int
    /// A cap on the prompt's context window below the model's (a smaller, faster or cheaper prompt);
    /// nil: the model's whole window.
    public var contextTokens: Int?
    /// Whether the storyteller rewrites the adventure's summary every `summaryEveryTurns` turns.
    public var autoSummary: Bool
    /// How many stored turns since the last automatic rewrite bring the next one.
    public var summaryEveryTurns: Int

    public static let maxOutputTokensRange = 50...800
    /// Below 256 tokens not even a short instruction and an action fit; 2,000,000 is past every model's window.
    public static let contextTokensRange = 256...2_000_000
    public static let scanDepthRange = 0...100
    public static let recursionDepthRange = 0...10
    public static let storytellerDelayRange = 0...5000
    /// A rewrite needs at least an action and its answer to summarize; past 1,000 it would never come.
    public static let summaryEveryTurnsRange = 2...1000

    public init(
        model: String, responseHandling: ResponseHandling, allowThinking: Bool, maxOutputTokens: Int,
        baseSystemInstruction: String, scanDepth: Int = 4, recursionDepth: Int = 2, storytellerDelayMs: Int = 35,
        storytellerSeed: Int = 0, contextTokens: Int? = nil, autoSummary: Bool = false, summaryEveryTurns: Int = 10
    ) {
        self.model = model
        self.responseHandling = responseHandling
        self.allowThinking = allowThinking
        self.maxOutputTokens = maxOutputTokens
        self.baseSystemInstruction = baseSystemInstruction
        self.scanDepth = scanDepth
        self.recursionDepth = recursionDepth
        self.storytellerDelayMs = storytellerDelayMs
        self.storytellerSeed = storytellerSeed
        self.contextTokens = contextTokens
        self.autoSummary = autoSummary
        self.summaryEveryTurns = summaryEveryTurns
    }

    enum CodingKeys: String, CodingKey {
        case model, responseHandling, allowThinking, maxOutputTokens, baseSystemInstruction
        case scanDepth, recursionDepth, storytellerDelayMs, storytellerSeed, contextTokens
        case autoSummary, summaryEveryTurns
    }

    /// Settings a client saved before summaries read with their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        responseHandling = try c.decode(ResponseHandling.self, forKey: .responseHandling)
        allowThinking = try c.decode(Bool.self, forKey: .allowThinking)
        maxOutputTokens = try c.decode(Int.self, forKey: .maxOutputTokens)
        baseSystemInstruction = try c.decode(String.self, forKey: .baseSystemInstruction)
        let defaults = Self.defaults
        scanDepth = try c.decodeIfPresent(Int.self, forKey: .scanDepth) ?? defaults.scanDepth
        recursionDepth = try c.decodeIfPresent(Int.self, forKey: .recursionDepth) ?? defaults.recursionDepth
        storytellerDelayMs = try c.decodeIfPresent(Int.self, forKey: .storytellerDelayMs) ?? defaults.storytellerDelayMs
        storytellerSeed = try c.decodeIfPresent(Int.self, forKey: .storytellerSeed) ?? defaults.storytellerSeed
        contextTokens = try c.decodeIfPresent(Int.self, forKey: .contextTokens)
        autoSummary = try c.decodeIfPresent(Bool.self, forKey: .autoSummary) ?? defaults.autoSummary
        summaryEveryTurns = try c.decodeIfPresent(Int.self, forKey: .summaryEveryTurns) ?? defaults.summaryEveryTurns
    }

    /// Every setting written, `contextTokens` as null when unset: a client sees every setting there is.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(responseHandling, forKey: .responseHandling)
        try c.encode(allowThinking, forKey: .allowThinking)
        try c.encode(maxOutputTokens, forKey: .maxOutputTokens)
        try c.encode(baseSystemInstruction, forKey: .baseSystemInstruction)
        try c.encode(scanDepth, forKey: .scanDepth)
        try c.encode(recursionDepth, forKey: .recursionDepth)
        try c.encode(storytellerDelayMs, forKey: .storytellerDelayMs)
        try c.encode(storytellerSeed, forKey: .storytellerSeed)
        try c.encode(contextTokens, forKey: .contextTokens)
        try c.encode(autoSummary, forKey: .autoSummary)
        try c.encode(summaryEveryTurns, forKey: .summaryEveryTurns)
    }

    public static let defaults = Settings(
        model: "offline/storyteller",
        responseHandling: .truncate,
        allowThinking: false,
        maxOutputTokens: 200,
        baseSystemInstruction: """
            You are the narrator of an interactive story. Continue the story from where it stops, in the \
            second person and the present tense, following the player's latest action. Write vivid, concrete \
            prose; keep characters, places and facts consistent with the story so far and the notes you are \
            given; never speak for the player or decide their next action; end at a natural pause that \
            invites the player to act.
            """
    )
}

public struct SettingsChanges: Codable, Hashable, Sendable {
    public var model: String?
    public var responseHandling: ResponseHandling?
    public var allowThinking: Bool?
    public var maxOutputTokens: Int?
    public var baseSystemInstruction: String?
    public var scanDepth: Int?
    public var recursionDepth: Int?
    public var storytellerDelayMs: Int?
    public var storytellerSeed: Int?
    /// nil: unchanged; `.some(nil)` (null on the wire): back to the model's whole window.
    public var contextTokens: Int??
    public var autoSummary: Bool?
    public var summaryEveryTurns: Int?

    public init(
        model: String? = nil, responseHandling: ResponseHandling? = nil, allowThinking: Bool? = nil,
        maxOutputTokens: Int? = nil, baseSystemInstruction: String? = nil, scanDepth: Int? = nil,
        recursionDepth: Int? = nil, storytellerDelayMs: Int? = nil, storytellerSeed: Int? = nil,
        contextTokens: Int?? = nil, autoSummary: Bool? = nil, summaryEveryTurns: Int? = nil
    ) {
        self.model = model
        self.responseHandling = responseHandling
        self.allowThinking = allowThinking
        self.maxOutputTokens = maxOutputTokens
        self.baseSystemInstruction = baseSystemInstruction
        self.scanDepth = scanDepth
        self.recursionDepth = recursionDepth
        self.storytellerDelayMs = storytellerDelayMs
        self.storytellerSeed = storytellerSeed
        self.contextTokens = contextTokens
        self.autoSummary = autoSummary
        self.summaryEveryTurns = summaryEveryTurns
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, responseHandling, allowThinking, maxOutputTokens, baseSystemInstruction
        case scanDepth, recursionDepth, storytellerDelayMs, storytellerSeed, contextTokens
        case autoSummary, summaryEveryTurns
    }

    /// Only the changed settings; a cleared `contextTokens` as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(responseHandling, forKey: .responseHandling)
        try c.encodeIfPresent(allowThinking, forKey: .allowThinking)
        try c.encodeIfPresent(maxOutputTokens, forKey: .maxOutputTokens)
        try c.encodeIfPresent(baseSystemInstruction, forKey: .baseSystemInstruction)
        try c.encodeIfPresent(scanDepth, forKey: .scanDepth)
        try c.encodeIfPresent(recursionDepth, forKey: .recursionDepth)
        try c.encodeIfPresent(storytellerDelayMs, forKey: .storytellerDelayMs)
        try c.encodeIfPresent(storytellerSeed, forKey: .storytellerSeed)
        if let contextTokens { try c.encode(contextTokens, forKey: .contextTokens) }
        try c.encodeIfPresent(autoSummary, forKey: .autoSummary)
        try c.encodeIfPresent(summaryEveryTurns, forKey: .summaryEveryTurns)
    }

    /// The setting names a change set may hold, in the order the protocol lists them.
    public static let keys = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        // A misspelt setting ("maxTokens") would otherwise be dropped without a word and the client would
        // believe it stored: an unknown key is an error naming it (-32602, `changes.<key>`).
        let all = try decoder.container(keyedBy: NamedKey.self)
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { CodingKeys(rawValue: $0) == nil }) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: all.codingPath + [NamedKey(unknown)],
                debugDescription: "no such setting; the settings are " + Self.keys.joined(separator: ", ")))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodePresent(String.self, forKey: .model)
        responseHandling = try c.decodePresent(ResponseHandling.self, forKey: .responseHandling)
        allowThinking = try c.decodePresent(Bool.self, forKey: .allowThinking)
        maxOutputTokens = try c.decodePresent(Int.self, forKey: .maxOutputTokens)
        baseSystemInstruction = try c.decodePresent(String.self, forKey: .baseSystemInstruction)
        scanDepth = try c.decodePresent(Int.self, forKey: .scanDepth)
        recursionDepth = try c.decodePresent(Int.self, forKey: .recursionDepth)
        storytellerDelayMs = try c.decodePresent(Int.self, forKey: .storytellerDelayMs)
        storytellerSeed = try c.decodePresent(Int.self, forKey: .storytellerSeed)
        // The one setting whose null means something: no cap of our own.
        if c.contains(.contextTokens) {
            contextTokens = .some(try c.decodeNil(forKey: .contextTokens) ? nil : try c.decode(Int.self, forKey: .contextTokens))
        } else {
            contextTokens = nil
        }
        autoSummary = try c.decodePresent(Bool.self, forKey: .autoSummary)
        summaryEveryTurns = try c.decodePresent(Int.self, forKey: .summaryEveryTurns)
    }
}

/// Any key of a JSON object, for looking at the keys a type does not declare.
struct NamedKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer {
    /// Absent means "leave it as it is"; a present `null` is an error that names the field, because no
    /// field of a change set can be set to null.
    func decodePresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        return try decode(type, forKey: key)
    }
}

// MARK: Hand-written JSON for the hot response types

// Keys in byte order, as `JSONCoding.encode` writes them; WireShapeTests checks the bytes are the same.

extension Card: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.raw(#"{"constant":"#); out.bool(rules.constant)
        out.raw(#","cooldown":"#); out.int(rules.cooldown)
        out.raw(#","delay":"#); out.int(rules.delay)
        out.raw(#","depth":"#); out.int(rules.depth)
        out.raw(#","description":"#); out.string(description)
        out.raw(#","enabled":"#); out.bool(rules.enabled)
        out.raw(#","excludeRecursion":"#); out.bool(rules.excludeRecursion)
        out.raw(#","group":"#); out.string(rules.group)
        out.raw(#","id":"#); out.string(id)
        out.raw(#","keys":"#); out.strings(keys)
        out.raw(#","name":"#); out.string(name)
        out.raw(#","notes":"#); out.string(rules.notes)
        out.raw(#","order":"#); out.int(rules.order)
        out.raw(#","position":"#); out.string(rules.position.rawValue)
        out.raw(#","preventRecursion":"#); out.bool(rules.preventRecursion)
        out.raw(#","probability":"#); out.int(rules.probability)
        out.raw(#","scanDepth":"#); out.int(rules.scanDepth)
        out.raw(#","secondaryKeys":"#); out.strings(rules.secondaryKeys)
        out.raw(#","selectiveLogic":"#); out.string(rules.selectiveLogic.rawValue)
        out.raw(#","sticky":"#); out.int(rules.sticky)
        out.raw(#","type":"#); out.string(type)
        out.raw("}")
    }
}

extension Scenario: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.raw(#"{"authorsNotes":"#); out.string(authorsNotes)
        out.raw(#","cards":"#); out.array(cards)
        out.raw(#","createdAt":"#); out.string(createdAt)
        out.raw(#","id":"#); out.string(id)
        out.raw(#","instructions":"#); out.string(instructions)
        out.raw(#","name":"#); out.string(name)
        out.raw(#","openingScene":"#); out.string(openingScene)
        out.raw(#","playerDescription":"#); out.string(playerDescription)
        out.raw(#","plotEssentials":"#); out.string(plotEssentials)
        out.raw(#","tags":"#); out.strings(tags)
        out.raw(#","updatedAt":"#); out.string(updatedAt)
        out.raw(#","visibility":"#); out.string(visibility.rawValue)
        out.raw("}")
    }
}

/// How a card's keys combine with its secondary keys (SillyTavern's "selective logic").
public enum SelectiveLogic: String, Codable, Sendable, CaseIterable {
    /// A primary key and at least one secondary key (or no secondary keys at all).
    case andAny
    /// A primary key and every secondary key.
    case andAll
    /// A primary key and none of the secondary keys.
    case notAny
    /// A primary key, unless every secondary key is there too.
    case notAll

    /// SillyTavern writes the logic as a number: 0 AND_ANY, 1 NOT_ALL, 2 NOT_ANY, 3 AND_ALL.
    public init?(sillyTavern number: Int) {
        switch number {
        case 0: self = .andAny
        case 1: self = .notAll
        case 2: self = .notAny
        case 3: self = .andAll
        default: return nil
        }
    }

    public var sillyTavernNumber: Int {
        switch self {
        case .andAny: 0
        case .notAll: 1
        case .notAny: 2
        case .andAll: 3
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // SillyTavern's numbers are accepted too, so a book's entry can be pasted as it is.
        if let number = try? container.decode(Int.self) {
            guard let logic = SelectiveLogic(sillyTavern: number) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "must be andAny, andAll, notAny or notAll (or SillyTavern's 0-3); got \(number)")
            }
            self = logic
            return
        }
        let name = try container.decode(String.self)
        guard let logic = SelectiveLogic(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be andAny, andAll, notAny or notAll; got '\(name)'")
        }
        self = logic
    }
}

/// Where an included card goes in the prompt.
public enum CardPosition: String, Codable, Sendable, CaseIterable {
    /// With the other cards, in the framing before the story (the default).
    case beforeHistory
    /// After the story so far, before the author's note and the action.
    case afterHistory
    /// Inside the story, `depth` turns before its end (0: right after the newest turn).
    case atDepth

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let position = CardPosition(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be beforeHistory, afterHistory or atDepth; got '\(name)'")
        }
        self = position
    }
}

/// When a card is sent to the model besides its keys: the World Info options of SillyTavern, with the
/// same meanings, so a book written for it behaves the same here. Every field has a default that gives
/// a plain card (fires on a key in the recent text, always eligible).
public struct CardRules: Codable, Hashable, Sendable {
    public var secondaryKeys: [String] = []
    public var selectiveLogic: SelectiveLogic = .andAny
    /// Always included; needs no keys.
    public var constant = false
    /// A disabled card never fires but is kept with everything it says.
    public var enabled = true
    /// Higher is kept first when the card budget is short, and wins its group.
    public var order = CardRules.defaultOrder
    /// The chance, in percent, that the card is included when it fires.
    public var probability = 100
    /// How many recent turns are searched for its keys; nil: the `scanDepth` setting.
    public var scanDepth: Int? = nil
    /// Not fired by another card's text, only by the story.
    public var excludeRecursion = false
    /// Its own text does not fire other cards.
    public var preventRecursion = false
    /// Once fired, stays included for this many more turns.
    public var sticky = 0
    /// Once its inclusion ends, cannot fire again for this many turns.
    public var cooldown = 0
    /// Cannot fire before the story has this many turns.
    public var delay = 0
    /// Of fired cards sharing a group, only the one with the highest `order` is included.
    public var group: String? = nil
    public var position: CardPosition = .beforeHistory
    /// Turns from the end of the story for `atDepth`.
    public var depth = CardRules.defaultDepth
    /// For the author only (AI Dungeon's card description); never sent to the model.
    public var notes = ""

    public static let defaultOrder = 100
    public static let defaultDepth = 4
    public static let probabilityRange = 0...100
    /// Turn counts (sticky, cooldown, delay, depth, scanDepth).
    public static let turnsRange = 0...10_000
    public static let `default` = CardRules()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case secondaryKeys, selectiveLogic, constant, enabled, order, probability, scanDepth, excludeRecursion
        case preventRecursion, sticky, cooldown, delay, group, position, depth, notes
    }

    /// Absent fields take their defaults (a card written before these options existed is a plain card).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CardRules.default
        secondaryKeys = try c.decodeIfPresent([String].self, forKey: .secondaryKeys) ?? d.secondaryKeys
        selectiveLogic = try c.decodeIfPresent(SelectiveLogic.self, forKey: .selectiveLogic) ?? d.selectiveLogic
        constant = try c.decodeIfPresent(Bool.self, forKey: .constant) ?? d.constant
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        order = try c.decodeIfPresent(Int.self, forKey: .order) ?? d.order
        probability = try c.decodeIfPresent(Int.self, forKey: .probability) ?? d.probability
        scanDepth = try c.decodeIfPresent(Int.self, forKey: .scanDepth)
        excludeRecursion = try c.decodeIfPresent(Bool.self, forKey: .excludeRecursion) ?? d.excludeRecursion
        preventRecursion = try c.decodeIfPresent(Bool.self, forKey: .preventRecursion) ?? d.preventRecursion
        sticky = try c.decodeIfPresent(Int.self, forKey: .sticky) ?? d.sticky
        cooldown = try c.decodeIfPresent(Int.self, forKey: .cooldown) ?? d.cooldown
        delay = try c.decodeIfPresent(Int.self, forKey: .delay) ?? d.delay
        group = try c.decodeIfPresent(String.self, forKey: .group)
        position = try c.decodeIfPresent(CardPosition.self, forKey: .position) ?? d.position
        depth = try c.decodeIfPresent(Int.self, forKey: .depth) ?? d.depth
        notes = try c.decodeIfPresent(String.self, forKey: .notes) ?? d.notes
    }

    /// Every field written, the optional ones as `null`: a client sees the whole shape of a card.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(secondaryKeys, forKey: .secondaryKeys)
        try c.encode(selectiveLogic, forKey: .selectiveLogic)
        try c.encode(constant, forKey: .constant)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(order, forKey: .order)
        try c.encode(probability, forKey: .probability)
        try c.encode(scanDepth, forKey: .scanDepth)
        try c.encode(excludeRecursion, forKey: .excludeRecursion)
        try c.encode(preventRecursion, forKey: .preventRecursion)
        try c.encode(sticky, forKey: .sticky)
        try c.encode(cooldown, forKey: .cooldown)
        try c.encode(delay, forKey: .delay)
        try c.encode(group, forKey: .group)
        try c.encode(position, forKey: .position)
        try c.encode(depth, forKey: .depth)
        try c.encode(notes, forKey: .notes)
    }

    /// The names of the fields, as on the wire.
    public static let fieldNames = CodingKeys.allCases.map(\.rawValue)
}

/// A change to some of a card's rules: absent fields stay as they are. `scanDepth` and `group` may be
/// set to `null` (back to the setting; no group); no other field takes null.
public struct CardRuleChanges: Hashable, Sendable {
    public var secondaryKeys: [String]?
    public var selectiveLogic: SelectiveLogic?
    public var constant: Bool?
    public var enabled: Bool?
    public var order: Int?
    public var probability: Int?
    public var scanDepth: Int??
    public var excludeRecursion: Bool?
    public var preventRecursion: Bool?
    public var sticky: Int?
    public var cooldown: Int?
    public var delay: Int?
    public var group: String??
    public var position: CardPosition?
    public var depth: Int?
    public var notes: String?

    public init() {}

    public var isEmpty: Bool { self == CardRuleChanges() }

    typealias Keys = CardRules.CodingKeys

    init(from c: KeyedDecodingContainer<Keys>) throws {
        secondaryKeys = try c.decodePresent([String].self, forKey: .secondaryKeys)
        selectiveLogic = try c.decodePresent(SelectiveLogic.self, forKey: .selectiveLogic)
        constant = try c.decodePresent(Bool.self, forKey: .constant)
        enabled = try c.decodePresent(Bool.self, forKey: .enabled)
        order = try c.decodePresent(Int.self, forKey: .order)
        probability = try c.decodePresent(Int.self, forKey: .probability)
        scanDepth = try c.decodeNullable(Int.self, forKey: .scanDepth)
        excludeRecursion = try c.decodePresent(Bool.self, forKey: .excludeRecursion)
        preventRecursion = try c.decodePresent(Bool.self, forKey: .preventRecursion)
        sticky = try c.decodePresent(Int.self, forKey: .sticky)
        cooldown = try c.decodePresent(Int.self, forKey: .cooldown)
        delay = try c.decodePresent(Int.self, forKey: .delay)
        group = try c.decodeNullable(String.self, forKey: .group)
        position = try c.decodePresent(CardPosition.self, forKey: .position)
        depth = try c.decodePresent(Int.self, forKey: .depth)
        notes = try c.decodePresent(String.self, forKey: .notes)
    }

    func encode(to c: inout KeyedEncodingContainer<Keys>) throws {
        try c.encodeIfPresent(secondaryKeys, forKey: .secondaryKeys)
        try c.encodeIfPresent(selectiveLogic, forKey: .selectiveLogic)
        try c.encodeIfPresent(constant, forKey: .constant)
        try c.encodeIfPresent(enabled, forKey: .enabled)
        try c.encodeIfPresent(order, forKey: .order)
        try c.encodeIfPresent(probability, forKey: .probability)
        if let scanDepth { try c.encode(scanDepth, forKey: .scanDepth) }
        try c.encodeIfPresent(excludeRecursion, forKey: .excludeRecursion)
        try c.encodeIfPresent(preventRecursion, forKey: .preventRecursion)
        try c.encodeIfPresent(sticky, forKey: .sticky)
        try c.encodeIfPresent(cooldown, forKey: .cooldown)
        try c.encodeIfPresent(delay, forKey: .delay)
        if let group { try c.encode(group, forKey: .group) }
        try c.encodeIfPresent(position, forKey: .position)
        try c.encodeIfPresent(depth, forKey: .depth)
        try c.encodeIfPresent(notes, forKey: .notes)
    }

    /// `rules` with these changes applied.
    public func applied(to rules: CardRules) -> CardRules {
        var r = rules
        if let v = secondaryKeys { r.secondaryKeys = v }
        if let v = selectiveLogic { r.selectiveLogic = v }
        if let v = constant { r.constant = v }
        if let v = enabled { r.enabled = v }
        if let v = order { r.order = v }
        if let v = probability { r.probability = v }
        if let v = scanDepth { r.scanDepth = v }
        if let v = excludeRecursion { r.excludeRecursion = v }
        if let v = preventRecursion { r.preventRecursion = v }
        if let v = sticky { r.sticky = v }
        if let v = cooldown { r.cooldown = v }
        if let v = delay { r.delay = v }
        if let v = group { r.group = v }
        if let v = position { r.position = v }
        if let v = depth { r.depth = v }
        if let v = notes { r.notes = v }
        return r
    }
}

extension KeyedDecodingContainer {
    /// Absent: nil (leave it); `null`: .some(nil) (clear it); a value: .some(value).
    func decodeNullable<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return .some(nil) }
        return .some(try decode(type, forKey: key))
    }
}
