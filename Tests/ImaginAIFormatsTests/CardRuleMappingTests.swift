import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

// Every card rule read from and written to each format that carries it (Protocol/PROTOCOL.md, "Import/export field mappings").

/// A SillyTavern World Info entry as SillyTavern 1.12 saves it, with every option set away from its default.
private let sillyTavernEntry: JSONValue = [
    "uid": 7, "key": ["lighthouse", "lamp"], "keysecondary": ["storm", "night"], "comment": "The Morrow light",
    "content": "The Morrow light has burned for two hundred years.\n", "constant": false, "vectorized": false,
    "selective": true, "selectiveLogic": 3, "addMemo": true, "order": 250, "position": 4, "disable": true,
    "excludeRecursion": true, "preventRecursion": true, "delayUntilRecursion": false, "probability": 35,
    "useProbability": true, "depth": 2, "group": "lights", "groupOverride": true, "groupWeight": 100,
    "scanDepth": 6, "caseSensitive": nil, "matchWholeWords": nil, "useGroupScoring": nil, "automationId": "",
    "role": 0, "sticky": 3, "cooldown": 5, "delay": 2, "displayIndex": 7,
]

private func onlyCard(_ file: JSONValue, format: CardFileFormat? = nil) throws -> (CardDraft, [ImportWarning]) {
    let result = try CardFiles.read(file, format: format)
    #expect(result.skipped.isEmpty, "\(result.skipped)")
    return (try #require(result.cards.first), result.warnings)
}

@Test func everySillyTavernOptionIsReadIntoTheCardsRules() throws {
    let (card, warnings) = try onlyCard(["entries": ["0": sillyTavernEntry]])
    #expect(card.name == "The Morrow light")
    #expect(card.description == "The Morrow light has burned for two hundred years.\n")
    #expect(card.keys == ["lighthouse", "lamp"])
    var expected = CardRules()
    expected.secondaryKeys = ["storm", "night"]
    expected.selectiveLogic = .andAll
    expected.enabled = false
    expected.order = 250
    expected.probability = 35
    expected.scanDepth = 6
    expected.excludeRecursion = true
    expected.preventRecursion = true
    expected.sticky = 3
    expected.cooldown = 5
    expected.delay = 2
    expected.group = "lights"
    expected.position = .atDepth
    expected.depth = 2
    #expect(card.rules == expected)
    #expect(warnings.isEmpty, "\(warnings)")
}

@Test func aCharacterBookEntryIsReadFromItsV2FieldsAndSillyTavernsExtensions() throws {
    let entry: JSONValue = [
        "id": 0, "keys": ["barista"], "secondary_keys": ["coffee"], "comment": "SERVICE WORKERS", "content": "[ Staff ]",
        "constant": true, "selective": true, "insertion_order": 40, "enabled": false, "position": "after_char", "use_regex": true,
        "extensions": [
            "position": 2, "exclude_recursion": true, "probability": 60, "useProbability": true, "depth": 4,
            "selectiveLogic": 2, "group": "", "prevent_recursion": true, "scan_depth": nil, "sticky": nil, "cooldown": 4, "delay": nil,
        ],
    ]
    let (card, warnings) = try onlyCard(["spec": "chara_card_v3", "data": ["name": "Narrator", "character_book": ["entries": [entry]]]])
    #expect(card.rules.secondaryKeys == ["coffee"])
    #expect(card.rules.selectiveLogic == .notAny)
    #expect(card.rules.constant && !card.rules.enabled)
    #expect(card.rules.order == 40)
    #expect(card.rules.position == .afterHistory, "extensions.position 2 (before the author's note) wins over after_char")
    #expect(card.rules.probability == 60)
    #expect(card.rules.scanDepth == nil && card.rules.group == nil && card.rules.sticky == 0 && card.rules.delay == 0)
    #expect(card.rules.cooldown == 4)
    #expect(card.rules.excludeRecursion && card.rules.preventRecursion)
    #expect(warnings.isEmpty)
}

@Test(arguments: [
    (0, CardPosition.beforeHistory, false), (1, .beforeHistory, false), (2, .afterHistory, false), (3, .afterHistory, true),
    (4, .atDepth, false), (5, .beforeHistory, false), (6, .beforeHistory, false), (7, .beforeHistory, true), (9, .beforeHistory, true),
])
func sillyTavernPositionsMapToTheNearestPlace(number: Int, position: CardPosition, warned: Bool) throws {
    let (card, warnings) = try onlyCard(["entries": ["0": ["key": ["a"], "content": "A.", "position": .int(Int64(number))]]])
    #expect(card.rules.position == position)
    #expect(warnings.contains { $0.message.hasPrefix("position") } == warned)
}

@Test func withoutUseProbabilityTheCardAlwaysFiresAndSecondaryKeysOfANonSelectiveEntryBecomeNotes() throws {
    let (card, warnings) = try onlyCard(["entries": ["0": [
        "key": ["a"], "keysecondary": ["b", "c"], "selective": false, "content": "A.", "probability": 10, "useProbability": false,
    ]]])
    #expect(card.rules.probability == 100, "SillyTavern ignores the probability when useProbability is off")
    #expect(card.rules.secondaryKeys.isEmpty, "SillyTavern ignores secondary keys of an entry that is not selective")
    #expect(card.rules.notes.contains("b, c"))
    #expect(warnings.map(\.index) == [0])
    #expect(warnings.first?.message.contains("selective is false") == true)
}

@Test func foreignValuesOutOfRangeOrOfTheWrongTypeAreAdjustedWithAWarning() throws {
    let (card, warnings) = try onlyCard(["entries": ["0": [
        "key": ["a"], "content": "A.", "probability": 150, "sticky": -2, "order": "high", "selectiveLogic": 8, "scanDepth": 500,
    ]]])
    #expect(card.rules.probability == 100)
    #expect(card.rules.sticky == 0)
    #expect(card.rules.order == CardRules.defaultOrder)
    #expect(card.rules.selectiveLogic == .andAny)
    #expect(card.rules.scanDepth == Settings.scanDepthRange.upperBound)
    let messages = warnings.map(\.message)
    #expect(messages.contains("probability: 150 is outside ImaginAI's range 0…100, so 100 was used"))
    #expect(messages.contains { $0.hasPrefix("sticky: -2") })
    #expect(messages.contains("order: \"high\" is not a number, so it was left at its default"))
    #expect(messages.contains { $0.hasPrefix("selectiveLogic: 8") })
    #expect(messages.contains { $0.hasPrefix("scanDepth: 500") })
}

@Test func disabledEntriesAndKeylessAlwaysOnEntriesAreKeptButAKeylessTriggeredOneIsNot() throws {
    let result = try CardFiles.read(["entries": [
        "0": ["key": ["a"], "content": "Switched off.", "disable": true, "comment": "Off"],
        "1": ["key": [], "content": "Always there.", "constant": true, "comment": "Always"],
        "2": ["key": [], "content": "Never fires.", "comment": "Lost"],
    ]], format: .sillytavern)
    #expect(result.cards.map(\.name) == ["Off", "Always"])
    #expect(result.cards.map(\.rules.enabled) == [false, true])
    #expect(result.cards[1].keys.isEmpty && result.cards[1].rules.constant)
    #expect(result.skipped.map(\.index) == [2])
}

@Test func aKeylessAlwaysOnEntryWithoutANameIsNamedFromItsText() throws {
    let (card, _) = try onlyCard(["entries": ["0": ["key": [], "content": "The sea is always cold here.", "constant": true, "comment": ""]]])
    #expect(card.name == "The sea is always cold here.")
}

@Test func novelAIEntriesKeepTheirSwitchAlwaysOnAndBudgetPriority() throws {
    let book: JSONValue = ["lorebookVersion": 6, "entries": [
        ["displayName": "Ship", "text": "The Gull.", "keys": [], "enabled": false, "forceActivation": true,
         "contextConfig": ["budgetPriority": 500, "prefix": "", "suffix": "\n"], "searchRange": 1000, "nonStoryActivatable": false],
    ]]
    let (card, _) = try onlyCard(book)
    #expect(!card.rules.enabled && card.rules.constant)
    #expect(card.rules.order == 500)
    #expect(card.keys.isEmpty)
}

@Test func koboldAISelectiveEntriesGetSecondaryKeysAndConstantEntriesStayOn() throws {
    let story: JSONValue = ["worldinfo": [
        ["key": "Old Tom", "keysecondary": "boat, nets", "selective": true, "constant": true, "content": "A fisherman.", "comment": "Tom"],
    ]]
    let (card, warnings) = try onlyCard(story)
    #expect(card.keys == ["Old Tom"])
    #expect(card.rules.secondaryKeys == ["boat", "nets"])
    #expect(card.rules.selectiveLogic == .andAny)
    #expect(card.rules.constant)
    #expect(card.rules.notes.isEmpty)
    #expect(warnings.isEmpty)
}

@Test func aiDungeonDescriptionsAreNotes() throws {
    let (card, _) = try onlyCard([["title": "Vex", "keys": "Vex", "value": "A thief.", "type": "character", "description": "Rewrite after act 2."]])
    #expect(card.rules.notes == "Rewrite after act 2.")
    let exported = try CardFiles.write([Card(id: "c", type: "character", name: "Vex", description: "A thief.", keys: ["Vex"], rules: card.rules)], format: .aidungeon)
    #expect(exported.arrayValue?.first?["description"] == "Rewrite after act 2.")
}

@Test func everyEWIJSONAttributeIsReportedForTheUserToSee() throws {
    let result = try CardFiles.read(try Fixture.json("aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json"), format: nil)
    #expect(result.warnings.count >= 6)
    #expect(result.warnings.contains { $0.message.contains("t=5, l=5, f=2, S=2") })
    #expect(result.warnings.allSatisfy { $0.message.contains("EWIJSON attributes") && result.cards.indices.contains($0.index) })
}

@Test func fixtureRulesCarryOver() throws {
    let eldoria = try CardFiles.read(try Fixture.json("sillytavern-world-eldoria-2024.json"), format: nil)
    let raw = try #require(try Fixture.json("sillytavern-world-eldoria-2024.json")["entries"]?.objectValue)
    for (index, card) in eldoria.cards.enumerated() {
        let entry = try #require(raw[String(index)])
        #expect(card.rules.order == Int(entry["order"]?.intValue ?? -1))
        #expect(card.rules.constant == (entry["constant"]?.boolValue ?? false))
        #expect(card.rules.depth == Int(entry["depth"]?.intValue ?? -1))
    }
    let narrator = try CardFiles.read(try Fixture.json("charcard-v3-world-narrator-st-export.json"), format: nil)
    #expect(narrator.cards.allSatisfy { $0.rules.position == .beforeHistory && $0.rules.enabled })
    #expect(narrator.skipped.isEmpty)
}

// MARK: Own format

private let ruledCard: Card = {
    var rules = CardRules()
    rules.secondaryKeys = ["storm"]
    rules.selectiveLogic = .notAll
    rules.constant = true
    rules.enabled = false
    rules.order = 7
    rules.probability = 45
    rules.scanDepth = 3
    rules.excludeRecursion = true
    rules.preventRecursion = true
    rules.sticky = 2
    rules.cooldown = 9
    rules.delay = 1
    rules.group = "weather"
    rules.position = .atDepth
    rules.depth = 0
    rules.notes = "Only in winter.\n"
    return Card(id: "card_1", type: "lore", name: "Storm", description: "  Rain. ", keys: ["rain", "/thunder(s)?/i"], rules: rules)
}()

@Test func theOwnCardFileWritesEveryFieldUnderItsWireName() throws {
    let file = try CardFiles.write([ruledCard], format: .imaginai)
    let written = try #require(file["cards"]?.arrayValue?.first?.objectValue)
    #expect(Set(written.keys) == Set(["id", "type", "name", "description", "keys"] + CardRules.fieldNames))
    // The same shape as the card on the wire.
    let wire = try JSONDecoder().decode(JSONValue.self, from: JSONCoding.encode(ruledCard))
    #expect(JSONValue.object(written) == wire)
}

@Test func theOwnFormatsRejectsAWrongValueForOneCardAndKeepsTheOthers() throws {
    func file(_ field: String, _ value: JSONValue) -> JSONValue {
        let bad: JSONValue = .object(["name": "Bad", "description": "Skipped.", "keys": ["b"], field: value])
        return ["format": "imaginai.cards", "version": 1, "cards": [["name": "Good", "description": "Kept.", "keys": ["a"]], bad]]
    }
    let cases: [(String, JSONValue, String)] = [
        ("selectiveLogic", "sometimes", #"selectiveLogic: "sometimes" is not one of andAny, andAll, notAny, notAll"#),
        ("position", "middle", #"position: "middle" is not one of beforeHistory, afterHistory, atDepth"#),
        ("order", "5", #"order: "5" is not a whole number"#),
        ("probability", 101, "probability: 101 is not between 0 and 100"),
        ("constant", "yes", #"constant: "yes" is not true or false"#),
        ("scanDepth", .double(1.5), "scanDepth: 1.5 is not null or a whole number between 0 and 100"),
        ("secondaryKeys", ["a", 1], "secondaryKeys[1]: 1 is not a text"),
        ("secondaryKeys", "a, b", #"secondaryKeys: "a, b" is not a list of texts"#),
        ("group", 3, "group: 3 is not null or a text"),
        ("notes", false, "notes: false is not a text"),
    ]
    for (field, value, reason) in cases {
        let result = try CardFiles.read(file(field, value), format: nil)
        #expect(result.cards.map(\.name) == ["Good"], "\(field)")
        #expect(result.skipped == [SkippedEntry(index: 1, reason: reason)])
    }
}

@Test func aScenarioFileKeepsEveryRuleOfItsCards() throws {
    let scenario = Scenario(
        id: "scn", name: "Storms", instructions: "", plotEssentials: "", authorsNotes: "", openingScene: "", playerDescription: "",
        tags: [], visibility: .private, cards: [ruledCard], createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")
    let back = try ScenarioFiles.read(try ScenarioFiles.write(scenario, format: .imaginai), format: nil)
    #expect(back.scenario.cards == [CardDraft(ruledCard)])
}

// MARK: Round trips, per written format, with the exact fields each carries

private func same(_ back: CardDraft, _ card: Card, in fields: [PartialKeyPath<CardDraft>]) -> Bool {
    fields.allSatisfy { path in
        String(describing: back[keyPath: path]) == String(describing: CardDraft(card)[keyPath: path])
    }
}

@Test func imaginaiCardsRoundTripWithEveryField() throws {
    let back = try CardFiles.read(try CardFiles.write([ruledCard], format: .imaginai), format: nil)
    #expect(back.cards == [CardDraft(ruledCard)])
    #expect(back.warnings.isEmpty)
}

@Test func sillyTavernRoundTripKeepsEveryRuleAndTheTypeAndNotes() throws {
    var plain = Card(id: "c2", type: "character", name: "Ida", description: "The keeper's daughter.", keys: ["Ida"])
    plain.rules.position = .afterHistory
    let cards = [ruledCard, plain]
    let file = try CardFiles.write(cards, format: .sillytavern)
    let text = String(decoding: try JSONCoding.encode(file), as: UTF8.self)
    let back = try CardFiles.read(.string(text), format: nil)
    #expect(back.format == .sillytavern)
    #expect(back.warnings.isEmpty, "\(back.warnings)")
    // Everything SillyTavern carries: all of it.
    #expect(back.cards == cards.map(CardDraft.init))
}

@Test func aiDungeonRoundTripKeepsTypeNameTextKeysAndNotes() throws {
    let back = try CardFiles.read(try CardFiles.write([ruledCard], format: .aidungeon), format: nil)
    let card = try #require(back.cards.first)
    let carried: [PartialKeyPath<CardDraft>] = [\.type, \.name, \.description, \.keys, \.rules.notes]
    #expect(same(card, ruledCard, in: carried))
    // AI Dungeon's story cards have no place for the other rules: they come back as defaults.
    var rest = card.rules
    rest.notes = CardRules.default.notes
    #expect(rest == .default)
}

@Test(arguments: [
    ("Mira", "Mira"), ("Old Tom", "Old Tom"), ("", ""), ("  ", ""), (" Vex", "Vex"), ("Cuervo ", "Cuervo"),
    ("Edit to enable \nAuto-Cards", "Edit to enable Auto-Cards"), ("Two  spaces", "Two spaces"), ("Zoë  Ærø", "Zoë Ærø"),
    ("tab\there", "tab here"), ("Zoë", "Zoë"),
])
func namesFromOtherToolsAreFoldedToOneLine(name: String, folded: String) {
    #expect(CardEntries.foldedName(name) == folded)
}
