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
            // The cursor stays alive while its row is read (see requireScenario).
            let rows = try Row.fetchCursor(statement)
            guard let row = try rows.next() else {
                throw StoreError.notFound(kind: "scenario", id: id)
            }
            var out = JSONOutput(capacity: 16 << 10)
            out.raw(#"{"authorsNotes":"#); out.text(row, statement, 4)
            out.raw(#","cards":"#); try writeCards(db, owner: .scenario(id), to: &out)
            out.raw(#","createdAt":"#); out.text(row, statement, 9)
            out.raw(#","id":"#); out.text(row, statement, 0)
            out.raw(#","instructions":"#); out.text(row, statement, 2)
            out.raw(#","name":"#); out.text(row, statement, 1)
            out.raw(#","openingScene":"#); out.text(row, statement, 5)
            out.raw(#","playerDescription":"#); out.text(row, statement, 6)
            out.raw(#","plotEssentials":"#); out.text(row, statement, 3)
            out.raw(#","tags":"#); try out.stringList(row, statement, 7)
            out.raw(#","updatedAt":"#); out.text(row, statement, 10)
            out.raw(#","visibility":"#); out.string((Visibility(rawValue: row[8]) ?? .private).rawValue)
            out.raw("}")
            return out.bytes
        }
    }

    /// The owner's cards as a JSON array, in position order (what `fetchCards` reads, as JSON).
    func writeCards(_ db: Database, owner: CardOwner, to out: inout JSONOutput) throws {
        let statement = try db.cachedStatement(
            sql: "SELECT id, type, name, description, keys FROM card WHERE \(owner.columnName) = ? ORDER BY position, rowid")
        statement.setUncheckedArguments([owner.id])
        let rows = try Row.fetchCursor(statement)
        out.raw("[")
        var first = true
        while let row = try rows.next() {
            if !first { out.raw(",") }
            first = false
            out.raw(#"{"description":"#); out.text(row, statement, 3)
            out.raw(#","id":"#); out.text(row, statement, 0)
            out.raw(#","keys":"#); try out.stringList(row, statement, 4)
            out.raw(#","name":"#); out.text(row, statement, 2)
            out.raw(#","type":"#); out.text(row, statement, 1)
            out.raw("}")
        }
        out.raw("]")
    }
}

extension JSONOutput {
    /// A non-null TEXT column of the row `statement` is on, as a JSON string.
    fileprivate mutating func text(_ row: Row, _ statement: Statement, _ index: Int) {
        if let bytes = StoredText.bytes(statement, index), StoredText.isPlainASCII(bytes) {
            string(validUTF8: bytes)
        } else {
            string(row[index] as String)
        }
    }

    /// A column holding a JSON array of strings (keys, tags) as JSON. GRDB's own `["a","b"]`, in
    /// plain ASCII with nothing escaped, is already the JSON the encoder would write for it, so it is
    /// copied; anything else is parsed and written.
    fileprivate mutating func stringList(_ row: Row, _ statement: Statement, _ index: Int) throws {
        if let bytes = StoredText.bytes(statement, index), StoredText.isPlainASCII(bytes),
           StoredText.isSimpleStringArray(bytes) {
            self.bytes.append(contentsOf: bytes)
        } else {
            strings(try JSONColumn.strings(row[index] as String?))
        }
    }
}

enum StoredText {
    /// The column's text in SQLite's buffer, valid until the statement moves on; nil for NULL.
    static func bytes(_ statement: Statement, _ index: Int) -> UnsafeBufferPointer<UInt8>? {
        let sqlite = statement.sqliteStatement
        guard sqlite3_column_type(sqlite, Int32(index)) != SQLITE_NULL else { return nil }
        let text = sqlite3_column_text(sqlite, Int32(index))
        let count = Int(sqlite3_column_bytes(sqlite, Int32(index)))
        guard let text else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: count)
    }

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
