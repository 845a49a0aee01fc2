import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct ScenarioTests {
    @Test func createReturnsEverythingNormalized() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        #expect(s.id.hasPrefix("scn_"))
        #expect(s.name == "Harbor")
        #expect(s.instructions == "Be vivid.")
        #expect(s.plotEssentials == "The harbor is haunted.")
        #expect(s.authorsNotes == "Keep it tense.")
        #expect(s.openingScene == "You stand on the quay.")
        #expect(s.playerDescription == "A sailor.")
        #expect(s.tags == ["Mystery", "sea"])
        #expect(s.visibility == .unlisted)
        #expect(s.cards.map(\.name) == ["Card 0", "Card 1", "Card 2"])
        #expect(s.cards.allSatisfy { $0.id.hasPrefix("card_") })
        #expect(s.cards[1].keys == ["k1"])
        #expect(s.createdAt == s.updatedAt)
        #expect(try db.scenario(id: s.id) == s)
    }

    @Test func createMinimalUsesDefaults() throws {
        let db = try emptyDB()
        let s = try db.createScenario(ScenarioDraft(name: "Bare"))
        #expect(s.instructions == "" && s.tags == [] && s.cards == [] && s.visibility == .private)
    }

    @Test func draftCardIdsAreIgnoredOnCreate() throws {
        let db = try emptyDB()
        let s = try db.createScenario(ScenarioDraft(name: "S", cards: [CardDraft(id: "card_mine", name: "A")]))
        #expect(s.cards[0].id != "card_mine")
    }

    @Test func getUnknownIsNotFound() throws {
        let db = try emptyDB()
        #expect(storeError { _ = try db.scenario(id: "scn_nope") } == .notFound(kind: "scenario", id: "scn_nope"))
        #expect(storeError { _ = try db.updateScenario(id: "scn_nope", changes: ScenarioChanges()) }
            == .notFound(kind: "scenario", id: "scn_nope"))
        #expect(storeError { try db.deleteScenario(id: "scn_nope") } == .notFound(kind: "scenario", id: "scn_nope"))
        #expect(storeError { _ = try db.duplicateScenario(id: "scn_nope", name: nil) }
            == .notFound(kind: "scenario", id: "scn_nope"))
    }

    @Test func partialUpdateChangesOnlyGivenFields() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let u = try db.updateScenario(id: s.id, changes: ScenarioChanges(name: "Renamed", tags: ["b", "B", " c"]))
        #expect(u.name == "Renamed")
        #expect(u.tags == ["b", "c"])
        #expect(u.instructions == s.instructions && u.plotEssentials == s.plotEssentials)
        #expect(u.authorsNotes == s.authorsNotes && u.openingScene == s.openingScene)
        #expect(u.playerDescription == s.playerDescription && u.visibility == s.visibility)
        #expect(u.cards == s.cards)
        #expect(u.createdAt == s.createdAt)
        #expect(u.updatedAt > s.updatedAt)

        let all = try db.updateScenario(id: s.id, changes: ScenarioChanges(
            instructions: "i", plotEssentials: "p", authorsNotes: "a", openingScene: "o",
            playerDescription: "d", visibility: .public))
        #expect(all.instructions == "i" && all.plotEssentials == "p" && all.authorsNotes == "a")
        #expect(all.openingScene == "o" && all.playerDescription == "d" && all.visibility == .public)
        #expect(all.name == "Renamed")
        #expect(try db.scenario(id: s.id) == all)
    }

    @Test func emptyChangesOnlyBumpUpdatedAt() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        var u = try db.updateScenario(id: s.id, changes: ScenarioChanges())
        #expect(u.updatedAt > s.updatedAt)
        u.updatedAt = s.updatedAt
        #expect(u == s)
    }

    @Test func replacingCardsKeepsIdsOfOwnCardsOnly() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let other = try db.createScenario(sampleDraft(name: "Other"))
        let keep = s.cards[2]
        let u = try db.updateScenario(id: s.id, changes: ScenarioChanges(cards: [
            CardDraft(id: keep.id, type: "place", name: "Kept and edited", keys: ["x", "x"]),
            CardDraft(name: "Brand new"),
            CardDraft(id: other.cards[0].id, name: "Foreign id"),
            CardDraft(id: keep.id, name: "Same id twice"),
            CardDraft(id: "card_unknown", name: "Unknown id"),
        ]))
        #expect(u.cards.map(\.name) == ["Kept and edited", "Brand new", "Foreign id", "Same id twice", "Unknown id"])
        #expect(u.cards[0].id == keep.id)
        #expect(u.cards[0].type == "place" && u.cards[0].keys == ["x"])
        #expect(Set(u.cards.map(\.id)).count == 5)
        #expect(!u.cards.dropFirst().contains { [keep.id, other.cards[0].id, "card_unknown"].contains($0.id) })
        // The other scenario is untouched; the dropped cards are gone.
        #expect(try db.scenario(id: other.id).cards == other.cards)
        #expect(storeError { _ = try db.updateCard(id: s.cards[0].id, changes: CardChanges()) }
            == .notFound(kind: "card", id: s.cards[0].id))
        #expect(try db.count("SELECT COUNT(*) FROM card") == 8)
    }

    @Test func replacingWithEmptyListRemovesAllCards() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        #expect(try db.updateScenario(id: s.id, changes: ScenarioChanges(cards: [])).cards == [])
    }

    @Test func deleteRemovesScenarioAndItsCardsButKeepsAdventures() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        try db.deleteScenario(id: s.id)
        #expect(storeError { _ = try db.scenario(id: s.id) } == .notFound(kind: "scenario", id: s.id))
        let kept = try db.adventure(id: a.id)
        #expect(kept.scenarioId == nil)
        #expect(kept.scenarioName == "Harbor")
        #expect(kept.cards.count == 3)
        #expect(try db.count("SELECT COUNT(*) FROM card WHERE scenarioId IS NOT NULL") == 0)
        #expect(try db.listAdventures(limit: 10, offset: 0).adventures[0].scenarioId == nil)
    }

    @Test func duplicateGivesNewIdsEverywhere() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let copy = try db.duplicateScenario(id: s.id, name: nil)
        #expect(copy.id != s.id)
        #expect(copy.name == "Harbor (copy)")
        #expect(Set(copy.cards.map(\.id)).isDisjoint(with: s.cards.map(\.id)))
        #expect(copy.cards.map(\.name) == s.cards.map(\.name))
        #expect(copy.cards.map(\.keys) == s.cards.map(\.keys))
        #expect(copy.tags == s.tags && copy.visibility == s.visibility && copy.instructions == s.instructions)
        #expect(copy.createdAt > s.createdAt)
        // Independent: editing the copy's cards leaves the original alone.
        _ = try db.updateCard(id: copy.cards[0].id, changes: CardChanges(name: "changed"))
        #expect(try db.scenario(id: s.id).cards == s.cards)

        let named = try db.duplicateScenario(id: s.id, name: "Named")
        #expect(named.name == "Named")
        #expect(try db.duplicateScenario(id: s.id, name: "  ").name == "Harbor (copy)")
    }

    @Test func listOrdersByUpdatedAtThenNewestInsert() throws {
        let db = try emptyDB()
        let a = try db.createScenario(ScenarioDraft(name: "A"))
        let b = try db.createScenario(ScenarioDraft(name: "B"))
        let c = try db.createScenario(ScenarioDraft(name: "C"))
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).scenarios.map(\.id) == [c.id, b.id, a.id])
        _ = try db.updateScenario(id: a.id, changes: ScenarioChanges(name: "A2"))
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).scenarios.map(\.id) == [a.id, c.id, b.id])
        // A card change bumps its scenario.
        _ = try db.createCard(owner: .scenario(b.id), draft: CardDraft(name: "x"))
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).scenarios.first?.id == b.id)

        // Equal updatedAt: newest insert first.
        try db.execute("UPDATE scenario SET updatedAt = '2020-01-01T00:00:00.000Z'")
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).scenarios.map(\.id) == [c.id, b.id, a.id])
    }

    @Test func listSummariesCarryCardCount() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft(cards: 4))
        _ = try db.createScenario(ScenarioDraft(name: "none"))
        let list = try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0)
        let summary = try #require(list.scenarios.first { $0.id == s.id })
        #expect(summary.cardCount == 4)
        #expect(summary.name == s.name && summary.playerDescription == s.playerDescription)
        #expect(summary.tags == s.tags && summary.visibility == s.visibility)
        #expect(summary.createdAt == s.createdAt && summary.updatedAt == s.updatedAt)
        #expect(list.scenarios.first { $0.id != s.id }?.cardCount == 0)
    }

    @Test func listPagesWithTotal() throws {
        let db = try emptyDB()
        let ids = try (0..<7).map { try db.createScenario(ScenarioDraft(name: "S\($0)")).id }
        let page = try db.listScenarios(query: nil, tag: nil, limit: 3, offset: 2)
        #expect(page.total == 7)
        #expect(page.scenarios.map(\.id) == Array(ids.reversed()[2..<5]))
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 3, offset: 6).scenarios.count == 1)
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 3, offset: 10).scenarios.isEmpty)
        #expect(try db.listScenarios(query: nil, tag: nil, limit: 0, offset: 0).scenarios.isEmpty)
        #expect(try db.listScenarios(query: nil, tag: nil, limit: -5, offset: -5).total == 7)
    }

    @Test func listFiltersByQueryCaseInsensitively() throws {
        let db = try emptyDB()
        let dragon = try db.createScenario(ScenarioDraft(name: "The Dragon's Hoard", tags: ["fantasy"]))
        let spy = try db.createScenario(ScenarioDraft(name: "Cold Case", playerDescription: "A tired DETECTIVE.", tags: ["noir"]))
        let cafe = try db.createScenario(ScenarioDraft(name: "ÉCOLE", tags: ["Slice of Life"]))
        func names(_ query: String?, _ tag: String? = nil) throws -> Set<String> {
            Set(try db.listScenarios(query: query, tag: tag, limit: 50, offset: 0).scenarios.map(\.id))
        }
        #expect(try names("dragon") == [dragon.id])
        #expect(try names("detective") == [spy.id])          // player description
        #expect(try names("NOI") == [spy.id])                // substring of a tag
        #expect(try names("école") == [cafe.id])             // non-ASCII case folding
        #expect(try names("of life") == [cafe.id])
        #expect(try names("zzz") == [])
        #expect(try names("") == [dragon.id, spy.id, cafe.id])
        #expect(try names("%") == [])                        // no LIKE wildcards
        #expect(try names("\"") == [])                       // JSON punctuation is not searched
        #expect(try db.listScenarios(query: "o", tag: nil, limit: 1, offset: 0).total == 3)
    }

    @Test func listFiltersByExactTag() throws {
        let db = try emptyDB()
        let a = try db.createScenario(ScenarioDraft(name: "A", tags: ["Noir", "city"]))
        let b = try db.createScenario(ScenarioDraft(name: "B", tags: ["noir fiction"]))
        _ = try db.createScenario(ScenarioDraft(name: "C"))
        #expect(try db.listScenarios(query: nil, tag: "noir", limit: 10, offset: 0).scenarios.map(\.id) == [a.id])
        #expect(try db.listScenarios(query: nil, tag: " NOIR ", limit: 10, offset: 0).total == 1)
        #expect(try db.listScenarios(query: nil, tag: "Noir Fiction", limit: 10, offset: 0).scenarios.map(\.id) == [b.id])
        #expect(try db.listScenarios(query: "b", tag: "noir", limit: 10, offset: 0).total == 0)
        #expect(try db.listScenarios(query: "city", tag: "noir", limit: 10, offset: 0).total == 1)
    }
}
