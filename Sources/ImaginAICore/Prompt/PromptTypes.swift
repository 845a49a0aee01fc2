/// What the prompt is built from: the adventure's text and cards as plain values (the core module knows
/// nothing of the wire or the database).
public struct PromptMaterial: Sendable {
    public var baseSystemInstruction: String
    public var instructions: String
    public var plotEssentials: String
    public var authorsNotes: String
    public var cards: [PromptCard]
    /// The adventure's summary of the story so far ("" for none).
    public var summary: String

    public init(
        baseSystemInstruction: String, instructions: String, plotEssentials: String, authorsNotes: String, cards: [PromptCard],
        summary: String = ""
    ) {
        self.baseSystemInstruction = baseSystemInstruction
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.cards = cards
        self.summary = summary
    }
}

public struct PromptCard: Sendable, Equatable {
    public var id: String
    public var type: String
    public var name: String
    public var description: String
    public var keys: [String]
    public var rules: PromptCardRules

    public init(id: String, type: String, name: String, description: String, keys: [String], rules: PromptCardRules = .plain) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.keys = keys
        self.rules = rules
    }
}

/// When a card goes into the prompt besides its keys: SillyTavern's World Info options, with its
/// meanings. The defaults make a plain card (fires on a key in the recent text).
public struct PromptCardRules: Sendable, Equatable, Hashable {
    public enum SecondaryLogic: String, Sendable, Hashable {
        /// A primary key and at least one secondary key.
        case andAny
        /// A primary key and every secondary key.
        case andAll
        /// A primary key and none of the secondary keys.
        case notAny
        /// A primary key and not every secondary key.
        case notAll
    }

    public enum Position: Sendable, Equatable, Hashable {
        /// In the cards section, before the history.
        case beforeHistory
        /// In a section of its own after the history, before the author's note and the action.
        case afterHistory
        /// Inside the history, this many turns before its end (0: after the newest turn).
        case atDepth(Int)
    }

    public var secondaryKeys: [String]
    public var secondaryLogic: SecondaryLogic
    public var constant: Bool
    public var enabled: Bool
    public var order: Int
    /// 0-100: the chance that the card is included when it fires.
    public var probability: Int
    /// Turns searched for its keys; nil: the scan depth of the limits.
    public var scanDepth: Int?
    public var excludeRecursion: Bool
    public var preventRecursion: Bool
    public var sticky: Int
    public var cooldown: Int
    public var delay: Int
    public var group: String?
    public var position: Position

    public init(
        secondaryKeys: [String] = [], secondaryLogic: SecondaryLogic = .andAny, constant: Bool = false, enabled: Bool = true,
        order: Int = 100, probability: Int = 100, scanDepth: Int? = nil, excludeRecursion: Bool = false,
        preventRecursion: Bool = false, sticky: Int = 0, cooldown: Int = 0, delay: Int = 0, group: String? = nil,
        position: Position = .beforeHistory
    ) {
        self.secondaryKeys = secondaryKeys
        self.secondaryLogic = secondaryLogic
        self.constant = constant
        self.enabled = enabled
        self.order = order
        self.probability = probability
        self.scanDepth = scanDepth
        self.excludeRecursion = excludeRecursion
        self.preventRecursion = preventRecursion
        self.sticky = sticky
        self.cooldown = cooldown
        self.delay = delay
        self.group = group
        self.position = position
    }

    public static let plain = PromptCardRules()
}

/// The cards a generated turn's prompt freshly activated.
public struct CardActivation: Sendable, Equatable {
    public var turnIndex: Int
    public var cardIDs: [String]
    public init(turnIndex: Int, cardIDs: [String]) {
        self.turnIndex = turnIndex
        self.cardIDs = cardIDs
    }
}

/// The turn a prompt is built for, and what earlier prompts activated: what the timed effects and the
/// probability rolls depend on.
public struct PromptMoment: Sendable, Equatable {
    /// The adventure, for reproducible rolls.
    public var adventureID: String
    /// The index the answer turn will have (what delay, sticky and cooldown count against).
    public var answerIndex: Int
    /// 0 for a first answer; the retry's version number for a retry. Part of the rolls' seed, so each
    /// retry rolls afresh while the same retry always rolls the same.
    public var version: Int
    /// The cards with sticky or cooldown that generated turns' prompts activated, by the ai turn's
    /// index: at least those within the longest sticky + cooldown span before `answerIndex`.
    public var activations: [CardActivation]

    public init(adventureID: String = "", answerIndex: Int = 0, version: Int = 0, activations: [CardActivation] = []) {
        self.adventureID = adventureID
        self.answerIndex = answerIndex
        self.version = version
        self.activations = activations
    }
}

public enum PlayerActionKind: String, Sendable {
    case `do`, say, story
}

public struct PromptTurn: Sendable, Equatable {
    public enum Speaker: Sendable { case player(PlayerActionKind?), ai }
    public var index: Int
    public var speaker: Speaker
    public var text: String

    public init(index: Int, speaker: Speaker, text: String) {
        self.index = index
        self.speaker = speaker
        self.text = text
    }

    public static func == (lhs: PromptTurn, rhs: PromptTurn) -> Bool {
        lhs.index == rhs.index && lhs.text == rhs.text && lhs.isPlayer == rhs.isPlayer
    }

    var isPlayer: Bool {
        if case .player = speaker { return true }
        return false
    }
}

public struct PromptLimits: Sendable {
    /// The model's whole context window, in tokens.
    public var contextTokens: Int
    /// Reserved for the answer.
    public var maxOutputTokens: Int
    /// How many recent turns (besides the current action) are scanned for card keys.
    public var scanDepth: Int
    /// Rounds in which included cards' text fires further cards (0: none).
    public var recursionDepth: Int
    /// The most of the budget that triggered cards may take, as a fraction of what is left after the
    /// fixed sections; history gets the rest.
    public var cardShare: Double
    /// What recalled turns may take, as a fraction of what is left after the fixed sections, taken from
    /// the history's part only when the history cannot hold every turn. What they leave goes back to
    /// the history.
    public var memoryShare: Double
    /// The most turns recall looks at (the best `memoryCandidates` matches) to fill its share.
    public var memoryCandidates: Int

    public init(
        contextTokens: Int, maxOutputTokens: Int, scanDepth: Int = 4, recursionDepth: Int = 2, cardShare: Double = 0.4,
        memoryShare: Double = 0.15, memoryCandidates: Int = 16
    ) {
        self.contextTokens = contextTokens
        self.maxOutputTokens = maxOutputTokens
        self.scanDepth = scanDepth
        self.recursionDepth = recursionDepth
        self.cardShare = cardShare
        self.memoryShare = memoryShare
        self.memoryCandidates = memoryCandidates
    }

    public var promptBudget: Int { max(0, contextTokens - maxOutputTokens) }
}

/// The sections of a prompt, in the order they are sent.
public enum PromptSectionKind: String, Sendable, CaseIterable {
    /// `cardsAfterHistory` holds the cards placed after the history; cards placed at a depth are inside
    /// `history`. `memories` holds the older turns recall brought back; `summary` the adventure's summary.
    case system, instructions, plotEssentials, cards, memories, summary, history, cardsAfterHistory, authorsNotes, action
}

public struct PromptSection: Sendable, Equatable {
    public var kind: PromptSectionKind
    public var text: String
    public var tokens: Int
}

public struct FiredCard: Sendable, Equatable {
    public enum Trigger: String, Sendable {
        /// A key in the recent story (turns or the action).
        case story
        /// A key in the text of another included card (recursion).
        case card
        /// Always on.
        case constant
        /// Still included after an earlier activation.
        case sticky
    }

    /// Why a card that fired is not in the prompt.
    public enum LeftOut: String, Sendable {
        /// It did not fit the card budget.
        case budget
        /// Another card of its group was included.
        case group
        /// It lost its probability roll.
        case probability
    }

    public var cardID: String
    public var name: String
    public var trigger: Trigger
    /// The key whose mention fired the card (its latest mention); nil when no key did (constant, sticky).
    public var key: String?
    /// For `card`: the id of the card whose text named it.
    public var firedBy: String?
    /// Nil when it is in the prompt.
    public var leftOut: LeftOut?

    public var included: Bool { leftOut == nil }

    public init(cardID: String, name: String, trigger: Trigger, key: String?, firedBy: String? = nil, leftOut: LeftOut? = nil) {
        self.cardID = cardID
        self.name = name
        self.trigger = trigger
        self.key = key
        self.firedBy = firedBy
        self.leftOut = leftOut
    }
}

public struct AssembledPrompt: Sendable {
    /// Non-empty sections in send order.
    public var sections: [PromptSection]
    /// In firing order: sticky cards, then cards the story named (most recently mentioned first), then
    /// constant cards, then cards other cards named, round by round.
    public var firedCards: [FiredCard]
    /// The ids of the cards with sticky or cooldown this prompt freshly activated (fired and included, not
    /// carried by sticky): what to store with the answer so later prompts can count from it.
    public var activatedCardIDs: [String]
    /// Indexes of history turns in the prompt, oldest first.
    public var includedTurns: [Int]
    /// Indexes of history turns left out because the budget was full, newest first. Turns older than
    /// the oldest one looked at are summarised by `olderTurnsOmitted`.
    public var droppedTurns: [Int]
    /// How many turns older than any listed were not even loaded (the budget was already full).
    public var olderTurnsOmitted: Int
    /// The turns in the `memories` section, oldest first (they are among the dropped or omitted ones).
    public var recalledTurns: [RecalledTurn]
    public var budgetTokens: Int

    public var totalTokens: Int { sections.reduce(0) { $0 + $1.tokens } }

    public func tokens(of kind: PromptSectionKind) -> Int {
        sections.first { $0.kind == kind }?.tokens ?? 0
    }

    /// The section's text, nil when it is left out.
    public func text(of kind: PromptSectionKind) -> String? {
        sections.first { $0.kind == kind }?.text
    }

    /// The system message for chat models: everything that frames the story, with the recalled turns
    /// and the summary as background (not as story to continue from).
    public var systemText: String {
        sections.filter { [.system, .instructions, .plotEssentials, .cards, .memories, .summary].contains($0.kind) }.map(\.text).joined(separator: "\n\n")
    }

    /// The story so far, the author's notes and the action: what the model continues from.
    public var storyText: String {
        sections.filter { [.history, .cardsAfterHistory, .authorsNotes, .action].contains($0.kind) }.map(\.text).joined(separator: "\n\n")
    }
}

/// A turn in the `memories` section.
public struct RecalledTurn: Sendable, Equatable {
    public var turnID: String
    public var index: Int
    /// As stored (a player turn as typed).
    public var text: String

    public init(turnID: String, index: Int, text: String) {
        self.turnID = turnID
        self.index = index
        self.text = text
    }
}

public enum PromptError: Error, Equatable, Sendable {
    /// The fixed sections alone are over the budget: nothing can be dropped to make them fit.
    case fixedSectionsTooLarge(tokens: Int, budget: Int)
}
