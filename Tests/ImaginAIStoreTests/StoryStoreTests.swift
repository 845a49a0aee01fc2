import Foundation
import GRDB
import ImaginAIProtocol
import Testing
@testable import ImaginAIStore

@Test func generatedTurnsCarryTheirUsage() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    let player = try db.appendPlayerTurn(adventureId: adv.id, action: .do, text: "wave")
    let ai = try db.appendAITurn(adventureId: adv.id, text: "The sea waves back.", usage: sampleUsage)
    #expect(player.usage == nil)
    #expect(ai.usage == sampleUsage)
    #expect(try db.latestTurn(adventureId: adv.id) == ai)
    let report = try db.usage(adventureId: adv.id)
    #expect(report.totals == UsageTotals(promptTokens: 100, outputTokens: 20, thinkingTokens: 0, turns: 1))
    #expect(report.turns.map(\.turnId) == [ai.id])
}

@Test func retriesAddVersionsAndAnyVersionCanBeCurrent() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    let ai = try db.appendAITurn(adventureId: adv.id, text: "First.", usage: sampleUsage)
    #expect(try db.turnVersions(turnId: ai.id).map(\.text) == ["First."])
    _ = try db.addTurnVersion(turnId: ai.id, text: "Second.", usage: sampleUsage)
    let third = try db.addTurnVersion(turnId: ai.id, text: "Third.", usage: sampleUsage)
    #expect(third.id == ai.id && third.text == "Third.")
    let versions = try db.turnVersions(turnId: ai.id)
    #expect(versions.map(\.text) == ["First.", "Second.", "Third."])
    #expect(versions.map(\.current) == [false, false, true])
    #expect(try db.useTurnVersion(turnId: ai.id, version: 0).text == "First.")
    #expect(try db.turnVersions(turnId: ai.id).first?.current == true)
    // An edit changes the current version's text, not the others.
    _ = try db.editTurn(id: ai.id, text: "First, edited.")
    #expect(try db.turnVersions(turnId: ai.id).map(\.text) == ["First, edited.", "Second.", "Third."])
    #expect(storeError { _ = try db.useTurnVersion(turnId: ai.id, version: 3) } == .invalid(field: "version", message: "'version' must be between 0 and 2; got 3"))
}

@Test func undoTakesOutAnExchangeAndRedoBringsItBack() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    #expect(storeError { _ = try db.undo(adventureId: adv.id) } != nil, "the opening is never undone")
    let player = try db.appendPlayerTurn(adventureId: adv.id, action: .say, text: "Hello")
    let ai = try db.appendAITurn(adventureId: adv.id, text: "Hello back.", usage: sampleUsage)
    let undone = try db.undo(adventureId: adv.id)
    #expect(undone.removed.map(\.id) == [player.id, ai.id])
    #expect(undone.turnCount == 1)
    let lone = try db.appendPlayerTurn(adventureId: adv.id, action: .do, text: "wait")
    #expect(storeError { _ = try db.redo(adventureId: adv.id) } != nil, "a new turn ends what could be redone")
    #expect(try db.undo(adventureId: adv.id).removed.map(\.id) == [lone.id])
    let redone = try db.redo(adventureId: adv.id)
    #expect(redone.restored.map(\.id) == [lone.id])
    #expect(redone.restored.map(\.index) == [1])
    #expect(try db.integrityCheck() == "ok")
}

@Test func newSettingsStartAtTheirDefaultsAndPersist() throws {
    let db = try emptyDB()
    #expect(try db.settings().scanDepth == 4)
    #expect(try db.settings().storytellerDelayMs == 35)
    let changed = try db.updateSettings(SettingsChanges(scanDepth: 9, storytellerDelayMs: 0, storytellerSeed: -3))
    #expect(changed.scanDepth == 9 && changed.storytellerDelayMs == 0 && changed.storytellerSeed == -3)
}

@Test func aVersionOneFileUpgradesKeepingEverything() throws {
    let (directory, path) = try olderDatabaseFile(upTo: "v1", sql: """
                INSERT INTO adventure (id, scenarioId, scenarioName, name, instructions, plotEssentials, authorsNotes,
                  openingScene, playerDescription, tags, createdAt, updatedAt, lastPlayedAt)
                VALUES ('adv_old', NULL, 'Old', 'Old', '', '', '', 'Once.', '', '[]', '2026-01-01T00:00:00.000Z',
                  '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
                INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt)
                VALUES ('turn_old', 'adv_old', 0, 'ai', NULL, 'Once.', '2026-01-01T00:00:00.000Z');
            """)
    defer { removeTemporary(directory) }
    let db = try AppDatabase.open(path: path)
    #expect(try db.appliedMigrations() == ["v1", "v2-story", "v3-card-rules", "v4-recall", "v5-summary", "v6-library-changes"])
    let turns = try db.turns(adventureId: "adv_old", limit: nil, beforeIndex: nil).turns
    #expect(turns.map(\.text) == ["Once."])
    #expect(turns.first?.usage == nil)
    #expect(try db.turnVersions(turnId: "turn_old").count == 1)
}

@Test func cardsWrittenBeforeTheirRulesExistedReadAsPlainCards() throws {
    let (directory, path) = try olderDatabaseFile(upTo: "v2-story", sql: """
                INSERT INTO scenario (id, name, createdAt, updatedAt)
                VALUES ('scn_old', 'Old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
                INSERT INTO card (id, scenarioId, adventureId, position, type, name, description, keys)
                VALUES ('card_old', 'scn_old', NULL, 0, 'character', 'Ann', ' Kept as written. ', '["Ann","the gardener"]');
            """)
    defer { removeTemporary(directory) }
    let db = try AppDatabase.open(path: path)
    let card = try #require(try db.scenario(id: "scn_old").cards.first)
    #expect(card == Card(id: "card_old", type: "character", name: "Ann", description: " Kept as written. ", keys: ["Ann", "the gardener"]))
    #expect(card.rules == CardRules.default)
    // The fast JSON path writes the same defaults as the Codable one.
    let fast = try JSONDecoder().decode(Scenario.self, from: Data(try db.scenarioJSON(id: "scn_old")))
    #expect(fast.cards == [card])
}
