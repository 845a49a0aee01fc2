import GRDB
import GRDBSQLite
import ImaginAIProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The change log behind `library/changed`: every write an ImaginAI process commits to a scenario,
/// adventure, card, turn or the settings leaves a row in `libraryChange` (migration v6), in the same
/// transaction, tagged with the process's `writerID`. Another process reads the rows after the last one
/// it has seen and tells its client; its own rows it skips (its responses already said them).
///
/// The rows are written by TEMP triggers on this process's writing connection, so every write path
/// (daemon, `imaginai import` and the other commands, play) is covered without each one knowing, while
/// a sqlite3 shell on the file writes as before (its writes are not announced).
extension AppDatabase {
    /// A change stays at least this long, so every daemon on the file (which reads within milliseconds)
    /// has read it before it goes.
    static let changeRetention = "-10 minutes"
    /// Older rows are pruned at every this-many-th change, inside the transaction that makes it: the
    /// table holds the last `changeRetention` of changes plus fewer than this many, with no timer. The
    /// prune reads the rows in seq order only up to the first recent one and deletes those before it
    /// (a range of the primary key), so it costs what it removes even while one transaction (a big
    /// import, a long adventure duplicated) is adding thousands of rows.
    static let changePruneInterval = 1000

    /// One table the log watches: how its rows read as a `library/changed` change. Each SQL fragment
    /// takes the row alias (`new` or `old`).
    private struct LoggedTable: Sendable {
        let table: String
        let kind: LibraryChangedNotification.Kind
        var id: @Sendable (String) -> String = { "\($0).id" }
        var scenarioId: @Sendable (String) -> String = { _ in "NULL" }
        var adventureId: @Sendable (String) -> String = { _ in "NULL" }
        /// Every write is this change of the owner row (a retry version changes its turn; a setting row
        /// changes "the settings").
        var always: LibraryChangedNotification.Change?
        /// Columns whose change alone is not announced (see the turn's).
        var quietColumns: Set<String> = []
        /// When a deleted row is announced: not when its owner went first (a cascade from deleting the
        /// owner, whose own deletion says it all).
        var deletedWhen: (@Sendable (String) -> String)?
        /// A condition on every write (the turn a version belongs to still exists).
        var when: (@Sendable (String) -> String)?
        /// A scenario or an adventure: the rows created with it in one commit are not announced.
        var isOwner = false
        /// The scenario or adventure whose creation in the same commit silences this row's changes: a
        /// new scenario's cards, a new or duplicated adventure's cards and turns come with it, and a
        /// client reads them with it.
        var owner: (@Sendable (String) -> String)?
    }

    private static let loggedTables: [LoggedTable] = [
        LoggedTable(table: "scenario", kind: .scenario, isOwner: true),
        LoggedTable(table: "adventure", kind: .adventure, scenarioId: { "\($0).scenarioId" }, isOwner: true),
        LoggedTable(
            table: "card", kind: .card, scenarioId: { "\($0).scenarioId" }, adventureId: { "\($0).adventureId" },
            deletedWhen: {
                "(\($0).scenarioId IS NULL OR EXISTS (SELECT 1 FROM scenario WHERE id = \($0).scenarioId))"
                    + " AND (\($0).adventureId IS NULL OR EXISTS (SELECT 1 FROM adventure WHERE id = \($0).adventureId))"
            },
            owner: { "coalesce(\($0).scenarioId, \($0).adventureId)" }),
        // turn/delete renumbers the later turns (two UPDATEs of turnIndex each); the turn's deletion tells
        // a client they moved down, so the renumbering is not announced turn by turn.
        LoggedTable(
            table: "turn", kind: .turn, adventureId: { "\($0).adventureId" }, quietColumns: ["turnIndex"],
            deletedWhen: { "EXISTS (SELECT 1 FROM adventure WHERE id = \($0).adventureId)" },
            owner: { "\($0).adventureId" }),
        LoggedTable(
            table: "turnVersion", kind: .turn, id: { "\($0).turnId" },
            adventureId: { "(SELECT adventureId FROM turn WHERE id = \($0).turnId)" }, always: .updated,
            when: { "EXISTS (SELECT 1 FROM turn WHERE id = \($0).turnId)" },
            owner: { "(SELECT adventureId FROM turn WHERE id = \($0).turnId)" }),
        LoggedTable(table: "setting", kind: .settings, id: { _ in "'settings'" }, always: .updated),
    ]

    /// The SQL that installs the log's TEMP triggers on one connection, for the process `writer`.
    /// With `newOwners`, the rows created in one commit with their scenario or adventure are not
    /// logged (it needs `imaginai_commit_count()`, see `CommitCounter`): importing a scenario of 10,000
    /// cards or duplicating a long adventure writes one row, not one per card and turn, which kept
    /// the log from adding a fifth to such a commit's time.
    static func changeTriggersSQL(_ db: Database, writer: String, newOwners: Bool) throws -> String {
        let writerLiteral = "'" + writer.replacingOccurrences(of: "'", with: "''") + "'"
        let stamp = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        var sql = ""
        if newOwners {
            // The scenarios and adventures created by the commit under way; rows of earlier commits
            // (another commit count) are cleared as the next owner is recorded.
            sql += "CREATE TEMP TABLE imaginai_new_owner (id TEXT PRIMARY KEY, commitCount INTEGER NOT NULL);\n"
        }
        for logged in loggedTables {
            let columns = try db.columns(in: logged.table).map(\.name).filter { !logged.quietColumns.contains($0) }
            for (event, row, change) in [
                ("INSERT", "new", LibraryChangedNotification.Change.created),
                ("UPDATE", "new", .updated),
                ("DELETE", "old", .deleted),
            ] {
                var conditions: [String] = []
                if let when = logged.when { conditions.append(when(row)) }
                if event == "DELETE", let deletedWhen = logged.deletedWhen { conditions.append("(\(deletedWhen(row)))") }
                if newOwners, let owner = logged.owner {
                    conditions.append(
                        "NOT EXISTS (SELECT 1 FROM imaginai_new_owner WHERE id = \(owner(row)) AND commitCount = imaginai_commit_count())")
                }
                if event == "UPDATE" {
                    // An UPDATE that leaves every column as it was (an upsert of the same setting, a
                    // rewrite of the same text) changes nothing anyone sees.
                    conditions.append("(" + columns.map { "old.\($0) IS NOT new.\($0)" }.joined(separator: " OR ") + ")")
                }
                let when = conditions.isEmpty ? "" : " WHEN " + conditions.joined(separator: " AND ")
                let recordOwner = newOwners && logged.isOwner && event == "INSERT" ? """
                      DELETE FROM imaginai_new_owner WHERE commitCount <> imaginai_commit_count();
                      INSERT OR REPLACE INTO imaginai_new_owner (id, commitCount) VALUES (new.id, imaginai_commit_count());

                    """ : ""
                sql += """
                    CREATE TEMP TRIGGER imaginai_change_\(logged.table)_\(event.lowercased()) AFTER \(event) ON main.\(logged.table)\(when) BEGIN
                    \(recordOwner)  INSERT INTO libraryChange (kind, changedId, change, scenarioId, adventureId, writer, at)
                      VALUES ('\(logged.kind.rawValue)', \(logged.id(row)), '\((logged.always ?? change).rawValue)',
                              \(logged.scenarioId(row)), \(logged.adventureId(row)), \(writerLiteral), \(stamp));
                    END;

                    """
            }
        }
        sql += """
            CREATE TEMP TRIGGER imaginai_change_prune AFTER INSERT ON main.libraryChange
            WHEN new.seq % \(changePruneInterval) = 0 BEGIN
              DELETE FROM libraryChange WHERE seq < coalesce(
                (SELECT seq FROM libraryChange WHERE at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '\(changeRetention)') ORDER BY seq LIMIT 1),
                new.seq);
            END;

            """
        return sql
    }

    /// Puts the log's triggers on the writing connection (the only one that writes: a pool's readers
    /// never do), and its commit signal (see `commitSignal`). Runs after the migrations, which create the
    /// tables the triggers watch.
    func installChangeTriggers() throws {
        try writer.writeWithoutTransaction { db in
            guard let connection = db.sqliteConnection, try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal" else {
                // In memory: no other process to tell, and no WAL hook to count commits.
                try db.execute(sql: try Self.changeTriggersSQL(db, writer: writerID, newOwners: false))
                return
            }
            // The hook replaces SQLite's automatic checkpoint, which is a WAL hook too: it is kept, at
            // the same threshold, inside ours.
            let counter = CommitCounter(checkpointThreshold: try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000)
            // The function holds the counter for as long as the connection lives; the hook borrows it.
            db.add(function: DatabaseFunction("imaginai_commit_count", argumentCount: 0, pure: false) { _ in counter.commits })
            try db.execute(sql: try Self.changeTriggersSQL(db, writer: writerID, newOwners: true))
            sqlite3_wal_hook(connection, commitSignal, Unmanaged.passUnretained(counter).toOpaque())
        }
    }

    /// The seq of the newest change in the log (0 when there is none): changes after it are new.
    public func latestChangeSeq() throws -> Int64 {
        try writer.read { db in try Self.latestChangeSeq(db) }
    }

    static func latestChangeSeq(_ db: Database) throws -> Int64 {
        // sqlite_sequence keeps the highest seq handed out even when every row has been pruned.
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'libraryChange'") ?? 0
    }

    /// What other processes committed after `seq`, in commit order, coalesced (see `coalesce`), and the
    /// seq to read after next time. `gap` is true when some of those changes were pruned before they
    /// could be read (the process was stopped for longer than `changeRetention`).
    public func changesFromOtherProcesses(after seq: Int64) throws -> (latest: Int64, changes: [LibraryChangedNotification], gap: Bool) {
        // Not `read`: the watch thread must never join a request's shared read transaction.
        try writer.read { db in
            let latest = try Self.latestChangeSeq(db)
            guard latest > seq else { return (max(latest, seq), [], false) }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, kind, changedId, change, scenarioId, adventureId FROM libraryChange
                    WHERE seq > ? AND seq <= ? AND writer <> ? ORDER BY seq
                    """,
                arguments: [seq, latest, writerID])
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM libraryChange WHERE seq > ?", arguments: [seq])
            let changes = rows.compactMap { row -> LibraryChangedNotification? in
                // A kind or change a newer ImaginAI logs is left out rather than misreported.
                guard let kind = LibraryChangedNotification.Kind(rawValue: row["kind"]),
                      let change = LibraryChangedNotification.Change(rawValue: row["change"])
                else { return nil }
                return LibraryChangedNotification(
                    kind: kind, id: row["changedId"], change: change, scenarioId: row["scenarioId"], adventureId: row["adventureId"])
            }
            return (latest, Self.coalesce(changes), (oldest ?? latest + 1) > seq + 1)
        }
    }

    /// One change per row, where the first one stood, so a scenario still comes before its cards: a
    /// row created and then updated was created; one deleted at the end was deleted; one deleted and
    /// created again (an undo then a redo brings back the same turn) was updated. One created and deleted
    /// again is announced as deleted, which a client that never saw it ignores, rather than not at all,
    /// which a client that did see it (read between the two) would miss. The owner fields are
    /// the last ones seen (an adventure whose scenario was deleted no longer names it).
    static func coalesce(_ changes: [LibraryChangedNotification]) -> [LibraryChangedNotification] {
        struct Key: Hashable {
            let kind: LibraryChangedNotification.Kind
            let id: String
        }
        var order: [Key] = []
        var merged: [Key: (first: LibraryChangedNotification.Change, last: LibraryChangedNotification)] = [:]
        for change in changes {
            let key = Key(kind: change.kind, id: change.id)
            if let seen = merged[key] {
                merged[key] = (seen.first, change)
            } else {
                order.append(key)
                merged[key] = (change.change, change)
            }
        }
        return order.map { key in
            let (first, last) = merged[key]!
            var result = last
            result.change = last.change == .deleted ? .deleted : first == .created ? .created : .updated
            return result
        }
    }
}

/// SQLite's WAL hook, called after each commit of the writing connection once the commit is visible to
/// other connections and the write lock is released. It sets the -wal file's modification time, an
/// attribute change every watcher (`LibraryWatch`) is waiting for. The writes to the -wal file itself
/// are no such signal: the last of them comes before SQLite publishes the commit in the -shm index
/// (and, with synchronous=FULL, before the fsync between the two), and a reader woken by it may see
/// the database as it was, with nothing left to wake it again. The context is the connection's
/// `CommitCounter`, which it counts the commit in, and whose automatic checkpoint threshold it applies
/// as SQLite's own hook does.
private let commitSignal: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    context, connection, schema, frames in
    guard let context else { return SQLITE_OK }
    let counter = Unmanaged<CommitCounter>.fromOpaque(context).takeUnretainedValue()
    counter.commits &+= 1
    if let connection, let schema, let file = sqlite3_db_filename(connection, schema) {
        _ = utimensat(AT_FDCWD, String(cString: file) + "-wal", nil, 0)
    }
    if counter.checkpointThreshold > 0, Int(frames) >= counter.checkpointThreshold {
        _ = sqlite3_wal_checkpoint(connection, schema)
    }
    return SQLITE_OK
}

/// The commits of one writing connection: `imaginai_commit_count()` is the same number for the whole
/// of a write transaction and a different one for every later transaction, which tells the rows a
/// commit creates with their scenario or adventure from rows added to an older one.
final class CommitCounter: @unchecked Sendable {
    // Unchecked: used only on the writing connection's thread, by its WAL hook (after a commit) and by
    // the SQL it runs (inside a transaction), never at once.
    var commits = 0
    let checkpointThreshold: Int

    init(checkpointThreshold: Int) {
        self.checkpointThreshold = max(checkpointThreshold, 0)
    }
}
