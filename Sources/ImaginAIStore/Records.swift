import FoundationEssentials
import GRDB
import ImaginAICore
import ImaginAIProtocol

// Database records: plain Codable structs, one per table, internal to the module. `[String]` properties
// (tags, keys) are stored by GRDB as JSON text; enums are stored as their raw strings.

struct ScenarioRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "scenario"

    var id: String
    var name: String
    var instructions: String
    var plotEssentials: String
    var authorsNotes: String
    var openingScene: String
    var playerDescription: String
    var tags: [String]
    var visibility: String
    var createdAt: String
    var updatedAt: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let updatedAt = Column(CodingKeys.updatedAt)
    }

    func scenario(cards: [Card]) -> Scenario {
        Scenario(
            id: id, name: name, instructions: instructions, plotEssentials: plotEssentials,
            authorsNotes: authorsNotes, openingScene: openingScene, playerDescription: playerDescription,
            tags: tags, visibility: Visibility(rawValue: visibility) ?? .private, cards: cards,
            createdAt: createdAt, updatedAt: updatedAt
        )
    }
}

struct CardRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "card"

    var id: String
    /// Exactly one of `scenarioId` and `adventureId` is set (a CHECK constraint says so).
    var scenarioId: String?
    var adventureId: String?
    var position: Int
    var type: String
    var name: String
    var description: String
    var keys: [String]
    // `CardRules`, one column each (see the "v3-card-rules" migration for the names).
    var secondaryKeys: [String]
    var selectiveLogic: String
    var constant: Bool
    var enabled: Bool
    var insertionOrder: Int
    var probability: Int
    var scanDepth: Int?
    var excludeRecursion: Bool
    var preventRecursion: Bool
    var sticky: Int
    var cooldown: Int
    var delay: Int
    var groupName: String?
    var promptPosition: String
    var promptDepth: Int
    var notes: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let scenarioId = Column(CodingKeys.scenarioId)
        static let adventureId = Column(CodingKeys.adventureId)
        static let position = Column(CodingKeys.position)
    }

    /// Every column a card's wire form is read from, in the order `card(positional:)` reads them.
    static let cardColumns = """
        id, type, name, description, keys, secondaryKeys, selectiveLogic, constant, enabled, insertionOrder, \
        probability, scanDepth, excludeRecursion, preventRecursion, sticky, cooldown, delay, groupName, \
        promptPosition, promptDepth, notes
        """

    /// The columns copied when cards are copied to another owner (all but id, owner and position).
    static let copiedColumns = """
        type, name, description, keys, secondaryKeys, selectiveLogic, constant, enabled, insertionOrder, \
        probability, scanDepth, excludeRecursion, preventRecursion, sticky, cooldown, delay, groupName, \
        promptPosition, promptDepth, notes
        """

    init(id: String, owner: AppDatabase.CardOwner, position: Int, draft: CardDraft) {
        self.id = id
        switch owner {
        case .scenario(let ownerId): scenarioId = ownerId; adventureId = nil
        case .adventure(let ownerId): scenarioId = nil; adventureId = ownerId
        }
        self.position = position
        type = draft.type
        name = draft.name
        description = draft.description
        keys = TextNormalization.keys(draft.keys)
        (secondaryKeys, selectiveLogic, constant, enabled) = ([], "", false, true)
        (insertionOrder, probability, scanDepth, excludeRecursion, preventRecursion) = (0, 0, nil, false, false)
        (sticky, cooldown, delay, groupName, promptPosition, promptDepth, notes) = (0, 0, 0, nil, "", 0, "")
        rules = draft.rules
    }

    var owner: AppDatabase.CardOwner {
        if let scenarioId { return .scenario(scenarioId) }
        return .adventure(adventureId ?? "")
    }

    var rules: CardRules {
        get {
            var rules = CardRules()
            rules.secondaryKeys = secondaryKeys
            rules.selectiveLogic = SelectiveLogic(rawValue: selectiveLogic) ?? .andAny
            rules.constant = constant
            rules.enabled = enabled
            rules.order = insertionOrder
            rules.probability = probability
            rules.scanDepth = scanDepth
            rules.excludeRecursion = excludeRecursion
            rules.preventRecursion = preventRecursion
            rules.sticky = sticky
            rules.cooldown = cooldown
            rules.delay = delay
            rules.group = groupName
            rules.position = CardPosition(rawValue: promptPosition) ?? .beforeHistory
            rules.depth = promptDepth
            rules.notes = notes
            return rules
        }
        set {
            secondaryKeys = TextNormalization.keys(newValue.secondaryKeys)
            selectiveLogic = newValue.selectiveLogic.rawValue
            constant = newValue.constant
            enabled = newValue.enabled
            insertionOrder = newValue.order
            probability = newValue.probability
            scanDepth = newValue.scanDepth
            excludeRecursion = newValue.excludeRecursion
            preventRecursion = newValue.preventRecursion
            sticky = newValue.sticky
            cooldown = newValue.cooldown
            delay = newValue.delay
            groupName = newValue.group
            promptPosition = newValue.position.rawValue
            promptDepth = newValue.depth
            notes = newValue.notes
        }
    }

    var card: Card { Card(id: id, type: type, name: name, description: description, keys: keys, rules: rules) }

    /// A row of `SELECT \(cardColumns)`, read by position: cards are the most fetched rows, and the
    /// generic Codable row decoder plus a JSON decoder per row cost more than the SQLite read itself.
    static func card(positional row: Row) throws -> Card {
        var rules = CardRules()
        rules.secondaryKeys = try JSONColumn.strings(row[5])
        rules.selectiveLogic = SelectiveLogic(rawValue: row[6] as String) ?? .andAny
        rules.constant = row[7]
        rules.enabled = row[8]
        rules.order = row[9]
        rules.probability = row[10]
        rules.scanDepth = row[11]
        rules.excludeRecursion = row[12]
        rules.preventRecursion = row[13]
        rules.sticky = row[14]
        rules.cooldown = row[15]
        rules.delay = row[16]
        rules.group = row[17]
        rules.position = CardPosition(rawValue: row[18] as String) ?? .beforeHistory
        rules.depth = row[19]
        rules.notes = row[20]
        return Card(
            id: row[0], type: row[1], name: row[2], description: row[3], keys: try JSONColumn.strings(row[4]), rules: rules)
    }

    /// Read by hand for the same reason.
    init(row: Row) throws {
        id = row[CodingKeys.id.stringValue]
        scenarioId = row[CodingKeys.scenarioId.stringValue]
        adventureId = row[CodingKeys.adventureId.stringValue]
        position = row[CodingKeys.position.stringValue]
        type = row[CodingKeys.type.stringValue]
        name = row[CodingKeys.name.stringValue]
        description = row[CodingKeys.description.stringValue]
        keys = try JSONColumn.strings(row[CodingKeys.keys.stringValue])
        secondaryKeys = try JSONColumn.strings(row[CodingKeys.secondaryKeys.stringValue])
        selectiveLogic = row[CodingKeys.selectiveLogic.stringValue]
        constant = row[CodingKeys.constant.stringValue]
        enabled = row[CodingKeys.enabled.stringValue]
        insertionOrder = row[CodingKeys.insertionOrder.stringValue]
        probability = row[CodingKeys.probability.stringValue]
        scanDepth = row[CodingKeys.scanDepth.stringValue]
        excludeRecursion = row[CodingKeys.excludeRecursion.stringValue]
        preventRecursion = row[CodingKeys.preventRecursion.stringValue]
        sticky = row[CodingKeys.sticky.stringValue]
        cooldown = row[CodingKeys.cooldown.stringValue]
        delay = row[CodingKeys.delay.stringValue]
        groupName = row[CodingKeys.groupName.stringValue]
        promptPosition = row[CodingKeys.promptPosition.stringValue]
        promptDepth = row[CodingKeys.promptDepth.stringValue]
        notes = row[CodingKeys.notes.stringValue]
    }
}

/// String lists (keys, tags) are stored as JSON arrays of strings.
enum JSONColumn {
    private static let decoder = JSONDecoder()

    static func strings(_ text: String?) throws -> [String] {
        guard let text, text != "[]" else { return [] }
        if let simple = simpleStrings(text) { return simple }
        return try decoder.decode([String].self, from: Data(text.utf8))
    }

    /// The common case read without a JSONDecoder: `["a","b"]` as GRDB writes it, no whitespace, no
    /// escapes. Anything else (a backslash, spaces, another shape) returns nil for the decoder to read.
    static func simpleStrings(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { utf8 -> [String]? in
            let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), backslash = UInt8(ascii: "\\")
            let count = utf8.count
            guard count >= 4, utf8[0] == UInt8(ascii: "["), utf8[count - 1] == UInt8(ascii: "]") else { return nil }
            var result: [String] = []
            var index = 1
            while true {
                guard index < count - 1, utf8[index] == quote else { return nil }
                let start = index + 1
                var end = start
                while end < count - 1 && utf8[end] != quote {
                    if utf8[end] == backslash || utf8[end] < 0x20 { return nil }
                    end += 1
                }
                guard end < count - 1 else { return nil }
                result.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[start..<end]), as: UTF8.self))
                index = end + 1
                if index == count - 1 { return result }
                guard utf8[index] == comma else { return nil }
                index += 1
            }
        }
    }
}

struct AdventureRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "adventure"

    var id: String
    var scenarioId: String?
    var scenarioName: String
    var name: String
    var instructions: String
    var plotEssentials: String
    var authorsNotes: String
    var openingScene: String
    var playerDescription: String
    var tags: [String]
    var createdAt: String
    var updatedAt: String
    var lastPlayedAt: String
    /// The current `summaryVersion`'s text (kept here so a prompt reads it with the adventure).
    var summary: String = ""

    func adventure(cards: [Card], turnCount: Int) -> Adventure {
        Adventure(
            id: id, scenarioId: scenarioId, scenarioName: scenarioName, name: name, instructions: instructions,
            plotEssentials: plotEssentials, authorsNotes: authorsNotes, openingScene: openingScene,
            playerDescription: playerDescription, tags: tags, cards: cards, createdAt: createdAt,
            updatedAt: updatedAt, lastPlayedAt: lastPlayedAt, turnCount: turnCount, summary: summary
        )
    }
}

struct TurnRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "turn"

    var id: String
    var adventureId: String
    /// The turn's `index` on the wire; 0..n-1, contiguous within an adventure.
    var turnIndex: Int
    var role: String
    var action: String?
    var text: String
    var createdAt: String
    /// JSON-encoded `TurnUsage`, for generated turns.
    var usage: String? = nil
    /// Which `turnVersion` row the text is, once the turn has been retried.
    var currentVersion: Int = 0
    /// JSON array of the card ids this turn's prompt activated (generated turns only).
    var activatedCards: String? = nil

    enum Columns {
        static let adventureId = Column(CodingKeys.adventureId)
        static let turnIndex = Column(CodingKeys.turnIndex)
    }

    var turn: Turn {
        Turn(
            id: id, index: turnIndex, role: TurnRole(rawValue: role) ?? .ai,
            action: action.flatMap(ActionKind.init(rawValue:)), text: text, createdAt: createdAt,
            usage: UsageColumn.decode(usage)
        )
    }
}

/// One user setting; `value` is the JSON encoding of the setting's value.
struct SettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "setting"
    var key: String
    var value: String
}

/// Bookkeeping flags of the store itself (e.g. `sampleSeeded`).
struct AppStateRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "appState"
    var key: String
    var value: String
}

/// A row of the scenario list: the summary columns plus a computed card count.
struct ScenarioSummaryRow: Decodable, FetchableRecord {
    var id: String
    var name: String
    var playerDescription: String
    var tags: [String]
    var visibility: String
    var cardCount: Int
    var createdAt: String
    var updatedAt: String

    var summary: ScenarioSummary {
        ScenarioSummary(
            id: id, name: name, playerDescription: playerDescription, tags: tags,
            visibility: Visibility(rawValue: visibility) ?? .private, cardCount: cardCount,
            createdAt: createdAt, updatedAt: updatedAt
        )
    }
}

/// A row of the adventure list: summary columns, turn count and the latest turn's text.
struct AdventureSummaryRow: Decodable, FetchableRecord {
    var id: String
    var scenarioId: String?
    var scenarioName: String
    var name: String
    var createdAt: String
    var updatedAt: String
    var lastPlayedAt: String
    var turnCount: Int
    var latestText: String?

    var summary: AdventureSummary {
        AdventureSummary(
            id: id, scenarioId: scenarioId, scenarioName: scenarioName, name: name, createdAt: createdAt,
            updatedAt: updatedAt, lastPlayedAt: lastPlayedAt, turnCount: turnCount,
            excerpt: TextNormalization.excerpt(latestText ?? "")
        )
    }
}

extension ScenarioRecord {
    /// The columns `init(positional:)` reads, in its order.
    static let positionalColumns = """
        id, name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription, tags, visibility, \
        createdAt, updatedAt
        """

    /// A row of `SELECT \(positionalColumns)`, read by position: the hot read path (every scenario/get),
    /// where name lookups (lower-cased and hashed per column) showed in the profile.
    init(positional row: Row) throws {
        id = row[0]
        name = row[1]
        instructions = row[2]
        plotEssentials = row[3]
        authorsNotes = row[4]
        openingScene = row[5]
        playerDescription = row[6]
        tags = try JSONColumn.strings(row[7])
        visibility = row[8]
        createdAt = row[9]
        updatedAt = row[10]
    }

    /// Read by hand for the same reason as cards.
    init(row: Row) throws {
        id = row[CodingKeys.id.stringValue]
        name = row[CodingKeys.name.stringValue]
        instructions = row[CodingKeys.instructions.stringValue]
        plotEssentials = row[CodingKeys.plotEssentials.stringValue]
        authorsNotes = row[CodingKeys.authorsNotes.stringValue]
        openingScene = row[CodingKeys.openingScene.stringValue]
        playerDescription = row[CodingKeys.playerDescription.stringValue]
        tags = try JSONColumn.strings(row[CodingKeys.tags.stringValue])
        visibility = row[CodingKeys.visibility.stringValue]
        createdAt = row[CodingKeys.createdAt.stringValue]
        updatedAt = row[CodingKeys.updatedAt.stringValue]
    }
}

struct TurnVersionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "turnVersion"
    var turnId: String
    var version: Int
    var text: String
    var usage: String?
    var createdAt: String
    /// The cards this version's prompt activated (as `turn.activatedCards`).
    var activatedCards: String? = nil
}

struct RedoEntryRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "redoEntry"
    var id: Int64?
    var adventureId: String
    /// JSON array of the removed turn rows, oldest first.
    var turns: String

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// `TurnUsage` as stored in a JSON column.
enum UsageColumn {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    private static let decoder = JSONDecoder()

    static func encode(_ usage: TurnUsage?) -> String? {
        guard let usage, let data = try? encoder.encode(usage) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> TurnUsage? {
        guard let text else { return nil }
        return try? decoder.decode(TurnUsage.self, from: Data(text.utf8))
    }
}

/// `turn.activatedCards`: a JSON array of card ids, NULL for none.
enum ActivatedCardsColumn {
    static func encode(_ ids: [String]) -> String? {
        guard !ids.isEmpty, let data = try? JSONEncoder().encode(ids) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A value that is not an array of strings reads as none: it only ever shortens a timed effect.
    static func decode(_ text: String?) -> [String] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}

/// The text fields scenarios and adventures share, changed the same way in both.
protocol StoryTextRecord {
    var name: String { get set }
    var instructions: String { get set }
    var plotEssentials: String { get set }
    var authorsNotes: String { get set }
    var openingScene: String { get set }
    var playerDescription: String { get set }
    var tags: [String] { get set }
}

struct StoryTextChanges {
    var name, instructions, plotEssentials, authorsNotes, openingScene, playerDescription: String?
    var tags: [String]?

    init(_ changes: ScenarioChanges) {
        (name, instructions, plotEssentials, authorsNotes) = (changes.name, changes.instructions, changes.plotEssentials, changes.authorsNotes)
        (openingScene, playerDescription, tags) = (changes.openingScene, changes.playerDescription, changes.tags)
    }

    init(_ changes: AdventureChanges) {
        (name, instructions, plotEssentials, authorsNotes) = (changes.name, changes.instructions, changes.plotEssentials, changes.authorsNotes)
        (openingScene, playerDescription, tags) = (changes.openingScene, changes.playerDescription, changes.tags)
    }
}

extension StoryTextRecord {
    mutating func apply(_ changes: StoryTextChanges) {
        if let value = changes.name { name = value }
        if let value = changes.instructions { instructions = value }
        if let value = changes.plotEssentials { plotEssentials = value }
        if let value = changes.authorsNotes { authorsNotes = value }
        if let value = changes.openingScene { openingScene = value }
        if let value = changes.playerDescription { playerDescription = value }
        if let value = changes.tags { tags = TextNormalization.tags(value) }
    }
}

extension ScenarioRecord: StoryTextRecord {}
extension AdventureRecord: StoryTextRecord {}

struct SummaryVersionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "summaryVersion"

    var adventureId: String
    var version: Int
    var text: String
    var source: String
    /// The adventure's turn count when this version was written.
    var turnCount: Int
    var createdAt: String
}
