import Foundation
import GRDB
import ImaginAICore
import ImaginAIProtocol
import Testing
@testable import ImaginAIStore

@Suite struct RecallStoreTests {
    /// An adventure whose opening scene is turn 0, then `texts` as alternating player and ai turns.
    func adventure(_ db: AppDatabase, _ texts: [String], opening: String = "A grey morning.") throws -> Adventure {
        let scenario = try db.createScenario(ScenarioDraft(name: "S", openingScene: opening))
        let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)
        for (offset, text) in texts.enumerated() {
            let player = offset % 2 == 0
            _ = try db.appendTurn(adventureId: adventure.id, role: player ? .player : .ai, action: player ? .do : nil, text: text)
        }
        return try db.adventure(id: adventure.id)
    }

    /// The ids of the turns older than `before` that recall finds for `action`, best first.
    func recalled(_ db: AppDatabase, _ adventureId: String, _ action: String, before: Int = .max, budget: Int = AppDatabase.recallMatchBudget) throws -> [String] {
        let query = RecallQuery.build(action: action, cardNames: [], recentTexts: [])
        return try db.recall(
            adventureId: adventureId, request: RecallRequest(query: query, beforeIndex: before, limit: 10), matchBudget: budget
        ).map(\.turnID)
    }

    /// Postings (term, turn rowid, offset) that the index holds but a fresh index of every turn's current
    /// text would not, and the other way round, plus SQLite's own integrity check of the index.
    func indexMismatches(_ db: AppDatabase) throws -> Int {
        try db.writer.write { db in
            try db.execute(sql: """
                CREATE VIRTUAL TABLE temp.expectedRecall USING fts5(
                  body, content = '', tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'");
                INSERT INTO temp.expectedRecall (rowid, body) SELECT rowid, imaginai_recall_text(text) FROM main.turn;
                CREATE VIRTUAL TABLE temp.expectedPostings USING fts5vocab(temp, expectedRecall, 'instance');
                CREATE VIRTUAL TABLE temp.actualPostings USING fts5vocab(main, turnRecall, 'instance');
                INSERT INTO turnRecall (turnRecall) VALUES ('integrity-check');
                """)
            defer {
                try? db.execute(sql: """
                    DROP TABLE temp.actualPostings; DROP TABLE temp.expectedPostings; DROP TABLE temp.expectedRecall;
                    """)
            }
            let extra = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT term, doc, offset FROM temp.actualPostings
                                      EXCEPT SELECT term, doc, offset FROM temp.expectedPostings)
                """) ?? 0
            let missing = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT term, doc, offset FROM temp.expectedPostings
                                      EXCEPT SELECT term, doc, offset FROM temp.actualPostings)
                """) ?? 0
            return extra + missing
        }
    }

    @Test func recallFindsAnOlderTurnByItsRareWordAndNothingAtOrAfterTheBound() throws {
        let db = try emptyDB()
        let a = try adventure(db, ["Ask the guard.", "The password is heliotrope.", "Walk on.", "The road bends."])
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(try recalled(db, a.id, "What was the password?") == [turns[2].id])
        #expect(try recalled(db, a.id, "Heliotrope!") == [turns[2].id])
        #expect(try recalled(db, a.id, "password", before: 2).isEmpty)
        #expect(try recalled(db, a.id, "password", before: 3) == [turns[2].id])
        // Another adventure's turns are never recalled.
        let other = try adventure(db, ["Nothing here."])
        #expect(try recalled(db, other.id, "password").isEmpty)
        // A word no turn holds matches nothing; stop words alone make no query.
        #expect(try recalled(db, a.id, "zeppelin").isEmpty)
        #expect(try recalled(db, a.id, "what is it?").isEmpty)
    }

    @Test func bm25RanksTheTurnWithMoreOfTheRareWordsFirst() throws {
        let db = try emptyDB()
        let a = try adventure(db, [
            "A lantern hangs here.", "The lantern and the brass key lie on the table.", "A brass bell rings.",
            "Only rain.",
        ])
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        let found = try recalled(db, a.id, "take the brass lantern key")
        #expect(found.first == turns[2].id)
        #expect(Set(found) == [turns[1].id, turns[2].id, turns[3].id])
    }

    @Test func aTermInMoreTurnsThanTheMatchBudgetIsLeftOut() throws {
        let db = try emptyDB()
        let texts = (0..<40).map { $0 == 7 ? "Rain, and the word is heliotrope." : "Rain again, turn \($0)." }
        let a = try adventure(db, texts)
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        // "rain" is in 40 turns: over a budget of 10 it is dropped, and the rare word alone decides.
        #expect(try recalled(db, a.id, "rain heliotrope", budget: 10) == [turns[8].id])
        #expect(try recalled(db, a.id, "rain", budget: 10).isEmpty)
        #expect(try recalled(db, a.id, "rain", budget: 100).count == 10)
    }

    @Test func japaneseAndChineseAreFoundWithoutSpacesBetweenWords() throws {
        let db = try emptyDB()
        let a = try adventure(db, ["門番に聞く。", "合言葉はヘリオトロープだ。", "密码是向日葵。", "道は続く。"])
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(try recalled(db, a.id, "合言葉は何だった？") == [turns[2].id])
        #expect(try recalled(db, a.id, "ヘリオトロープ") == [turns[2].id])
        #expect(try recalled(db, a.id, "密码是什么？") == [turns[3].id])
        // A pair of characters that are not side by side in any turn finds nothing.
        #expect(try recalled(db, a.id, "葉合").isEmpty)
        #expect(try recalled(db, a.id, "向日葵").first == turns[3].id)
    }

    @Test func accentsAndCaseDoNotMatter() throws {
        let db = try emptyDB()
        let a = try adventure(db, ["Le Café Noir ouvre.", "Rien."])
        let turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        #expect(try recalled(db, a.id, "cafe") == [turns[1].id])
        #expect(try recalled(db, a.id, "CAFÉ") == [turns[1].id])
    }

    @Test func theIndexStaysExactThroughEveryChangeToTurns() throws {
        let db = try emptyDB()
        let a = try adventure(db, ["Ask about the password.", "The password is heliotrope.", "Go north.", "A door."])
        #expect(try indexMismatches(db) == 0)
        var turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns

        _ = try db.editTurn(id: turns[2].id, text: "The password is forgotten.")
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "heliotrope").isEmpty)
        #expect(try recalled(db, a.id, "forgotten") == [turns[2].id])

        let usage = TurnUsage(promptTokens: 1, outputTokens: 1, thinkingTokens: 0, source: .estimate, sections: SectionTokens(), model: "offline/storyteller", latencyMs: 1, firstChunkMs: nil)
        _ = try db.addTurnVersion(turnId: turns[4].id, text: "A red door with a heliotrope knocker.", usage: usage)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "knocker") == [turns[4].id])
        _ = try db.useTurnVersion(turnId: turns[4].id, version: 0)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "knocker").isEmpty)
        _ = try db.useTurnVersion(turnId: turns[4].id, version: 1)
        #expect(try recalled(db, a.id, "knocker") == [turns[4].id])

        _ = try db.undo(adventureId: a.id)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "knocker").isEmpty)
        _ = try db.redo(adventureId: a.id)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "knocker") == [turns[4].id])

        try db.deleteTurn(id: turns[2].id)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "forgotten").isEmpty)
        // The last turn's rowid is free again once it is deleted; the next turn must not inherit its words.
        turns = try db.turns(adventureId: a.id, limit: nil, beforeIndex: nil).turns
        try db.deleteTurn(id: turns.last!.id)
        _ = try db.appendTurn(adventureId: a.id, role: .player, action: .do, text: "Sit down.")
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "knocker").isEmpty)

        let copy = try db.duplicateAdventure(id: a.id, name: nil, upToTurn: nil)
        #expect(try indexMismatches(db) == 0)
        let copied = try db.turns(adventureId: copy.id, limit: nil, beforeIndex: nil).turns
        #expect(try recalled(db, copy.id, "password") == [copied[1].id])
        #expect(try recalled(db, copy.id, "sit") == [copied.last!.id])

        try db.deleteAdventure(id: a.id)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, a.id, "password").isEmpty)
        #expect(try recalled(db, copy.id, "password") == [copied[1].id])

        // Emptied of its turns and restarted: only the opening scene is indexed again.
        for turn in copied.reversed() { try db.deleteTurn(id: turn.id) }
        #expect(try indexMismatches(db) == 0)
        _ = try db.restartAdventure(id: copy.id)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, copy.id, "grey morning").count == 1)
    }

    @Test func theMigrationIndexesTurnsWrittenBeforeIt() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: path)
            try AppDatabase.migrator.migrate(queue, upTo: "v3-card-rules")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO adventure (id, scenarioId, scenarioName, name, createdAt, updatedAt, lastPlayedAt)
                    VALUES ('adv_old', NULL, 'Old', 'Old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
                      '2026-01-01T00:00:00.000Z');
                    INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt) VALUES
                      ('turn_a', 'adv_old', 0, 'ai', NULL, 'The password is heliotrope.', '2026-01-01T00:00:00.000Z'),
                      ('turn_b', 'adv_old', 1, 'player', 'say', '合言葉は？', '2026-01-01T00:00:00.000Z');
                    """)
            }
        }
        let db = try AppDatabase.open(path: path)
        #expect(try indexMismatches(db) == 0)
        #expect(try recalled(db, "adv_old", "heliotrope") == ["turn_a"])
        #expect(try recalled(db, "adv_old", "合言葉") == ["turn_b"])
    }
}

@Test func aCommonTermsCountIsKeptAndARareOnesOnlyForAFewRecalls() {
    var counts = RecallTermCounts()
    _ = counts.startRecall()
    counts.remember(["the": RecallTermCounts.commonDocuments, "heliotrope": 2])
    for _ in 0..<RecallTermCounts.rareLifetime {
        let snapshot = counts.startRecall()
        #expect(snapshot["heliotrope"] == 2 && snapshot["the"] == RecallTermCounts.commonDocuments)
    }
    let later = counts.startRecall()
    #expect(later["heliotrope"] == nil, "a rare count grows old: the word may have come back since")
    #expect(later["the"] == RecallTermCounts.commonDocuments, "a common one stays")
    #expect(later["never"] == nil)
    counts.remember(["heliotrope": 5])
    #expect(counts.startRecall()["heliotrope"] == 5)
}

@Test func termCountsAreBounded() {
    var counts = RecallTermCounts()
    _ = counts.startRecall()
    counts.remember(Dictionary(uniqueKeysWithValues: (0..<RecallTermCounts.capacity).map { ("w\($0)", 1000) }))
    #expect(counts.startRecall()["w0"] == 1000)
    counts.remember(["fresh": 1000])
    let snapshot = counts.startRecall()
    #expect(snapshot["w0"] == nil && snapshot["fresh"] == 1000, "over capacity the old counts go")
}
