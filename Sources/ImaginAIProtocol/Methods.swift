import Foundation

// One struct per method: its params are the struct, its result is `Response`, its name is `method`.
// Methods that take no params decode from an absent or null `params` as well as from `{}`.

// MARK: Lifecycle

public struct ClientInfo: Codable, Hashable, Sendable {
    public var name: String
    public var version: String?
    public init(name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }
}

public struct ServerInfo: Codable, Hashable, Sendable {
    public var name: String
    public var version: String
    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

public struct InitializeRequest: RequestType {
    public static let method = "initialize"
    public typealias Response = InitializeResult
    public var clientInfo: ClientInfo?
    /// Free-form options; the providers issue reads `providers` from here. Never echoed back.
    public var initializationOptions: JSONValue?
    public init(clientInfo: ClientInfo? = nil, initializationOptions: JSONValue? = nil) {
        self.clientInfo = clientInfo
        self.initializationOptions = initializationOptions
    }
}

public struct ServerLimits: Codable, Hashable, Sendable {
    public var maxMessageBytes: Int
    public var maxListLimit: Int
    public init(maxMessageBytes: Int, maxListLimit: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.maxListLimit = maxListLimit
    }
}

public struct ServerCapabilities: Codable, Hashable, Sendable {
    public var methods: [String]
    public var notifications: [String]
    public var scenarioImportFormats: [String]
    public var scenarioExportFormats: [String]
    public var cardImportFormats: [String]
    public var cardExportFormats: [String]
    public var limits: ServerLimits
    public init(
        methods: [String], notifications: [String], scenarioImportFormats: [String],
        scenarioExportFormats: [String], cardImportFormats: [String], cardExportFormats: [String],
        limits: ServerLimits
    ) {
        self.methods = methods
        self.notifications = notifications
        self.scenarioImportFormats = scenarioImportFormats
        self.scenarioExportFormats = scenarioExportFormats
        self.cardImportFormats = cardImportFormats
        self.cardExportFormats = cardExportFormats
        self.limits = limits
    }
}

public struct InitializeResult: Codable, Hashable, Sendable {
    public var serverInfo: ServerInfo
    public var protocolVersion: String
    public var capabilities: ServerCapabilities
    public init(serverInfo: ServerInfo, protocolVersion: String, capabilities: ServerCapabilities) {
        self.serverInfo = serverInfo
        self.protocolVersion = protocolVersion
        self.capabilities = capabilities
    }
}

public struct InitializedNotification: NotificationType {
    public static let method = "initialized"
    public init() {}
}

public struct ShutdownRequest: RequestType {
    public static let method = "shutdown"
    public typealias Response = VoidResponse
    public init() {}
}

public struct ExitNotification: NotificationType {
    public static let method = "exit"
    public init() {}
}

public struct CancelRequestNotification: NotificationType {
    public static let method = "$/cancelRequest"
    public var id: JSONValue
    public init(id: JSONValue) { self.id = id }
}

// MARK: Scenarios

public struct ScenarioListRequest: RequestType {
    public static let method = "scenario/list"
    public typealias Response = ScenarioListResult
    /// Case-insensitive substring of the name, player description or a tag.
    public var query: String?
    /// Exact tag, case-insensitive.
    public var tag: String?
    public var limit: Int?
    public var offset: Int?
    public init(query: String? = nil, tag: String? = nil, limit: Int? = nil, offset: Int? = nil) {
        self.query = query
        self.tag = tag
        self.limit = limit
        self.offset = offset
    }
}

public struct ScenarioListResult: Codable, Hashable, Sendable {
    public var scenarios: [ScenarioSummary]
    /// How many match in all, ignoring limit and offset.
    public var total: Int
    public init(scenarios: [ScenarioSummary], total: Int) {
        self.scenarios = scenarios
        self.total = total
    }
}

public struct ScenarioGetRequest: RequestType {
    public static let method = "scenario/get"
    public typealias Response = Scenario
    public var id: String
    public init(id: String) { self.id = id }
}

public struct ScenarioCreateRequest: RequestType {
    public static let method = "scenario/create"
    public typealias Response = Scenario
    public var scenario: ScenarioDraft
    public init(scenario: ScenarioDraft) { self.scenario = scenario }
}

public struct ScenarioUpdateRequest: RequestType {
    public static let method = "scenario/update"
    public typealias Response = Scenario
    public var id: String
    public var changes: ScenarioChanges
    public init(id: String, changes: ScenarioChanges) {
        self.id = id
        self.changes = changes
    }
}

public struct ScenarioDeleteRequest: RequestType {
    public static let method = "scenario/delete"
    public typealias Response = DeleteResult
    public var id: String
    public init(id: String) { self.id = id }
}

public struct DeleteResult: Codable, Hashable, Sendable {
    public var deleted: String
    public init(deleted: String) { self.deleted = deleted }
}

public struct ScenarioDuplicateRequest: RequestType {
    public static let method = "scenario/duplicate"
    public typealias Response = Scenario
    public var id: String
    public var name: String?
    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

public struct ScenarioExportRequest: RequestType {
    public static let method = "scenario/export"
    public typealias Response = ExportResult
    public var id: String
    /// `imaginai` (default, lossless) or `seed` (the prototype's file shape).
    public var format: String?
    public init(id: String, format: String? = nil) {
        self.id = id
        self.format = format
    }
}

public struct ExportResult: Codable, Hashable, Sendable {
    public var format: String
    public var data: JSONValue
    public init(format: String, data: JSONValue) {
        self.format = format
        self.data = data
    }
}

/// The first imported scenario's fields at the top level (what `scenario/import` always answered), and
/// `scenarios`: every scenario the file made, in file order (one for most files, several for an AI
/// Dungeon export holding several).
@dynamicMemberLookup
public struct ScenarioImportResult: Codable, Hashable, Sendable {
    public var scenarios: [Scenario]
    public var first: Scenario
    /// Entries of the file that became no card, with why. In a file of several scenarios each reason
    /// starts with the scenario's place in the file (`[1].worldInfo[3]: …`).
    public var skipped: [SkippedEntry]
    /// Entries imported with settings ImaginAI does not have or approximates, placed like `skipped`.
    public var warnings: [ImportWarning]

    public init(scenarios: [Scenario], skipped: [SkippedEntry] = [], warnings: [ImportWarning] = []) {
        precondition(!scenarios.isEmpty, "an import that made no scenario is an error, not a result")
        self.scenarios = scenarios
        self.first = scenarios[0]
        self.skipped = skipped
        self.warnings = warnings
    }

    public subscript<Value>(dynamicMember field: KeyPath<Scenario, Value>) -> Value {
        first[keyPath: field]
    }

    private enum CodingKeys: String, CodingKey { case scenarios, skipped, warnings }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let first = try Scenario(from: decoder)
        // An older daemon reports neither.
        skipped = try container.decodeIfPresent([SkippedEntry].self, forKey: .skipped) ?? []
        warnings = try container.decodeIfPresent([ImportWarning].self, forKey: .warnings) ?? []
        // An older daemon answers the scenario alone.
        let scenarios = try container.decodeIfPresent([Scenario].self, forKey: .scenarios) ?? [first]
        guard !scenarios.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .scenarios, in: container, debugDescription: "no scenarios")
        }
        self.scenarios = scenarios
        self.first = first
    }

    public func encode(to encoder: any Encoder) throws {
        try first.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scenarios, forKey: .scenarios)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(warnings, forKey: .warnings)
    }
}

public struct ScenarioImportRequest: RequestType {
    public static let method = "scenario/import"
    public typealias Response = ScenarioImportResult
    /// The file's content: a JSON object or array, or a string holding the file's text.
    public var data: JSONValue
    /// `auto` (default) or one of the capability's `scenarioImportFormats`.
    public var format: String?
    /// The name of the file the data was read from (a path is fine): names the scenario when the file
    /// has no title of its own.
    public var fileName: String?
    public init(data: JSONValue, format: String? = nil, fileName: String? = nil) {
        self.data = data
        self.format = format
        self.fileName = fileName
    }
}

// MARK: Cards

/// Says whose cards: exactly one of the two ids is given.
public struct CardOwnerParams: Codable, Hashable, Sendable {
    public var scenarioId: String?
    public var adventureId: String?
    public init(scenarioId: String? = nil, adventureId: String? = nil) {
        self.scenarioId = scenarioId
        self.adventureId = adventureId
    }
}

public struct CardCreateRequest: RequestType {
    public static let method = "card/create"
    public typealias Response = Card
    public var scenarioId: String?
    public var adventureId: String?
    public var card: CardDraft
    public init(scenarioId: String? = nil, adventureId: String? = nil, card: CardDraft) {
        self.scenarioId = scenarioId
        self.adventureId = adventureId
        self.card = card
    }
}

public struct CardUpdateRequest: RequestType {
    public static let method = "card/update"
    public typealias Response = Card
    public var id: String
    public var changes: CardChanges
    public init(id: String, changes: CardChanges) {
        self.id = id
        self.changes = changes
    }
}

public struct CardDeleteRequest: RequestType {
    public static let method = "card/delete"
    public typealias Response = DeleteResult
    public var id: String
    public init(id: String) { self.id = id }
}

public struct CardDuplicateRequest: RequestType {
    public static let method = "card/duplicate"
    public typealias Response = Card
    public var id: String
    public init(id: String) { self.id = id }
}

public struct CardsExportRequest: RequestType {
    public static let method = "cards/export"
    public typealias Response = ExportResult
    public var scenarioId: String?
    public var adventureId: String?
    /// `imaginai`, `aidungeon` or `sillytavern`.
    public var format: String
    public init(scenarioId: String? = nil, adventureId: String? = nil, format: String) {
        self.scenarioId = scenarioId
        self.adventureId = adventureId
        self.format = format
    }
}

public enum CardImportMode: String, Codable, Sendable, CaseIterable {
    case append, replace
}

public struct CardsImportRequest: RequestType {
    public static let method = "cards/import"
    public typealias Response = CardsImportResult
    public var scenarioId: String?
    public var adventureId: String?
    public var data: JSONValue
    public var format: String?
    public var mode: CardImportMode?
    public init(
        scenarioId: String? = nil, adventureId: String? = nil, data: JSONValue, format: String? = nil,
        mode: CardImportMode? = nil
    ) {
        self.scenarioId = scenarioId
        self.adventureId = adventureId
        self.data = data
        self.format = format
        self.mode = mode
    }
}

public struct SkippedEntry: Codable, Hashable, Sendable {
    /// The entry's position in the file (for object-keyed books, its position in file order).
    public var index: Int
    public var reason: String
    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}

/// Something about an imported entry the user should know: a setting of the source file that ImaginAI
/// has no equivalent for, or that it had to approximate. The entry itself was imported.
public struct ImportWarning: Codable, Hashable, Sendable {
    /// The entry's position in the file, counted as for `SkippedEntry.index`.
    public var index: Int
    public var message: String
    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }
}

public struct CardsImportResult: Codable, Hashable, Sendable {
    /// The owner's whole card list after the import.
    public var cards: [Card]
    public var imported: Int
    public var skipped: [SkippedEntry]
    /// Entries that were imported but carried settings ImaginAI does not have or approximates.
    public var warnings: [ImportWarning]
    /// The format that was read (the detected one under `auto`).
    public var format: String
    public init(cards: [Card], imported: Int, skipped: [SkippedEntry], warnings: [ImportWarning] = [], format: String) {
        self.cards = cards
        self.imported = imported
        self.skipped = skipped
        self.warnings = warnings
        self.format = format
    }
}

// MARK: Adventures

public struct AdventureStartRequest: RequestType {
    public static let method = "adventure/start"
    public typealias Response = Adventure
    public var scenarioId: String
    public var name: String?
    public init(scenarioId: String, name: String? = nil) {
        self.scenarioId = scenarioId
        self.name = name
    }
}

public struct AdventureListRequest: RequestType {
    public static let method = "adventure/list"
    public typealias Response = AdventureListResult
    public var limit: Int?
    public var offset: Int?
    public init(limit: Int? = nil, offset: Int? = nil) {
        self.limit = limit
        self.offset = offset
    }
}

public struct AdventureListResult: Codable, Hashable, Sendable {
    public var adventures: [AdventureSummary]
    public var total: Int
    public init(adventures: [AdventureSummary], total: Int) {
        self.adventures = adventures
        self.total = total
    }
}

public struct AdventureGetRequest: RequestType {
    public static let method = "adventure/get"
    public typealias Response = Adventure
    public var id: String
    public init(id: String) { self.id = id }
}

public struct AdventureUpdateRequest: RequestType {
    public static let method = "adventure/update"
    public typealias Response = Adventure
    public var id: String
    public var changes: AdventureChanges
    public init(id: String, changes: AdventureChanges) {
        self.id = id
        self.changes = changes
    }
}

public struct AdventureSummaryVersionsRequest: RequestType {
    public static let method = "adventure/summaryVersions"
    public typealias Response = SummaryVersionsResult
    public var adventureId: String
    public init(adventureId: String) { self.adventureId = adventureId }
}

/// Every text the summary has had, oldest first; the last is `current`.
public struct SummaryVersionsResult: Codable, Hashable, Sendable {
    public var versions: [SummaryVersion]
    public init(versions: [SummaryVersion]) { self.versions = versions }
}

public struct AdventureDuplicateRequest: RequestType {
    public static let method = "adventure/duplicate"
    public typealias Response = Adventure
    public var id: String
    public var name: String?
    /// A turn id of this adventure: the copy's history ends with that turn.
    public var upToTurn: String?
    public init(id: String, name: String? = nil, upToTurn: String? = nil) {
        self.id = id
        self.name = name
        self.upToTurn = upToTurn
    }
}

public struct AdventureDeleteRequest: RequestType {
    public static let method = "adventure/delete"
    public typealias Response = DeleteResult
    public var id: String
    public init(id: String) { self.id = id }
}

public struct AdventureRestartRequest: RequestType {
    public static let method = "adventure/restart"
    public typealias Response = Adventure
    public var id: String
    public init(id: String) { self.id = id }
}

// MARK: Turns

public struct TurnListRequest: RequestType {
    public static let method = "turn/list"
    public typealias Response = TurnListResult
    public var adventureId: String
    public var limit: Int?
    public var beforeIndex: Int?
    public init(adventureId: String, limit: Int? = nil, beforeIndex: Int? = nil) {
        self.adventureId = adventureId
        self.limit = limit
        self.beforeIndex = beforeIndex
    }
}

public struct TurnListResult: Codable, Hashable, Sendable {
    /// Oldest first within the page.
    public var turns: [Turn]
    public var turnCount: Int
    public init(turns: [Turn], turnCount: Int) {
        self.turns = turns
        self.turnCount = turnCount
    }
}

public struct TurnEditRequest: RequestType {
    public static let method = "turn/edit"
    public typealias Response = Turn
    public var id: String
    public var text: String
    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

public struct TurnDeleteRequest: RequestType {
    public static let method = "turn/delete"
    public typealias Response = DeleteResult
    public var id: String
    public init(id: String) { self.id = id }
}

// MARK: Settings

public struct SettingsGetRequest: RequestType {
    public static let method = "settings/get"
    public typealias Response = Settings
    public init() {}
}

public struct SettingsUpdateRequest: RequestType {
    public static let method = "settings/update"
    public typealias Response = Settings
    public var changes: SettingsChanges
    public init(changes: SettingsChanges) { self.changes = changes }
}

// MARK: Hand-written JSON for the import results, which carry every imported card (twice for a scenario)

// Keys in byte order, as `JSONCoding.encode` writes them; WireShapeTests checks the bytes are the same.

extension SkippedEntry: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.raw(#"{"index":"#); out.int(index)
        out.raw(#","reason":"#); out.string(reason)
        out.raw("}")
    }
}

extension ImportWarning: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.raw(#"{"index":"#); out.int(index)
        out.raw(#","message":"#); out.string(message)
        out.raw("}")
    }
}

/// About how many bytes `cards` take as JSON, to reserve the room at once: an import answers with
/// thousands of cards, and growing the buffer by doubling copied the whole answer a dozen times.
private func estimatedJSONSize(of cards: [Card]) -> Int {
    // The field names and fixed values of a card take about 330 bytes; its texts the rest.
    var bytes = 0
    for card in cards {
        bytes += 400 + card.description.utf8.count + card.name.utf8.count + card.rules.notes.utf8.count
            + card.keys.reduce(0) { $0 + $1.utf8.count + 3 }
    }
    return bytes
}

extension CardsImportResult: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.bytes.reserveCapacity(out.bytes.count + estimatedJSONSize(of: cards))
        out.raw(#"{"cards":"#); out.array(cards)
        out.raw(#","format":"#); out.string(format)
        out.raw(#","imported":"#); out.int(imported)
        out.raw(#","skipped":"#); out.array(skipped)
        out.raw(#","warnings":"#); out.array(warnings)
        out.raw("}")
    }
}

extension ScenarioImportResult: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        // The first scenario's cards are written twice: at the top level and in `scenarios`.
        let size = scenarios.reduce(estimatedJSONSize(of: first.cards)) { $0 + estimatedJSONSize(of: $1.cards) }
        out.bytes.reserveCapacity(out.bytes.count + size)
        out.raw(#"{"authorsNotes":"#); out.string(first.authorsNotes)
        out.raw(#","cards":"#); out.array(first.cards)
        out.raw(#","createdAt":"#); out.string(first.createdAt)
        out.raw(#","id":"#); out.string(first.id)
        out.raw(#","instructions":"#); out.string(first.instructions)
        out.raw(#","name":"#); out.string(first.name)
        out.raw(#","openingScene":"#); out.string(first.openingScene)
        out.raw(#","playerDescription":"#); out.string(first.playerDescription)
        out.raw(#","plotEssentials":"#); out.string(first.plotEssentials)
        out.raw(#","scenarios":"#); out.array(scenarios)
        out.raw(#","skipped":"#); out.array(skipped)
        out.raw(#","tags":"#); out.strings(first.tags)
        out.raw(#","updatedAt":"#); out.string(first.updatedAt)
        out.raw(#","visibility":"#); out.string(first.visibility.rawValue)
        out.raw(#","warnings":"#); out.array(warnings)
        out.raw("}")
    }
}
