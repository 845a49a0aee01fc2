/// What the prompt is built from: the adventure's text and cards as plain values (the core module knows
/// nothing of the wire or the database).
public struct PromptMaterial: Sendable {
    public var baseSystemInstruction: String
    public var instructions: String
    public var plotEssentials: String
    public var authorsNotes: String
    public var cards: [PromptCard]

    public init(baseSystemInstruction: String, instructions: String, plotEssentials: String, authorsNotes: String, cards: [PromptCard]) {
        self.baseSystemInstruction = baseSystemInstruction
        self.instructions = instructions
        self.plotEssentials = plotEssentials
        self.authorsNotes = authorsNotes
        self.cards = cards
    }
}

public struct PromptCard: Sendable, Equatable {
    public var id: String
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
    /// The most of the budget that triggered cards may take, as a fraction of what is left after the
    /// fixed sections; history gets the rest.
    public var cardShare: Double

    public init(contextTokens: Int, maxOutputTokens: Int, scanDepth: Int = 4, cardShare: Double = 0.4) {
        self.contextTokens = contextTokens
        self.maxOutputTokens = maxOutputTokens
        self.scanDepth = scanDepth
        self.cardShare = cardShare
    }

    public var promptBudget: Int { max(0, contextTokens - maxOutputTokens) }
}

/// The sections of a prompt, in the order they are sent.
public enum PromptSectionKind: String, Sendable, CaseIterable {
    case system, instructions, plotEssentials, cards, history, authorsNotes, action
}

public struct PromptSection: Sendable, Equatable {
    public var kind: PromptSectionKind
    public var text: String
    public var tokens: Int
}

public struct FiredCard: Sendable, Equatable {
    public var cardID: String
    public var name: String
    /// The key whose mention fired the card (its latest mention).
    public var key: String
    /// False when it fired but did not fit the card budget.
    public var included: Bool
}

public struct AssembledPrompt: Sendable {
    /// Non-empty sections in send order.
    public var sections: [PromptSection]
    public var firedCards: [FiredCard]
    /// Indexes of history turns in the prompt, oldest first.
    public var includedTurns: [Int]
    /// Indexes of history turns left out because the budget was full, newest first. Turns older than
    /// the oldest one looked at are summarised by `olderTurnsOmitted`.
    public var droppedTurns: [Int]
    /// How many turns older than any listed were not even loaded (the budget was already full).
    public var olderTurnsOmitted: Int
    public var budgetTokens: Int

    public var totalTokens: Int { sections.reduce(0) { $0 + $1.tokens } }

    public func tokens(of kind: PromptSectionKind) -> Int {
        sections.first { $0.kind == kind }?.tokens ?? 0
    }

    /// The section's text, nil when it is left out.
    public func text(of kind: PromptSectionKind) -> String? {
        sections.first { $0.kind == kind }?.text
    }

    /// The system message for chat models: everything that frames the story.
    public var systemText: String {
        sections.filter { [.system, .instructions, .plotEssentials, .cards].contains($0.kind) }.map(\.text).joined(separator: "\n\n")
    }

    /// The story so far, the author's notes and the action: what the model continues from.
    public var storyText: String {
        sections.filter { [.history, .authorsNotes, .action].contains($0.kind) }.map(\.text).joined(separator: "\n\n")
    }
}

public enum PromptError: Error, Equatable, Sendable {
    /// The fixed sections alone are over the budget: nothing can be dropped to make them fit.
    case fixedSectionsTooLarge(tokens: Int, budget: Int)
}
