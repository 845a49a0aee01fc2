import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct CardTests {
    /// A scenario and an adventure started from it, each with three cards.
    func owners(_ db: AppDatabase) throws -> (Scenario, Adventure) {
        let s = try db.createScenario(sampleDraft())
        return (s, try db.startAdventure(scenarioId: s.id, name: nil))
    }

    @Test(arguments: ["scenario", "adventure"])
    func createAppendsAtTheEndAndBumpsOwner(kind: String) throws {
        let db = try emptyDB()
        let (s, a) = try owners(db)
        let owner: AppDatabase.CardOwner = kind == "scenario" ? .scenario(s.id) : .adventure(a.id)
        let card = try db.createCard(owner: owner, draft: CardDraft(type: "item", name: "Lamp", description: "Brass", keys: [" lamp ", "lamp", "", "the lamp"]))
        #expect(card.id.hasPrefix("card_"))
        #expect(card.type == "item" && card.name == "Lamp" && card.description == "Brass")
        #expect(card.keys == ["lamp", "the lamp"])
        let cards = try db.cards(of: owner)
        #expect(cards.map(\.name) == ["Card 0", "Card 1", "Card 2", "Lamp"])
        #expect(cards.last == card)
        switch owner {
        case .scenario: #expect(try db.scenario(id: s.id).updatedAt > s.updatedAt)
        case .adventure: #expect(try db.adventure(id: a.id).updatedAt > a.updatedAt)
        }
    }

    @Test func cardsOfUnknownOwnerIsNotFound() throws {
        let db = try emptyDB()
        #expect(storeError { _ = try db.cards(of: .scenario("scn_x")) } == .notFound(kind: "scenario", id: "scn_x"))
        #expect(storeError { _ = try db.cards(of: .adventure("adv_x")) } == .notFound(kind: "adventure", id: "adv_x"))
        #expect(storeError { _ = try db.createCard(owner: .adventure("adv_x"), draft: CardDraft(name: "n")) }
            == .notFound(kind: "adventure", id: "adv_x"))
        #expect(storeError { _ = try db.importCards(owner: .scenario("scn_x"), drafts: [], mode: .append) }
            == .notFound(kind: "scenario", id: "scn_x"))
        #expect(storeError { _ = try db.updateCard(id: "card_x", changes: CardChanges()) } == .notFound(kind: "card", id: "card_x"))
        #expect(storeError { try db.deleteCard(id: "card_x") } == .notFound(kind: "card", id: "card_x"))
        #expect(storeError { _ = try db.duplicateCard(id: "card_x") } == .notFound(kind: "card", id: "card_x"))
    }

    @Test func cardsOfEmptyOwnerIsEmpty() throws {
        let db = try emptyDB()
        let s = try db.createScenario(ScenarioDraft(name: "S"))
        #expect(try db.cards(of: .scenario(s.id)) == [])
    }

    @Test func partialUpdate() throws {
        let db = try emptyDB()
        let (s, _) = try owners(db)
        let original = s.cards[1]
        let renamed = try db.updateCard(id: original.id, changes: CardChanges(name: "Renamed"))
        #expect(renamed == Card(id: original.id, type: original.type, name: "Renamed", description: original.description, keys: original.keys))
        let rekeyed = try db.updateCard(id: original.id, changes: CardChanges(type: "place", description: "new", keys: ["a", " a", "b "]))
        #expect(rekeyed == Card(id: original.id, type: "place", name: "Renamed", description: "new", keys: ["a", "b"]))
        #expect(try db.cards(of: .scenario(s.id))[1] == rekeyed)
        #expect(try db.scenario(id: s.id).updatedAt > s.updatedAt)
    }

    @Test func deleteCompactsPositions() throws {
        let db = try emptyDB()
        let (s, _) = try owners(db)
        try db.deleteCard(id: s.cards[0].id)
        #expect(try db.cards(of: .scenario(s.id)).map(\.name) == ["Card 1", "Card 2"])
        let added = try db.createCard(owner: .scenario(s.id), draft: CardDraft(name: "Last"))
        #expect(try db.cards(of: .scenario(s.id)).map(\.id).last == added.id)
        #expect(try db.count("SELECT MAX(position) FROM card WHERE scenarioId = ?", arguments: [s.id]) == 2)
        #expect(try db.scenario(id: s.id).updatedAt > s.updatedAt)
    }

    @Test(arguments: ["scenario", "adventure"])
    func duplicatePlacesCopyRightAfterOriginal(kind: String) throws {
        let db = try emptyDB()
        let (s, a) = try owners(db)
        let owner: AppDatabase.CardOwner = kind == "scenario" ? .scenario(s.id) : .adventure(a.id)
        let original = try db.cards(of: owner)[0]
        let copy = try db.duplicateCard(id: original.id)
        #expect(copy.id != original.id)
        #expect(copy.name == "Card 0 (copy)")
        #expect(copy.type == original.type && copy.description == original.description && copy.keys == original.keys)
        #expect(try db.cards(of: owner).map(\.name) == ["Card 0", "Card 0 (copy)", "Card 1", "Card 2"])
        // Duplicating the last card puts the copy at the very end.
        let last = try db.cards(of: owner).last!
        _ = try db.duplicateCard(id: last.id)
        #expect(try db.cards(of: owner).map(\.name).suffix(2) == ["Card 2", "Card 2 (copy)"])
    }

    @Test func importAppendsOrReplaces() throws {
        let db = try emptyDB()
        let (s, a) = try owners(db)
        let drafts = [CardDraft(id: s.cards[0].id, name: "I1", keys: ["x", "x "]), CardDraft(name: "I2")]
        let appended = try db.importCards(owner: .scenario(s.id), drafts: drafts, mode: .append)
        #expect(appended.map(\.name) == ["Card 0", "Card 1", "Card 2", "I1", "I2"])
        #expect(appended[3].id != s.cards[0].id)   // imported cards always get new ids
        #expect(appended[3].keys == ["x"])
        #expect(Set(appended.map(\.id)).count == 5)

        let replaced = try db.importCards(owner: .adventure(a.id), drafts: drafts, mode: .replace)
        #expect(replaced.map(\.name) == ["I1", "I2"])
        #expect(try db.cards(of: .adventure(a.id)) == replaced)
        #expect(try db.adventure(id: a.id).updatedAt > a.updatedAt)
        // The scenario's cards are not touched by the adventure's import.
        #expect(try db.cards(of: .scenario(s.id)).count == 5)

        #expect(try db.importCards(owner: .scenario(s.id), drafts: [], mode: .replace) == [])
    }

    /// The bulk insert behind imports stores every field the way a single card is stored: the same card
    /// read back, whichever owner, whatever its keys hold.
    @Test(arguments: ["scenario", "adventure"])
    func importedCardsKeepEveryRuleAndAwkwardKeys(kind: String) throws {
        let db = try emptyDB()
        let (s, a) = try owners(db)
        let owner: AppDatabase.CardOwner = kind == "scenario" ? .scenario(s.id) : .adventure(a.id)
        var rules = CardRules()
        rules.secondaryKeys = [" storm ", "storm", "/th(u|o)nder/i", "東京"]
        rules.selectiveLogic = .notAll
        rules.constant = true
        rules.enabled = false
        rules.order = -3
        rules.probability = 0
        rules.scanDepth = 7
        rules.excludeRecursion = true
        rules.preventRecursion = true
        rules.sticky = 1
        rules.cooldown = 2
        rules.delay = 3
        rules.group = "weather"
        rules.position = .atDepth
        rules.depth = 0
        rules.notes = "Line\n\"quoted\""
        let keys = ["a \"quote\"", "back\\slash", "/re/gex/i", "tab\there", "Zoë", " a \"quote\" "]
        let drafts = [
            CardDraft(type: "lore", name: "Storm", description: "  Rain.\n", keys: keys, rules: rules),
            CardDraft(name: "Plain"),
        ]
        let cards = try db.importCards(owner: owner, drafts: drafts, mode: .append)
        let created = try db.createCard(owner: owner, draft: drafts[0])
        let imported = try #require(cards.first { $0.name == "Storm" })
        #expect(imported.keys == ["a \"quote\"", "back\\slash", "/re/gex/i", "tab\there", "Zoë"])
        #expect(imported.rules.secondaryKeys == ["storm", "/th(u|o)nder/i", "東京"])
        var expected = rules
        expected.secondaryKeys = imported.rules.secondaryKeys
        #expect(imported.rules == expected)
        #expect(Card(id: created.id, type: imported.type, name: imported.name, description: imported.description, keys: imported.keys, rules: imported.rules) == created)
        #expect(try db.cards(of: owner).map(\.name) == ["Card 0", "Card 1", "Card 2", "Storm", "Plain", "Storm"])
        #expect(cards.last?.rules == CardRules())
    }

    @Test func importIsOneTransaction() throws {
        let db = try emptyDB()
        let (s, _) = try owners(db)
        // Make the second insert fail: the whole import must roll back.
        try db.execute("""
            CREATE TEMP TRIGGER refuse BEFORE INSERT ON card WHEN NEW.name = 'bad'
            BEGIN SELECT RAISE(ABORT, 'refused'); END
            """)
        #expect(throws: (any Error).self) {
            _ = try db.importCards(owner: .scenario(s.id), drafts: [CardDraft(name: "ok"), CardDraft(name: "bad")], mode: .replace)
        }
        #expect(try db.cards(of: .scenario(s.id)) == s.cards)
    }
}

/// The fast reader of string-list columns agrees with JSONDecoder, and leaves anything unusual to it.
@Test func stringColumnsReadLikeJSONDecoder() throws {
    let lists: [[String]] = [[], ["a"], ["clock", "tower", "bells"], ["", ""], ["café ☕️", "𝄞"], ["quote \"", "back\\slash"],
                             ["slash/", "tab\t", "new\nline"], ["a,b", "[x]", "\u{1}"]]
    for list in lists {
        let text = String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
        #expect(try JSONColumn.strings(text) == list, "\(text)")
    }
    #expect(JSONColumn.simpleStrings(#"["a","b"]"#) == ["a", "b"])
    for odd in [#"["a", "b"]"#, #"["a\"b"]"#, #"["a""#, #"["a",]"#, #"[1]"#, #"["a"x]"#, "[\"\"]x"] {
        #expect(JSONColumn.simpleStrings(odd) == nil, "\(odd)")
    }
    #expect(throws: (any Error).self) { try JSONColumn.strings(#"["a","#) }
}
