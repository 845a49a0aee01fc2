import GRDB
import ImaginAICore
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Adventures

    /// Starts a playthrough: an independent copy of the scenario's text fields, tags and cards (new card
    /// ids), named `name` or after the scenario. A non-empty opening scene becomes turn 0 (role ai).
    public func startAdventure(scenarioId: String, name: String?) throws -> Adventure {
        try writer.write { db in
            let scenario = try requireScenario(db, id: scenarioId)
            let now = clock.now()
            let adventureName: String
            if let name, !name.trimmingWhitespace().isEmpty { adventureName = name } else { adventureName = scenario.name }
            let record = AdventureRecord(
                id: Identifier.make(Identifier.adventure), scenarioId: scenario.id, scenarioName: scenario.name,
                name: adventureName, instructions: scenario.instructions, plotEssentials: scenario.plotEssentials,
                authorsNotes: scenario.authorsNotes, openingScene: scenario.openingScene,
                playerDescription: scenario.playerDescription, tags: scenario.tags,
                createdAt: now, updatedAt: now, lastPlayedAt: now
            )
            try record.insert(db)
            try db.execute(sql: """
                INSERT INTO card (id, scenarioId, adventureId, position, \(CardRecord.copiedColumns))
                SELECT imaginai_new_id(?), NULL, ?, position, \(CardRecord.copiedColumns)
                FROM card WHERE scenarioId = ? ORDER BY position
                """, arguments: [Identifier.card, record.id, scenario.id])
            try insertOpeningTurn(db, adventure: record, now: now)
            return try fetchAdventure(db, id: record.id)
        }
    }

    /// Summaries, most recently played first, with the turn count and an excerpt of the latest turn. Only
    /// the latest turn of each listed adventure is read, through the (adventureId, turnIndex) index.
    public func listAdventures(limit: Int, offset: Int) throws -> AdventureListResult {
        try read { db in
            let total = try AdventureRecord.fetchCount(db)
            let rows = try AdventureSummaryRow.fetchAll(db, sql: """
                SELECT a.id, a.scenarioId, a.scenarioName, a.name, a.createdAt, a.updatedAt, a.lastPlayedAt,
                       COALESCE((SELECT t.turnIndex + 1 FROM turn t WHERE t.adventureId = a.id
                                 ORDER BY t.turnIndex DESC LIMIT 1), 0) AS turnCount,
                       (SELECT t.text FROM turn t WHERE t.adventureId = a.id
                        ORDER BY t.turnIndex DESC LIMIT 1) AS latestText
                FROM adventure a
                ORDER BY a.lastPlayedAt DESC, a.rowid DESC
                LIMIT ? OFFSET ?
                """, arguments: [max(0, limit), max(0, offset)])
            return AdventureListResult(adventures: rows.map(\.summary), total: total)
        }
    }

    /// The adventure with its cards and turn count (no turns).
    public func adventure(id: String) throws -> Adventure {
        try read { db in try fetchAdventure(db, id: id) }
    }

    /// A partial update of the name and the adventure's own copy of the text fields.
    public func updateAdventure(id: String, changes: AdventureChanges) throws -> Adventure {
        try writer.write { db in
            var record = try requireAdventure(db, id: id)
            record.apply(StoryTextChanges(changes))
            let now = clock.now()
            record.updatedAt = now
            // Every change of the summary is a version, even back to an earlier text: that is how a
            // rewrite is taken back without losing it. Setting the same text again changes nothing.
            if let summary = changes.summary, summary != record.summary {
                record.summary = summary
                try appendSummaryVersion(db, adventureId: id, text: summary, source: .user, now: now)
            }
            try record.update(db)
            return try fetchAdventure(db, id: id)
        }
    }

    /// A full copy (text, cards and turns, all with new ids), or one whose history stops after the turn
    /// `upToTurn` (which must belong to this adventure). Named `name` or "<name> (copy)". Turns keep their
    /// createdAt; the copy's own times are now.
    public func duplicateAdventure(id: String, name: String?, upToTurn: String?) throws -> Adventure {
        try writer.write { db in
            var record = try requireAdventure(db, id: id)
            var lastIndex = Int.max
            if let upToTurn {
                guard let turn = try TurnRecord.fetchOne(db, key: upToTurn), turn.adventureId == id else {
                    throw StoreError.notFound(kind: "turn", id: upToTurn)
                }
                lastIndex = turn.turnIndex
            }
            let now = clock.now()
            record.id = Identifier.make(Identifier.adventure)
            record.name = Self.copyName(name, original: record.name)
            record.createdAt = now
            record.updatedAt = now
            record.lastPlayedAt = now
            try record.insert(db)
            try db.execute(sql: """
                INSERT INTO card (id, scenarioId, adventureId, position, \(CardRecord.copiedColumns))
                SELECT imaginai_new_id(?), NULL, ?, position, \(CardRecord.copiedColumns)
                FROM card WHERE adventureId = ? ORDER BY position
                """, arguments: [Identifier.card, record.id, id])
            try db.execute(sql: """
                INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt)
                SELECT imaginai_new_id(?), ?, turnIndex, role, action, text, createdAt
                FROM turn WHERE adventureId = ? AND turnIndex <= ? ORDER BY turnIndex
                """, arguments: [Identifier.turn, record.id, id, lastIndex])
            try db.execute(sql: """
                INSERT INTO summaryVersion (adventureId, version, text, source, turnCount, createdAt)
                SELECT ?, version, text, source, turnCount, createdAt
                FROM summaryVersion WHERE adventureId = ? ORDER BY version
                """, arguments: [record.id, id])
            return try fetchAdventure(db, id: record.id)
        }
    }

    /// Deletes the adventure with its cards and turns.
    public func deleteAdventure(id: String) throws {
        try writer.write { db in
            guard try AdventureRecord.deleteOne(db, key: id) else {
                throw StoreError.notFound(kind: "adventure", id: id)
            }
        }
    }

    /// Plays the adventure again from its opening scene. Only an adventure without turns can restart
    /// (the history is the user's: it is not thrown away implicitly).
    public func restartAdventure(id: String) throws -> Adventure {
        try writer.write { db in
            var record = try requireAdventure(db, id: id)
            if try turnCount(db, adventureId: id) > 0 {
                throw StoreError.conflict(
                    "Adventure \(id) already has turns; delete its turns first to restart it.")
            }
            let now = clock.now()
            record.updatedAt = now
            record.lastPlayedAt = now
            try record.update(db)
            try insertOpeningTurn(db, adventure: record, now: now)
            return try fetchAdventure(db, id: id)
        }
    }

    // MARK: Summary

    /// Every text the adventure's summary has had, oldest first (numbered from 0, like a turn's
    /// versions); the latest is the current one.
    public func summaryVersions(adventureId: String) throws -> [SummaryVersion] {
        try read { db in
            _ = try requireAdventure(db, id: adventureId)
            return try summaryVersions(db, adventureId: adventureId)
        }
    }

    /// What an automatic rewrite starts from: the current summary, the turn count, and the turns stored
    /// since the last automatic version (all turns when there is none), oldest first.
    public func summaryRewriteInput(adventureId: String) throws -> SummaryRewriteInput {
        try read { db in
            let record = try requireAdventure(db, id: adventureId)
            let from = try Int.fetchOne(db, sql: """
                SELECT turnCount FROM summaryVersion WHERE adventureId = ? AND source = 'auto'
                ORDER BY version DESC LIMIT 1
                """, arguments: [adventureId]) ?? 0
            let turns = try TurnRecord.fetchAll(db, sql: """
                SELECT * FROM turn WHERE adventureId = ? AND turnIndex >= ? ORDER BY turnIndex
                """, arguments: [adventureId, from])
            return SummaryRewriteInput(
                summary: record.summary, turnCount: try turnCount(db, adventureId: adventureId), turnsSince: turns.map(\.turn))
        }
    }

    /// Stores an automatic rewrite as the new current summary, unless the summary changed since it was
    /// read (`expected`): a user's edit made meanwhile wins and the rewrite is dropped (false).
    public func storeAutoSummary(adventureId: String, text: String, expected: String, turnCount: Int) throws -> Bool {
        try writer.write { db in
            var record = try requireAdventure(db, id: adventureId)
            guard record.summary == expected else { return false }
            let now = clock.now()
            record.summary = text
            record.updatedAt = now
            try record.update(db)
            try appendSummaryVersion(db, adventureId: adventureId, text: text, source: .auto, now: now, turnCount: turnCount)
            return true
        }
    }

    func summaryVersions(_ db: Database, adventureId: String) throws -> [SummaryVersion] {
        let records = try SummaryVersionRecord.fetchAll(db, sql: """
            SELECT * FROM summaryVersion WHERE adventureId = ? ORDER BY version
            """, arguments: [adventureId])
        return records.enumerated().map { offset, record in
            SummaryVersion(
                version: record.version, text: record.text, createdAt: record.createdAt,
                source: SummarySource(rawValue: record.source) ?? .user, current: offset == records.count - 1)
        }
    }

    func appendSummaryVersion(
        _ db: Database, adventureId: String, text: String, source: SummarySource, now: String, turnCount count: Int? = nil
    ) throws {
        let last = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM summaryVersion WHERE adventureId = ?", arguments: [adventureId])
        try SummaryVersionRecord(
            adventureId: adventureId, version: last.map { $0 + 1 } ?? 0, text: text, source: source.rawValue,
            turnCount: try count ?? turnCount(db, adventureId: adventureId), createdAt: now
        ).insert(db)
    }

    // MARK: Helpers

    func requireAdventure(_ db: Database, id: String) throws -> AdventureRecord {
        guard let record = try AdventureRecord.fetchOne(db, key: id) else {
            throw StoreError.notFound(kind: "adventure", id: id)
        }
        return record
    }

    func fetchAdventure(_ db: Database, id: String) throws -> Adventure {
        let record = try requireAdventure(db, id: id)
        return record.adventure(cards: try fetchCards(db, owner: .adventure(id)), turnCount: try turnCount(db, adventureId: id))
    }

    /// Indexes are contiguous (0..n-1), so the count is the last index + 1: one seek in the unique index.
    func turnCount(_ db: Database, adventureId: String) throws -> Int {
        let last = try Int.fetchOne(db, sql: Self.lastTurnIndexSQL, arguments: [adventureId])
        return last.map { $0 + 1 } ?? 0
    }

    static let lastTurnIndexSQL = "SELECT turnIndex FROM turn WHERE adventureId = ? ORDER BY turnIndex DESC LIMIT 1"

    /// Stores the opening scene as turn 0 (role ai, no action) unless it is blank. The adventure has no turns.
    func insertOpeningTurn(_ db: Database, adventure: AdventureRecord, now: String) throws {
        guard !adventure.openingScene.trimmingWhitespace().isEmpty else { return }
        try TurnRecord(
            id: Identifier.make(Identifier.turn), adventureId: adventure.id, turnIndex: 0,
            role: TurnRole.ai.rawValue, action: nil, text: adventure.openingScene, createdAt: now
        ).insert(db)
    }
}

/// The current summary and the turns an automatic rewrite summarizes.
public struct SummaryRewriteInput: Sendable {
    public var summary: String
    /// The adventure's turn count when read: the rewrite's version counts from it.
    public var turnCount: Int
    public var turnsSince: [Turn]
}
