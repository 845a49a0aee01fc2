import FoundationEssentials
import GRDB
import ImaginAICore
import ImaginAIProtocol

/// The writes of story generation, each one transaction: a player turn is committed before the model is
/// called, the ai turn with its usage after, so a crash or cancel never loses what was already there.
extension AppDatabase {
    /// Stores the player's action as the next turn. A new turn ends what `redo` could bring back.
    public func appendPlayerTurn(adventureId: String, action: ActionKind, text: String) throws -> Turn {
        try writer.write { db in
            try clearRedo(db, adventureId: adventureId)
            return try insertTurn(db, adventureId: adventureId, role: .player, action: action, text: text, usage: nil)
        }
    }

    /// Stores a generated turn with what it cost and the ids of the cards with timed effects its prompt
    /// activated (empty: none, stored as NULL).
    public func appendAITurn(adventureId: String, text: String, usage: TurnUsage, activatedCards: [String] = []) throws -> Turn {
        try writer.write { db in
            try clearRedo(db, adventureId: adventureId)
            return try insertTurn(
                db, adventureId: adventureId, role: .ai, action: nil, text: text, usage: usage,
                activatedCards: ActivatedCardsColumn.encode(activatedCards))
        }
    }

    /// The cards each generated turn with an index in `range` activated, oldest first; turns that
    /// activated none are left out. One range read through the (adventureId, turnIndex) index.
    public func cardActivations(adventureId: String, turnIndexes range: Range<Int>) throws -> [CardActivation] {
        guard !range.isEmpty else { return [] }
        return try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT turnIndex, activatedCards FROM turn
                    WHERE adventureId = ? AND turnIndex >= ? AND turnIndex < ? AND activatedCards IS NOT NULL
                    ORDER BY turnIndex
                    """,
                arguments: [adventureId, range.lowerBound, range.upperBound])
            return rows.compactMap { row in
                let ids = ActivatedCardsColumn.decode(row["activatedCards"])
                return ids.isEmpty ? nil : CardActivation(turnIndex: row["turnIndex"], cardIDs: ids)
            }
        }
    }

    /// The latest turn of an adventure, if any.
    public func latestTurn(adventureId: String) throws -> Turn? {
        try read { db in
            _ = try requireAdventure(db, id: adventureId)
            return try fetchLatestTurns(db, adventureId: adventureId, limit: 1, beforeIndex: nil).first
        }
    }

    /// A retry's new text becomes the turn's next version and its current text; the earlier ones stay
    /// listed by `turnVersions`. The cards the retry's prompt activated replace the turn's list: later
    /// prompts count timed effects from the prompt of the text the story now holds.
    public func addTurnVersion(turnId: String, text: String, usage: TurnUsage, activatedCards: [String] = []) throws -> Turn {
        try writer.write { db in
            var record = try requireTurn(db, id: turnId)
            let now = clock.now()
            let existing = try TurnVersionRecord.filter(Column("turnId") == turnId).fetchCount(db)
            if existing == 0 {
                try TurnVersionRecord(
                    turnId: turnId, version: 0, text: record.text, usage: record.usage, createdAt: record.createdAt,
                    activatedCards: record.activatedCards
                ).insert(db)
            }
            let version = max(existing, 1)
            let usageJSON = UsageColumn.encode(usage)
            let activated = ActivatedCardsColumn.encode(activatedCards)
            try TurnVersionRecord(
                turnId: turnId, version: version, text: text, usage: usageJSON, createdAt: now, activatedCards: activated
            ).insert(db)
            record.text = text
            record.usage = usageJSON
            record.currentVersion = version
            record.activatedCards = activated
            try record.update(db)
            try touchPlayed(db, adventureId: record.adventureId, now: now)
            return record.turn
        }
    }

    public func turnVersions(turnId: String) throws -> [TurnVersion] {
        try read { db in
            let record = try requireTurn(db, id: turnId)
            let versions = try TurnVersionRecord.filter(Column("turnId") == turnId).order(Column("version")).fetchAll(db)
            if versions.isEmpty {
                return [TurnVersion(version: 0, text: record.text, createdAt: record.createdAt, current: true)]
            }
            return versions.map {
                TurnVersion(version: $0.version, text: $0.text, createdAt: $0.createdAt, current: $0.version == record.currentVersion)
            }
        }
    }

    /// Makes an earlier (or later) version the turn's text again.
    public func useTurnVersion(turnId: String, version: Int) throws -> Turn {
        try writer.write { db in
            var record = try requireTurn(db, id: turnId)
            let versions = try TurnVersionRecord.filter(Column("turnId") == turnId).fetchAll(db)
            if versions.isEmpty && version == 0 { return record.turn }
            guard let chosen = versions.first(where: { $0.version == version }) else {
                let count = max(versions.count, 1)
                throw StoreError.invalid(field: "version", message: "'version' must be between 0 and \(count - 1); got \(version)")
            }
            record.text = chosen.text
            record.usage = chosen.usage
            record.currentVersion = version
            record.activatedCards = chosen.activatedCards
            try record.update(db)
            try touchPlayed(db, adventureId: record.adventureId, now: clock.now())
            return record.turn
        }
    }

    /// Takes out the latest exchange (the latest ai turn and the player turn that prompted it, or a lone
    /// latest player turn) and keeps it for `redo`. The opening scene is never taken out.
    public func undo(adventureId: String) throws -> UndoResult {
        try writer.write { db in
            _ = try requireAdventure(db, id: adventureId)
            let latest = try TurnRecord.filter(TurnRecord.Columns.adventureId == adventureId)
                .order(TurnRecord.Columns.turnIndex.desc).limit(2).fetchAll(db)
            guard let last = latest.first, !(last.turnIndex == 0 && last.role == TurnRole.ai.rawValue) else {
                throw StoreError.conflict("Nothing to undo: the adventure has only its opening scene")
            }
            var removed = [last]
            if last.role == TurnRole.ai.rawValue, latest.count > 1, latest[1].role == TurnRole.player.rawValue {
                removed.insert(latest[1], at: 0)
            }
            let data = try JSONEncoder().encode(removed)
            var entry = RedoEntryRecord(id: nil, adventureId: adventureId, turns: String(decoding: data, as: UTF8.self))
            try entry.insert(db)
            for record in removed { try record.delete(db) }
            try touchPlayed(db, adventureId: adventureId, now: clock.now())
            return UndoResult(removed: removed.map(\.turn), turnCount: try turnCount(db, adventureId: adventureId))
        }
    }

    /// Brings back the most recently undone exchange, with its ids and texts.
    public func redo(adventureId: String) throws -> RedoResult {
        try writer.write { db in
            _ = try requireAdventure(db, id: adventureId)
            guard let entry = try RedoEntryRecord.filter(Column("adventureId") == adventureId).order(Column("id").desc).fetchOne(db) else {
                throw StoreError.conflict("Nothing to redo")
            }
            let saved = try JSONDecoder().decode([TurnRecord].self, from: Data(entry.turns.utf8))
            var next = try turnCount(db, adventureId: adventureId)
            var restored: [Turn] = []
            for var record in saved {
                record.turnIndex = next
                next += 1
                try record.insert(db)
                restored.append(record.turn)
            }
            _ = try entry.delete(db)
            try touchPlayed(db, adventureId: adventureId, now: clock.now())
            return RedoResult(restored: restored, turnCount: next)
        }
    }

    /// Usage of every generated turn, oldest first, with totals.
    public func usage(adventureId: String) throws -> UsageResult {
        try read { db in
            _ = try requireAdventure(db, id: adventureId)
            let records = try TurnRecord.filter(TurnRecord.Columns.adventureId == adventureId && Column("usage") != nil)
                .order(TurnRecord.Columns.turnIndex).fetchAll(db)
            var entries: [TurnUsageEntry] = []
            var totals = UsageTotals(promptTokens: 0, outputTokens: 0, thinkingTokens: 0, turns: 0)
            for record in records {
                guard let usage = UsageColumn.decode(record.usage) else { continue }
                entries.append(TurnUsageEntry(turnId: record.id, index: record.turnIndex, usage: usage))
                totals.promptTokens += usage.promptTokens
                totals.outputTokens += usage.outputTokens
                totals.thinkingTokens += usage.thinkingTokens
                totals.turns += 1
            }
            return UsageResult(totals: totals, turns: entries)
        }
    }

    // MARK: Helpers

    /// Throws `tooLarge` when the adventure already has `StoreLimits.maxTurnsPerAdventure` turns.
    func requireTurnRoom(_ db: Database, adventureId: String, index: Int) throws {
        let limit = StoreLimits.maxTurnsPerAdventure
        guard index < limit else {
            throw StoreError.tooLarge(
                field: "adventureId", limit: limit, message: "an adventure holds at most \(limit) turns")
        }
    }

    func insertTurn(
        _ db: Database, adventureId: String, role: TurnRole, action: ActionKind?, text: String, usage: TurnUsage?,
        activatedCards: String? = nil
    ) throws -> Turn {
        _ = try requireAdventure(db, id: adventureId)
        let now = clock.now()
        let index = try turnCount(db, adventureId: adventureId)
        try requireTurnRoom(db, adventureId: adventureId, index: index)
        let record = TurnRecord(
            id: Identifier.make(Identifier.turn), adventureId: adventureId,
            turnIndex: index, role: role.rawValue,
            action: action?.rawValue, text: text, createdAt: now, usage: UsageColumn.encode(usage),
            activatedCards: activatedCards)
        try record.insert(db)
        try touchPlayed(db, adventureId: adventureId, now: now)
        return record.turn
    }

    func clearRedo(_ db: Database, adventureId: String) throws {
        try db.execute(sql: "DELETE FROM redoEntry WHERE adventureId = ?", arguments: [adventureId])
    }
}
