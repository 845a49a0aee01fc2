import GRDB
import ImaginAICore
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Turns

    /// A page of turns, oldest first. Without `beforeIndex`: the newest `limit` turns; with it: the
    /// `limit` turns just before that index. A nil `limit` means all of them.
    public func turns(adventureId: String, limit: Int?, beforeIndex: Int?) throws -> TurnListResult {
        try read { db in
            _ = try requireAdventure(db, id: adventureId)
            let turns = try fetchLatestTurns(db, adventureId: adventureId, limit: limit, beforeIndex: beforeIndex)
            return TurnListResult(turns: turns, turnCount: try turnCount(db, adventureId: adventureId))
        }
    }

    /// The newest `limit` turns, oldest first, for prompt assembly. Reads only those rows, through the
    /// (adventureId, turnIndex) index.
    public func latestTurns(adventureId: String, limit: Int) throws -> [Turn] {
        try read { db in
            _ = try requireAdventure(db, id: adventureId)
            return try fetchLatestTurns(db, adventureId: adventureId, limit: limit, beforeIndex: nil)
        }
    }

    /// Up to `limit` turns just before `beforeIndex` (nil: the newest), oldest first, as prompt assembly
    /// reads them page by page: one range read through the (adventureId, turnIndex) index
    /// (`promptTurnsSQL`), only the columns a prompt needs (no usage JSON to decode), so a page costs the
    /// same whatever the length of the adventure. An unknown adventure has no turns.
    public func promptTurns(adventureId: String, limit: Int, beforeIndex: Int?) throws -> [PromptTurn] {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: Self.promptTurnsSQL, arguments: [adventureId, beforeIndex ?? Int.max, max(0, limit)])
            return rows.reversed().map { row in
                let role: String = row["role"]
                let action: String? = row["action"]
                return PromptTurn(
                    index: row["turnIndex"],
                    speaker: role == TurnRole.ai.rawValue ? .ai : .player(action.flatMap(PlayerActionKind.init(rawValue:))),
                    text: row["text"])
            }
        }
    }

    static let promptTurnsSQL = """
        SELECT turnIndex, role, action, text FROM turn
        WHERE adventureId = ? AND turnIndex < ? ORDER BY turnIndex DESC LIMIT ?
        """

    /// The adventure a turn belongs to.
    public func adventureId(ofTurn id: String) throws -> String {
        try read { db in try requireTurn(db, id: id).adventureId }
    }

    /// Replaces a turn's text.
    public func editTurn(id: String, text: String) throws -> Turn {
        try writer.write { db in
            var record = try requireTurn(db, id: id)
            record.text = text
            try record.update(db)
            // An edit changes the version being shown, not the history of retries.
            try db.execute(
                sql: "UPDATE turnVersion SET text = ? WHERE turnId = ? AND version = ?",
                arguments: [text, id, record.currentVersion])
            try touchPlayed(db, adventureId: record.adventureId, now: clock.now())
            return record.turn
        }
    }

    /// Deletes a turn; the later turns move down one index so indexes stay 0..n-1.
    public func deleteTurn(id: String) throws {
        try writer.write { db in
            let record = try requireTurn(db, id: id)
            try record.delete(db)
            // UNIQUE(adventureId, turnIndex) is checked row by row, so shift in two steps: first to
            // negative values (no clash with the kept ones), then to the final ones.
            try db.execute(
                sql: "UPDATE turn SET turnIndex = -turnIndex WHERE adventureId = ? AND turnIndex > ?",
                arguments: [record.adventureId, record.turnIndex])
            try db.execute(
                sql: "UPDATE turn SET turnIndex = -turnIndex - 1 WHERE adventureId = ? AND turnIndex < 0",
                arguments: [record.adventureId])
            try touchPlayed(db, adventureId: record.adventureId, now: clock.now())
        }
    }

    /// Adds a turn at the next index and bumps the adventure's lastPlayedAt.
    public func appendTurn(adventureId: String, role: TurnRole, action: ActionKind?, text: String) throws -> Turn {
        try writer.write { db in
            _ = try requireAdventure(db, id: adventureId)
            let now = clock.now()
            let index = try turnCount(db, adventureId: adventureId)
            try requireTurnRoom(db, adventureId: adventureId, index: index)
            let record = TurnRecord(
                id: Identifier.make(Identifier.turn), adventureId: adventureId,
                turnIndex: index, role: role.rawValue,
                action: action?.rawValue, text: text, createdAt: now)
            try record.insert(db)
            try touchPlayed(db, adventureId: adventureId, now: now)
            return record.turn
        }
    }

    // MARK: Helpers

    func requireTurn(_ db: Database, id: String) throws -> TurnRecord {
        guard let record = try TurnRecord.fetchOne(db, key: id) else {
            throw StoreError.notFound(kind: "turn", id: id)
        }
        return record
    }

    /// Newest first through the index, then reversed: oldest first.
    func fetchLatestTurns(_ db: Database, adventureId: String, limit: Int?, beforeIndex: Int?) throws -> [Turn] {
        var request = TurnRecord.filter(TurnRecord.Columns.adventureId == adventureId)
        if let beforeIndex {
            request = request.filter(TurnRecord.Columns.turnIndex < beforeIndex)
        }
        request = request.order(TurnRecord.Columns.turnIndex.desc)
        if let limit {
            request = request.limit(max(0, limit))
        }
        return try request.fetchAll(db).reversed().map(\.turn)
    }

    /// A turn changed: the adventure was played and updated now.
    func touchPlayed(_ db: Database, adventureId: String, now: String) throws {
        try db.execute(
            sql: "UPDATE adventure SET lastPlayedAt = ?, updatedAt = ? WHERE id = ?",
            arguments: [now, now, adventureId])
    }
}
