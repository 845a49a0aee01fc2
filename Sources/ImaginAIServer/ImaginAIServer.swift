import Foundation
import ImaginAIFormats
import ImaginAIProtocol
import JSONRPC
import ImaginAIStore
import Logging
import Synchronization

/// The daemon: every protocol method wired to the store and the formats, over one JSON-RPC connection.
public final class ImaginAIServer: Sendable {
    public let connection: Connection
    public let library: Library
    private let logger: Logger
    private let story: StoryService
    /// Where `library/changed` stands with the client: nothing may be sent before its `initialize`
    /// answer, yet a change committed while that answer is on its way must not be lost (the client may
    /// have read the library before it), so changes seen from the `initialize` request on are held and
    /// sent right after the answer.
    private let announcing = Mutex(Announcing.beforeInitialize)

    private enum Announcing {
        /// Changes before `initialize` are dropped: the client reads the library after initializing.
        case beforeInitialize
        case answeringInitialize(held: [LibraryChangedNotification])
        case live
    }

    public init(database: AppDatabase, sink: any MessageSink, maxMessageBytes: Int = 16 << 20, logger: Logger) {
        self.library = Library(database: database)
        self.logger = logger
        self.story = StoryService(database: database, logger: logger)
        self.connection = Connection(
            sink: sink,
            configuration: .init(maxMessageBytes: maxMessageBytes, oversizeErrorCode: .tooLarge),
            errorMapper: { [database] error in ErrorMapping.responseError(for: error, database: database) },
            log: { [logger] level, message in logger.log(level: level.swiftLogLevel, "\(message)") },
            // Every immediate method is a read of the store (see `read`).
            sharingReads: { [database] body in database.sharingReads(body) }
        )
        registerHandlers()
    }

    /// Serves until input ends or `exit`; returns the process exit code.
    public func run<Input: AsyncSequence & Sendable>(input: Input) async -> Int32 where Input.Element == [UInt8] {
        let watch = watchOtherProcesses()
        defer { watch?.stop() }
        return await connection.run(input: input)
    }

    /// Serves a file descriptor (stdin) until it ends or `exit`; returns the process exit code.
    public func run(readingFrom descriptor: Int32) async -> Int32 {
        let watch = watchOtherProcesses()
        defer { watch?.stop() }
        return await connection.run(readingFrom: descriptor)
    }

    /// Sends `library/changed` for what other processes commit to the database while this one serves.
    /// Without a watch the daemon still serves; its client just is not told of others' changes.
    private func watchOtherProcesses() -> LibraryWatch? {
        let watch: LibraryWatch
        do {
            watch = try database.watchOtherProcesses { [self] event in
                switch event {
                case .changes(let changes):
                    logger.debug("library/changed: \(changes.count) change(s) from other processes")
                    // Sent under the lock so that held changes always go out before later ones.
                    announcing.withLock { state in
                        switch state {
                        case .beforeInitialize: break
                        case .answeringInitialize(let held): state = .answeringInitialize(held: held + changes)
                        case .live: for change in changes { connection.send(change) }
                        }
                    }
                case .missedChanges:
                    logger.warning("some changes other processes made were pruned from the change log before this daemon read them; the client was not told of them")
                case .failed(let problem):
                    logger.warning("could not read the change log: \(problem)")
                }
            }
        } catch {
            logger.warning("not watching the database for other processes' changes: \(error)")
            return nil
        }
        switch watch.mode {
        case .fileEvents: logger.debug("watching the database for other processes' changes (inotify)")
        case .polling(let reason): logger.info("looking for other processes' changes every \(LibraryWatch.pollMilliseconds) ms (\(reason))")
        case .inert: break
        }
        return watch
    }

    /// Every request method this server answers (lifecycle included), for `initialize` and conformance tests.
    public var requestMethods: [String] {
        (connection.registeredMethods + [ShutdownRequest.method]).sorted()
    }

    /// Notifications this server sends to the client (streamed story text arrives with the story methods).
    public static let serverNotifications = [StoryChunkNotification.method, LibraryChangedNotification.method]

    /// Notifications a client may send.
    public static let clientNotifications = [
        InitializedNotification.method, ExitNotification.method, CancelRequestNotification.method,
    ]

    private var database: AppDatabase { library.database }

    /// Reads run inline: in WAL mode they never wait for a writer, and a hop to another thread would
    /// cost more than the read. The short ones are registered `immediate`: they start on the reader
    /// thread and are answered before it reads on.
    private func read<T: Sendable>(_ work: @escaping @Sendable (AppDatabase) throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try work(database)
    }

    /// Writes may wait on another daemon's write to the same file (up to the busy timeout); they run off
    /// the cooperative pool so such a wait never stalls other requests.
    private func store<T: Sendable>(_ work: @escaping @Sendable (AppDatabase) throws -> T) async throws -> T {
        let database = self.database
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work(database) })
            }
        }
    }

    private func library<T: Sendable>(_ work: @escaping @Sendable (Library) throws -> T) async throws -> T {
        let library = self.library
        return try await store { _ in try work(library) }
    }

    private func registerHandlers() {
        let c = connection

        c.register(InitializeRequest.self) { [self] request, context in
            if let client = request.clientInfo {
                logger.info("client \(client.name) \(client.version ?? "")")
            }
            story.configure(initializationOptions: request.initializationOptions)
            announcing.withLock { state in
                if case .beforeInitialize = state { state = .answeringInitialize(held: []) }
            }
            context.afterResponse { [self] in
                announcing.withLock { state in
                    if case .answeringInitialize(let held) = state {
                        for change in held { connection.send(change) }
                    }
                    state = .live
                }
            }
            return InitializeResult(
                serverInfo: ServerInfo(name: ServerVersion.name, version: ServerVersion.version),
                protocolVersion: ServerVersion.protocolVersion,
                capabilities: ServerCapabilities(
                    methods: requestMethods,
                    notifications: Self.serverNotifications,
                    scenarioImportFormats: Library.scenarioImportFormats,
                    scenarioExportFormats: Library.scenarioExportFormats,
                    cardImportFormats: Library.cardImportFormats,
                    cardExportFormats: Library.cardExportFormats,
                    limits: ServerLimits(maxMessageBytes: c.configuration.maxMessageBytes, maxListLimit: Validation.maxListLimit)
                )
            )
        }

        // MARK: Scenarios
        c.register(ScenarioListRequest.self, immediate: true) { [self] request, _ in
            let limit = try Validation.limit(request.limit)
            let offset = try Validation.offset(request.offset)
            return try await read { try $0.listScenarios(query: request.query, tag: request.tag, limit: limit, offset: offset) }
        }
        // Written as JSON straight from the rows (the most pipelined read; see `scenarioJSON`).
        c.register(method: ScenarioGetRequest.method, immediate: true) { [self] params, _ in
            let request = try ParamsDecoding.decode(ScenarioGetRequest.self, from: params)
            return try await read { try $0.scenarioJSON(id: request.id) }
        }
        c.register(ScenarioCreateRequest.self) { [self] request, _ in
            let s = request.scenario
            try Validation.name(s.name, field: "scenario.name")
            try Validation.sections(
                "scenario", instructions: s.instructions, plotEssentials: s.plotEssentials, authorsNotes: s.authorsNotes,
                openingScene: s.openingScene, playerDescription: s.playerDescription)
            try Validation.cards(s.cards, field: "scenario.cards")
            return try await store { try $0.createScenario(request.scenario) }
        }
        c.register(ScenarioUpdateRequest.self) { [self] request, _ in
            let c = request.changes
            try Validation.name(c.name, field: "changes.name")
            try Validation.sections(
                "changes", instructions: c.instructions, plotEssentials: c.plotEssentials, authorsNotes: c.authorsNotes,
                openingScene: c.openingScene, playerDescription: c.playerDescription)
            try Validation.cards(c.cards, field: "changes.cards")
            return try await store { try $0.updateScenario(id: request.id, changes: request.changes) }
        }
        c.register(ScenarioDeleteRequest.self) { [self] request, _ in
            try await store { try $0.deleteScenario(id: request.id) }
            return DeleteResult(deleted: request.id)
        }
        c.register(ScenarioDuplicateRequest.self) { [self] request, _ in
            try Validation.name(request.name, field: "name")
            return try await store { try $0.duplicateScenario(id: request.id, name: request.name) }
        }
        c.register(ScenarioExportRequest.self) { [self] request, _ in
            try await read { try Library(database: $0).exportScenario(id: request.id, format: request.format) }
        }
        c.register(ScenarioImportRequest.self) { [self] request, _ in
            try await library { try $0.importScenario(data: request.data, format: request.format, fileName: request.fileName) }
        }

        // MARK: Cards
        c.register(CardCreateRequest.self) { [self] request, _ in
            let owner = try Validation.owner(scenarioId: request.scenarioId, adventureId: request.adventureId)
            try Validation.name(request.card.name, field: "card.name")
            try Validation.text(request.card.description, field: "card.description")
            try Validation.rules(request.card.rules, field: "card")
            return try await store { try $0.createCard(owner: owner, draft: request.card) }
        }
        c.register(CardUpdateRequest.self) { [self] request, _ in
            try Validation.name(request.changes.name, field: "changes.name")
            try Validation.text(request.changes.description, field: "changes.description")
            try Validation.rules(request.changes.rules.applied(to: .default), changed: request.changes.rules, field: "changes")
            return try await store { try $0.updateCard(id: request.id, changes: request.changes) }
        }
        c.register(CardDeleteRequest.self) { [self] request, _ in
            try await store { try $0.deleteCard(id: request.id) }
            return DeleteResult(deleted: request.id)
        }
        c.register(CardDuplicateRequest.self) { [self] request, _ in
            try await store { try $0.duplicateCard(id: request.id) }
        }
        c.register(CardsExportRequest.self) { [self] request, _ in
            let owner = try Validation.owner(scenarioId: request.scenarioId, adventureId: request.adventureId)
            return try await library { try $0.exportCards(owner: owner, format: request.format) }
        }
        c.register(CardsImportRequest.self) { [self] request, _ in
            let owner = try Validation.owner(scenarioId: request.scenarioId, adventureId: request.adventureId)
            return try await library {
                try $0.importCards(owner: owner, data: request.data, format: request.format, mode: request.mode ?? .append)
            }
        }

        // MARK: Adventures
        c.register(AdventureStartRequest.self) { [self] request, _ in
            try Validation.name(request.name, field: "name")
            return try await store { try $0.startAdventure(scenarioId: request.scenarioId, name: request.name) }
        }
        c.register(AdventureListRequest.self, immediate: true) { [self] request, _ in
            let limit = try Validation.limit(request.limit)
            let offset = try Validation.offset(request.offset)
            return try await read { try $0.listAdventures(limit: limit, offset: offset) }
        }
        c.register(AdventureGetRequest.self, immediate: true) { [self] request, _ in
            try await read { try $0.adventure(id: request.id) }
        }
        c.register(AdventureUpdateRequest.self) { [self] request, _ in
            let c = request.changes
            try Validation.name(c.name, field: "changes.name")
            try Validation.sections(
                "changes", instructions: c.instructions, plotEssentials: c.plotEssentials, authorsNotes: c.authorsNotes,
                openingScene: c.openingScene, playerDescription: c.playerDescription)
            try Validation.text(c.summary, field: "changes.summary")
            return try await store { try $0.updateAdventure(id: request.id, changes: request.changes) }
        }
        c.register(AdventureSummaryVersionsRequest.self, immediate: true) { [self] request, _ in
            try await read { SummaryVersionsResult(versions: try $0.summaryVersions(adventureId: request.adventureId)) }
        }
        c.register(AdventureDuplicateRequest.self) { [self] request, _ in
            try Validation.name(request.name, field: "name")
            return try await store { try $0.duplicateAdventure(id: request.id, name: request.name, upToTurn: request.upToTurn) }
        }
        c.register(AdventureDeleteRequest.self) { [self] request, _ in
            try await store { try $0.deleteAdventure(id: request.id) }
            return DeleteResult(deleted: request.id)
        }
        c.register(AdventureRestartRequest.self) { [self] request, _ in
            try await story.exclusively(adventureId: request.id) {
                try await store { try $0.restartAdventure(id: request.id) }
            }
        }

        // MARK: Turns
        c.register(TurnListRequest.self, immediate: true) { [self] request, _ in
            let limit = try Validation.optionalLimit(request.limit)
            return try await read { try $0.turns(adventureId: request.adventureId, limit: limit, beforeIndex: request.beforeIndex) }
        }
        c.register(TurnEditRequest.self) { [self] request, _ in
            try Validation.text(request.text, field: "text")
            return try await store { try $0.editTurn(id: request.id, text: request.text) }
        }
        c.register(TurnDeleteRequest.self) { [self] request, _ in
            let adventureId = try await read { try $0.adventureId(ofTurn: request.id) }
            try await story.exclusively(adventureId: adventureId) {
                try await store { try $0.deleteTurn(id: request.id) }
            }
            return DeleteResult(deleted: request.id)
        }

        // MARK: Story
        c.register(StoryActRequest.self) { [self] request, context in
            let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw ResponseError.invalidParams("Invalid params: 'text' must not be empty", field: "text")
            }
            try Validation.text(request.text, field: "text")
            let result = try await story.generate(.act(request.action, text), adventureId: request.adventureId, context: context)
            story.summaryRewriteAfterAnswer(adventureId: request.adventureId, context: context)
            return result
        }
        c.register(StoryContinueRequest.self) { [self] request, context in
            let result = try await story.generate(.continue, adventureId: request.adventureId, context: context)
            story.summaryRewriteAfterAnswer(adventureId: request.adventureId, context: context)
            return result
        }
        c.register(StoryRetryRequest.self) { [self] request, context in
            try await story.generate(.retry, adventureId: request.adventureId, context: context)
        }
        c.register(StoryUndoRequest.self) { [self] request, _ in
            try await story.exclusively(adventureId: request.adventureId) {
                try await store { try $0.undo(adventureId: request.adventureId) }
            }
        }
        c.register(StoryRedoRequest.self) { [self] request, _ in
            try await story.exclusively(adventureId: request.adventureId) {
                try await store { try $0.redo(adventureId: request.adventureId) }
            }
        }
        c.register(StoryPreviewRequest.self) { [self] request, _ in
            try Validation.text(request.text, field: "text")
            return try story.preview(adventureId: request.adventureId, action: request.action, text: request.text)
        }
        c.register(TurnVersionsRequest.self, immediate: true) { [self] request, _ in
            TurnVersionsResult(versions: try await read { try $0.turnVersions(turnId: request.id) })
        }
        c.register(TurnUseVersionRequest.self) { [self] request, _ in
            let adventureId = try await read { try $0.adventureId(ofTurn: request.id) }
            return try await story.exclusively(adventureId: adventureId) {
                try await store { try $0.useTurnVersion(turnId: request.id, version: request.version) }
            }
        }
        c.register(UsageGetRequest.self, immediate: true) { [self] request, _ in
            try await read { try $0.usage(adventureId: request.adventureId) }
        }
        c.register(ModelsListRequest.self) { [self] _, _ in
            ModelsListResult(models: await story.modelList())
        }

        // MARK: Settings
        c.register(SettingsGetRequest.self, immediate: true) { [self] _, _ in
            try await read { try $0.settings() }
        }
        c.register(SettingsUpdateRequest.self) { [self] request, _ in
            try Validation.settings(request.changes)
            return try await store { try $0.updateSettings(request.changes) }
        }
    }
}

extension Connection.LogLevel {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .warning: return .warning
        case .error: return .error
        }
    }
}
