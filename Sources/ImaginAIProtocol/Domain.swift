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

    public init(id: String, type: String, name: String, description: String, keys: [String]) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
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

    public static let defaultType = "other"

    public init(id: String? = nil, type: String = CardDraft.defaultType, name: String, description: String = "", keys: [String] = []) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
    }

    enum CodingKeys: String, CodingKey { case id, type, name, description, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? CardDraft.defaultType
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        keys = try c.decodeIfPresent([String].self, forKey: .keys) ?? []
    }
}

/// A partial change to a card: absent fields stay as they are; `null` is not a value any field takes.
public struct CardChanges: Codable, Hashable, Sendable {
    public var type: String?
    public var name: String?
    public var description: String?
    public var keys: [String]?

    public init(type: String? = nil, name: String? = nil, description: String? = nil, keys: [String]? = nil) {
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
    }

    enum CodingKeys: String, CodingKey { case type, name, description, keys }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodePresent(String.self, forKey: .type)
        name = try c.decodePresent(String.self, forKey: .name)
        description = try c.decodePresent(String.self, forKey: .description)
        keys = try c.decodePresent([String].self, forKey: .keys)
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

    public init(
        id: String, scenarioId: String?, scenarioName: String, name: String, instructions: String,
        plotEssentials: String, authorsNotes: String, openingScene: String, playerDescription: String,
        tags: [String], cards: [Card], createdAt: String, updatedAt: String, lastPlayedAt: String, turnCount: Int
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
    }

    enum CodingKeys: String, CodingKey {
        case id, scenarioId, scenarioName, name, instructions, plotEssentials, authorsNotes, openingScene
        case playerDescription, tags, cards, createdAt, updatedAt, lastPlayedAt, turnCount
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

    public init(
        name: String? = nil, instructions: String? = nil, plotEssentials: String? = nil,
        authorsNotes: String? = nil, openingScene: String? = nil, playerDescription: String? = nil,
        tags: [String]? = nil
    ) {
        self.name = name
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.openingScene = openingScene
        self.playerDescription = playerDescription
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription, tags
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
    /// The offline storyteller's pause between words, in milliseconds (0: as fast as it can).
    public var storytellerDelayMs: Int
    /// The offline storyteller's seed: the same seed and the same story so far give the same text.
    public var storytellerSeed: Int

    public static let maxOutputTokensRange = 50...800
    public static let scanDepthRange = 0...100
    public static let storytellerDelayRange = 0...5000

    public init(
        model: String, responseHandling: ResponseHandling, allowThinking: Bool, maxOutputTokens: Int,
        baseSystemInstruction: String, scanDepth: Int = 4, storytellerDelayMs: Int = 35, storytellerSeed: Int = 0
    ) {
        self.model = model
        self.responseHandling = responseHandling
        self.allowThinking = allowThinking
        self.maxOutputTokens = maxOutputTokens
        self.baseSystemInstruction = baseSystemInstruction
        self.scanDepth = scanDepth
        self.storytellerDelayMs = storytellerDelayMs
        self.storytellerSeed = storytellerSeed
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
    public var storytellerDelayMs: Int?
    public var storytellerSeed: Int?

    public init(
        model: String? = nil, responseHandling: ResponseHandling? = nil, allowThinking: Bool? = nil,
        maxOutputTokens: Int? = nil, baseSystemInstruction: String? = nil, scanDepth: Int? = nil,
        storytellerDelayMs: Int? = nil, storytellerSeed: Int? = nil
    ) {
        self.model = model
        self.responseHandling = responseHandling
        self.allowThinking = allowThinking
        self.maxOutputTokens = maxOutputTokens
        self.baseSystemInstruction = baseSystemInstruction
        self.scanDepth = scanDepth
        self.storytellerDelayMs = storytellerDelayMs
        self.storytellerSeed = storytellerSeed
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, responseHandling, allowThinking, maxOutputTokens, baseSystemInstruction
        case scanDepth, storytellerDelayMs, storytellerSeed
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
        storytellerDelayMs = try c.decodePresent(Int.self, forKey: .storytellerDelayMs)
        storytellerSeed = try c.decodePresent(Int.self, forKey: .storytellerSeed)
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
        out.raw(#"{"description":"#); out.string(description)
        out.raw(#","id":"#); out.string(id)
        out.raw(#","keys":"#); out.strings(keys)
        out.raw(#","name":"#); out.string(name)
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
