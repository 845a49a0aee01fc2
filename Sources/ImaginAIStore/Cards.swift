import GRDB
import GRDBSQLite
import ImaginAICore
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Cards

    /// The owner's cards in position order.
    public func cards(of owner: CardOwner) throws -> [Card] {
        try read { db in
            try requireOwner(db, owner)
            return try fetchCards(db, owner: owner)
        }
    }

    /// Appends a card at the end of the owner's list.
    public func createCard(owner: CardOwner, draft: CardDraft) throws -> Card {
        try writer.write { db in
            try requireOwner(db, owner)
            try requireRoom(db, owner, adding: 1, field: owner.paramName)
            let record = CardRecord(
                id: Identifier.make(Identifier.card), owner: owner, position: try nextPosition(db, owner: owner),
                draft: draft)
            try record.insert(db)
            try touchOwner(db, owner, now: clock.now())
            return record.card
        }
    }

    /// A partial update: absent fields are kept.
    public func updateCard(id: String, changes: CardChanges) throws -> Card {
        try writer.write { db in
            var record = try requireCard(db, id: id)
            if let v = changes.type { record.type = v }
            if let v = changes.name { record.name = v }
            if let v = changes.description { record.description = v }
            if let v = changes.keys { record.keys = TextNormalization.keys(v) }
            if !changes.rules.isEmpty { record.rules = changes.rules.applied(to: record.rules) }
            try record.update(db)
            try touchOwner(db, record.owner, now: clock.now())
            return record.card
        }
    }

    /// Deletes the card; the later cards move up one position.
    public func deleteCard(id: String) throws {
        try writer.write { db in
            let record = try requireCard(db, id: id)
            try record.delete(db)
            let owner = record.owner
            try db.execute(
                sql: "UPDATE card SET position = position - 1 WHERE \(owner.columnName) = ? AND position > ?",
                arguments: [owner.id, record.position])
            try touchOwner(db, owner, now: clock.now())
        }
    }

    /// A copy named "<name> (copy)", with the same owner, placed right after the original.
    public func duplicateCard(id: String) throws -> Card {
        try writer.write { db in
            var record = try requireCard(db, id: id)
            let owner = record.owner
            try requireRoom(db, owner, adding: 1, field: "id")
            try db.execute(
                sql: "UPDATE card SET position = position + 1 WHERE \(owner.columnName) = ? AND position > ?",
                arguments: [owner.id, record.position])
            record.id = Identifier.make(Identifier.card)
            record.name = "\(record.name) (copy)"
            record.position += 1
            try record.insert(db)
            try touchOwner(db, owner, now: clock.now())
            return record.card
        }
    }

    /// Adds many cards in one transaction: after the existing ones (`append`) or instead of them
    /// (`replace`). Imported cards always get new ids. Returns the owner's whole list.
    public func importCards(owner: CardOwner, drafts: [CardDraft], mode: CardImportMode) throws -> [Card] {
        try writer.write { db in
            try requireOwner(db, owner)
            let position: Int
            switch mode {
            case .append:
                try requireRoom(db, owner, adding: drafts.count, field: "data")
                position = try nextPosition(db, owner: owner)
            case .replace:
                try Self.requireRoom(count: drafts.count, field: "data")
                try db.execute(sql: "DELETE FROM card WHERE \(owner.columnName) = ?", arguments: [owner.id])
                position = 0
            }
            try insertCards(db, owner: owner, drafts: drafts, from: position)
            try touchOwner(db, owner, now: clock.now())
            return try fetchCards(db, owner: owner)
        }
    }

    // MARK: Helpers

    /// Inserts `drafts` with new ids at positions `position`, `position + 1`, … through one cached
    /// statement, its values bound with SQLite's C API. A book of 10,000 entries is imported this way:
    /// the record's Codable insert builds its column list by name and encodes both key lists with a
    /// `JSONEncoder` for every card, and GRDB's argument arrays box each of the 24 values; together
    /// several times SQLite's own work. The values are those `CardRecord` stores (key lists as JSON text
    /// that `JSONColumn.strings` reads; no observers watch the card table).
    func insertCards(_ db: Database, owner: CardOwner, drafts: [CardDraft], from position: Int) throws {
        guard !drafts.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO card (id, scenarioId, adventureId, position, \(CardRecord.copiedColumns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let sqlite = statement.sqliteStatement
        sqlite3_reset(sqlite)
        defer {
            sqlite3_reset(sqlite)
            sqlite3_clear_bindings(sqlite)
        }
        var output = JSONOutput(capacity: 256)
        func bind(_ index: Int32, utf8: UnsafeBufferPointer<UInt8>) {
            // A null pointer would bind NULL; an empty text is bound as the empty string it is.
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                sqlite3_bind_text(sqlite, index, "", 0, nil)
                return
            }
            base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                _ = sqlite3_bind_text(sqlite, index, $0, Int32(utf8.count), transientText)
            }
        }
        func bind(_ index: Int32, _ text: String?) {
            guard var text else {
                sqlite3_bind_null(sqlite, index)
                return
            }
            text.withUTF8 { bind(index, utf8: $0) }
        }
        func bind(_ index: Int32, _ number: Int?) {
            guard let number else {
                sqlite3_bind_null(sqlite, index)
                return
            }
            sqlite3_bind_int64(sqlite, index, Int64(number))
        }
        func bind(_ index: Int32, _ flag: Bool) { sqlite3_bind_int64(sqlite, index, flag ? 1 : 0) }
        func bind(_ index: Int32, keys: [String]) {
            output.bytes.removeAll(keepingCapacity: true)
            output.strings(keys.isEmpty ? [] : TextNormalization.keys(keys))
            output.bytes.withUnsafeBufferPointer { bind(index, utf8: $0) }
        }
        let (scenarioId, adventureId): (String?, String?) = switch owner {
        case .scenario(let id): (id, nil)
        case .adventure(let id): (nil, id)
        }
        bind(2, scenarioId)
        bind(3, adventureId)
        for (offset, draft) in drafts.enumerated() {
            let rules = draft.rules
            bind(1, Identifier.make(Identifier.card))
            bind(4, position + offset)
            bind(5, draft.type)
            bind(6, draft.name)
            bind(7, draft.description)
            bind(8, keys: draft.keys)
            bind(9, keys: rules.secondaryKeys)
            bind(10, rules.selectiveLogic.rawValue)
            bind(11, rules.constant)
            bind(12, rules.enabled)
            bind(13, rules.order)
            bind(14, rules.probability)
            bind(15, rules.scanDepth)
            bind(16, rules.excludeRecursion)
            bind(17, rules.preventRecursion)
            bind(18, rules.sticky)
            bind(19, rules.cooldown)
            bind(20, rules.delay)
            bind(21, rules.group)
            bind(22, rules.position.rawValue)
            bind(23, rules.depth)
            bind(24, rules.notes)
            let code = sqlite3_step(sqlite)
            guard code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                    sql: statement.sql)
            }
            sqlite3_reset(sqlite)
        }
    }

    func fetchCards(_ db: Database, owner: CardOwner) throws -> [Card] {
        // A cached statement (the query interface would build and prepare the same SQL on every read),
        // naming its columns so rows are read by position: a lookup by name lower-cases and hashes the
        // name for every column of every row, which cost more than SQLite's own work.
        let statement = try db.cachedStatement(
            sql: "SELECT \(CardRecord.cardColumns) FROM card WHERE \(owner.columnName) = ? ORDER BY position, rowid")
        statement.setUncheckedArguments([owner.id])
        var cards: [Card] = []
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            cards.append(try CardRecord.card(positional: row))
        }
        return cards
    }

    func requireCard(_ db: Database, id: String) throws -> CardRecord {
        guard let record = try CardRecord.fetchOne(db, key: id) else {
            throw StoreError.notFound(kind: "card", id: id)
        }
        return record
    }

    func requireOwner(_ db: Database, _ owner: CardOwner) throws {
        let exists: Bool
        switch owner {
        case .scenario(let id): exists = try ScenarioRecord.exists(db, key: id)
        case .adventure(let id): exists = try AdventureRecord.exists(db, key: id)
        }
        if !exists { throw StoreError.notFound(kind: owner.kind, id: owner.id) }
    }

    /// Bumps the owner's updatedAt.
    func touchOwner(_ db: Database, _ owner: CardOwner, now: String) throws {
        try db.execute(sql: "UPDATE \(owner.kind) SET updatedAt = ? WHERE id = ?", arguments: [now, owner.id])
    }

    /// Throws `tooLarge` unless `adding` more cards keep the owner within `StoreLimits.maxCardsPerOwner`.
    func requireRoom(_ db: Database, _ owner: CardOwner, adding: Int, field: String) throws {
        let existing = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM card WHERE \(owner.columnName) = ?", arguments: [owner.id]) ?? 0
        try Self.requireRoom(count: existing + adding, field: field)
    }

    public static func requireRoom(count: Int, field: String) throws {
        let limit = StoreLimits.maxCardsPerOwner
        guard count <= limit else {
            throw StoreError.tooLarge(
                field: field, limit: limit,
                message: "a scenario or adventure holds at most \(limit) cards; this would make \(count)")
        }
    }

    func nextPosition(_ db: Database, owner: CardOwner) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT MAX(position) + 1 FROM card WHERE \(owner.columnName) = ?", arguments: [owner.id]
        ) ?? 0
    }
}

extension AppDatabase.CardOwner {
    /// The request param that names this owner.
    var paramName: String {
        switch self {
        case .scenario: return "scenarioId"
        case .adventure: return "adventureId"
        }
    }

    var id: String {
        switch self {
        case .scenario(let id), .adventure(let id): id
        }
    }

    /// The wire name of the owner's kind, which is also its table's name.
    var kind: String {
        switch self {
        case .scenario: "scenario"
        case .adventure: "adventure"
        }
    }

    /// The card column that points at this kind of owner.
    var columnName: String {
        switch self {
        case .scenario: "scenarioId"
        case .adventure: "adventureId"
        }
    }
}

/// Tells SQLite to copy bound text at once (`SQLITE_TRANSIENT`), which the C macro spells as -1.
private let transientText = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
