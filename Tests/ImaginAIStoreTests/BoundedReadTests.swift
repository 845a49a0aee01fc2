import GRDB
import ImaginAICore
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// What a story turn reads from the database must not grow with the adventure: every query on its path
/// is a seek or a bounded range read in the (adventureId, turnIndex) index, never a scan or a sort.
@Suite struct BoundedReadTests {
    /// The adventure with `n` turns: the opening scene, then player (`do`, `say` in turn) and ai turns.
    func adventure(_ db: AppDatabase, turns n: Int) throws -> Adventure {
        let s = try db.createScenario(ScenarioDraft(name: "S", openingScene: "t0"))
        let a = try db.startAdventure(scenarioId: s.id, name: nil)
        for i in 1..<n {
            _ = try db.appendTurn(adventureId: a.id, role: i % 2 == 1 ? .player : .ai, action: i % 2 == 1 ? (i % 4 == 1 ? .do : .say) : nil, text: "t\(i)")
        }
        return try db.adventure(id: a.id)
    }

    /// SQLite's plan for `sql`, one detail line per step.
    func plan(_ db: AppDatabase, _ sql: String, _ arguments: StatementArguments) throws -> [String] {
        try db.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    @Test(arguments: [
        ("prompt history page", AppDatabase.promptTurnsSQL, ["adv_x", 500, 64] as StatementArguments),
        ("turn count", AppDatabase.lastTurnIndexSQL, ["adv_x"] as StatementArguments),
    ])
    func turnQueriesSeekTheIndexWithoutSorting(name: String, sql: String, arguments: StatementArguments) throws {
        let db = try emptyDB()
        _ = try adventure(db, turns: 200)
        let steps = try plan(db, sql, arguments)
        #expect(steps.count == 1, "\(name): \(steps)")
        let step = steps.first ?? ""
        // A SEARCH through the unique (adventureId, turnIndex) index; no SCAN of the table and no
        // temporary B-tree to sort by turnIndex (which would read every turn of the adventure first).
        #expect(step.hasPrefix("SEARCH turn USING"), "\(name): \(step)")
        #expect(step.contains("INDEX sqlite_autoindex_turn_"), "\(name): \(step)")
        #expect(step.contains("adventureId=?"), "\(name): \(step)")
        #expect(!steps.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(name): \(steps)")
    }

    @Test func promptTurnsReadsOnePageNewestFirstAndReturnsItOldestFirst() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 300)
        let newest = try db.promptTurns(adventureId: a.id, limit: 64, beforeIndex: nil)
        #expect(newest.map(\.index) == Array(236..<300))
        #expect(newest.map(\.text) == (236..<300).map { "t\($0)" })
        let older = try db.promptTurns(adventureId: a.id, limit: 64, beforeIndex: 10)
        #expect(older.map(\.index) == Array(0..<10))
        #expect(try db.promptTurns(adventureId: a.id, limit: 64, beforeIndex: 0).isEmpty)
        #expect(try db.promptTurns(adventureId: "adv_none", limit: 64, beforeIndex: nil).isEmpty)
    }

    @Test func promptTurnsCarryTheSpeakerAndActionAsThePromptReadsThem() throws {
        let db = try emptyDB()
        let a = try adventure(db, turns: 4)
        let turns = try db.promptTurns(adventureId: a.id, limit: 10, beforeIndex: nil)
        let stored = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(turns.count == stored.count)
        for (turn, record) in zip(turns, stored) {
            #expect(turn.index == record.index && turn.text == record.text)
            switch turn.speaker {
            case .ai: #expect(record.role == .ai)
            case .player(let kind):
                #expect(record.role == .player)
                #expect(kind?.rawValue == record.action?.rawValue)
            }
        }
        #expect(turns.map(\.speaker.debugKind) == ["ai", "do", "ai", "say"])
    }
}

private extension PromptTurn.Speaker {
    var debugKind: String {
        switch self {
        case .ai: return "ai"
        case .player(let kind): return kind?.rawValue ?? "player"
        }
    }
}
