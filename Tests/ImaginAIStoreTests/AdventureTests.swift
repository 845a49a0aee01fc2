import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol
import ImaginAICore

@Suite struct AdventureTests {
    @Test func startCopiesTheScenario() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        #expect(a.id.hasPrefix("adv_"))
        #expect(a.scenarioId == s.id && a.scenarioName == s.name && a.name == s.name)
        #expect(a.instructions == s.instructions && a.plotEssentials == s.plotEssentials)
        #expect(a.authorsNotes == s.authorsNotes && a.openingScene == s.openingScene)
        #expect(a.playerDescription == s.playerDescription && a.tags == s.tags)
        #expect(a.cards.map(\.name) == s.cards.map(\.name))
        #expect(a.cards.map(\.keys) == s.cards.map(\.keys))
        #expect(Set(a.cards.map(\.id)).isDisjoint(with: s.cards.map(\.id)))
        #expect(a.createdAt == a.updatedAt && a.lastPlayedAt == a.createdAt)
        #expect(a.turnCount == 1)
        let opening = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(opening.count == 1)
        #expect(opening[0].index == 0 && opening[0].role == .ai && opening[0].action == nil)
        #expect(opening[0].text == s.openingScene && opening[0].id.hasPrefix("turn_"))
        #expect(try db.adventure(id: a.id) == a)
    }

    @Test func startWithNameAndWithoutOpeningScene() throws {
        let db = try emptyDB()
        let s = try db.createScenario(ScenarioDraft(name: "Quiet", openingScene: "  \n "))
        let a = try db.startAdventure(scenarioId: s.id, name: "My run")
        #expect(a.name == "My run" && a.scenarioName == "Quiet")
        #expect(a.turnCount == 0)
        #expect(try db.startAdventure(scenarioId: s.id, name: "").name == "Quiet")
        #expect(storeError { _ = try db.startAdventure(scenarioId: "scn_x", name: nil) } == .notFound(kind: "scenario", id: "scn_x"))
    }

    @Test func adventureAndScenarioAreIndependent() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        // Editing the scenario after the start does not reach the adventure…
        _ = try db.updateScenario(id: s.id, changes: ScenarioChanges(
            name: "New name", instructions: "changed", tags: ["other"], cards: [CardDraft(name: "only")]))
        _ = try db.createCard(owner: .scenario(s.id), draft: CardDraft(name: "more"))
        var fresh = try db.adventure(id: a.id)
        #expect(fresh == a)
        // …and editing the adventure does not reach the scenario.
        let before = try db.scenario(id: s.id)
        _ = try db.updateAdventure(id: a.id, changes: AdventureChanges(plotEssentials: "mine"))
        _ = try db.updateCard(id: a.cards[0].id, changes: CardChanges(name: "adventure's own"))
        try db.deleteCard(id: a.cards[1].id)
        #expect(try db.scenario(id: s.id) == before)
        fresh = try db.adventure(id: a.id)
        #expect(fresh.plotEssentials == "mine" && fresh.cards.map(\.name) == ["adventure's own", "Card 2"])
    }

    @Test func partialUpdate() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        let u = try db.updateAdventure(id: a.id, changes: AdventureChanges(name: "Renamed", tags: ["x", "X", "y "]))
        #expect(u.name == "Renamed" && u.tags == ["x", "y"])
        #expect(u.instructions == a.instructions && u.plotEssentials == a.plotEssentials && u.cards == a.cards)
        #expect(u.updatedAt > a.updatedAt && u.lastPlayedAt == a.lastPlayedAt && u.createdAt == a.createdAt)
        let all = try db.updateAdventure(id: a.id, changes: AdventureChanges(
            instructions: "i", plotEssentials: "p", authorsNotes: "n", openingScene: "o", playerDescription: "d"))
        #expect(all.instructions == "i" && all.plotEssentials == "p" && all.authorsNotes == "n")
        #expect(all.openingScene == "o" && all.playerDescription == "d" && all.name == "Renamed")
        #expect(all.scenarioName == s.name && all.turnCount == 1)
        #expect(storeError { _ = try db.updateAdventure(id: "adv_x", changes: AdventureChanges()) } == .notFound(kind: "adventure", id: "adv_x"))
        #expect(storeError { _ = try db.adventure(id: "adv_x") } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func deleteRemovesCardsAndTurns() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        _ = try db.appendTurn(adventureId: a.id, role: .player, action: .do, text: "look")
        try db.deleteAdventure(id: a.id)
        #expect(storeError { _ = try db.adventure(id: a.id) } == .notFound(kind: "adventure", id: a.id))
        #expect(try db.count("SELECT COUNT(*) FROM turn") == 0)
        #expect(try db.count("SELECT COUNT(*) FROM card WHERE adventureId IS NOT NULL") == 0)
        #expect(try db.scenario(id: s.id).cards.count == 3)
        #expect(storeError { try db.deleteAdventure(id: a.id) } == .notFound(kind: "adventure", id: a.id))
    }

    @Test func duplicateCopiesEverythingWithNewIds() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: "Run")
        for i in 1...4 { _ = try db.appendTurn(adventureId: a.id, role: i % 2 == 1 ? .player : .ai, action: i % 2 == 1 ? .say : nil, text: "t\(i)") }
        let original = try db.adventure(id: a.id)
        let originalTurns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns

        let copy = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: nil)
        #expect(copy.id != a.id && copy.name == "Run (copy)")
        #expect(copy.scenarioId == s.id && copy.scenarioName == s.name)
        #expect(copy.instructions == original.instructions && copy.tags == original.tags)
        #expect(copy.turnCount == 5)
        #expect(copy.cards.map(\.name) == original.cards.map(\.name))
        #expect(Set(copy.cards.map(\.id)).isDisjoint(with: original.cards.map(\.id)))
        let copiedTurns = try db.turns(adventureId: copy.id, limit: nil, beforeIndex: nil).turns
        #expect(Set(copiedTurns.map(\.id)).isDisjoint(with: originalTurns.map(\.id)))
        #expect(copiedTurns.map(\.index) == originalTurns.map(\.index))
        #expect(copiedTurns.map(\.text) == originalTurns.map(\.text))
        #expect(copiedTurns.map(\.role) == originalTurns.map(\.role))
        #expect(copiedTurns.map(\.action) == originalTurns.map(\.action))
        #expect(copiedTurns.map(\.createdAt) == originalTurns.map(\.createdAt))
        // Independent afterwards.
        _ = try db.editTurn(id: copiedTurns[1].id, text: "edited copy")
        #expect(try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns == originalTurns)
        #expect(try db.duplicateAdventure(id: a.id, name: "Named", upToTurn: nil).name == "Named")
    }

    @Test func duplicateUpToTurn() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        for i in 1...5 { _ = try db.appendTurn(adventureId: a.id, role: .player, action: .do, text: "t\(i)") }
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        let copy = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: turns[2].id)
        #expect(copy.turnCount == 3)
        #expect(try db.turns(adventureId: copy.id, limit: nil, beforeIndex: nil).turns.map(\.text) == turns.prefix(3).map(\.text))
        #expect(try db.duplicateAdventure(id: a.id, name: nil, upToTurn: turns[0].id).turnCount == 1)
        #expect(try db.adventure(id: a.id).turnCount == 6)

        let other = try db.startAdventure(scenarioId: s.id, name: nil)
        let foreign = try db.turns(adventureId: other.id, limit: nil, beforeIndex: nil).turns[0].id
        #expect(storeError { _ = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: foreign) } == .notFound(kind: "turn", id: foreign))
        #expect(storeError { _ = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: "turn_x") } == .notFound(kind: "turn", id: "turn_x"))
        #expect(storeError { _ = try db.duplicateAdventure(id: "adv_x", name: nil, upToTurn: nil) } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func restartOnlyWithoutTurns() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        guard case .conflict(let message)? = storeError({ _ = try db.restartAdventure(id: a.id) }) else {
            Issue.record("expected a conflict"); return
        }
        #expect(message.contains("delete its turns first"))
        _ = try db.appendTurn(adventureId: a.id, role: .player, action: .do, text: "x")
        for turn in try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns.reversed() {
            try db.deleteTurn(id: turn.id)
        }
        #expect(try db.adventure(id: a.id).turnCount == 0)
        // The adventure's own opening scene (edited) is what comes back.
        _ = try db.updateAdventure(id: a.id, changes: AdventureChanges(openingScene: "A new dawn."))
        let restarted = try db.restartAdventure(id: a.id)
        #expect(restarted.turnCount == 1)
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(turns.map(\.text) == ["A new dawn."] && turns[0].index == 0 && turns[0].role == .ai && turns[0].action == nil)
        #expect(storeError { _ = try db.restartAdventure(id: "adv_x") } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func listOrdersByLastPlayedWithCountAndExcerpt() throws {
        let db = try emptyDB()
        let s = try db.createScenario(sampleDraft())
        let a = try db.startAdventure(scenarioId: s.id, name: "A")
        let b = try db.startAdventure(scenarioId: s.id, name: "B")
        let quiet = try db.createScenario(ScenarioDraft(name: "Quiet"))
        let c = try db.startAdventure(scenarioId: quiet.id, name: "C")
        var list = try db.listAdventures(limit: 10, offset: 0)
        #expect(list.total == 3)
        #expect(list.adventures.map(\.id) == [c.id, b.id, a.id])
        let long = String(repeating: "word ", count: 100) + "\nend"
        _ = try db.appendTurn(adventureId: a.id, role: .ai, action: nil, text: long)
        list = try db.listAdventures(limit: 10, offset: 0)
        #expect(list.adventures.map(\.id) == [a.id, c.id, b.id])
        let first = list.adventures[0]
        #expect(first.turnCount == 2 && first.excerpt == TextNormalization.excerpt(long))
        #expect(first.name == "A" && first.scenarioName == "Harbor" && first.scenarioId == s.id)
        #expect(list.adventures[1].turnCount == 0 && list.adventures[1].excerpt == "")
        #expect(list.adventures[2].excerpt == "You stand on the quay.")
        // Updating an adventure does not count as playing it.
        _ = try db.updateAdventure(id: b.id, changes: AdventureChanges(name: "B2"))
        #expect(try db.listAdventures(limit: 10, offset: 0).adventures.map(\.id) == [a.id, c.id, b.id])
        let page = try db.listAdventures(limit: 1, offset: 1)
        #expect(page.total == 3 && page.adventures.map(\.id) == [c.id])
        #expect(try db.listAdventures(limit: 0, offset: 0).adventures.isEmpty)
    }

    @Test func listAdventuresReadsOnlyTheLatestTurnThroughTheIndex() throws {
        let db = try emptyDB()
        let plan = try db.queryPlan("""
            SELECT (SELECT t.text FROM turn t WHERE t.adventureId = a.id ORDER BY t.turnIndex DESC LIMIT 1)
            FROM adventure a ORDER BY a.lastPlayedAt DESC, a.rowid DESC LIMIT 10
            """)
        #expect(plan.contains { $0.contains("SEARCH t USING INDEX sqlite_autoindex_turn") }, "\(plan)")
        #expect(!plan.contains { $0.contains("SCAN t") }, "\(plan)")
        #expect(plan.contains { $0.contains("adventure_on_lastPlayedAt") }, "\(plan)")
    }
}
