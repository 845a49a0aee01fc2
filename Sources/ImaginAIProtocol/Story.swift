import Foundation

// Story generation: the methods that call a language model, the context preview, versions of retried
// turns, usage, and the streamed `story/chunk` notification.

/// Token counts of each prompt section, as sent.
public struct SectionTokens: Codable, Hashable, Sendable {
    public var system: Int
    public var instructions: Int
    public var plotEssentials: Int
    public var authorsNotes: Int
    /// Cards placed before the history.
    public var cards: Int
    /// Older turns recall brought back.
    public var memories: Int
    /// The adventure's summary.
    public var summary: Int
    /// The history, with the cards placed at a depth inside it.
    public var history: Int
    /// Cards placed after the history.
    public var cardsAfterHistory: Int
    public var action: Int

    public init(
        system: Int = 0, instructions: Int = 0, plotEssentials: Int = 0, authorsNotes: Int = 0, cards: Int = 0, history: Int = 0,
        cardsAfterHistory: Int = 0, action: Int = 0, memories: Int = 0, summary: Int = 0
    ) {
        self.memories = memories
        self.summary = summary
        self.system = system
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.cards = cards
        self.history = history
        self.cardsAfterHistory = cardsAfterHistory
        self.action = action
    }

    enum CodingKeys: String, CodingKey {
        case system, instructions, plotEssentials, authorsNotes, cards, memories, summary, history, cardsAfterHistory, action
    }

    /// Usage stored before cards could be placed after the history has no `cardsAfterHistory`, and
    /// before recall none has `memories`, before summaries none has `summary`: 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        system = try c.decode(Int.self, forKey: .system)
        instructions = try c.decode(Int.self, forKey: .instructions)
        plotEssentials = try c.decode(Int.self, forKey: .plotEssentials)
        authorsNotes = try c.decode(Int.self, forKey: .authorsNotes)
        cards = try c.decode(Int.self, forKey: .cards)
        memories = try c.decodeIfPresent(Int.self, forKey: .memories) ?? 0
        summary = try c.decodeIfPresent(Int.self, forKey: .summary) ?? 0
        history = try c.decode(Int.self, forKey: .history)
        cardsAfterHistory = try c.decodeIfPresent(Int.self, forKey: .cardsAfterHistory) ?? 0
        action = try c.decode(Int.self, forKey: .action)
    }
}

public enum UsageSource: String, Codable, Sendable, CaseIterable {
    /// Counted by the provider.
    case api
    /// Estimated by ImaginAI's token estimator (the offline storyteller, or a provider that reports none).
    case estimate
}

/// What one generated turn cost.
public struct TurnUsage: Codable, Hashable, Sendable {
    public var promptTokens: Int
    public var outputTokens: Int
    public var thinkingTokens: Int
    public var source: UsageSource
    public var sections: SectionTokens
    /// `provider/model`.
    public var model: String
    public var latencyMs: Int
    /// Time to the first streamed text; null when nothing was streamed.
    public var firstChunkMs: Int?

    public init(
        promptTokens: Int, outputTokens: Int, thinkingTokens: Int, source: UsageSource, sections: SectionTokens,
        model: String, latencyMs: Int, firstChunkMs: Int?
    ) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.thinkingTokens = thinkingTokens
        self.source = source
        self.sections = sections
        self.model = model
        self.latencyMs = latencyMs
        self.firstChunkMs = firstChunkMs
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens, outputTokens, thinkingTokens, source, sections, model, latencyMs, firstChunkMs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(outputTokens, forKey: .outputTokens)
        try c.encode(thinkingTokens, forKey: .thinkingTokens)
        try c.encode(source, forKey: .source)
        try c.encode(sections, forKey: .sections)
        try c.encode(model, forKey: .model)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(firstChunkMs, forKey: .firstChunkMs)
    }
}

public enum FinishReasonKind: String, Codable, Sendable, CaseIterable {
    case stop, length, cancelled
}

/// The result of `story/act`, `story/continue` and `story/retry`.
public struct StoryResult: Codable, Hashable, Sendable {
    /// The player's turn stored by `story/act`; null for continue and retry.
    public var playerTurn: Turn?
    public var aiTurn: Turn
    public var usage: TurnUsage
    public var finishReason: FinishReasonKind
    /// True when the end of the text was cut back to the last complete sentence.
    public var trimmed: Bool

    public init(playerTurn: Turn?, aiTurn: Turn, usage: TurnUsage, finishReason: FinishReasonKind, trimmed: Bool) {
        self.playerTurn = playerTurn
        self.aiTurn = aiTurn
        self.usage = usage
        self.finishReason = finishReason
        self.trimmed = trimmed
    }

    enum CodingKeys: String, CodingKey { case playerTurn, aiTurn, usage, finishReason, trimmed }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(playerTurn, forKey: .playerTurn)
        try c.encode(aiTurn, forKey: .aiTurn)
        try c.encode(usage, forKey: .usage)
        try c.encode(finishReason, forKey: .finishReason)
        try c.encode(trimmed, forKey: .trimmed)
    }
}

public struct StoryActRequest: RequestType {
    public static let method = "story/act"
    public typealias Response = StoryResult
    public var adventureId: String
    public var action: ActionKind
    public var text: String
    public init(adventureId: String, action: ActionKind, text: String) {
        self.adventureId = adventureId
        self.action = action
        self.text = text
    }
}

public struct StoryContinueRequest: RequestType {
    public static let method = "story/continue"
    public typealias Response = StoryResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

public struct StoryRetryRequest: RequestType {
    public static let method = "story/retry"
    public typealias Response = StoryResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

public struct StoryUndoRequest: RequestType {
    public static let method = "story/undo"
    public typealias Response = UndoResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

public struct UndoResult: Codable, Hashable, Sendable {
    /// The turns taken out, oldest first; `story/redo` brings them back.
    public var removed: [Turn]
    public var turnCount: Int
    public init(removed: [Turn], turnCount: Int) {
        self.removed = removed
        self.turnCount = turnCount
    }
}

public struct StoryRedoRequest: RequestType {
    public static let method = "story/redo"
    public typealias Response = RedoResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

public struct RedoResult: Codable, Hashable, Sendable {
    public var restored: [Turn]
    public var turnCount: Int
    public init(restored: [Turn], turnCount: Int) {
        self.restored = restored
        self.turnCount = turnCount
    }
}

public struct StoryPreviewRequest: RequestType {
    public static let method = "story/preview"
    public typealias Response = PreviewResult
    public var adventureId: String
    /// The action the preview is for; without it, the preview is for `story/continue`.
    public var action: ActionKind?
    public var text: String?
    public init(adventureId: String, action: ActionKind? = nil, text: String? = nil) {
        self.adventureId = adventureId
        self.action = action
        self.text = text
    }
}

public struct PreviewSection: Codable, Hashable, Sendable {
    /// system, instructions, plotEssentials, cards, memories, summary, history, cardsAfterHistory, authorsNotes or action.
    public var name: String
    public var text: String
    public var tokens: Int
    public init(name: String, text: String, tokens: Int) {
        self.name = name
        self.text = text
        self.tokens = tokens
    }
}

/// What fired a card.
public enum CardTrigger: String, Codable, Hashable, Sendable, CaseIterable {
    /// A key in the recent story (history turns or the action).
    case story
    /// A key in the text of another included card (recursion).
    case card
    /// The card is always on.
    case constant
    /// Still included after an earlier activation.
    case sticky
}

/// Why a card that fired is not in the prompt.
public enum CardLeftOut: String, Codable, Hashable, Sendable, CaseIterable {
    /// It did not fit the card budget.
    case budget
    /// A card of the same group with a higher order was included.
    case group
    /// It lost its probability roll.
    case probability
}

public struct FiredCardInfo: Codable, Hashable, Sendable {
    public var cardId: String
    public var name: String
    public var trigger: CardTrigger
    /// The key whose latest mention fired it; null when no key did (constant, sticky).
    public var key: String?
    /// For trigger `card`: the id of the card whose text named it; otherwise null.
    public var firedBy: String?
    /// True when it is in the prompt.
    public var included: Bool
    /// Why it is not in the prompt; null when it is.
    public var leftOut: CardLeftOut?

    public init(cardId: String, name: String, trigger: CardTrigger, key: String?, firedBy: String? = nil, included: Bool, leftOut: CardLeftOut? = nil) {
        self.cardId = cardId
        self.name = name
        self.trigger = trigger
        self.key = key
        self.firedBy = firedBy
        self.included = included
        self.leftOut = leftOut
    }

    enum CodingKeys: String, CodingKey { case cardId, name, trigger, key, firedBy, included, leftOut }

    /// Every field written, null ones as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cardId, forKey: .cardId)
        try c.encode(name, forKey: .name)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(key, forKey: .key)
        try c.encode(firedBy, forKey: .firedBy)
        try c.encode(included, forKey: .included)
        try c.encode(leftOut, forKey: .leftOut)
    }
}

public struct PreviewResult: Codable, Hashable, Sendable {
    public var model: String
    /// Sections in the order they are sent; empty ones are left out.
    public var sections: [PreviewSection]
    public var firedCards: [FiredCardInfo]
    /// Indexes of the history turns in the prompt, oldest first.
    public var includedTurns: [Int]
    /// Indexes of history turns left out for the budget, newest first.
    public var droppedTurns: [Int]
    /// Older turns not looked at because the budget was already full (all dropped too).
    public var olderTurnsOmitted: Int
    /// The ids of the turns recall put in the `memories` section, oldest first.
    public var recalledTurns: [String]
    public var totalTokens: Int
    public var budgetTokens: Int
    public init(
        model: String, sections: [PreviewSection], firedCards: [FiredCardInfo], includedTurns: [Int],
        droppedTurns: [Int], olderTurnsOmitted: Int, recalledTurns: [String] = [], totalTokens: Int, budgetTokens: Int
    ) {
        self.recalledTurns = recalledTurns
        self.model = model
        self.sections = sections
        self.firedCards = firedCards
        self.includedTurns = includedTurns
        self.droppedTurns = droppedTurns
        self.olderTurnsOmitted = olderTurnsOmitted
        self.totalTokens = totalTokens
        self.budgetTokens = budgetTokens
    }
}

public struct TurnVersionsRequest: RequestType {
    public static let method = "turn/versions"
    public typealias Response = TurnVersionsResult
    public var id: String
    public init(id: String) { self.id = id }
}

public struct TurnVersion: Codable, Hashable, Sendable {
    /// 0 is the first text the turn had; each retry adds the next number.
    public var version: Int
    public var text: String
    public var createdAt: String
    public var current: Bool
    public init(version: Int, text: String, createdAt: String, current: Bool) {
        self.version = version
        self.text = text
        self.createdAt = createdAt
        self.current = current
    }
}

public struct TurnVersionsResult: Codable, Hashable, Sendable {
    public var versions: [TurnVersion]
    public init(versions: [TurnVersion]) { self.versions = versions }
}

public struct TurnUseVersionRequest: RequestType {
    public static let method = "turn/useVersion"
    public typealias Response = Turn
    public var id: String
    public var version: Int
    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }
}

public struct UsageGetRequest: RequestType {
    public static let method = "usage/get"
    public typealias Response = UsageResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

public struct UsageTotals: Codable, Hashable, Sendable {
    public var promptTokens: Int
    public var outputTokens: Int
    public var thinkingTokens: Int
    /// How many ai turns carry usage.
    public var turns: Int
    public init(promptTokens: Int, outputTokens: Int, thinkingTokens: Int, turns: Int) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.thinkingTokens = thinkingTokens
        self.turns = turns
    }
}

public struct TurnUsageEntry: Codable, Hashable, Sendable {
    public var turnId: String
    public var index: Int
    public var usage: TurnUsage
    public init(turnId: String, index: Int, usage: TurnUsage) {
        self.turnId = turnId
        self.index = index
        self.usage = usage
    }
}

public struct UsageResult: Codable, Hashable, Sendable {
    public var totals: UsageTotals
    /// Oldest first.
    public var turns: [TurnUsageEntry]
    public init(totals: UsageTotals, turns: [TurnUsageEntry]) {
        self.totals = totals
        self.turns = turns
    }
}

public struct ModelsListRequest: RequestType {
    public static let method = "models/list"
    public typealias Response = ModelsListResult
    public init() {}
}

public struct ModelInfo: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var contextTokens: Int
    public var maxOutputTokens: Int
    public var supportsThinking: Bool
    public var available: Bool
    /// Why it is not available; absent when it is.
    public var reason: String?
    /// Served by a server on this machine (a loopback address), configured or found on its usual port.
    public var local: Bool
    public init(
        id: String, name: String, contextTokens: Int, maxOutputTokens: Int, supportsThinking: Bool, available: Bool,
        reason: String? = nil, local: Bool = false
    ) {
        self.id = id
        self.name = name
        self.contextTokens = contextTokens
        self.maxOutputTokens = maxOutputTokens
        self.supportsThinking = supportsThinking
        self.available = available
        self.reason = reason
        self.local = local
    }
}

public struct ModelsListResult: Codable, Hashable, Sendable {
    public var models: [ModelInfo]
    public init(models: [ModelInfo]) { self.models = models }
}

/// Streamed story text, sent before the response of the request that generates it.
public struct StoryChunkNotification: NotificationType {
    public static let method = "story/chunk"
    /// The id of the `story/*` request this text belongs to, exactly as the client sent it.
    public var requestId: JSONValue
    public var adventureId: String
    /// 0, 1, 2, … without gaps, per request.
    public var seq: Int
    public var text: String
    public init(requestId: JSONValue, adventureId: String, seq: Int, text: String) {
        self.requestId = requestId
        self.adventureId = adventureId
        self.seq = seq
        self.text = text
    }
}

/// Sent once per streamed piece of text, so written by hand (same bytes as `JSONCoding.encode`).
extension StoryChunkNotification: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.raw(#"{"adventureId":"#); out.string(adventureId)
        out.raw(#","requestId":"#); out.value(requestId)
        out.raw(#","seq":"#); out.int(seq)
        out.raw(#","text":"#); out.string(text)
        out.raw("}")
    }
}
