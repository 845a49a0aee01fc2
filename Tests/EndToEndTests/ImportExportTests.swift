import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

@Suite(.timeLimit(.minutes(3)))
struct ImportExportTests {
    static let contract = MethodTests.contract

    func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    @Test func seedScenarioImportsAndRoundTripsLosslessly() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let imported = try await daemon.call("scenario/import", ["data": .string(try text(Fixtures.seedScenario))])
        #expect(Self.contract.violations(result: imported, method: "scenario/import").isEmpty)
        #expect(imported["cards"]?.arrayValue?.count == 34)
        #expect(imported["tags"]?.arrayValue?.contains("noir") == true)
        #expect(imported["id"] != "id-1749130243152-ka1jk6yby", "imports always get new ids")

        let exported = try await daemon.call("scenario/export", ["id": imported["id"]!])
        #expect(exported["format"] == "imaginai")
        let again = try await daemon.call("scenario/import", ["data": exported["data"]!])
        for field in ["name", "instructions", "plotEssentials", "authorsNotes", "openingScene", "playerDescription", "tags", "visibility"] {
            #expect(again[field] == imported[field], "\(field) changed in the round trip")
        }
        let strip: (JSONValue) -> [JSONValue] = { cards in
            cards.arrayValue!.map { card in
                var object = card.objectValue!
                object["id"] = nil
                return .object(object)
            }
        }
        #expect(strip(again["cards"]!) == strip(imported["cards"]!))
        #expect(again["id"] != imported["id"])

        // The same export handed over as the file's text, the way an editor reads a file.
        let asText = String(decoding: try JSONCoding.encode(exported["data"]!), as: UTF8.self)
        let third = try await daemon.call("scenario/import", ["data": .string(asText), "format": "imaginai"])
        #expect(third["openingScene"] == imported["openingScene"])
    }

    /// Every AI Dungeon and SillyTavern file people published: each entry is imported or skipped with a reason.
    @Test(arguments: [
        "aidungeon-story-cards-destiny-ecos-de-la-oscuridad.json",
        "aidungeon-story-cards-7-sins-tyrants.json",
        "aidungeon-legacy-worldinfo-skyrim-factions.json",
        "aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json",
        "sillytavern-world-eldoria-2023.json",
        "sillytavern-world-eldoria-2024.json",
        "sillytavern-world-harry-potter-canon-chub.json",
        "sillytavern-world-honkai-impact-rpg-chub.json",
        "charcard-v3-world-narrator-st-export.json",
        "charcard-v3-honkai-star-rail-rpg-minimal-book.json",
        "novelai-lorebook-v6-alexandria-categories.lorebook",
        "novelai-lorebook-v4-new-story-blank-export.lorebook",
        "koboldai-story-worldinfo-half-life-2.json",
        "agnai-memorybook-hogwarts-legacy-chub.json",
    ])
    func publishedCardFilesImportThroughTheDaemon(file: String) async throws {
        let url = Fixtures.formats.appendingPathComponent(file)
        let raw = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        let entries = Self.entryCount(raw)
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Import target", "cards": [["name": "Existing"]]]])
        let result = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": .string(try text(url))])
        #expect(Self.contract.violations(result: result, method: "cards/import").isEmpty)
        let imported = result["imported"]?.intValue ?? -1
        let skipped = result["skipped"]?.arrayValue ?? []
        #expect(Int(imported) + skipped.count == entries, "\(file): \(imported) imported + \(skipped.count) skipped != \(entries)")
        for entry in skipped { #expect(entry["reason"]?.stringValue?.isEmpty == false) }
        #expect(result["cards"]?.arrayValue?.count == Int(imported) + 1, "append keeps the existing card")
        for card in result["cards"]?.arrayValue ?? [] {
            for key in card["keys"]?.arrayValue ?? [] {
                let string = key.stringValue ?? ""
                #expect(!string.isEmpty && string == string.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }

        let replaced = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": raw, "mode": "replace"])
        #expect(replaced["cards"]?.arrayValue?.count == Int(imported))
    }

    /// Every published file imported over the wire with its file name sent along, as an editor sends it:
    /// the scenario is named from the file's own title, else from the file name.
    @Test func importedScenariosAreNamedFromTheirTitleElseTheirFileName() async throws {
        let expected: [(file: String, name: String)] = [
            ("sillytavern-world-harry-potter-canon-chub.json", "Harry Potter Canon Lorebook"),
            ("sillytavern-world-honkai-impact-rpg-chub.json", "Honkai Impact RPG"),
            ("sillytavern-world-eldoria-2023.json", "sillytavern world eldoria 2023"),
            ("sillytavern-world-eldoria-2024.json", "sillytavern world eldoria 2024"),
            ("charcard-v3-world-narrator-st-export.json", "World_Narrator"),
            ("charcard-v3-honkai-star-rail-rpg-minimal-book.json", "Honkai: Star Rail RPG"),
            ("agnai-memorybook-hogwarts-legacy-chub.json", "Hogwarts Legacy Lore"),
            ("novelai-lorebook-v6-alexandria-categories.lorebook", "novelai lorebook v6 alexandria categories"),
            ("novelai-lorebook-v4-new-story-blank-export.lorebook", "novelai lorebook v4 new story blank export"),
            ("koboldai-story-worldinfo-half-life-2.json", "koboldai story worldinfo half life 2"),
            ("aidungeon-story-cards-7-sins-tyrants.json", "aidungeon story cards 7 sins tyrants"),
            ("aidungeon-legacy-worldinfo-skyrim-factions.json", "aidungeon legacy worldinfo skyrim factions"),
        ]
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        for (file, name) in expected {
            let url = Fixtures.formats.appendingPathComponent(file)
            let imported = try await daemon.call("scenario/import", ["data": .string(try text(url)), "fileName": .string(url.path)])
            #expect(imported["name"] == .string(name), "\(file)")
            #expect(Self.contract.violations(result: imported, method: "scenario/import").isEmpty)
        }

        // Without a file name an untitled book is named by its first cards, never "Imported …".
        let eldoria = try text(Fixtures.formats.appendingPathComponent("sillytavern-world-eldoria-2023.json"))
        let unnamed = try await daemon.call("scenario/import", ["data": .string(eldoria), "fileName": .null])
        #expect(unnamed["name"] == "Eldoria, Shadowfang, Glade and 1 more")

        let blank = try await daemon.request("scenario/import", ["data": .string(eldoria), "fileName": " "])
        #expect(blank["error"]?["code"] == .int(-32602))
        #expect(blank["error"]?["data"]?["field"] == "fileName")
        let long = try await daemon.request("scenario/import", ["data": .string(eldoria), "fileName": .string(String(repeating: "n", count: 1_001))])
        #expect(long["error"]?["code"] == .int(-31004))
        #expect(long["error"]?["data"]?["field"] == "fileName")
        let listed = try await daemon.call("scenario/list", ["limit": 500])
        #expect(listed["total"] == .int(Int64(expected.count + 2)), "the sample, the imports, nothing from the refused ones")
    }

    @Test(arguments: ["imaginai", "aidungeon", "sillytavern"])
    func exportedCardsImportBackIntoAnAdventure(format: String) async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Export", "openingScene": "Hi.", "cards": [
            ["name": "Ann", "type": "character", "description": "A gardener.", "keys": ["Ann", "gardener"]],
            ["name": "Black market", "type": "location", "description": "Stalls under the bridge.", "keys": ["black market"]],
        ]]])
        let exported = try await daemon.call("cards/export", ["scenarioId": scenario["id"]!, "format": .string(format)])
        #expect(Self.contract.violations(result: exported, method: "cards/export").isEmpty)
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let result = try await daemon.call("cards/import", ["adventureId": adventure["id"]!, "data": exported["data"]!, "format": .string(format), "mode": "replace"])
        #expect(result["format"] == .string(format))
        let cards = result["cards"]?.arrayValue ?? []
        #expect(cards.map { $0["name"]! } == ["Ann", "Black market"])
        #expect(cards.map { $0["description"]! } == ["A gardener.", "Stalls under the bridge."])
        #expect(cards.first?["keys"] == ["Ann", "gardener"])
    }

    /// A SillyTavern book with every World Info option set: each becomes the card's field on the wire,
    /// the disabled entry and the keyless always-on one included, and what has no equivalent is a warning.
    @Test func aSillyTavernBooksRulesArriveOnTheWire() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Morrow"]])
        let book = #"{"entries": {"#
            + #""0": {"uid": 0, "key": ["lighthouse"], "keysecondary": ["storm"], "comment": "The light", "content": "It burns.\n", "#
            + #""constant": false, "selective": true, "selectiveLogic": 2, "order": 250, "position": 4, "depth": 1, "disable": true, "#
            + #""probability": 40, "useProbability": true, "scanDepth": 3, "group": "lights", "groupOverride": true, "excludeRecursion": true, "#
            + #""preventRecursion": true, "sticky": 2, "cooldown": 3, "delay": 1}, "#
            + #""1": {"uid": 1, "key": [], "comment": "Weather", "content": "Always foggy.", "constant": true, "position": 3}}}"#
        let result = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": .string(book)])
        #expect(Self.contract.violations(result: result, method: "cards/import").isEmpty)
        #expect(result["imported"] == 2)
        #expect(result["skipped"] == [])
        #expect(result["warnings"] == [["index": 1, "message": "position 3 (after the author's note) became afterHistory: ImaginAI puts the card after the story, just before the author's note"]])
        let stored = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        let cards = try #require(stored["cards"]?.arrayValue)
        let light = cards[0]
        let expected: [String: JSONValue] = [
            "name": "The light", "description": "It burns.\n", "keys": ["lighthouse"], "type": "lore", "secondaryKeys": ["storm"],
            "selectiveLogic": "notAny", "constant": false, "enabled": false, "order": 250, "probability": 40, "scanDepth": 3,
            "excludeRecursion": true, "preventRecursion": true, "sticky": 2, "cooldown": 3, "delay": 1, "group": "lights",
            "position": "atDepth", "depth": 1, "notes": "",
        ]
        for (field, value) in expected { #expect(light[field] == value, "\(field)") }
        #expect(cards[1]["keys"] == [] && cards[1]["constant"] == true && cards[1]["position"] == "afterHistory")
    }

    /// Exported as SillyTavern World Info and imported again, a card keeps every field, its type and its
    /// notes included (SillyTavern keeps an entry's `extensions`, where they travel).
    @Test func aSillyTavernExportImportsBackWithEveryField() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let cards: [JSONValue] = [
            ["name": "Ann", "type": "character", "description": "  A gardener.\n", "keys": ["Ann", "/gard(e|i)ner/i"], "secondaryKeys": ["roses"],
             "selectiveLogic": "andAll", "constant": true, "enabled": false, "order": 7, "probability": 55, "scanDepth": 2,
             "excludeRecursion": true, "preventRecursion": true, "sticky": 1, "cooldown": 2, "delay": 3, "group": "people",
             "position": "atDepth", "depth": 0, "notes": "Ask the author about her brother."],
            ["name": "Market", "type": "location", "description": "Stalls.", "keys": ["market"], "position": "afterHistory"],
        ]
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Export", "cards": .array(cards)]])
        let exported = try await daemon.call("cards/export", ["scenarioId": scenario["id"]!, "format": "sillytavern"])
        let target = try await daemon.call("scenario/create", ["scenario": ["name": "Target"]])
        let asText = String(decoding: try JSONCoding.encode(exported["data"]!), as: UTF8.self)
        let result = try await daemon.call("cards/import", ["scenarioId": target["id"]!, "data": .string(asText)])
        #expect(result["format"] == "sillytavern")
        #expect(result["warnings"] == [])
        let strip: (JSONValue?) -> [JSONValue] = { list in
            (list?.arrayValue ?? []).map { card in
                var object = card.objectValue ?? [:]
                object["id"] = nil
                return .object(object)
            }
        }
        let original = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        #expect(strip(result["cards"]) == strip(original["cards"]))
        let first = result["cards"]?.arrayValue?.first
        #expect(first?["type"] == "character" && first?["notes"] == "Ask the author about her brother.")
    }

    /// Notes read from a file are held to the same limit as card texts, and the entry is named.
    @Test func overLongNotesFromAFileAreRefusedNamingTheEntry() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Target"]])
        let cards: JSONValue = [
            ["title": "Vex", "keys": "Vex", "value": "A thief.", "type": "character", "description": ""],
            ["title": "Ash", "keys": "Ash", "value": "A town.", "type": "location", "description": .string(String(repeating: "n", count: 100_001))],
        ]
        let refused = try await daemon.request("cards/import", ["scenarioId": scenario["id"]!, "data": cards])
        #expect(refused["error"]?["code"] == .int(-31004))
        #expect(refused["error"]?["data"] == ["field": "data[1]", "limit": 100_000])
        #expect(refused["error"]?["message"]?.stringValue?.contains("the notes of the card read from 'data[1]'") == true, "\(refused)")
        let stored = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        #expect(stored["cards"] == [], "nothing stored")
    }

    /// Texts from other tools are stored byte for byte: the white space around them is the author's.
    @Test(arguments: [
        #"{"entries": {"0": {"key": ["Mirel"], "comment": "Mirel", "content": "  \n\tMirel keeps the lantern.\n\n  Indented.  \n"}}}"#,
        #"[{"title": "Mirel", "keys": "Mirel", "type": "character", "value": "  \n\tMirel keeps the lantern.\n\n  Indented.  \n"}]"#,
        #"{"storyContainerVersion": 1, "content": {"lorebook": {"lorebookVersion": 5, "entries": [{"displayName": "Mirel", "keys": ["Mirel"], "text": "  \n\tMirel keeps the lantern.\n\n  Indented.  \n"}]}}}"#,
        #"{"spec": "lorebook_v3", "data": {"name": "Harrow", "entries": [{"keys": ["Mirel"], "name": "Mirel", "content": "  \n\tMirel keeps the lantern.\n\n  Indented.  \n"}]}}"#,
        #"{"name": "Harrow", "entries": [{"key": ["Mirel"], "comment": "Mirel", "content": "  \n\tMirel keeps the lantern.\n\n  Indented.  \n"}]}"#,
    ])
    func importedTextKeepsItsSurroundingWhiteSpace(file: String) async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Harrow"]])
        let result = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": .string(file)])
        #expect(Self.contract.violations(result: result, method: "cards/import").isEmpty)
        #expect(result["imported"] == 1)
        let stored = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        let card = try #require(stored["cards"]?.arrayValue?.first)
        #expect(card["name"] == "Mirel")
        #expect(card["description"] == "  \n\tMirel keeps the lantern.\n\n  Indented.  \n")
    }

    /// A KoboldAI story carried over from AI Dungeon keeps its regex keys with `#[attributes]`; imported,
    /// they are regex keys that fire on the text they were written for.
    @Test func koboldAIWorldInfoWithAIDungeonRegexKeysFiresInAPreview() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Vell", "openingScene": "The canal is quiet."]])
        let story = #"{"gamestarted": true, "prompt": "The lamps of Vell burn green.", "memory": "", "authorsnote": "", "actions": [], "#
            + #""worldinfo": [{"key": "Mira|(|the )ferrywoman#[t=5]", "keysecondary": "", "content": "Mira rows the dead across the canal.", "#
            + #""comment": "", "folder": null, "num": 0, "init": true, "selective": false, "constant": false, "uid": 7}]}"#
        let result = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": .string(story)])
        #expect(Self.contract.violations(result: result, method: "cards/import").isEmpty)
        #expect(result["format"] == "koboldai")
        #expect(result["skipped"] == [])
        let card = try #require(result["cards"]?.arrayValue?.first)
        #expect(card["name"] == "Mira")
        #expect(card["keys"] == ["/Mira|(the )?ferrywoman/i"])

        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let preview = try await daemon.call("story/preview", ["adventureId": adventure["id"]!, "action": "do", "text": "hail a ferrywoman"])
        #expect(Self.contract.violations(result: preview, method: "story/preview").isEmpty)
        let fired = preview["firedCards"]?.arrayValue ?? []
        #expect(fired.map { $0["name"] } == ["Mira"])
        #expect(fired.first?["key"] == "/Mira|(the )?ferrywoman/i")
        let quiet = try await daemon.call("story/preview", ["adventureId": adventure["id"]!, "action": "do", "text": "row across the canal"])
        #expect(quiet["firedCards"] == [])
    }

    /// AI Dungeon writes a scenario without story cards as `[]`; that file imports back as nothing.
    @Test func anExportOfNoCardsImportsBack() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Empty"]])
        let exported = try await daemon.call("cards/export", ["scenarioId": scenario["id"]!, "format": "aidungeon"])
        #expect(exported["data"] == .array([]))
        for format: JSONValue in ["auto", "aidungeon"] {
            let result = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": exported["data"]!, "format": format])
            #expect(result["imported"] == 0)
            #expect(result["skipped"] == .array([]))
            #expect(result["format"] == "aidungeon")
            #expect(result["cards"] == .array([]))
        }
        let asText = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": "[]"])
        #expect(asText["imported"] == 0)
    }

    /// An AI Dungeon export of several scenarios becomes one scenario each, all listed in `scenarios`;
    /// `cards/import` refuses it rather than lose every scenario's text.
    @Test func anAIDungeonExportOfSeveralScenariosImportsEachOne() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let before = try await daemon.call("scenario/list", ["limit": 500])
        let file = try JSONEncoder().encode(Self.aiDungeonScenarios)
        let imported = try await daemon.call("scenario/import", ["data": .string(String(decoding: file, as: UTF8.self)), "fileName": "exports/scenarios.json"])
        #expect(Self.contract.violations(result: imported, method: "scenario/import").isEmpty)
        let scenarios = try #require(imported["scenarios"]?.arrayValue)
        #expect(scenarios.map { $0["name"]! } == ["The Drowned Bell", "Ashfall", "scenarios"])
        #expect(imported["id"] == scenarios[0]["id"], "the top level is the first scenario")
        #expect(imported["openingScene"] == "The bell rang again at midnight, though the tower fell into the sea years ago.\n")
        #expect(scenarios[1]["plotEssentials"] == "The volcano woke three days ago.")
        #expect(scenarios[1]["authorsNotes"] == "Keep it tense.")
        #expect(scenarios[0]["cards"]?.arrayValue?.map { $0["keys"]! } == [["bell", "tower"], ["Ida"]])
        #expect(scenarios[1]["cards"]?.arrayValue?.map { $0["name"]! } == ["Mount Hesk"])
        for scenario in scenarios {
            let stored = try await daemon.call("scenario/get", ["id": scenario["id"]!])
            #expect(stored == scenario)
        }
        let after = try await daemon.call("scenario/list", ["limit": 500])
        #expect(after["total"] == .int((before["total"]?.intValue ?? 0) + 3))

        // One bad scenario stores none of them.
        var broken = Self.aiDungeonScenarios.arrayValue!
        broken[1] = ["title": "Ashfall", "prompt": .string(String(repeating: "a", count: 100_001)), "memory": ""]
        let refused = try await daemon.request("scenario/import", ["data": .array(broken)])
        #expect(refused["error"]?["code"] == .int(-31004))
        #expect(refused["error"]?["data"]?["field"] == "data[1].prompt")
        let unchanged = try await daemon.call("scenario/list", ["limit": 500])
        #expect(unchanged["total"] == after["total"])

        let target = try await daemon.call("scenario/create", ["scenario": ["name": "Target"]])
        let asCards = try await daemon.request("cards/import", ["scenarioId": target["id"]!, "data": Self.aiDungeonScenarios])
        #expect(asCards["error"]?["code"] == .int(-32602))
        #expect(asCards["error"]?["data"]?["field"] == "data")
        let message = asCards["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("AI Dungeon scenario export (3 scenarios"), "\(message)")
        #expect(message.contains("import it with scenario/import"), "\(message)")
        let explicit = try await daemon.request("cards/import", ["scenarioId": target["id"]!, "data": Self.aiDungeonScenarios, "format": "aidungeon"])
        #expect(explicit["error"]?["code"] == .int(-32602), "a named card format does not make it lose the scenarios either")
        let targetCards = try await daemon.call("scenario/get", ["id": target["id"]!])
        #expect(targetCards["cards"] == [])
    }

    /// Three scenarios as AI Dungeon's scenario export writes them.
    static let aiDungeonScenarios: JSONValue = [
        [
            "title": "The Drowned Bell", "description": "A coastal mystery.",
            "prompt": "The bell rang again at midnight, though the tower fell into the sea years ago.\n",
            "memory": "You are Ida, the lighthouse keeper's daughter.", "authorsNote": "Slow, eerie prose.",
            "tags": ["mystery"],
            "worldInfo": [
                ["keys": "bell, tower", "entry": "The bell tower of Saint Aud sank in the storm of 1881."],
                ["keys": "Ida", "entry": "Ida is seventeen and cannot swim."],
            ],
        ],
        [
            "title": "Ashfall", "prompt": "Grey snow that is not snow falls on the market.",
            "memory": "The volcano woke three days ago.", "authorNote": "Keep it tense.",
            "storyCards": [["keys": "Mount Hesk", "value": "A volcano asleep for four hundred years.", "type": "location", "title": "Mount Hesk"]],
        ],
        ["title": "", "prompt": "You wake up in a field.", "memory": "", "worldInfo": []],
    ]

    /// Text that is not JSON is refused with the place to fix: `data.line` and `data.column`.
    @Test func textThatIsNotJSONIsRefusedWithItsLineAndColumn() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Target"]])
        let broken = "[\n  {\"title\": \"Ann\", \"keys\": \"Ann\", \"value\": \"A gardener.\"},\n  {\"title\": \"Bo\" \"keys\": \"Bo\"}\n]"
        for (method, params) in [
            ("scenario/import", ["data": JSONValue.string(broken)]),
            ("cards/import", ["scenarioId": scenario["id"]!, "data": .string(broken)]),
        ] {
            let response = try await daemon.request(method, .object(params))
            #expect(response["error"]?["code"] == .int(-32602), "\(method)")
            #expect(response["error"]?["data"] == ["field": "data", "line": 3, "column": 18], "\(method): \(response)")
            #expect(response["error"]?["message"]?.stringValue?.contains("at line 3, column 18, expected ',' or '}'") == true, "\(method): \(response)")
        }
        let empty = try await daemon.request("scenario/import", ["data": " \n"])
        #expect(empty["error"]?["code"] == .int(-32602))
        #expect(empty["error"]?["data"] == ["field": "data"], "no place to point at in an empty file")
    }

    /// How many entries a fixture holds, counted straight from its JSON.
    static func entryCount(_ value: JSONValue) -> Int {
        if let array = value.arrayValue { return array.count }
        if let entries = value["entries"] {
            return entries.arrayValue?.count ?? entries.objectValue?.count ?? 0
        }
        if let book = value["data"]?["character_book"]?["entries"]?.arrayValue { return book.count }
        if let worldInfo = value["worldinfo"]?.arrayValue { return worldInfo.count }
        return 0
    }
}
