import FoundationEssentials
import ImaginAIProtocol
import JSONRPC
import Synchronization

/// Which story request is being generated, so Ctrl-C can cancel exactly that one.
final class RunningGeneration: Sendable {
    private let id = Mutex<Int64?>(nil)
    var current: Int64? { id.withLock { $0 } }
    func set(_ value: Int64?) { id.withLock { $0 = value } }
}

/// The play loop: reads lines, turns them into protocol requests, prints what comes back.
final class PlaySession {
    let client: DaemonClient
    let console: Console
    let generation: RunningGeneration
    private var lines: AsyncStream<String>.Iterator
    private(set) var adventure: Adventure

    init(client: DaemonClient, console: Console, generation: RunningGeneration, lines: AsyncStream<String>.Iterator, adventure: Adventure) {
        self.client = client
        self.console = console
        self.generation = generation
        self.lines = lines
        self.adventure = adventure
    }

    func run() async {
        await showHistory(limit: PlayInput.recentTurns, heading: true)
        console.line("")
        console.line("Type /help for commands.", .note)
        while true {
            if console.interactive { console.write("\n> ", .player) }
            guard let line = await lines.next() else {
                console.endLine()
                return
            }
            let input = PlayInput(line)
            if !console.interactive, input != .nothing {
                // Piped: echo the script's line so the transcript reads like a played session.
                console.line("")
                if case .act(let kind, let text) = input {
                    console.line("> " + Self.playerText(kind, text), .player)
                } else {
                    console.line("> " + line.trimmingCharacters(in: .whitespaces), .player)
                }
            }
            if input == .quit { return }
            do {
                try await perform(input)
            } catch let error as DaemonGone {
                console.line("The daemon stopped: \(error). Leaving.", .error)
                return
            } catch {
                console.line(Self.describe(error), .error)
            }
        }
    }

    private func perform(_ input: PlayInput) async throws {
        let id = adventure.id
        switch input {
        case .nothing, .quit:
            return
        case .act(let kind, let text):
            try await generate(StoryActRequest(adventureId: id, action: kind, text: text))
        case .continue:
            try await generate(StoryContinueRequest(adventureId: id))
        case .retry:
            console.line("(writing the last part again; the earlier version is kept)", .note)
            try await generate(StoryRetryRequest(adventureId: id))
        case .undo:
            let result = try await client.call(StoryUndoRequest(adventureId: id))
            console.line("Took back \(Self.count(result.removed.count, "turn")); /redo brings them back.", .note)
            if let last = try await client.call(TurnListRequest(adventureId: id, limit: 1)).turns.last {
                console.line("The story now ends with:", .note)
                show(last, numbered: true)
            }
        case .redo:
            let result = try await client.call(StoryRedoRequest(adventureId: id))
            console.line("Brought back \(Self.count(result.restored.count, "turn")):", .note)
            for turn in result.restored { show(turn, numbered: true) }
        case .edit(let index, let text):
            let page = try await client.call(TurnListRequest(adventureId: id, limit: 1, beforeIndex: index + 1))
            guard let turn = page.turns.last, turn.index == index else {
                console.line("There is no turn \(index); the story has turns 0 to \(page.turnCount - 1) (see /history).", .error)
                return
            }
            let edited = try await client.call(TurnEditRequest(id: turn.id, text: text))
            console.line("Turn \(index) now reads:", .note)
            show(edited, numbered: true)
        case .history(let limit):
            await showHistory(limit: limit, heading: false)
        case .cards:
            try await showCards()
        case .context:
            try await showContext()
        case .model(let choice):
            try await model(choice)
        case .help:
            console.line(PlayInput.helpText, .note)
        case .invalid(let message):
            console.line(message, .error)
        }
    }

    // MARK: Generation

    /// Streams the story as it is written; the final answer decides what the turn says.
    private func generate<Request: RequestType>(_ request: Request) async throws where Request.Response == StoryResult {
        let id = client.makeID()
        let streamed = Mutex(false)
        generation.set(id)
        defer { generation.set(nil) }
        console.line("")
        do {
            let result = try await client.call(request, id: id) { [console] chunk in
                streamed.withLock { $0 = true }
                console.write(chunk.text)
            }
            if !streamed.withLock({ $0 }) {
                console.write(result.aiTurn.text)
            }
            console.endLine()
            if result.trimmed {
                console.line("(cut back to the last full sentence)", .note)
            } else if result.finishReason == .length {
                console.line("(stopped at the length limit; /continue goes on)", .note)
            }
        } catch let error as ResponseError where error.code == .requestCancelled {
            console.endLine()
            if let turn = error.data?["aiTurn"], let index = turn["index"]?.intValue {
                console.line("(stopped; the text so far was kept as turn \(index))", .note)
            } else {
                console.line("(stopped before any text was written)", .note)
            }
        }
    }

    // MARK: Showing things

    func showHistory(limit: Int?, heading: Bool) async {
        do {
            let page = try await client.call(TurnListRequest(adventureId: adventure.id, limit: limit))
            if heading {
                let name = adventure.name == adventure.scenarioName ? adventure.name : "\(adventure.name) (\(adventure.scenarioName))"
                console.line(name, .heading)
            }
            if let first = page.turns.first, first.index > 0 {
                console.line("(\(PlaySession.count(first.index, "earlier turn")) not shown; /history all shows them)", .note)
            }
            for turn in page.turns {
                console.line("")
                show(turn, numbered: true)
            }
        } catch {
            console.line(Self.describe(error), .error)
        }
    }

    private func show(_ turn: Turn, numbered: Bool) {
        let number = numbered ? "[\(turn.index)] " : ""
        switch turn.role {
        case .player:
            console.line(number + "> " + Self.playerText(turn.action ?? .do, turn.text), .player)
        case .ai:
            console.endLine()
            console.write(number, .note)
            console.write(turn.text + "\n")
        }
    }

    /// How a player's turn reads in the transcript, the same whether just typed or from the history.
    static func playerText(_ kind: ActionKind, _ text: String) -> String {
        switch kind {
        case .say: return "You say: \"\(text)\""
        case .story: return "(story) \(text)"
        case .do: return text
        }
    }

    private func showCards() async throws {
        adventure = try await client.call(AdventureGetRequest(id: adventure.id))
        guard !adventure.cards.isEmpty else {
            console.line("This adventure has no story cards.", .note)
            return
        }
        console.line("Story cards (\(adventure.cards.count)):", .heading)
        for card in adventure.cards {
            let keys = card.keys.isEmpty ? "no keys: never sent" : "keys: " + card.keys.joined(separator: ", ")
            console.line("  \(card.name) [\(card.type)] — \(keys)")
        }
    }

    private func showContext() async throws {
        let preview = try await client.call(StoryPreviewRequest(adventureId: adventure.id))
        console.line("Context for the next turn with \(preview.model): \(preview.totalTokens) of \(preview.budgetTokens) tokens", .heading)
        for section in preview.sections {
            console.line("  \(section.name): \(section.tokens) tokens")
        }
        if preview.firedCards.isEmpty {
            console.line("  cards fired: none")
        } else {
            console.line("  cards fired:")
            for card in preview.firedCards {
                console.line("    \(card.name) (key \"\(card.key)\")" + (card.included ? "" : " — did not fit the card budget"))
            }
        }
        let dropped = preview.droppedTurns.count + preview.olderTurnsOmitted
        if dropped == 0 {
            console.line("  turns dropped: none (\(Self.count(preview.includedTurns.count, "turn")) in the prompt)")
        } else {
            let listed = preview.droppedTurns.prefix(10).map(String.init).joined(separator: ", ")
            console.line("  turns dropped: \(dropped) (\(listed)\(dropped > 10 ? ", …" : "")); \(preview.includedTurns.count) in the prompt")
        }
    }

    private func model(_ choice: String?) async throws {
        let models = try await client.call(ModelsListRequest()).models
        let settings = try await client.call(SettingsGetRequest())
        guard let choice else {
            console.line("Models (/model ID to switch):", .heading)
            for model in models {
                let marker = model.id == settings.model ? "*" : " "
                let state = model.available ? "" : " — unavailable: \(model.reason ?? "not configured")"
                console.line(" \(marker) \(model.id)  \(model.name), \(model.contextTokens) tokens of context\(state)")
            }
            return
        }
        guard let model = models.first(where: { $0.id == choice }) ?? models.first(where: { $0.id.lowercased() == choice.lowercased() }) else {
            console.line("No model \(choice); /model lists them.", .error)
            return
        }
        guard model.available else {
            console.line("\(model.id) is not available: \(model.reason ?? "not configured").", .error)
            return
        }
        // Settings are the only place a model is chosen (no per-adventure model in the protocol), so
        // this changes it for every adventure in this database.
        let updated = try await client.call(SettingsUpdateRequest(changes: SettingsChanges(model: model.id)))
        console.line("Now using \(updated.model).", .note)
    }

    static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    /// One readable line for any failure.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ResponseError: return "! \(error.message)"
        case let error as DaemonGone: return "! \(error.description)"
        case let error as CommandLineError: return "! \(error.description)"
        default: return "! \(error.localizedDescription)"
        }
    }
}
