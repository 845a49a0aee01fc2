import ImaginAICore

/// What a language model is asked for one turn.
public struct GenerationRequest: Sendable {
    /// The framing text: base instruction, scenario instructions, plot essentials, triggered cards.
    public var system: String
    /// The story so far, the author's note and the player's action: what is continued.
    public var story: String
    /// The player's action as typed, if the turn has one.
    public var action: String?
    /// Names of the cards the recent text mentions, most recently mentioned first.
    public var mentionedNames: [String]
    public var maxOutputTokens: Int
    public var allowThinking: Bool
    /// Makes sampling repeatable where the model supports it.
    public var seed: UInt64
    /// The cards that fired and fit, most recently mentioned first: the facts the offline storyteller
    /// tells (a model that reads the system text finds them there).
    public var cards: [PromptCard]
    /// Earlier answers to this turn (a retry's previous versions), which a retry should not repeat.
    public var earlierAnswers: [String]
    /// Every card of the adventure by name, type and keys (descriptions left out): what the offline
    /// storyteller knows of places and people that did not fire this turn.
    public var knownCards: [PromptCard]
    /// The older turns recall brought back (their texts as stored, oldest first): a model reads them in
    /// the system text; the offline storyteller reminds the player of the one the action asks about.
    public var memories: [String]
    /// Where the answer ends: providers that take stop sequences stop there (each caps how many it
    /// takes; the story service cuts the stream itself as well, as servers may ignore them).
    public var stopSequences: [String]

    public init(
        system: String, story: String, action: String? = nil, mentionedNames: [String] = [],
        maxOutputTokens: Int, allowThinking: Bool = false, seed: UInt64 = 0, cards: [PromptCard] = [],
        earlierAnswers: [String] = [], knownCards: [PromptCard] = [], stopSequences: [String] = [],
        memories: [String] = []
    ) {
        self.memories = memories
        self.knownCards = knownCards
        self.cards = cards
        self.earlierAnswers = earlierAnswers
        self.stopSequences = stopSequences
        self.system = system
        self.story = story
        self.action = action
        self.mentionedNames = mentionedNames
        self.maxOutputTokens = maxOutputTokens
        self.allowThinking = allowThinking
        self.seed = seed
    }
}

public enum FinishReason: String, Sendable {
    case stop, length
}

public struct ModelUsage: Sendable, Equatable {
    public enum Source: String, Sendable { case api, estimate }
    public var promptTokens: Int
    public var outputTokens: Int
    public var thinkingTokens: Int
    public var source: Source

    public init(promptTokens: Int, outputTokens: Int, thinkingTokens: Int = 0, source: Source) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.thinkingTokens = thinkingTokens
        self.source = source
    }
}

public enum GenerationEvent: Sendable, Equatable {
    /// Story text, in the order it should be shown; concatenated, the chunks are the answer.
    case text(String)
    case finished(FinishReason, ModelUsage?)
}

public struct ModelDescriptor: Sendable, Equatable {
    /// `provider/model`.
    public var id: String
    public var name: String
    public var contextTokens: Int
    public var maxOutputTokens: Int
    public var supportsThinking: Bool
}

public protocol LanguageModel: Sendable {
    var descriptor: ModelDescriptor { get }
    /// Streams the answer; cancelling the consuming task stops generation at once.
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error>
    /// Generates the answer, handing each event to `sink` on whatever thread produced it, one call at a
    /// time and in order; returns (or throws, as `stream` would) once the last event has been handed
    /// over. Cancelling the calling task stops generation at once (it then throws `CancellationError`).
    /// A model that reads a socket calls `sink` on its reading thread: a consumer that only forwards
    /// the events then costs no wake-up of another thread per event.
    func generate(_ request: GenerationRequest, into sink: @escaping @Sendable (GenerationEvent) -> Void) async throws
}

extension LanguageModel {
    /// Drives `stream` in the calling task.
    public func generate(_ request: GenerationRequest, into sink: @escaping @Sendable (GenerationEvent) -> Void) async throws {
        for try await event in stream(request) { sink(event) }
        // A cancelled consumer sees the stream end early; it must not read as a complete answer.
        try Task.checkCancellation()
    }
}
