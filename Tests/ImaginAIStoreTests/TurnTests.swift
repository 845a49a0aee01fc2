import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct TurnTests {
    /// An adventure with turns "t0"…"t(n-1)" (t0 being the opening scene).
    func adventure(_ db: AppDatabase, turns n: Int) throws -> Adventure {
        let s = try db.createScenario(ScenarioDraft(name: "S", openingScene: "t0"))
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        for i in 1..<n {
            _ = try db.appendTurn(adventureId: a.id, role: i % 2 == 1 ? .player : .ai, action: i % 2 == 1 ? .do : nil, text: "t\(i)")
        }
        return try db.adventure(id: a.id)
    }

    func texts(_ turns: [Turn]) -> [String] { turns.map(\.text) }

    @Test func appendUsesNextIndexAndBumpsLastPlayed() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 1)
        let t1 = try db.appendTurn(adventureId: a.id, role: .player, action: .say, text: "Hello")
        #expect(t1.index == 1 && t1.role == .player && t1.action == .say && t1.text == "Hello")
        #expect(t1.id.hasPrefix("turn_") && t1.createdAt.count == 24)
        let t2 = try db.appendTurn(adventureId: a.id, role: .ai, action: nil, text: "Hi")
        #expect(t2.index == 2 && t2.action == nil)
        let after = try db.adventure(id: a.id)
        #expect(after.turnCount == 3)
        #expect(after.lastPlayedAt > a.lastPlayedAt && after.lastPlayedAt == t2.createdAt)
        #expect(storeError { _ = try db.appendTurn(adventureId: "adv_x", role: .ai, action: nil, text: "") } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func allActionKindsRoundTrip() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 1)
        for kind in ActionKind.allCases {
            _ = try db.appendTurn(adventureId: a.id, role: .player, action: kind, text: kind.rawValue)
        }
        let turns = try db.turns(adventureId: a.id, limit: 3, beforeIndex: nil).turns
        #expect(turns.map(\.action) == ActionKind.allCases.map { $0 })
    }

    @Test func pagingNewestFirstPagesOldestFirstWithin() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 10)
        let all = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil)
        #expect(all.turnCount == 10 && texts(all.turns) == (0..<10).map { "t\($0)" })
        #expect(all.turns.map(\.index) == Array(0..<10))

        let newest = try db.turns(adventureId: a.id, limit: 3, beforeIndex: nil)
        #expect(texts(newest.turns) == ["t7", "t8", "t9"] && newest.turnCount == 10)
        let older = try db.turns(adventureId: a.id, limit: 3, beforeIndex: newest.turns[0].index)
        #expect(texts(older.turns) == ["t4", "t5", "t6"] && older.turnCount == 10)
        #expect(texts(try db.turns(adventureId: a.id, limit: 3, beforeIndex: 2).turns) == ["t0", "t1"])
        #expect(try db.turns(adventureId: a.id, limit: 3, beforeIndex: 0).turns.isEmpty)
        #expect(texts(try db.turns(adventureId: a.id, limit: nil, beforeIndex: 3).turns) == ["t0", "t1", "t2"])
        #expect(texts(try db.turns(adventureId: a.id, limit: 100, beforeIndex: nil).turns).count == 10)
        #expect(texts(try db.turns(adventureId: a.id, limit: 5, beforeIndex: 1000).turns) == (5..<10).map { "t\($0)" })
        #expect(try db.turns(adventureId: a.id, limit: 0, beforeIndex: nil).turns.isEmpty)
        #expect(storeError { _ = try db.turns(adventureId: "adv_x", limit: nil, beforeIndex: nil) } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func turnsOfEmptyAdventure() throws {
        let db = try emptyDB()
        let s = try db.createScenario(ScenarioDraft(name: "S"))
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        let result = try db.turns(adventureId: a.id, limit: 10, beforeIndex: nil)
        #expect(result.turns.isEmpty && result.turnCount == 0)
        #expect(try db.latestTurns(adventureId: a.id, limit: 5).isEmpty)
    }

    @Test func latestTurnsAreNewestOldestFirst() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 6)
        #expect(texts(try db.latestTurns(adventureId: a.id, limit: 2)) == ["t4", "t5"])
        #expect(texts(try db.latestTurns(adventureId: a.id, limit: 50)).count == 6)
        #expect(try db.latestTurns(adventureId: a.id, limit: 0).isEmpty)
        #expect(storeError { _ = try db.latestTurns(adventureId: "adv_x", limit: 1) } == .notFound(kind: "adventure", id: "adv_x"))
    }

    @Test func turnQueriesUseTheIndex() throws {
        let db = try emptyDB()
        for sql in [
            "SELECT * FROM turn WHERE adventureId = ? ORDER BY turnIndex DESC LIMIT 5",
            "SELECT * FROM turn WHERE adventureId = ? AND turnIndex < 7 ORDER BY turnIndex DESC LIMIT 5",
            "SELECT turnIndex FROM turn WHERE adventureId = ? ORDER BY turnIndex DESC LIMIT 1",
        ] {
            let plan = try db.queryPlan(sql, arguments: ["adv_x"])
            #expect(plan.contains { $0.contains("INDEX sqlite_autoindex_turn") }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
        }
    }

    @Test func editReplacesTextAndBumps() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 3)
        let turn = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns[1]
        let edited = try db.editTurn(id: turn.id, text: "rewritten")
        #expect(edited == Turn(id: turn.id, index: 1, role: turn.role, action: turn.action, text: "rewritten", createdAt: turn.createdAt))
        #expect(try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns[1] == edited)
        let after = try db.adventure(id: a.id)
        #expect(after.lastPlayedAt > a.lastPlayedAt && after.updatedAt > a.updatedAt)
        #expect(storeError { _ = try db.editTurn(id: "turn_x", text: "") } == .notFound(kind: "turn", id: "turn_x"))
    }

    @Test(arguments: [0, 3, 7])
    func deleteReindexesLaterTurns(victim: Int) throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 8)
        let before = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        try db.deleteTurn(id: before[victim].id)
        let after = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil)
        #expect(after.turnCount == 7)
        #expect(after.turns.map(\.index) == Array(0..<7))
        var expected = before
        expected.remove(at: victim)
        #expect(after.turns.map(\.id) == expected.map(\.id))
        #expect(texts(after.turns) == texts(expected))
        #expect(try db.adventure(id: a.id).lastPlayedAt > a.lastPlayedAt)
        // Appending continues at the end of the contiguous range.
        #expect(try db.appendTurn(adventureId: a.id, role: .ai, action: nil, text: "next").index == 7)
        #expect(try db.integrityCheck() == "ok")
    }

    @Test func deleteOnlyShiftsItsOwnAdventure() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 4)
        let b = try adventure(db, turns: 4)
        let bBefore = try db.turns(adventureId: b.id, limit: nil, beforeIndex: nil).turns
        try db.deleteTurn(id: try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns[1].id)
        #expect(try db.turns(adventureId: b.id, limit: nil, beforeIndex: nil).turns == bBefore)
        #expect(storeError { try db.deleteTurn(id: "turn_x") } == .notFound(kind: "turn", id: "turn_x"))
    }

    /// Speed lives in imaginai-bench (prompt assembly at 100k turns); this checks the answers at 20k.
    @Test func manyTurnsAreCountedPagedAndCopied() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 1)
        // Bulk-insert 20k turns directly, then check count, paging and latest.
        try db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt)
            SELECT 'turn_bulk' || i, ?, i, 'ai', NULL, 'text ' || i, '2026-01-01T00:00:00.000Z' FROM n
            """, arguments: [a.id])
        #expect(try db.adventure(id: a.id).turnCount == 20001)
        #expect(texts(try db.latestTurns(adventureId: a.id, limit: 2)) == ["text 19999", "text 20000"])
        #expect(try db.listAdventures(limit: 5, offset: 0).adventures[0].excerpt == "text 20000")
        let dup = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: "turn_bulk100")
        #expect(dup.turnCount == 101)
    }
}
