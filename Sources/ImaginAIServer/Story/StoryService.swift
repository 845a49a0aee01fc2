import Dispatch
import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol
import ImaginAIStore
import JSONRPC
import LLM
import Logging
import Synchronization

/// Generates story turns: assembles the prompt, streams the model's answer as `story/chunk`
/// notifications, and stores the result. One generation per adventure at a time.
final class StoryService: Sendable {
    enum Kind: Sendable {
        case act(ActionKind, String)
        case `continue`
        case retry
    }

    private let database: AppDatabase
    private let models: ModelRegistry
    private let busy = Mutex(Set<String>())
    private let matchers = MatcherCache()

    private let logger: Logger?
    private let summaries: SummaryRewriter

    init(database: AppDatabase, models: ModelRegistry? = nil, logger: Logger? = nil) {
        self.database = database
        self.models = models ?? ModelRegistry(logger: logger)
        self.logger = logger
        self.summaries = SummaryRewriter(database: database, models: self.models, logger: logger)
    }

    /// After an answer has been sent: rewrites the adventure's summary in the background when
    /// `settings.autoSummary` is on and `summaryEveryTurns` turns have come since the last rewrite.
    func summaryRewriteAfterAnswer(adventureId: String, context: RequestContext) {
        context.afterResponse { [summaries] in summaries.schedule(adventureId: adventureId) }
    }

    func configure(initializationOptions: JSONValue?) {
        models.configure(initializationOptions: initializationOptions)
    }

    func modelList() async -> [ModelInfo] { await models.list() }

    // MARK: Preview

    func preview(adventureId: String, action: ActionKind?, text: String?) throws -> PreviewResult {
        let settings = try database.settings()
        let adventure = try database.adventure(id: adventureId)
        let playerAction = action.map { ($0, text ?? "") } ?? text.map { (ActionKind.do, $0) }
        // The answer would follow the player's turn the action stores, or the newest turn.
        let answerIndex = adventure.turnCount + (playerAction == nil ? 0 : 1)
        let prompt = try assemble(
            adventure: adventure, settings: settings, action: playerAction, historyBefore: nil, answerIndex: answerIndex, version: 0)
        return PreviewResult(
            model: settings.model,
            sections: prompt.sections.map { PreviewSection(name: $0.kind.rawValue, text: $0.text, tokens: $0.tokens) },
            firedCards: prompt.firedCards.map {
                FiredCardInfo(
                    cardId: $0.cardID, name: $0.name, trigger: CardTrigger(rawValue: $0.trigger.rawValue) ?? .story, key: $0.key,
                    firedBy: $0.firedBy, included: $0.included, leftOut: $0.leftOut.flatMap { CardLeftOut(rawValue: $0.rawValue) })
            },
            includedTurns: prompt.includedTurns, droppedTurns: prompt.droppedTurns,
            olderTurnsOmitted: prompt.olderTurnsOmitted, recalledTurns: prompt.recalledTurns.map(\.turnID), totalTokens: prompt.totalTokens, budgetTokens: prompt.budgetTokens)
    }

    // MARK: Generation

    func generate(_ kind: Kind, adventureId: String, context: RequestContext) async throws -> StoryResult {
        try await exclusively(adventureId: adventureId) {
            try await generateWhileHeld(kind, adventureId: adventureId, context: context)
        }
    }

    /// Runs `body` while no generation (and no other history rewrite) runs on the adventure. Undo, redo
    /// and version switches take it too: rewriting history under a turn being generated would store the
    /// answer against turns that are gone.
    func exclusively<T>(adventureId: String, _ body: () async throws -> T) async throws -> T {
        guard busy.withLock({ $0.insert(adventureId).inserted }) else {
            throw ResponseError(
                code: .conflict, message: "Adventure \(adventureId) is generating; wait for it or cancel it",
                data: .object(["adventureId": .string(adventureId)]))
        }
        defer { _ = busy.withLock { $0.remove(adventureId) } }
        return try await body()
    }

    private func generateWhileHeld(_ kind: Kind, adventureId: String, context: RequestContext) async throws -> StoryResult {

        let settings = try database.settings()
        let adventure = try database.adventure(id: adventureId)

        var playerTurn: Turn?
        var retried: Turn?
        var action: (ActionKind, String)?
        switch kind {
        case .act(let kind, let text):
            // Committed before the model is called: whatever happens next, the player's words are kept.
            playerTurn = try database.appendPlayerTurn(adventureId: adventureId, action: kind, text: text)
            action = (kind, text)
        case .continue:
            break
        case .retry:
            guard let latest = try database.latestTurn(adventureId: adventureId), latest.role == .ai, latest.index > 0 else {
                throw ResponseError.conflict("Nothing to retry: the latest turn is not a generated story turn")
            }
            retried = latest
        }

        // Resolved after the player turn is stored: a model that cannot be used must not cost the
        // player's words, which stay for a /continue once the model is fixed.
        let model: any LanguageModel
        do {
            model = try models.model(id: settings.model, settings: settings)
        } catch var error as ResponseError {
            if case .object(var data) = error.data {
                data["playerTurn"] = Self.json(playerTurn)
                data["aiTurn"] = .null
                error.data = .object(data)
            }
            throw error
        }

        // Every text the retried turn has had: a retry must not answer with one of them again.
        let earlierAnswers = try retried.map { try database.turnVersions(turnId: $0.id).map(\.text) } ?? []
        let versions = earlierAnswers.count
        let turnIndex = retried?.index ?? (playerTurn.map { $0.index + 1 } ?? adventure.turnCount)
        // A stored player turn is the prompt's action, not history; a retry answers the history before
        // the turn it replaces.
        let prompt = try assemble(
            adventure: adventure, settings: settings, action: action, historyBefore: retried?.index ?? playerTurn?.index,
            answerIndex: turnIndex, version: versions)
        let request = GenerationRequest(
            system: prompt.systemText, story: prompt.storyText, action: action?.1,
            mentionedNames: prompt.firedCards.filter(\.included).map(\.name),
            maxOutputTokens: settings.maxOutputTokens, allowThinking: settings.allowThinking,
            seed: Self.seed(settings.storytellerSeed, adventureId, turnIndex, versions),
            cards: Self.firedCards(prompt, of: adventure),
            earlierAnswers: earlierAnswers,
            knownCards: adventure.cards.map {
                var card = Self.promptCard($0)
                card.description = ""
                return card
            },
            stopSequences: StoryCutter.stopSequences,
            memories: prompt.recalledTurns.map(\.text))

        let started = ContinuousClock.now
        // Filled by the sink on the model's reading thread (the HTTP thread for a provider), which
        // writes each `story/chunk` itself: no hop to this task per chunk. Calls come one at a time and
        // all happen before `generate` returns, so the lock is never contended.
        let streamed = Mutex(Streamed())
        let notification = StoryChunkNotification(requestId: context.id, adventureId: adventureId, seq: 0, text: "")
        @Sendable func notify(_ piece: String, seq: Int) {
            var chunk = notification
            chunk.seq = seq
            chunk.text = piece
            context.notify(chunk)
        }
        // Its own task, so that a cut can stop the model (a server that ignores the stop sequences
        // would otherwise write on to the token limit) without reading as the request's cancellation.
        let generation = Task {
            try await model.generate(request) { event in
                switch event {
                case .text(let piece):
                    let (shown, seq, stop) = streamed.withLock { streamed in
                        let wasCut = streamed.cutter.isCut
                        let shown = streamed.cutter.feed(piece)
                        let stop = !wasCut && streamed.cutter.isCut ? streamed.generation : nil
                        return (shown, shown.isEmpty ? 0 : streamed.record(shown, at: ContinuousClock.now - started), stop)
                    }
                    stop?.cancel()
                    if !shown.isEmpty { notify(shown, seq: seq) }
                case .finished(let reason, let usage):
                    let (held, seq) = streamed.withLock { streamed in
                        streamed.finish = reason == .length && !streamed.cutter.isCut ? .length : .stop
                        streamed.reported = usage
                        let held = streamed.cutter.finish()
                        return (held, held.isEmpty ? 0 : streamed.record(held, at: ContinuousClock.now - started))
                    }
                    if !held.isEmpty { notify(held, seq: seq) }
                }
            }
        }
        if streamed.withLock({ $0.generation = generation; return $0.cutter.isCut }) { generation.cancel() }
        var failure: ProviderError?
        do {
            try await withTaskCancellationHandler { try await generation.value } onCancel: { generation.cancel() }
        } catch is CancellationError {
        } catch let error as ProviderError {
            // A stream that breaks midway is kept like a cancelled one: the player saw that text.
            failure = error
            logger?.warning("\(settings.model) failed after \(streamed.withLock(\.seq)) chunks: \(error)")
        }
        let wasCut = streamed.withLock { $0.cutter.isCut }
        if wasCut {
            // The answer was complete at the cut; what the stopped stream did afterwards does not matter.
            failure = nil
            streamed.withLock { $0.finish = .stop }
            logger?.debug("\(settings.model): answer cut where the model began a player action or a prompt line")
        }
        let outcome = streamed.withLock { $0 }
        var text = outcome.text
        var finish = outcome.finish
        let (seq, firstChunk, reported) = (outcome.seq, outcome.firstChunk, outcome.reported)
        logger?.debug("\(settings.model): \(seq) chunks, finish \(finish.rawValue), usage from \(reported?.source.rawValue ?? "estimate")")
        let cancelled = Task.isCancelled
        if cancelled { finish = .cancelled }
        let stopped = cancelled || failure != nil

        var trimmed = false
        if finish == .length && !stopped {
            switch settings.responseHandling {
            case .truncate:
                if let cut = Truncation.toLastSentence(text), cut != text.trimmingWhitespace() {
                    text = cut
                    trimmed = true
                }
            case .summarize:
                // A failed summary (a provider error, say) must not lose the answer already streamed:
                // the full text is kept instead.
                if let summary = (try? await summarize(text, model: model, settings: settings)) ?? nil, !summary.isEmpty {
                    text = summary
                    trimmed = true
                }
            }
        }
        text = text.trimmingWhitespace()
        if wasCut && text.isEmpty && !cancelled {
            throw ResponseError(
                code: .providerFailure,
                message: "The model began its answer with a player action or a line of the prompt's own (a line starting with \">\" or \"[\"), which ends an answer, so nothing was left to store: continue or retry to ask again, \(ProviderError.wayBack)",
                data: .object([
                    "provider": .string(String(settings.model.split(separator: "/").first ?? "")), "kind": "empty_answer",
                    "playerTurn": Self.json(playerTurn), "aiTurn": .null,
                ]))
        }

        let usage = TurnUsage(
            promptTokens: reported?.promptTokens ?? prompt.totalTokens,
            outputTokens: reported?.outputTokens ?? TokenEstimator.estimate(text),
            thinkingTokens: reported?.thinkingTokens ?? 0,
            source: reported?.source == .api ? .api : .estimate,
            sections: Self.sectionTokens(prompt),
            model: settings.model,
            latencyMs: Self.milliseconds(ContinuousClock.now - started),
            firstChunkMs: firstChunk.map(Self.milliseconds))

        var aiTurn: Turn?
        if !text.isEmpty || !stopped {
            let activated = prompt.activatedCardIDs
            aiTurn = try await commit { [database, retried, text] in
                if let retried {
                    return try database.addTurnVersion(turnId: retried.id, text: text, usage: usage, activatedCards: activated)
                }
                return try database.appendAITurn(adventureId: adventureId, text: text, usage: usage, activatedCards: activated)
            }
        }
        if stopped {
            let json = Self.json
            if let failure, !cancelled {
                var failed = failure
                failed.message += aiTurn == nil ? "" : " (the text received before the failure was stored as the story turn)"
                throw failed.responseError(extra: ["playerTurn": json(playerTurn), "aiTurn": json(aiTurn)])
            }
            throw ResponseError(
                code: .requestCancelled,
                message: "Generation cancelled; " + (aiTurn == nil ? "no text had been produced" : "the partial text was stored"),
                data: .object(["playerTurn": json(playerTurn), "aiTurn": json(aiTurn)]))
        }
        return StoryResult(playerTurn: playerTurn, aiTurn: aiTurn!, usage: usage, finishReason: finish, trimmed: trimmed)
    }

    /// What a turn's stream has produced so far.
    private struct Streamed {
        var text = ""
        var seq = 0
        var firstChunk: Duration?
        var finish: FinishReasonKind = .stop
        var reported: ModelUsage?
        var cutter = StoryCutter()
        /// The task running the model, stopped when the cutter cuts.
        var generation: Task<Void, any Error>?

        /// Adds text about to be sent as a chunk; returns the chunk's seq.
        mutating func record(_ piece: String, at elapsed: Duration) -> Int {
            if firstChunk == nil { firstChunk = elapsed }
            text += piece
            defer { seq += 1 }
            return seq
        }
    }

    // MARK: Helpers

    /// `historyBefore`: only turns with a smaller index are history (nil: all of them). `answerIndex`: the
    /// index the answer turn will have; `version`: the retry's version (0 for a first answer).
    private func assemble(
        adventure: Adventure, settings: Settings, action: (ActionKind, String)?, historyBefore ceiling: Int?,
        answerIndex: Int, version: Int
    ) throws -> AssembledPrompt {
        let cards = adventure.cards.map(Self.promptCard)
        let material = PromptMaterial(
            baseSystemInstruction: settings.baseSystemInstruction, instructions: adventure.instructions,
            plotEssentials: adventure.plotEssentials, authorsNotes: adventure.authorsNotes, cards: cards,
            summary: adventure.summary)
        let limits = PromptLimits(
            contextTokens: Self.contextTokens(model: models.contextTokens(of: settings.model), cap: settings.contextTokens),
            maxOutputTokens: settings.maxOutputTokens,
            scanDepth: settings.scanDepth, recursionDepth: settings.recursionDepth)
        let database = self.database
        let adventureId = adventure.id
        let index = matchers.index(for: adventure, cards: cards)
        // Only a card set with sticky or cooldown reads earlier activations, and only the ai turns within
        // the longest span that can still matter.
        let activations = index.timedSpan > 0
            ? try database.cardActivations(adventureId: adventureId, turnIndexes: max(0, answerIndex - index.timedSpan)..<answerIndex)
            : []
        do {
            return try PromptAssembler.assemble(
                material: material,
                action: action.map { (kind: PlayerActionKind(rawValue: $0.0.rawValue) ?? .do, text: $0.1) },
                limits: limits,
                cardIndex: index,
                moment: PromptMoment(adventureID: adventureId, answerIndex: answerIndex, version: version, activations: activations),
                recall: { request in try database.recall(adventureId: adventureId, request: request) }
            ) { before, limit in
                let bound = [before, ceiling].compactMap { $0 }.min()
                return try database.promptTurns(adventureId: adventureId, limit: limit, beforeIndex: bound)
            }
        } catch PromptError.fixedSectionsTooLarge(let tokens, let budget) {
            throw ResponseError(
                code: .tooLarge,
                message: "The instructions, plot essentials, author's notes and action take \(tokens) tokens, over the prompt budget of \(budget) (the context window, capped by the contextTokens setting, less maxOutputTokens); shorten them, lower maxOutputTokens or raise contextTokens")
        }
    }

    /// The user's cap never raises the window past what the model takes.
    static func contextTokens(model: Int, cap: Int?) -> Int {
        cap.map { min($0, model) } ?? model
    }

    /// The one place a card's wire rules become the prompt's.
    static func promptCard(_ card: Card) -> PromptCard {
        let rules = card.rules
        let logic: PromptCardRules.SecondaryLogic = switch rules.selectiveLogic {
        case .andAny: .andAny
        case .andAll: .andAll
        case .notAny: .notAny
        case .notAll: .notAll
        }
        let position: PromptCardRules.Position = switch rules.position {
        case .beforeHistory: .beforeHistory
        case .afterHistory: .afterHistory
        case .atDepth: .atDepth(rules.depth)
        }
        return PromptCard(
            id: card.id, type: card.type, name: card.name, description: card.description, keys: card.keys,
            rules: PromptCardRules(
                secondaryKeys: rules.secondaryKeys, secondaryLogic: logic, constant: rules.constant, enabled: rules.enabled,
                order: rules.order, probability: rules.probability, scanDepth: rules.scanDepth,
                excludeRecursion: rules.excludeRecursion, preventRecursion: rules.preventRecursion, sticky: rules.sticky,
                cooldown: rules.cooldown, delay: rules.delay, group: rules.group, position: position))
    }

    /// Asks the model to restate an over-long answer within the limit (responseHandling: summarize).
    private func summarize(_ text: String, model: any LanguageModel, settings: Settings) async throws -> String? {
        let request = GenerationRequest(
            system: "Restate the following story passage in fewer words, keeping its events, voice and tense. Answer with the passage only.",
            story: text, maxOutputTokens: settings.maxOutputTokens, seed: 1)
        var summary = ""
        for try await event in model.stream(request) {
            if case .text(let piece) = event { summary += piece }
        }
        return Truncation.toLastSentence(summary) ?? summary
    }

    /// Stores the result even when the request was cancelled (cancellation must not lose the partial
    /// text), off the cooperative pool since a write may wait for another daemon's lock.
    private func commit<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// A turn as it goes into an error's data.
    static func json(_ turn: Turn?) -> JSONValue {
        guard let turn, let data = try? JSONCoding.makeEncoder().encode(turn),
              let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return .null }
        return value
    }

    /// The cards that fired and fit the prompt, in the order they fired.
    static func firedCards(_ prompt: AssembledPrompt, of adventure: Adventure) -> [PromptCard] {
        let byId = Dictionary(adventure.cards.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return prompt.firedCards.filter(\.included).compactMap { fired in
            byId[fired.cardID].map(promptCard)
        }
    }

    static func sectionTokens(_ prompt: AssembledPrompt) -> SectionTokens {
        SectionTokens(
            system: prompt.tokens(of: .system), instructions: prompt.tokens(of: .instructions),
            plotEssentials: prompt.tokens(of: .plotEssentials), authorsNotes: prompt.tokens(of: .authorsNotes),
            cards: prompt.tokens(of: .cards), history: prompt.tokens(of: .history),
            cardsAfterHistory: prompt.tokens(of: .cardsAfterHistory), action: prompt.tokens(of: .action),
            memories: prompt.tokens(of: .memories), summary: prompt.tokens(of: .summary))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The same seed, adventure, turn and retry count always give the same story; anything else a new one.
    static func seed(_ base: Int, _ adventureId: String, _ turnIndex: Int, _ version: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in adventureId.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash ^ UInt64(bitPattern: Int64(base)) &* 31 ^ UInt64(turnIndex) << 20 ^ UInt64(version) << 40
    }
}

/// Card indexes are built once per card set and reused until what they hold changes.
final class MatcherCache: Sendable {
    private let cache = Mutex([String: (signature: Int, index: CardIndex)]())

    /// `cards`: the adventure's cards as the prompt sees them.
    func index(for adventure: Adventure, cards: [PromptCard]) -> CardIndex {
        var hasher = Hasher()
        for card in cards {
            hasher.combine(card.id)
            hasher.combine(card.keys)
            // Only what the index holds: the other rules, names and texts are read at each selection.
            hasher.combine(card.rules.secondaryKeys)
            hasher.combine(card.rules.constant)
            hasher.combine(card.rules.scanDepth)
            hasher.combine(card.rules.sticky)
            hasher.combine(card.rules.cooldown)
        }
        let signature = hasher.finalize()
        // The count guards against a hash collision handing over an index of another card set.
        if let cached = cache.withLock({ $0[adventure.id] }), cached.signature == signature, cached.index.cardCount == cards.count {
            return cached.index
        }
        let index = CardIndex(cards: cards)
        cache.withLock { cache in
            if cache.count > 64 { cache.removeAll() }
            cache[adventure.id] = (signature, index)
        }
        return index
    }
}
