import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct IdentifierAndTimestampTests {
    @Test func notFoundCarriesKindAndId() {
        #expect(StoreError.notFound(kind: "card", id: "c1") != StoreError.notFound(kind: "card", id: "c2"))
    }

    @Test func idsHavePrefixAndRandomPart() {
        let ids = (0..<1000).map { _ in Identifier.make(Identifier.scenario) }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(20) {
            #expect(id.hasPrefix("scn_"))
            #expect(id.count == 4 + 20)
            #expect(id.dropFirst(4).allSatisfy { "0123456789abcdefghjkmnpqrstvwxyz".contains($0) })
        }
        #expect(Identifier.make(Identifier.card).hasPrefix("card_"))
        #expect(Identifier.make(Identifier.adventure).hasPrefix("adv_"))
        #expect(Identifier.make(Identifier.turn).hasPrefix("turn_"))
    }

    @Test(arguments: [
        (Int64(1_795_887_982_123), "2026-11-28T17:46:22.123Z"),
        (Int64(951_868_799_999), "2000-02-29T23:59:59.999Z"),
        (Int64(946_598_400_000), "1999-12-31T00:00:00.000Z"),
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func timestampFormat(ms: Int64, expected: String) {
        #expect(Timestamp.format(millisecondsSince1970: ms) == expected)
    }

    @Test func timestampMatchesFoundation() {
        let date = Date(timeIntervalSince1970: 1_234_567_890.5)
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        #expect(Timestamp.format(date) == date.formatted(style))
    }

    @Test func clockIsStrictlyIncreasingAndFixedWidth() {
        let clock = StoreClock()
        let stamps = (0..<500).map { _ in clock.now() }
        #expect(stamps == stamps.sorted())
        #expect(Set(stamps).count == stamps.count)
        #expect(stamps.allSatisfy { $0.count == 24 && $0.hasSuffix("Z") })
    }
}

@Suite struct SchemaTests {
    @Test func migrationsAreApplied() throws {
        let db = try emptyDB()
        #expect(try db.appliedMigrations() == ["v1", "v2-story", "v3-card-rules", "v4-recall", "v5-summary", "v6-library-changes"])
        let names = try db.schemaObjectNames()
        for table in ["scenario", "card", "adventure", "turn", "setting", "appState", "libraryChange"] {
            #expect(names.contains(table), "missing table \(table)")
        }
        for index in ["scenario_on_updatedAt", "adventure_on_lastPlayedAt", "adventure_on_scenarioId",
                      "card_on_scenarioId_position", "card_on_adventureId_position"] {
            #expect(names.contains(index), "missing index \(index)")
        }
    }

    @Test func integrityCheckIsOK() throws {
        let db = try AppDatabase.inMemory()
        #expect(try db.integrityCheck() == "ok")
    }

    @Test func foreignKeysAreEnforced() throws {
        let db = try emptyDB()
        #expect(throws: (any Error).self) {
            try db.execute("""
                INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt)
                VALUES ('t', 'adv_missing', 0, 'ai', NULL, 'x', 'now')
                """)
        }
    }

    @Test func cardMustHaveExactlyOneOwner() throws {
        let db = try emptyDB()
        let scenario = try db.createScenario(ScenarioDraft(name: "S"))
        let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)
        #expect(throws: (any Error).self) {
            try db.execute("INSERT INTO card (id, position, name) VALUES ('c1', 0, 'orphan')")
        }
        #expect(throws: (any Error).self) {
            try db.execute(
                "INSERT INTO card (id, scenarioId, adventureId, position, name) VALUES ('c2', ?, ?, 0, 'both')",
                arguments: [scenario.id, adventure.id])
        }
    }

    @Test func inMemoryDatabasesAreSeparate() throws {
        let a = try emptyDB(), b = try emptyDB()
        _ = try a.createScenario(ScenarioDraft(name: "only in a"))
        #expect(try b.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).total == 0)
    }

    @Test func openMemoryPathIsInMemoryAndSeeded() throws {
        let db = try AppDatabase.open(path: ":memory:")
        let list = try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0)
        #expect(list.total == 1)
    }
}
