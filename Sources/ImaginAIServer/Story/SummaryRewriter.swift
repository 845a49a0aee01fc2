import Dispatch
import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol
import ImaginAIStore
import LLM
import Logging
import Synchronization

/// Rewrites an adventure's summary (settings.autoSummary) once `summaryEveryTurns` turns have been
/// stored since the last automatic version. Started after a story answer has been sent, so it never
/// delays one; rewrites of one adventure run one after another (each reads the state the previous one
/// left, so a burst of answers gives one rewrite, not several racing ones). A failure is logged and
/// changes nothing: the summary stays as it was.
final class SummaryRewriter: Sendable {
    private let database: AppDatabase
    private let models: ModelRegistry
    private let logger: Logger?
    /// The latest scheduled rewrite of each adventure, which the next one waits for.
    private let queues = Mutex([String: (generation: Int, task: Task<Void, Never>)]())
    private let generations = Atomic<Int>(0)

    /// What the model's rewrite may read of the turns since the last one: the newest of them, so a
    /// summary switched on late in a long adventure still fits a small context window.
    static let maxModelInputCharacters = 24_000

    init(database: AppDatabase, models: ModelRegistry, logger: Logger?) {
        self.database = database
        self.models = models
        self.logger = logger
    }

    func schedule(adventureId: String) {
        let generation = generations.add(1, ordering: .relaxed).newValue
        queues.withLock { queues in
            let previous = queues[adventureId]?.task
            let task = Task.detached { [self] in
                await previous?.value
                await rewriteIfDue(adventureId: adventureId)
                forget(adventureId, generation)
            }
            queues[adventureId] = (generation, task)
        }
    }

    private func forget(_ adventureId: String, _ generation: Int) {
        queues.withLock { queues in
            if queues[adventureId]?.generation == generation { queues[adventureId] = nil }
        }
    }

    private func rewriteIfDue(adventureId: String) async {
        do {
            let settings = try database.settings()
            guard settings.autoSummary else { return }
            let input = try database.summaryRewriteInput(adventureId: adventureId)
            guard input.turnsSince.count >= settings.summaryEveryTurns else { return }
            let turns = input.turnsSince.map(Self.promptTurn)
            let text: String
            if settings.model.hasPrefix("offline/") {
                let names = try database.adventure(id: adventureId).cards.map(\.name)
                text = ExtractiveSummary.rewrite(previous: input.summary, turns: turns, names: names)
            } else {
                let model = try models.model(id: settings.model, settings: settings)
                text = try await Self.modelRewrite(previous: input.summary, turns: turns, model: model, settings: settings)
            }
            guard !text.isEmpty else {
                logger?.warning("The summary rewrite of \(adventureId) came back empty; the summary is unchanged")
                return
            }
            let stored = try await Self.offThePool {
                try self.database.storeAutoSummary(
                    adventureId: adventureId, text: text, expected: input.summary, turnCount: input.turnCount)
            }
            if !stored {
                logger?.info("The summary of \(adventureId) was edited during its rewrite; the edit is kept")
            }
        } catch StoreError.notFound(kind: "adventure", _) {
            // Deleted since its answer: nothing is left to summarize.
            logger?.debug("The summary rewrite of \(adventureId) was dropped: the adventure is gone")
        } catch {
            logger?.error("The summary rewrite of \(adventureId) failed; the summary is unchanged: \(error)")
        }
    }

    static func promptTurn(_ turn: Turn) -> PromptTurn {
        PromptTurn(
            index: turn.index,
            speaker: turn.role == .ai ? .ai : .player(turn.action.flatMap { PlayerActionKind(rawValue: $0.rawValue) }),
            text: turn.text)
    }

    /// The request a provider's model answers with the new summary.
    static func rewriteRequest(previous: String, turns: [PromptTurn], settings: Settings) -> GenerationRequest {
        var passages: [String] = []
        var length = 0
        for turn in turns.reversed() {
            let text = ActionFormatter.historyText(turn)
            guard length + text.count <= maxModelInputCharacters || passages.isEmpty else { break }
            passages.append(text)
            length += text.count
        }
        let story = """
            Summary so far:
            \(previous.trimmingWhitespace().isEmpty ? "(none yet)" : previous.trimmingWhitespace())

            What happened since:
            \(passages.reversed().joined(separator: "\n\n"))
            """
        return GenerationRequest(
            system: """
                You keep the summary of an interactive story. Rewrite the summary so that it also covers what \
                happened since: keep every fact that still matters (people, places, objects, promises, open \
                threads), drop what no longer does, write in the second person and the present tense, in at \
                most 200 words. Answer with the summary only.
                """,
            story: story, maxOutputTokens: settings.maxOutputTokens, seed: 1)
    }

    private static func modelRewrite(previous: String, turns: [PromptTurn], model: any LanguageModel, settings: Settings) async throws -> String {
        var text = ""
        for try await event in model.stream(rewriteRequest(previous: previous, turns: turns, settings: settings)) {
            if case .text(let piece) = event { text += piece }
        }
        return text.trimmingWhitespace()
    }

    /// A write may wait for another daemon's lock: it waits on a dispatch thread, not the pool.
    private static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
