import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol

public struct ScenarioImport: Sendable {
    public var format: ScenarioFileFormat
    public var scenario: ScenarioDraft
    public var skipped: [SkippedEntry]
    /// Settings of imported entries that ImaginAI has no equivalent for or approximates.
    public var warnings: [ImportWarning] = []
    /// Where the draft's texts came from in the file.
    public var origins: ScenarioOrigins
}

/// Where a scenario read from a file got its texts, so a check on them can name the place to fix.
public struct ScenarioOrigins: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// Copied from this path of the file (`scenario.instructions`, `data.first_mes`).
        case at(String)
        /// Put together from several places, described in words.
        case assembled(from: String)
        /// Taken from another param of the request than `data` (`fileName`).
        case param(String)
    }

    /// By draft field: `name`, `instructions`, `plotEssentials`, `authorsNotes`, `openingScene`,
    /// `playerDescription`. A field not listed was not read from the file (it has a fixed text).
    public var fields: [String: Origin]
    /// One per card of the draft, in order.
    public var cards: [CardOrigin]
}

/// ImaginAI's own lossless files.
enum ImaginAIFile {
    static let scenarioMarker = "imaginai.scenario"
    static let cardsMarker = "imaginai.cards"
    static let version: Int64 = 1

    /// Every field of the card under its wire name: the file holds all the card is.
    static func cardJSON(_ card: Card) -> JSONValue {
        var fields = OwnCardRules.json(card.rules)
        fields["id"] = .string(card.id)
        fields["type"] = .string(card.type)
        fields["name"] = .string(card.name)
        fields["description"] = .string(card.description)
        fields["keys"] = .array(card.keys.map(JSONValue.string))
        return .object(fields)
    }
}

public enum ScenarioFiles {
    public static let exportFormats: [ScenarioFileFormat] = [.imaginai, .seed]

    /// `fileName` (the file's name or path, as the user's system shows it) names the scenario when the
    /// file has no title of its own; see `ScenarioNames`.
    public static func read(_ data: JSONValue, format: ScenarioFileFormat?, fileName: String? = nil) throws(FormatError) -> ScenarioImport {
        var imported = try readTitled(data, format: format)
        imported.nameUntitled(fileName: fileName)
        return imported
    }

    /// Every scenario in the file: several for an AI Dungeon scenario export holding more than one,
    /// else the one `read` gives.
    public static func readAll(_ data: JSONValue, format: ScenarioFileFormat?, fileName: String? = nil) throws(FormatError) -> [ScenarioImport] {
        let json = try FileInput.json(data)
        if case .string = data, case .string = json {
            // No format is a lone string, so naming one would not help: this is not an unknown format.
            throw FormatError("Invalid params: 'data' holds one JSON string, not a scenario or card file")
        }
        if format == nil || format == .aidungeon, AIDungeonScenarios.matches(json) {
            return try AIDungeonScenarios.read(json, fileName: fileName)
        }
        return [try read(json, format: format, fileName: fileName)]
    }

    /// `data` parsed once, so several readers can look at it without parsing the text again.
    public static func parsed(_ data: JSONValue) throws(FormatError) -> JSONValue {
        try FileInput.json(data)
    }

    /// The file as read, named only by a title it gives itself (else an empty name).
    private static func readTitled(_ data: JSONValue, format: ScenarioFileFormat?) throws(FormatError) -> ScenarioImport {
        let json = try FileInput.json(data)
        let chosen: ScenarioFileFormat
        if let format {
            chosen = format
        } else if let detected = detect(json) {
            chosen = detected
        } else {
            throw FormatError(
                "Invalid params: 'data' matches no scenario or card format ImaginAI reads (tried "
                    + ScenarioFileFormat.allCases.map(\.rawValue).joined(separator: ", ") + ")", kind: .unknownFormat)
        }
        switch chosen {
        case .imaginai:
            guard json.text("format") == ImaginAIFile.scenarioMarker, let scenario = json["scenario"], scenario.objectValue != nil else {
                throw FormatError(#"Invalid params: 'data' is not an ImaginAI scenario file (expected {"format": "imaginai.scenario", "scenario": {...}})"#)
            }
            return try fields(of: scenario, format: .imaginai, at: "scenario")
        case .seed:
            guard looksLikeSeed(json) else {
                throw FormatError("Invalid params: 'data' is not a prototype scenario file (expected {name, instructions, openingScene, cards, ...})")
            }
            return try fields(of: json, format: .seed, at: "")
        default:
            return try fromCardFile(json, format: chosen)
        }
    }

    public static func detect(_ json: JSONValue) -> ScenarioFileFormat? {
        if json.text("format") == ImaginAIFile.scenarioMarker { return .imaginai }
        if looksLikeSeed(json) { return .seed }
        guard let cards = CardFiles.detect(json) else { return nil }
        return ScenarioFileFormat.allCases.first { $0.cardFormat == cards }
    }

    public static func write(_ scenario: Scenario, format: ScenarioFileFormat) throws(FormatError) -> JSONValue {
        switch format {
        case .imaginai:
            return .object([
                "format": .string(ImaginAIFile.scenarioMarker), "version": .int(ImaginAIFile.version),
                "scenario": .object([
                    "id": .string(scenario.id), "name": .string(scenario.name),
                    "instructions": .string(scenario.instructions), "plotEssentials": .string(scenario.plotEssentials),
                    "authorsNotes": .string(scenario.authorsNotes), "openingScene": .string(scenario.openingScene),
                    "playerDescription": .string(scenario.playerDescription),
                    "tags": .array(scenario.tags.map(JSONValue.string)),
                    "visibility": .string(scenario.visibility.rawValue),
                    "cards": .array(scenario.cards.map(ImaginAIFile.cardJSON)),
                    "createdAt": .string(scenario.createdAt), "updatedAt": .string(scenario.updatedAt),
                ]),
            ])
        case .seed:
            return .object([
                "id": .string(scenario.id), "name": .string(scenario.name),
                "instructions": .string(scenario.instructions), "plotEssentials": .string(scenario.plotEssentials),
                "authorsNotes": .string(scenario.authorsNotes), "openingScene": .string(scenario.openingScene),
                "playerDescription": .string(scenario.playerDescription),
                "tags": .string(scenario.tags.joined(separator: ", ")),
                "visibility": .string(scenario.visibility.rawValue),
                "cards": .array(scenario.cards.map { card in
                    .object([
                        "id": .string(card.id), "type": .string(card.type), "name": .string(card.name),
                        "description": .string(card.description), "keys": .string(card.keys.joined(separator: ", ")),
                    ])
                }),
            ])
        default:
            throw FormatError(
                "Invalid params: scenarios cannot be exported as '\(format.rawValue)'; use one of "
                    + exportFormats.map(\.rawValue).joined(separator: ", ") + " (cards/export writes card formats)",
                field: "format")
        }
    }

    static func looksLikeSeed(_ json: JSONValue) -> Bool {
        guard json["name"]?.stringValue != nil else { return false }
        return ["instructions", "plotEssentials", "openingScene", "authorsNotes"].contains { json[$0]?.stringValue != nil }
    }

    /// The prototype's and ImaginAI's files share field names; only the list encodings differ.
    /// `path` is where `json` sits in the file.
    static func fields(of json: JSONValue, format: ScenarioFileFormat, at path: String) throws(FormatError) -> ScenarioImport {
        var skipped: [SkippedEntry] = []
        var cards: [CardDraft] = []
        var origins = ScenarioOrigins(fields: [:], cards: [])
        for field in ["name", "instructions", "plotEssentials", "authorsNotes", "openingScene", "playerDescription"] {
            origins.fields[field] = .at(CardOrigin.join(path, field))
        }
        for (index, entry) in (json["cards"]?.arrayValue ?? []).enumerated() {
            switch CardEntries.card(from: entry, format: .imaginai) {
            case .success(let card):
                cards.append(card.draft)
                origins.cards.append(card.origin(at: CardOrigin.join(path, "cards[\(index)]")))
            case .failure(let reason): skipped.append(SkippedEntry(index: index, reason: reason.text))
            }
        }
        let visibility = Visibility(rawValue: json.text("visibility")) ?? .private
        // Our own and the prototype's names are the user's words, kept exactly; a blank one is named later.
        let draft = ScenarioDraft(
            name: json.text("name"),
            instructions: json.text("instructions"), plotEssentials: json.text("plotEssentials"),
            authorsNotes: json.text("authorsNotes"), openingScene: json.text("openingScene"),
            playerDescription: json.text("playerDescription"),
            tags: TextNormalization.tags(json.keyList("tags")), visibility: visibility, cards: cards)
        return ScenarioImport(format: format, scenario: draft, skipped: skipped, origins: origins)
    }

    /// A card file becomes a scenario holding its cards; always-on entries are always-on cards.
    static func fromCardFile(_ json: JSONValue, format: ScenarioFileFormat) throws(FormatError) -> ScenarioImport {
        guard let cardFormat = format.cardFormat else { throw FormatError("unreachable") }
        let imported = try CardFiles.read(json, format: cardFormat)
        var plot: [String] = []
        let skipped = imported.skipped
        var draft = ScenarioDraft(name: "", cards: imported.cards)
        var origins = ScenarioOrigins(fields: [:], cards: imported.origins)
        switch format {
        case .characterCard where json.text("spec").hasPrefix("chara_card_"):
            // Only a card has a character; a standalone book is read like any other book (below).
            let data = json["data"] ?? json
            let at = { (field: String) in ScenarioOrigins.Origin.at(CardOrigin.join(json["data"] == nil ? "" : "data", field)) }
            origins.fields = [
                "name": at("name"), "instructions": at("system_prompt"), "openingScene": at("first_mes"),
                "authorsNotes": at("post_history_instructions"), "playerDescription": at("creator_notes"),
                "plotEssentials": .assembled(from: "the character's description, personality and scenario and the book's always-on entries"),
            ]
            let character = data.text("name").trimmingWhitespace()
            let resolve = { (text: String) in character.isEmpty ? text : text.replacingOccurrences(of: "{{char}}", with: character) }
            // A card for a world rather than a person may leave its own name empty and name only its book.
            let book = CardEntries.foldedName(data["character_book"]?.text("name") ?? "")
            draft.name = character.isEmpty ? book : CardEntries.foldedName(character)
            if character.isEmpty && !book.isEmpty { origins.fields["name"] = at("character_book.name") }
            draft.instructions = resolve(data.text("system_prompt"))
            let about = [data.text("description"), labelled("Personality", data.text("personality")), labelled("Scenario", data.text("scenario"))]
            plot.insert(contentsOf: about.map(resolve).filter { !$0.trimmingWhitespace().isEmpty }, at: 0)
            draft.openingScene = resolve(data.text("first_mes"))
            draft.authorsNotes = resolve(data.text("post_history_instructions"))
            draft.playerDescription = data.text("creator_notes")
            draft.tags = TextNormalization.tags(data.keyList("tags"))
            if !character.isEmpty && !data.text("description").trimmingWhitespace().isEmpty {
                let card = CardDraft(type: "character", name: character, description: resolve(data.text("description")).trimmingWhitespace(), keys: [character])
                draft.cards.insert(card, at: 0)
                let data = json["data"] == nil ? "" : "data"
                origins.cards.insert(CardOrigin(name: CardOrigin.join(data, "name"), description: CardOrigin.join(data, "description")), at: 0)
            }
        case .koboldai:
            draft.openingScene = json.text("prompt")
            plot.insert(json.text("memory"), at: 0)
            draft.authorsNotes = json.text("authorsnote")
            // A KoboldAI story file has no title field: the file name or its cards name it.
            origins.fields = [
                "openingScene": .at("prompt"), "authorsNotes": .at("authorsnote"),
                "plotEssentials": .assembled(from: "the story's memory and its always-on world info"),
            ]
        default:
            // The book's `name` (SillyTavern worlds as chub exports them, Agnai memory books); a SillyTavern
            // world converted from a character's book keeps that book's name in `originalData`.
            // A `lorebook_v3` book keeps its name and description in `data`, like a character card.
            let (book, at) = json.text("spec") == CardEntries.lorebookSpec ? (json["data"] ?? json, "data") : (json, "")
            let titlePath = book.text("name").trimmingWhitespace().isEmpty && format == .sillytavern ? "originalData.name" : "name"
            let title = titlePath == "name" ? book.text("name") : json["originalData"]?.text("name") ?? ""
            draft.name = CardEntries.foldedName(title)
            draft.playerDescription = book.text("description").trimmingWhitespace()
            origins.fields = [
                "name": .at(CardOrigin.join(at, titlePath)), "playerDescription": .at(CardOrigin.join(at, "description")),
                "plotEssentials": .assembled(from: "the file's always-on entries"),
            ]
        }
        draft.plotEssentials = plot.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: "\n\n")
        return ScenarioImport(format: format, scenario: draft, skipped: skipped, warnings: imported.warnings, origins: origins)
    }

    private static func labelled(_ label: String, _ text: String) -> String {
        text.trimmingWhitespace().isEmpty ? "" : "\(label): \(text.trimmingWhitespace())"
    }
}
