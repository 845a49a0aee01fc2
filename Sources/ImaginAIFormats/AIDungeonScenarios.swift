import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol

/// AI Dungeon's scenario export: one scenario object, or an array of them, each with its `prompt`,
/// `memory`, author's note, `title`, `description`, `tags`, and its legacy `worldInfo` (`{keys, entry}`)
/// and/or `storyCards` (`{keys, value, type, title}`).
///
/// Told apart from a story-card array (which also has `title`s) by `prompt` and the scenario-only
/// fields; read as cards, such a file would lose every scenario's text.
public enum AIDungeonScenarios {
    static let authorsNoteFields = ["authorsNote", "authorNote"]

    /// Whether `json` is a scenario export rather than anything else ImaginAI reads.
    public static func matches(_ json: JSONValue) -> Bool {
        if let items = json.arrayValue {
            // No other format is an array of objects with a `prompt`, so `memory` alone tells.
            return items.contains { $0["prompt"]?.stringValue != nil && $0["memory"] != nil || isScenario($0) }
        }
        return isScenario(json)
    }

    /// A KoboldAI story also has `prompt` and `memory`, but spells `worldinfo` and `authorsnote` in
    /// lower case and keeps its `actions`; only AI Dungeon's own fields tell a lone object apart.
    static func isScenario(_ value: JSONValue) -> Bool {
        guard value["prompt"]?.stringValue != nil, value["worldinfo"] == nil, value["actions"] == nil else { return false }
        return (["worldInfo", "storyCards"] + authorsNoteFields).contains { value[$0] != nil }
    }

    /// Every scenario of the export in file order; an untitled one is named as `ScenarioFiles.read` names it.
    static func read(_ json: JSONValue, fileName: String?) throws(FormatError) -> [ScenarioImport] {
        let items: [(path: String, value: JSONValue)] = json.arrayValue.map { items in
            items.enumerated().map { ("[\($0.offset)]", $0.element) }
        } ?? [("", json)]
        guard !items.isEmpty else { throw FormatError("Invalid params: 'data' is an empty list: it holds no scenario") }
        var scenarios: [ScenarioImport] = []
        for (path, value) in items {
            guard value.objectValue != nil else {
                let article = ["array", "object"].contains(value.typeName) ? "an" : "a"
                throw FormatError(
                    "Invalid params: '\(CardOrigin.join("data", path))' is \(article) \(value.typeName), not a scenario object; "
                        + "every element of an AI Dungeon scenario export is one")
            }
            var imported = scenario(value, at: path)
            imported.nameUntitled(fileName: fileName)
            scenarios.append(imported)
        }
        return scenarios
    }

    static func scenario(_ json: JSONValue, at path: String) -> ScenarioImport {
        var origins = ScenarioOrigins(fields: [:], cards: [])
        func field(_ name: String, from keys: [String]) -> String {
            guard let key = keys.first(where: { json[$0]?.stringValue != nil }) else { return "" }
            origins.fields[name] = .at(CardOrigin.join(path, key))
            return json.text(key)
        }
        // The scenario's own texts are the author's words, kept exactly as written.
        var draft = ScenarioDraft(name: CardEntries.foldedName(field("name", from: ["title"])))
        draft.openingScene = field("openingScene", from: ["prompt"])
        draft.plotEssentials = field("plotEssentials", from: ["memory"])
        draft.authorsNotes = field("authorsNotes", from: authorsNoteFields)
        draft.playerDescription = field("playerDescription", from: ["description"])
        draft.instructions = field("instructions", from: ["instructions"])
        draft.tags = TextNormalization.tags(json.keyList("tags"))

        var skipped: [SkippedEntry] = []
        var warnings: [ImportWarning] = []
        for (list, format) in [("worldInfo", CardFileFormat.aidungeonWorldInfo), ("storyCards", .aidungeon)] {
            for (index, entry) in (json[list]?.arrayValue ?? []).enumerated() {
                switch CardEntries.card(from: entry, format: format) {
                case .success(let card):
                    draft.cards.append(card.draft)
                    origins.cards.append(card.origin(at: CardOrigin.join(path, "\(list)[\(index)]")))
                    warnings += card.warnings.map { ImportWarning(index: index, message: "\(CardOrigin.join(path, list))[\(index)]: \($0)") }
                case .failure(let reason):
                    skipped.append(SkippedEntry(index: index, reason: "\(CardOrigin.join(path, list))[\(index)]: \(reason.text)"))
                }
            }
        }
        return ScenarioImport(format: .aidungeon, scenario: draft, skipped: skipped, warnings: warnings, origins: origins)
    }
}
