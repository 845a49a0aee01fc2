import Foundation
import GRDB
import ImaginAIProtocol
import Testing
@testable import ImaginAIStore

@Test func everySummaryChangeIsAVersionAndAnEarlierTextTakesARewriteBack() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    #expect(adv.summary == "")
    #expect(try db.summaryVersions(adventureId: adv.id).isEmpty)

    #expect(try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "Mara found the key.")).summary == "Mara found the key.")
    // The same text again is no change; another field's change leaves the summary's versions alone.
    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "Mara found the key."))
    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(name: "Renamed"))
    #expect(try db.summaryVersions(adventureId: adv.id).count == 1)

    let input = try db.summaryRewriteInput(adventureId: adv.id)
    #expect(try db.storeAutoSummary(adventureId: adv.id, text: "A bad rewrite.", expected: input.summary, turnCount: input.turnCount))
    #expect(try db.adventure(id: adv.id).summary == "A bad rewrite.")

    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "Mara found the key."))
    let versions = try db.summaryVersions(adventureId: adv.id)
    #expect(versions.map(\.version) == [0, 1, 2])
    #expect(versions.map(\.text) == ["Mara found the key.", "A bad rewrite.", "Mara found the key."])
    #expect(versions.map(\.source) == [.user, .auto, .user])
    #expect(versions.map(\.current) == [false, false, true])
    #expect(try db.adventure(id: adv.id).summary == "Mara found the key.")
    #expect(storeError { _ = try db.summaryVersions(adventureId: "adv_missing") } == .notFound(kind: "adventure", id: "adv_missing"))
}

@Test func aRewriteCountsTurnsFromTheLastAutomaticVersionAndYieldsToAUserEdit() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    _ = try db.appendPlayerTurn(adventureId: adv.id, action: .do, text: "open the chest")
    _ = try db.appendAITurn(adventureId: adv.id, text: "The chest holds a map.", usage: sampleUsage)
    let first = try db.summaryRewriteInput(adventureId: adv.id)
    #expect(first.turnCount == 3)
    #expect(first.turnsSince.map(\.index) == [0, 1, 2], "without an automatic version every turn counts")
    #expect(try db.storeAutoSummary(adventureId: adv.id, text: "A map was found.", expected: first.summary, turnCount: first.turnCount))

    _ = try db.appendPlayerTurn(adventureId: adv.id, action: .say, text: "Where does it lead?")
    let second = try db.summaryRewriteInput(adventureId: adv.id)
    #expect(second.summary == "A map was found.")
    #expect(second.turnsSince.map(\.text) == ["Where does it lead?"])

    // The user edits while a rewrite is being written: the rewrite must not overwrite the edit.
    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "My own words."))
    #expect(try !db.storeAutoSummary(adventureId: adv.id, text: "Stale rewrite.", expected: second.summary, turnCount: second.turnCount))
    #expect(try db.adventure(id: adv.id).summary == "My own words.")
    #expect(try db.summaryVersions(adventureId: adv.id).map(\.text) == ["A map was found.", "My own words."])
}

@Test func aDuplicateCopiesTheSummaryAndItsVersionsAndDeletingTakesThemAway() throws {
    let db = try emptyDB()
    let adv = try sampleAdventure(db)
    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "One."))
    _ = try db.updateAdventure(id: adv.id, changes: AdventureChanges(summary: "Two."))
    let copy = try db.duplicateAdventure(id: adv.id, name: nil, upToTurn: nil)
    #expect(copy.summary == "Two.")
    #expect(try db.summaryVersions(adventureId: copy.id) == db.summaryVersions(adventureId: adv.id))
    // The copy's versions are its own.
    _ = try db.updateAdventure(id: copy.id, changes: AdventureChanges(summary: "Three."))
    #expect(try db.summaryVersions(adventureId: adv.id).count == 2)
    try db.deleteAdventure(id: adv.id)
    let left = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM summaryVersion WHERE adventureId = ?", arguments: [adv.id]) }
    #expect(left == 0)
    #expect(try db.summaryVersions(adventureId: copy.id).map(\.text) == ["One.", "Two.", "Three."])
}

@Test func anAdventureWrittenBeforeSummariesMigratesWithAnEmptyOneAndNoVersions() throws {
    let (directory, path) = temporaryPath()
    defer { removeTemporary(directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    do {
        let queue = try DatabaseQueue(path: path)
        // Up to v3: the plain queue lacks the recall function v4 needs; open applies v4 and v5.
        try AppDatabase.migrator.migrate(queue, upTo: "v3-card-rules")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO adventure (id, scenarioId, scenarioName, name, createdAt, updatedAt, lastPlayedAt)
                VALUES ('adv_old', NULL, 'Old', 'Old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
                  '2026-01-01T00:00:00.000Z');
                """)
        }
    }
    let db = try AppDatabase.open(path: path)
    #expect(try db.adventure(id: "adv_old").summary == "")
    #expect(try db.summaryVersions(adventureId: "adv_old").isEmpty)
    _ = try db.updateAdventure(id: "adv_old", changes: AdventureChanges(summary: "Written after the update."))
    #expect(try db.summaryVersions(adventureId: "adv_old").map(\.text) == ["Written after the update."])
}
