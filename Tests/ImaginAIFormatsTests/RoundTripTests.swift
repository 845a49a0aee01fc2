import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

private let scenario = Scenario(
    id: "scn_1", name: "  Odd  name ", instructions: "Line one\nLine two\r\n\ttabbed", plotEssentials: "",
    authorsNotes: "“Curly” — and 🐉", openingScene: "Zoë sails to Ærø. 東京.", playerDescription: "",
    tags: ["noir", "Ærø"], visibility: .unlisted,
    cards: [
        Card(id: "c1", type: "character", name: "Ann  Lee", description: "  spaced  ", keys: ["Ann", "/dr(a|e)gon/i"]),
        Card(id: "c2", type: "other", name: "No keys", description: "", keys: []),
    ],
    createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")

@Test func imaginaiScenarioExportImportIsExact() throws {
    let file = try ScenarioFiles.write(scenario, format: .imaginai)
    let back = try ScenarioFiles.read(file, format: nil)
    #expect(back.format == .imaginai)
    let draft = back.scenario
    #expect(draft.name == scenario.name)
    #expect(draft.instructions == scenario.instructions)
    #expect(draft.authorsNotes == scenario.authorsNotes)
    #expect(draft.openingScene == scenario.openingScene)
    #expect(draft.tags == scenario.tags)
    #expect(draft.visibility == .unlisted)
    #expect(draft.cards.map(\.name) == scenario.cards.map(\.name))
    #expect(draft.cards.map(\.description) == scenario.cards.map(\.description))
    #expect(draft.cards.map(\.keys) == scenario.cards.map(\.keys))
    #expect(draft.cards.map(\.type) == scenario.cards.map(\.type))
    #expect(draft.cards.allSatisfy { $0.id == nil }, "imports never carry ids over")
    // As the file's text too.
    let text = String(decoding: try JSONCoding.encode(file), as: UTF8.self)
    #expect(try ScenarioFiles.read(.string(text), format: .imaginai).scenario == draft)
}

@Test func seedFormatRoundTripsAndReadsThePrototypeExport() throws {
    let file = try ScenarioFiles.write(scenario, format: .seed)
    #expect(file["tags"] == .string("noir, Ærø"))
    #expect(file["cards"]?.arrayValue?.first?["keys"] == .string("Ann, /dr(a|e)gon/i"))
    let back = try ScenarioFiles.read(file, format: nil)
    #expect(back.format == .seed)
    #expect(back.scenario.tags == scenario.tags)

    let prototype = try ScenarioFiles.read(.string(String(contentsOf: Fixture.seedScenario, encoding: .utf8)), format: nil)
    #expect(prototype.format == .seed)
    #expect(prototype.scenario.cards.count == 34)
    #expect(prototype.scenario.tags == ["noir", "cyberpunk", "detective", "investigation", "San Francisco"])
    #expect(prototype.scenario.cards[0].keys == ["San Francisco", "city", "metropolis", "streets"])
}

@Test(arguments: [CardFileFormat.imaginai, .aidungeon, .sillytavern])
func exportedCardsReadBack(format: CardFileFormat) throws {
    let cards = scenario.cards.filter { !$0.keys.isEmpty }
    let file = try CardFiles.write(cards, format: format)
    let back = try CardFiles.read(file, format: nil)
    #expect(back.format == format)
    #expect(back.cards.map(\.name) == ["Ann  Lee"].map { format == .imaginai ? $0 : "Ann Lee" })
    #expect(back.cards.first?.keys == ["Ann", "/dr(a|e)gon/i"])
}

@Test func onlyThreeCardFormatsAreWritten() {
    #expect(throws: FormatError.self) { _ = try CardFiles.write([], format: .novelai) }
    #expect(throws: FormatError.self) { _ = try ScenarioFiles.write(scenario, format: .koboldai) }
}

@Test(arguments: [
    // `[]` is not here: it is AI Dungeon's export of a scenario without story cards (BookShapeTests).
    JSONValue.object(["foo": .int(1)]), .int(42), .array([.int(1), .int(2)]), .string("{not json"),
    .object(["entries": .object(["0": .object(["unrelated": .bool(true)])])]),
])
func dataInNoFormatIsRejectedWithAReadableError(data: JSONValue) {
    do {
        _ = try CardFiles.read(data, format: nil)
        Issue.record("accepted \(data)")
    } catch {
        #expect(error.field == "data")
        #expect(error.message.contains("data"))
    }
    #expect(throws: FormatError.self) { _ = try ScenarioFiles.read(data, format: nil) }
}

@Test func aNamedFormatThatDoesNotMatchIsAnError() throws {
    let sillyTavern = try Fixture.json("sillytavern-world-eldoria-2024.json")
    #expect(throws: FormatError.self) { _ = try CardFiles.read(sillyTavern, format: .aidungeon) }
}

@Test func badEntriesAreSkippedWithReasonsAndNeverAbortTheRest() throws {
    let data: JSONValue = .array([
        .object(["title": "Good", "keys": "a, b", "value": "Text."]),
        .string("junk"),
        .object(["title": "No text", "keys": "c", "value": ""]),
        .object(["title": "No keys", "keys": " , ", "value": "Text."]),
        .object(["keys": ["  Fallback  "], "value": "Named after its key."]),
    ])
    let result = try CardFiles.read(data, format: .aidungeon)
    #expect(result.cards.map(\.name) == ["Good", "Fallback"])
    #expect(result.skipped.map(\.index) == [1, 2, 3])
    #expect(result.skipped[0].reason.contains("not an object"))
    #expect(result.skipped[1].reason.contains("no text"))
    #expect(result.skipped[2].reason.contains("no trigger keys"))
}

@Test func eachCardKnowsWhereInTheFileItsNameAndTextCameFrom() throws {
    let aidungeon = try CardFiles.read(.array([
        .object(["title": "Good", "keys": "a, b", "value": "Text."]),
        .string("junk"),
        .object(["keys": ["fallback"], "value": "Named after its key."]),
    ]), format: .aidungeon)
    #expect(aidungeon.origins == [
        CardOrigin(name: "[0].title", description: "[0].value", entry: "[0]"), CardOrigin(name: "[2].keys", description: "[2].value", entry: "[2]"),
    ])
    let sillyTavern = try CardFiles.read(.object(["entries": .object([
        "10": .object(["key": ["k"], "content": "Ten.", "comment": "Ten"]),
        "2": .object(["key": ["k"], "content": "Two."]),
    ])]), format: nil)
    #expect(sillyTavern.origins == [
        CardOrigin(name: "entries.2.key", description: "entries.2.content", entry: "entries.2"), CardOrigin(name: "entries.10.comment", description: "entries.10.content", entry: "entries.10"),
    ])
    let agnai = try CardFiles.read(.object(["kind": "memory", "entries": .array([
        .object(["name": "Gate", "content": "A gate.", "keywords": ["gate"]]),
    ])]), format: .agnai)
    #expect(agnai.origins == [CardOrigin(name: "entries[0].name", description: "entries[0].content", entry: "entries[0]")])

    let file = try ScenarioFiles.read(try ScenarioFiles.write(scenario, format: .imaginai), format: nil)
    #expect(file.origins.cards == [
        CardOrigin(name: "scenario.cards[0].name", description: "scenario.cards[0].description", entry: "scenario.cards[0]"),
        CardOrigin(name: "scenario.cards[1].name", description: "scenario.cards[1].description", entry: "scenario.cards[1]"),
    ])
    #expect(file.origins.fields["openingScene"] == .at("scenario.openingScene"))
    let seed = try ScenarioFiles.read(try ScenarioFiles.write(scenario, format: .seed), format: nil)
    #expect(seed.origins.fields["name"] == .at("name"))
    #expect(seed.origins.cards.first == CardOrigin(name: "cards[0].name", description: "cards[0].description", entry: "cards[0]"))

    let character = try ScenarioFiles.read(.object([
        "spec": "chara_card_v2",
        "data": .object([
            "name": "Vera", "description": "A smuggler.", "first_mes": "Hi.",
            "character_book": .object(["entries": .array([.object(["keys": ["dock"], "content": "The dock."])])]),
        ]),
    ]), format: nil)
    #expect(character.scenario.cards.map(\.name) == ["Vera", "Dock"])
    #expect(character.origins.cards == [
        CardOrigin(name: "data.name", description: "data.description"),
        CardOrigin(name: "data.character_book.entries[0].keys", description: "data.character_book.entries[0].content", entry: "data.character_book.entries[0]"),
    ])
    #expect(character.origins.fields["openingScene"] == .at("data.first_mes"))
    if case .assembled? = character.origins.fields["plotEssentials"] {} else { Issue.record("plot essentials are assembled") }
}
