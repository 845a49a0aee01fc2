import Foundation
import ImaginAIProtocol
import Testing

/// Books people published for SillyTavern behave here as they were written to: their always-on entries
/// are sent without being named, their switched-off entries never are, and a book exported by ImaginAI
/// and imported again fires the same cards for the same reasons.
@Suite(.timeLimit(.minutes(3)))
struct PublishedBookRulesTests {
    static let contract = MethodTests.contract

    func fixture(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: Fixtures.formats.appendingPathComponent(name))
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Imports the file as a scenario and starts an adventure from it; returns the adventure's id.
    func play(_ daemon: Daemon, _ file: JSONValue) async throws -> JSONValue {
        let scenario = try await daemon.call("scenario/import", ["data": file])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        return adventure["id"]!
    }

    func preview(_ daemon: Daemon, _ adventureId: JSONValue, _ text: String) async throws -> JSONValue {
        let result = try await daemon.call("story/preview", ["adventureId": adventureId, "action": "do", "text": .string(text)])
        #expect(Self.contract.violations(result: result, method: "story/preview").isEmpty)
        return result
    }

    func fired(_ preview: JSONValue) -> [JSONValue] { preview["firedCards"]?.arrayValue ?? [] }

    /// The entries of a SillyTavern world whose flag is true, by their first key.
    func entries(_ world: JSONValue, where flag: String) -> [String] {
        (world["entries"]?.objectValue ?? [:]).values.filter { $0[flag]?.boolValue == true }
            .compactMap { $0["key"]?.arrayValue?.first?.stringValue }
    }

    @Test func aSillyTavernWorldsConstantEntryIsSentUnnamedAndItsDisabledEntryNeverFires() async throws {
        let world = try fixture("sillytavern-world-honkai-impact-rpg-chub.json")
        let constantKeys = entries(world, where: "constant")
        let disabledKeys = entries(world, where: "disable")
        try #require(constantKeys == ["Gunners are Valkyries"] && disabledKeys == ["Tokyo"], "the fixture changed")

        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let adventure = try await play(daemon, world)
        let preview = try await preview(daemon, adventure, "take the train to Tokyo")
        let cards = fired(preview)
        let constant = cards.filter { $0["trigger"] == "constant" }
        #expect(constant.count == 1, "\(cards)")
        #expect(constant.first?["key"] == .null)
        #expect(constant.first?["included"] == true)
        #expect(!cards.contains { $0["key"] == "Tokyo" }, "a switched-off entry never fires, even named: \(cards)")

        let stored = try await daemon.call("adventure/get", ["id": adventure])
        let tokyo = stored["cards"]?.arrayValue?.first { $0["keys"] == ["Tokyo"] }
        #expect(tokyo?["enabled"] == false, "the switched-off entry is kept, switched off")
    }

    @Test func aCharacterBooksKeylessAlwaysOnEntriesAreSentInOrder() async throws {
        let card = try fixture("charcard-v3-honkai-star-rail-rpg-minimal-book.json")
        let book = card["data"]?["character_book"]?["entries"]?.arrayValue ?? []
        let alwaysOn = book.filter { $0["constant"]?.boolValue == true }
        let keyless = alwaysOn.filter { $0["keys"]?.arrayValue?.isEmpty ?? true }
        try #require(alwaysOn.count == 11 && keyless.count == 4, "the fixture changed")

        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let adventure = try await play(daemon, card)
        let preview = try await preview(daemon, adventure, "look around")
        let constant = fired(preview).filter { $0["trigger"] == "constant" }
        #expect(constant.count == alwaysOn.count, "every always-on entry fires, keys or not: \(constant)")
        let cardsText = preview["sections"]?.arrayValue?.first { $0["name"] == "cards" }?["text"]?.stringValue ?? ""
        for entry in keyless {
            let content = entry["content"]?.stringValue ?? ""
            let included = constant.contains { $0["included"] == true && cardsText.contains(content.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(included, "a keyless always-on entry is in the prompt: \(content.prefix(60))")
        }
    }

    /// Export → import through SillyTavern's format loses nothing that changes what fires.
    @Test func aBookExportedAndImportedAgainFiresTheSameCardsForTheSameReasons() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": ["storytellerDelayMs": 0]])
        let scenario = try await daemon.call("scenario/create", ["scenario": [
            "name": "Harbour", "openingScene": "Fog lies on the harbour of Kell.",
            "cards": [
                ["name": "Mira", "type": "character", "keys": ["Mira"], "description": "The harbormaster. She keeps the ledger."],
                ["name": "Ledger", "type": "item", "keys": ["ledger"], "description": "Names of ships lost.", "position": "atDepth", "depth": 0],
                ["name": "Fog law", "type": "lore", "constant": true, "description": "No boat leaves in fog.", "position": "afterHistory"],
                ["name": "Night ferry", "type": "location", "keys": ["ferry"], "secondaryKeys": ["night"], "selectiveLogic": "andAll", "description": "It runs at night."],
                ["name": "Day ferry", "type": "location", "keys": ["ferry"], "secondaryKeys": ["night"], "selectiveLogic": "notAny", "description": "It runs by day."],
                ["name": "Rumour A", "keys": ["rumour"], "group": "rumours", "order": 10, "description": "The bell rang."],
                ["name": "Rumour B", "keys": ["rumour"], "group": "rumours", "order": 90, "description": "The bell is gone."],
                ["name": "Switched off", "keys": ["Mira"], "enabled": false, "description": "Never sent."],
                ["name": "Only by story", "keys": ["harbormaster"], "excludeRecursion": true, "description": "Told only when named."],
            ],
        ]])
        let exported = try await daemon.call("cards/export", ["scenarioId": scenario["id"]!, "format": "sillytavern"])
        let copy = try await daemon.call("scenario/create", ["scenario": ["name": "Harbour again", "openingScene": "Fog lies on the harbour of Kell."]])
        let imported = try await daemon.call("cards/import", ["scenarioId": copy["id"]!, "data": exported["data"]!, "format": "sillytavern"])
        #expect(imported["skipped"] == [] && imported["warnings"] == [], "\(imported)")

        var reasons: [[String]] = []
        for source in [scenario, copy] {
            let adventure = try await daemon.call("adventure/start", ["scenarioId": source["id"]!])
            let preview = try await preview(daemon, adventure["id"]!, "ask Mira about the ferry and the rumour")
            reasons.append(fired(preview).map { card in
                [card["name"], card["trigger"], card["key"], card["leftOut"]].map { $0?.stringValue ?? "-" }.joined(separator: "/")
            })
        }
        #expect(reasons[0] == reasons[1])
        #expect(reasons[0].contains("Mira/story/Mira/-"))
        #expect(reasons[0].contains("Ledger/card/ledger/-"), "Mira's text names the ledger: \(reasons[0])")
        #expect(reasons[0].contains("Fog law/constant/-/-"))
        #expect(reasons[0].contains("Day ferry/story/ferry/-") && !reasons[0].contains { $0.hasPrefix("Night ferry") })
        #expect(reasons[0].contains("Rumour B/story/rumour/-") && reasons[0].contains("Rumour A/story/rumour/group"))
        #expect(!reasons[0].contains { $0.hasPrefix("Switched off") || $0.hasPrefix("Only by story") })
    }
}
