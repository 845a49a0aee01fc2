import GRDB
import ImaginAICore
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Scenarios

    /// Summaries, most recently updated first (ties: newest insert first). `query` matches a
    /// case-insensitive substring of the name, the player description or any tag; `tag` an exact tag,
    /// case-insensitively. `total` counts all matches, ignoring `limit` and `offset`.
    public func listScenarios(query: String?, tag: String?, limit: Int, offset: Int) throws -> ScenarioListResult {
        let needle = query?.trimmingWhitespace().lowercased()
        let tagNeedle = tag?.trimmingWhitespace().lowercased()
        let filter = """
            WHERE (:query IS NULL
                   OR instr(imaginai_fold(s.name), :query) > 0
                   OR instr(imaginai_fold(s.playerDescription), :query) > 0
                   OR EXISTS (SELECT 1 FROM json_each(s.tags) WHERE instr(imaginai_fold(json_each.value), :query) > 0))
              AND (:tag IS NULL
                   OR EXISTS (SELECT 1 FROM json_each(s.tags) WHERE imaginai_fold(json_each.value) = :tag))
            """
        let arguments: StatementArguments = [
            "query": needle?.isEmpty == false ? needle : nil,
            "tag": tagNeedle?.isEmpty == false ? tagNeedle : nil,
            "limit": max(0, limit),
            "offset": max(0, offset),
        ]
        return try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scenario s \(filter)", arguments: arguments) ?? 0
            let rows = try ScenarioSummaryRow.fetchAll(db, sql: """
                SELECT s.id, s.name, s.playerDescription, s.tags, s.visibility, s.createdAt, s.updatedAt,
                       (SELECT COUNT(*) FROM card c WHERE c.scenarioId = s.id) AS cardCount
                FROM scenario s
                \(filter)
                ORDER BY s.updatedAt DESC, s.rowid DESC
                LIMIT :limit OFFSET :offset
                """, arguments: arguments)
            return ScenarioListResult(scenarios: rows.map(\.summary), total: total)
        }
    }

    /// The scenario with its cards in position order.
    public func scenario(id: String) throws -> Scenario {
        try read { db in try fetchScenario(db, id: id) }
    }

    /// All in one transaction: a file of several scenarios is imported whole or not at all.
    public func createScenarios(_ drafts: [ScenarioDraft]) throws -> [Scenario] {
        for draft in drafts { try Self.requireRoom(count: draft.cards.count, field: "scenario.cards") }
        return try writer.write { db in
            let now = clock.now()
            return try drafts.map { try fetchScenario(db, id: try insertScenario(db, draft: $0, now: now)) }
        }
    }

    public func createScenario(_ draft: ScenarioDraft) throws -> Scenario {
        try Self.requireRoom(count: draft.cards.count, field: "scenario.cards")
        return try writer.write { db in
            let id = try insertScenario(db, draft: draft, now: clock.now())
            return try fetchScenario(db, id: id)
        }
    }

    /// A partial update: absent fields are kept. `cards`, when present, replaces the whole set; a draft
    /// whose id names a card of this scenario keeps that id (and is updated), the others get new ids.
    public func updateScenario(id: String, changes: ScenarioChanges) throws -> Scenario {
        try Self.requireRoom(count: changes.cards?.count ?? 0, field: "changes.cards")
        return try writer.write { db in
            var record = try requireScenario(db, id: id)
            record.apply(StoryTextChanges(changes))
            if let v = changes.visibility { record.visibility = v.rawValue }
            record.updatedAt = clock.now()
            try record.update(db)

            if let drafts = changes.cards {
                let owner = CardOwner.scenario(id)
                let existing = try Set(String.fetchAll(
                    db, CardRecord.filter(CardRecord.Columns.scenarioId == id).select(CardRecord.Columns.id)))
                try CardRecord.filter(CardRecord.Columns.scenarioId == id).deleteAll(db)
                var used = Set<String>()
                for (position, draft) in drafts.enumerated() {
                    let cardId: String
                    if let wanted = draft.id, existing.contains(wanted), used.insert(wanted).inserted {
                        cardId = wanted
                    } else {
                        cardId = Identifier.make(Identifier.card)
                    }
                    try CardRecord(id: cardId, owner: owner, position: position, draft: draft).insert(db)
                }
            }
            return try fetchScenario(db, id: id)
        }
    }

    /// Deletes the scenario and its cards. Adventures started from it survive with a null scenarioId.
    public func deleteScenario(id: String) throws {
        try writer.write { db in
            guard try ScenarioRecord.deleteOne(db, key: id) else {
                throw StoreError.notFound(kind: "scenario", id: id)
            }
        }
    }

    /// A copy with new ids everywhere; named `name`, or "<name> (copy)".
    public func duplicateScenario(id: String, name: String?) throws -> Scenario {
        try writer.write { db in
            var record = try requireScenario(db, id: id)
            let now = clock.now()
            record.id = Identifier.make(Identifier.scenario)
            record.name = Self.copyName(name, original: record.name)
            record.createdAt = now
            record.updatedAt = now
            try record.insert(db)
            try db.execute(sql: """
                INSERT INTO card (id, scenarioId, adventureId, position, \(CardRecord.copiedColumns))
                SELECT imaginai_new_id(?), ?, NULL, position, \(CardRecord.copiedColumns)
                FROM card WHERE scenarioId = ? ORDER BY position
                """, arguments: [Identifier.card, record.id, id])
            return try fetchScenario(db, id: record.id)
        }
    }

    // MARK: Helpers

    /// `name` when it has text, otherwise "<original> (copy)".
    static func copyName(_ name: String?, original: String) -> String {
        if let name, !name.trimmingWhitespace().isEmpty { return name }
        return "\(original) (copy)"
    }

    func requireScenario(_ db: Database, id: String) throws -> ScenarioRecord {
        let statement = try db.cachedStatement(
            sql: "SELECT \(ScenarioRecord.positionalColumns) FROM scenario WHERE id = ?")
        statement.setUncheckedArguments([id])
        // The cursor stays alive while the row is read: the row reads its statement, which the
        // cursor resets when it goes away.
        let rows = try Row.fetchCursor(statement)
        guard let row = try rows.next() else {
            throw StoreError.notFound(kind: "scenario", id: id)
        }
        return try ScenarioRecord(positional: row)
    }

    func fetchScenario(_ db: Database, id: String) throws -> Scenario {
        try requireScenario(db, id: id).scenario(cards: fetchCards(db, owner: .scenario(id)))
    }

    /// Inserts a scenario and its cards (new ids; draft card ids are ignored). Returns the new id.
    func insertScenario(_ db: Database, draft: ScenarioDraft, now: String) throws -> String {
        let record = ScenarioRecord(
            id: Identifier.make(Identifier.scenario), name: draft.name, instructions: draft.instructions,
            plotEssentials: draft.plotEssentials, authorsNotes: draft.authorsNotes,
            openingScene: draft.openingScene, playerDescription: draft.playerDescription,
            tags: TextNormalization.tags(draft.tags), visibility: draft.visibility.rawValue,
            createdAt: now, updatedAt: now
        )
        try record.insert(db)
        try insertCards(db, owner: .scenario(record.id), drafts: draft.cards, from: 0)
        return record.id
    }
}
