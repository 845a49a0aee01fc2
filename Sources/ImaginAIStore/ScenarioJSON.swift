import FoundationEssentials
import GRDB
import GRDBSQLite
import ImaginAIProtocol

extension AppDatabase {
    /// `scenario(id:)` as its JSON, byte for byte what `JSONCoding.encodeBytes` makes of it, written
    /// straight from the rows: for pipelined `scenario/get`, making a String of every column, a Card
    /// of every row and then JSON of them all was most of the daemon's work. Text that is plain ASCII
    /// is written from SQLite's own buffer; anything else goes through the String GRDB would have
    /// made (so invalid UTF-8 is repaired, and a NUL cuts the text, exactly as there).
    public func scenarioJSON(id: String) throws -> [UInt8] {
        try read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT \(ScenarioRecord.positionalColumns) FROM scenario WHERE id = ?")
            statement.setUncheckedArguments([id])
            // Stepped here, not through a GRDB cursor: each cursor builds a dictionary of lower-cased
            // column names, which showed in the profile once the rest was this lean.
            let row = StoredRow(statement, db)
            defer { row.reset() }
            guard try row.step() else {
                throw StoreError.notFound(kind: "scenario", id: id)
            }
            var out = JSONOutput(capacity: 16 << 10)
            out.raw(#"{"authorsNotes":"#); row.text(4, to: &out)
            out.raw(#","cards":"#); try writeCards(db, owner: .scenario(id), to: &out)
            out.raw(#","createdAt":"#); row.text(9, to: &out)
            out.raw(#","id":"#); row.text(0, to: &out)
            out.raw(#","instructions":"#); row.text(2, to: &out)
            out.raw(#","name":"#); row.text(1, to: &out)
            out.raw(#","openingScene":"#); row.text(5, to: &out)
            out.raw(#","playerDescription":"#); row.text(6, to: &out)
            out.raw(#","plotEssentials":"#); row.text(3, to: &out)
            out.raw(#","tags":"#); try row.stringList(7, to: &out)
            out.raw(#","updatedAt":"#); row.text(10, to: &out)
            out.raw(#","visibility":"#); out.string((Visibility(rawValue: row.string(8) ?? "") ?? .private).rawValue)
            out.raw("}")
            return out.bytes
        }
    }

    /// The owner's cards as a JSON array, in position order (what `fetchCards` reads, as JSON).
    func writeCards(_ db: Database, owner: CardOwner, to out: inout JSONOutput) throws {
        let statement = try db.cachedStatement(
            sql: "SELECT \(CardRecord.cardColumns) FROM card WHERE \(owner.columnName) = ? ORDER BY position, rowid")
        statement.setUncheckedArguments([owner.id])
        let row = StoredRow(statement, db)
        defer { row.reset() }
        out.raw("[")
        var first = true
        // Keys in byte order, as `Card.writeJSON` writes them; column numbers as in `CardRecord.cardColumns`.
        while try row.step() {
            if !first { out.raw(",") }
            first = false
            out.raw(#"{"constant":"#); out.bool(row.int(7) != 0)
            out.raw(#","cooldown":"#); out.int(row.int(15))
            out.raw(#","delay":"#); out.int(row.int(16))
            out.raw(#","depth":"#); out.int(row.int(19))
            out.raw(#","description":"#); row.text(3, to: &out)
            out.raw(#","enabled":"#); out.bool(row.int(8) != 0)
            out.raw(#","excludeRecursion":"#); out.bool(row.int(12) != 0)
            out.raw(#","group":"#); if row.isNull(17) { out.raw("null") } else { row.text(17, to: &out) }
            out.raw(#","id":"#); row.text(0, to: &out)
            out.raw(#","keys":"#); try row.stringList(4, to: &out)
            out.raw(#","name":"#); row.text(2, to: &out)
            out.raw(#","notes":"#); row.text(20, to: &out)
            out.raw(#","order":"#); out.int(row.int(9))
            out.raw(#","position":"#); out.string((CardPosition(rawValue: row.string(18) ?? "") ?? .beforeHistory).rawValue)
            out.raw(#","preventRecursion":"#); out.bool(row.int(13) != 0)
            out.raw(#","probability":"#); out.int(row.int(10))
            out.raw(#","scanDepth":"#); if row.isNull(11) { out.raw("null") } else { out.int(row.int(11)) }
            out.raw(#","secondaryKeys":"#); try row.stringList(5, to: &out)
            out.raw(#","selectiveLogic":"#); out.string((SelectiveLogic(rawValue: row.string(6) ?? "") ?? .andAny).rawValue)
            out.raw(#","sticky":"#); out.int(row.int(14))
            out.raw(#","type":"#); row.text(1, to: &out)
            out.raw("}")
        }
        out.raw("]")
    }
}

/// A prepared statement stepped with SQLite's C API, its columns read in place.
private struct StoredRow {
    let statement: Statement
    let db: Database
    var sqlite: SQLiteStatement { statement.sqliteStatement }

    init(_ statement: Statement, _ db: Database) {
        self.statement = statement
        self.db = db
    }

    /// True when on a row, false when done.
    func step() throws -> Bool {
        switch sqlite3_step(sqlite) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                sql: statement.sql)
        }
    }

    func isNull(_ index: Int) -> Bool { sqlite3_column_type(sqlite, Int32(index)) == SQLITE_NULL }

    /// An INTEGER column (0 for NULL).
    func int(_ index: Int) -> Int { Int(sqlite3_column_int64(sqlite, Int32(index))) }

    /// Leaves the statement ready for its next use (and holding nothing).
    func reset() { sqlite3_reset(sqlite) }

    /// The column's text in SQLite's buffer, valid until the statement moves on; nil for NULL.
    func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        guard sqlite3_column_type(sqlite, Int32(index)) != SQLITE_NULL else { return nil }
        let text = sqlite3_column_text(sqlite, Int32(index))
        let count = Int(sqlite3_column_bytes(sqlite, Int32(index)))
        guard let text else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: count)
    }

    /// The column as GRDB reads a String (`String(cString:)`: repaired UTF-8, cut at a NUL); nil for NULL.
    func string(_ index: Int) -> String? {
        guard sqlite3_column_type(sqlite, Int32(index)) != SQLITE_NULL,
              let text = sqlite3_column_text(sqlite, Int32(index)) else { return nil }
        return String(cString: text)
    }

    /// A non-null TEXT column as a JSON string: written in place when plain ASCII, otherwise from the
    /// String GRDB would have made of it.
    func text(_ index: Int, to out: inout JSONOutput) {
        if let bytes = bytes(index), out.plainASCIIString(bytes) { return }
        out.string(string(index) ?? "")
    }

    /// A column holding a JSON array of strings (keys, tags) as JSON. GRDB's own `["a","b"]`, in
    /// plain ASCII with nothing escaped, is already the JSON the encoder would write for it, so it is
    /// copied; anything else is parsed and written.
    func stringList(_ index: Int, to out: inout JSONOutput) throws {
        if let bytes = bytes(index), StoredText.isPlainASCII(bytes), StoredText.isSimpleStringArray(bytes) {
            out.bytes.append(contentsOf: bytes)
        } else {
            out.strings(try JSONColumn.strings(string(index)))
        }
    }
}

enum StoredText {
    /// Only bytes 0x01...0x7F: valid UTF-8 that GRDB's `String(cString:)` would keep whole.
    static func isPlainASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        let high: UInt64 = 0x8080_8080_8080_8080, ones: UInt64 = 0x0101_0101_0101_0101
        while index + 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // A byte with its top bit set, or a zero byte (the classic has-zero-byte test).
            if word & high != 0 || (word &- ones) & ~word & high != 0 { return false }
            index += 8
        }
        while index < count {
            if base[index] == 0 || base[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }

    /// `[]` or `["…","…"]` with no backslash or control byte inside the strings and nothing between
    /// them but commas: what `JSONColumn.simpleStrings` reads, and what writing its result gives back.
    static func isSimpleStringArray(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = utf8.count
        guard count >= 2, utf8[0] == UInt8(ascii: "["), utf8[count - 1] == UInt8(ascii: "]") else { return false }
        if count == 2 { return true }
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), backslash = UInt8(ascii: "\\")
        var index = 1
        while true {
            guard index < count - 1, utf8[index] == quote else { return false }
            var end = index + 1
            while end < count - 1 && utf8[end] != quote {
                if utf8[end] == backslash || utf8[end] < 0x20 { return false }
                end += 1
            }
            guard end < count - 1 else { return false }
            index = end + 1
            if index == count - 1 { return true }
            guard utf8[index] == comma else { return false }
            index += 1
        }
    }
}
