import Foundation
import GRDB
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// The store's collection limits (`StoreLimits`, PROTOCOL.md Limits): each refuses to grow a collection
/// past its limit with `tooLarge` naming the param, and changes nothing.
@Suite struct LimitTests {
    @Test func anAdventureStopsAtItsTurnLimit() throws {
        let db = try emptyDB()
        let scenario = try db.createScenario(ScenarioDraft(name: "S", openingScene: "t0"))
        let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)
        let limit = StoreLimits.maxTurnsPerAdventure
        // Filled by SQL in one statement: 100,000 appendTurn transactions would take minutes.
        try db.writer.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt)
                SELECT 'turn_fill' || i, ?, i, 'ai', NULL, 'x', '2026-01-01T00:00:00.000Z' FROM n
                """, arguments: [limit - 1, adventure.id])
        }
        #expect(try db.adventure(id: adventure.id).turnCount == limit)
        let error = storeError { _ = try db.appendTurn(adventureId: adventure.id, role: .player, action: .do, text: "one more") }
        #expect(error == .tooLarge(field: "adventureId", limit: limit, message: "an adventure holds at most \(limit) turns"))
        #expect(try db.adventure(id: adventure.id).turnCount == limit)
        #expect(storeError { _ = try db.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "one more") } != nil)
    }

    @Test func cardsStopAtTheirLimitWhicheverWayTheyArrive() throws {
        let db = try emptyDB()
        let limit = StoreLimits.maxCardsPerOwner
        let full = try db.createScenario(ScenarioDraft(name: "Full", cards: (0..<limit).map { CardDraft(name: "c\($0)") }))
        let owner = AppDatabase.CardOwner.scenario(full.id)
        func field(_ body: () throws -> Void) -> String? {
            if case .tooLarge(let field, let reported, _)? = storeError(body), reported == limit { return field }
            return nil
        }
        #expect(field { _ = try db.createCard(owner: owner, draft: CardDraft(name: "over")) } == "scenarioId")
        #expect(field { _ = try db.duplicateCard(id: full.cards[0].id) } == "id")
        #expect(field { _ = try db.importCards(owner: owner, drafts: [CardDraft(name: "over")], mode: .append) } == "data")
        #expect(try db.cards(of: owner).count == limit, "nothing was added")

        let over = (0...limit).map { CardDraft(name: "c\($0)") }
        #expect(field { _ = try db.createScenario(ScenarioDraft(name: "Over", cards: over)) } == "scenario.cards")
        #expect(field { _ = try db.updateScenario(id: full.id, changes: ScenarioChanges(cards: over)) } == "changes.cards")
        #expect(field { _ = try db.importCards(owner: owner, drafts: over, mode: .replace) } == "data")
        // Replacing with exactly the limit is allowed.
        #expect(try db.importCards(owner: owner, drafts: Array(over.dropLast()), mode: .replace).count == limit)
    }
}
