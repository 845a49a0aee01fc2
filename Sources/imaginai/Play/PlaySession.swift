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

/// A turn's text as it streams in: printed wrapped at the terminal's width, and kept as received (before
/// wrapping) to compare with what was stored. Chunks come on the daemon reader's thread.
final class StreamedStory: Sendable {
    private let console: Console
    private let state: Mutex<(wrap: WordWrap, received: String)>

    init(console: Console) {
        self.console = console
        // The streamed text begins at column 0 of a fresh line.
        state = Mutex((console.wordWrap(), ""))
    }

    func write(_ chunk: String) {
        let text = Console.printable(chunk)
        state.withLock { state in
            state.received += text
            console.write(state.wrap.feed(text))
        }
    }

    /// Prints the last word, held back until the text said where it ends.
    func finish() {
        state.withLock { state in console.write(state.wrap.finish()) }
    }

    var received: String { state.withLock { $0.received } }

    /// The rows the printed part fills, counted by the wrapping that placed it.
    var rowsPrinted: Int { state.withLock { $0.wrap.rows } }
}

/// The play loop: reads lines, turns them into protocol requests, prints what comes back.
final class PlaySession {
    let client: DaemonClient
    let console: Console
    let generation: RunningGeneration
    private let input: any LineSource
    private(set) var adventure: Adventure
    /// The turn whose versions /versions listed last, which /version K picks from.
    private var listedVersionsOf: Turn?

    init(client: DaemonClient, console: Console, generation: RunningGeneration, input: any LineSource, adventure: Adventure) {
        self.client = client
        self.console = console
        self.generation = generation
        self.input = input
        self.adventure = adventure
    }

    func run() async {
        await showHistory(limit: PlayInput.recentTurns, heading: true)
        console.line("")
        console.line("Type /help for commands.", .note)
        if input is TerminalLines { await offerLocalModel() }
        while true {
            if console.interactive { console.line("") }
            guard let line = await input.readLine(prompt: "> ", prefill: "", recordsHistory: true) else {
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
                console.line("! \(error); leaving.", .error)
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
            guard let turn = try await turn(at: index) else { return }
            try await save(turn, text: text)
        case .editTurn(let index):
            guard let terminal = self.input as? TerminalLines else {
                console.line("/edit N without text opens an editor, which needs a terminal; write /edit N TEXT.", .error)
                return
            }
            guard let turn = try await turn(at: index) else { return }
            try await edit(turn, at: terminal)
        case .versions(let index):
            let listed = if let index { try await turn(at: index) } else { try await lastAITurn() }
            guard let listed else { return }
            try await showVersions(of: listed)
        case .useVersion(let version):
            let chosen = if let listedVersionsOf { listedVersionsOf } else { try await lastAITurn() }
            guard let turn = chosen else { return }
            let updated = try await client.call(TurnUseVersionRequest(id: turn.id, version: version))
            console.line("Turn \(updated.index) now reads version \(version):", .note)
            show(updated, numbered: true)
        case .history(let limit):
            await showHistory(limit: limit, heading: false)
        case .cards:
            try await showCards()
        case .context:
            try await showContext()
        case .model(let choice):
            try await model(choice)
        case .help:
            console.line(PlayInput.helpText, .note, columns: true)
        case .invalid(let message):
            // An unknown command's message ends with the help, laid out in columns.
            console.line(message, .error, columns: true)
        }
    }

    // MARK: Generation

    /// Streams the story as it is written; the final answer decides what the turn says.
    private func generate<Request: RequestType>(_ request: Request) async throws where Request.Response == StoryResult {
        let id = client.makeID()
        generation.set(id)
        defer { generation.set(nil) }
        console.line("")
        let streamed = StreamedStory(console: console)
        do {
            let result = try await client.call(request, id: id) { chunk in streamed.write(chunk.text) }
            if streamed.received.isEmpty {
                console.write(console.wrapped(result.aiTurn.text))
            } else {
                showStored(result.aiTurn.text, over: streamed)
            }
            console.endLine()
            if result.trimmed {
                console.line("(cut back to the last full sentence)", .note)
            } else if result.finishReason == .length {
                console.line("(stopped at the length limit; /continue goes on)", .note)
            }
        } catch let error as ResponseError where error.code == .requestCancelled {
            streamed.finish()
            console.endLine()
            if let turn = error.data?["aiTurn"], let index = turn["index"]?.intValue {
                console.line("(stopped; the text so far was kept as turn \(index))", .note)
            } else {
                console.line("(stopped before any text was written)", .note)
            }
        } catch let error as ResponseError {
            // The daemon's message says what went wrong with the model (server not answering, key
            // missing…); play adds only the way back to a model that always works.
            streamed.finish()
            console.endLine()
            console.line("! \(error.message)", .error)
            if let model = try? await client.call(SettingsGetRequest()).model, model != Self.offlineModel {
                console.line("(/model \(Self.offlineModel) goes back to the offline storyteller)", .note)
            }
        }
    }

    static let offlineModel = "offline/storyteller"

    /// The screen shows what was stored: when the stored text differs from what streamed (cut back to
    /// a full sentence, or stopped at a player's line), the streamed rows are taken back and the stored
    /// text printed in their place. A script's transcript (stdout not a terminal) cannot take rows back,
    /// and keeps the streamed text followed by the note that says what happened.
    private func showStored(_ stored: String, over streamed: StreamedStory) {
        // The daemon stores the text without its surrounding whitespace; that alone is no difference.
        guard Console.printable(stored) != streamed.received.trimmingCharacters(in: .whitespacesAndNewlines), console.colours else {
            streamed.finish()
            return
        }
        // The word still held back was never printed: only the rows on screen are taken back.
        if console.eraseRows(streamed.rowsPrinted) {
            console.write(console.wrapped(stored))
        } else {
            streamed.finish()
            console.line("")
            console.line("(stored as:)", .note)
            console.write(console.wrapped(stored))
        }
    }

    // MARK: Turns

    /// The turn at `index`, or nil after saying which turns there are.
    private func turn(at index: Int) async throws -> Turn? {
        let page = try await client.call(TurnListRequest(adventureId: adventure.id, limit: 1, beforeIndex: index + 1))
        guard let turn = page.turns.last, turn.index == index else {
            console.line("There is no turn \(index); the story has turns 0 to \(page.turnCount - 1) (see /history).", .error)
            return nil
        }
        return turn
    }

    private func lastAITurn() async throws -> Turn? {
        let page = try await client.call(TurnListRequest(adventureId: adventure.id, limit: 4))
        guard let turn = page.turns.last(where: { $0.role == .ai }) else {
            console.line("The story has no turn written by the model yet.", .error)
            return nil
        }
        return turn
    }

    private func save(_ turn: Turn, text: String) async throws {
        let edited = try await client.call(TurnEditRequest(id: turn.id, text: text))
        console.line("Turn \(turn.index) now reads:", .note)
        show(edited, numbered: true)
    }

    /// A short one-line text is edited in place on the prompt line; a long or multi-line one in the
    /// player's own editor, on a temporary file.
    private func edit(_ turn: Turn, at terminal: TerminalLines) async throws {
        let edited: String?
        if !turn.text.contains("\n") && turn.text.count <= Self.longestLineEdit {
            console.line("Edit turn \(turn.index) (Enter saves, Ctrl-C then Enter leaves it as it was):", .note)
            edited = await terminal.readLine(prompt: "[\(turn.index)] ", prefill: turn.text, recordsHistory: false)
        } else {
            edited = try ExternalEditor(terminal: terminal).edit(turn.text, name: "turn-\(turn.index)")
        }
        guard let edited, edited != turn.text, !edited.allSatisfy(\.isWhitespace) else {
            console.line("Turn \(turn.index) is unchanged.", .note)
            return
        }
        try await save(turn, text: edited)
    }

    /// Longer texts are easier to edit in a real editor than on one scrolling row.
    static let longestLineEdit = 200

    private func showVersions(of turn: Turn) async throws {
        let versions = try await client.call(TurnVersionsRequest(id: turn.id)).versions
        listedVersionsOf = turn
        guard versions.count > 1 else {
            console.line("Turn \(turn.index) has one version; /retry writes another.", .note)
            return
        }
        console.line("Turn \(turn.index) has \(versions.count) versions (* is the one shown; /version K picks one):", .heading)
        for version in versions {
            let flat = version.text.split(whereSeparator: \.isNewline).joined(separator: " ")
            let room = max(terminalColumns() - 9, 20)
            let preview = flat.count > room ? flat.prefix(room - 1) + "…" : flat
            console.line(" \(version.current ? "*" : " ") \(version.version)  \(preview)")
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
            console.write(console.wrapped(turn.text, column: DisplayWidth.of(number)) + "\n")
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
            console.line("  \(card.name) [\(card.type)] — \(Self.whenSent(card))")
        }
    }

    /// When a card goes to the model, in words: its keys and whichever rules are not at their defaults.
    static func whenSent(_ card: Card) -> String {
        let rules = card.rules
        if !rules.enabled { return "switched off: never sent" }
        var parts: [String] = []
        if rules.constant {
            parts.append("always sent")
        } else if card.keys.isEmpty {
            return "no keys: never sent"
        } else {
            parts.append("keys: " + card.keys.joined(separator: ", "))
        }
        if !rules.secondaryKeys.isEmpty {
            let logic = switch rules.selectiveLogic {
            case .andAny: "and any of"
            case .andAll: "and all of"
            case .notAny: "and none of"
            case .notAll: "unless all of"
            }
            parts.append("\(logic): " + rules.secondaryKeys.joined(separator: ", "))
        }
        if rules.probability < 100 { parts.append("\(rules.probability)% chance") }
        if let group = rules.group { parts.append("group \(group)") }
        if rules.order != CardRules.defaultOrder { parts.append("order \(rules.order)") }
        if rules.sticky > 0 { parts.append("stays \(count(rules.sticky, "turn"))") }
        if rules.cooldown > 0 { parts.append("then rests \(count(rules.cooldown, "turn"))") }
        if rules.delay > 0 { parts.append("not before turn \(rules.delay)") }
        return parts.joined(separator: "; ")
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
            let names = Dictionary(preview.firedCards.map { ($0.cardId, $0.name) }, uniquingKeysWith: { first, _ in first })
            for card in preview.firedCards {
                let cause = switch card.trigger {
                case .story: "key \"\(card.key ?? "")\""
                case .card: "key \"\(card.key ?? "")\" in \(card.firedBy.flatMap { names[$0] } ?? "another card")"
                case .constant: "always on"
                case .sticky: "sticky"
                }
                let outcome = switch card.leftOut {
                case nil: ""
                case .budget: " — did not fit the card budget"
                case .group: " — another card of its group won"
                case .probability: " — lost its probability roll"
                }
                console.line("    \(card.name) (\(cause))" + outcome)
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
        let models = try await client.call(ListedModelsRequest()).models
        let settings = try await client.call(SettingsGetRequest())
        guard let choice else {
            console.line("Models (* is the one in use; /model ID switches):", .heading)
            for model in models {
                let current = model.id == settings.model
                let local = model.local == true ? ", on this machine" : ""
                let state = model.available ? "" : " — unavailable: \(model.reason ?? "not configured")"
                console.line(" \(current ? "*" : " ") \(model.id)  \(model.name), \(model.contextTokens) tokens of context\(local)\(state)\(current ? "  (in use)" : "")",
                             current ? .heading : .story, columns: true)
            }
            if !models.contains(where: { $0.id == settings.model }) {
                console.line("In use: \(settings.model), which is not in the list (/model \(Self.offlineModel) goes back).", .error)
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

    /// At a terminal with the offline storyteller in use, a model found on a local server is offered
    /// once, on one line; Enter (or anything but yes) keeps the storyteller.
    private func offerLocalModel() async {
        guard let settings = try? await client.call(SettingsGetRequest()), settings.model == Self.offlineModel,
              let models = try? await client.call(ListedModelsRequest()).models,
              let local = models.first(where: { $0.local == true && $0.available })
        else { return }
        console.line("")
        let answer = await input.readLine(prompt: "A model is running on this machine: \(local.id). Use it instead of the offline storyteller? [y/N] ")
        guard let answer, ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else { return }
        do {
            let updated = try await client.call(SettingsUpdateRequest(changes: SettingsChanges(model: local.id)))
            console.line("Now using \(updated.model); /model \(Self.offlineModel) goes back.", .note)
        } catch {
            console.line(Self.describe(error), .error)
        }
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
