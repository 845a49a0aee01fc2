import Foundation
import GRDB
import GRDBSQLite

extension AppDatabase {
    /// Looks at an existing file read-only before anything writes to it: a file that is not a database,
    /// a damaged one and one a newer ImaginAI wrote are reported (as a `StorageProblem`) untouched.
    ///
    /// The file is opened `immutable` unless a -wal file lies beside it: a read-only connection to a
    /// WAL database otherwise creates -wal and -shm files (and cannot remove them). With a -wal file
    /// present another process has the database open, and the WAL must be read to see its state.
    /// Reading the schema reads every page of `sqlite_master`, and SQLite checks the page count in the
    /// header against the file's size, so a truncated file fails here too.
    static func inspect(path: String) throws {
        // A hot rollback journal (a copy made by `backup` is in rollback mode) must be rolled back
        // before the file can be read, which a read-only connection cannot do: opening the pool does it.
        if FileManager.default.fileExists(atPath: path + "-journal") { return }
        let hasWAL = FileManager.default.fileExists(atPath: path + "-wal")
        let before = fileStamp(path)
        do {
            try inspect(path: path, locking: hasWAL)
        } catch let problem as StorageProblem where problem.reason == .corrupt && !hasWAL {
            // Without locks, a file another process was writing meanwhile (a fresh one being set up)
            // can read as damaged: look again, with locks, if it changed.
            guard fileStamp(path) != before || FileManager.default.fileExists(atPath: path + "-wal") else { throw problem }
            try inspect(path: path, locking: true)
        }
    }

    /// Size, modification time and file number: what tells that a file was written.
    static func fileStamp(_ path: String) -> [String] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }
        return [FileAttributeKey.size, .modificationDate, .systemFileNumber].map { "\(attributes[$0] ?? "")" }
    }

    private static func inspect(path: String, locking: Bool) throws {
        let uri = "file:" + uriEscaped(path) + (locking ? "?mode=ro" : "?immutable=1")
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        func failure(_ code: Int32) -> StorageProblem {
            var detail = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            // "unable to open database file" alone does not say why; the system's error does.
            if let connection, sqlite3_system_errno(connection) != 0 {
                detail += ": " + String(cString: strerror(sqlite3_system_errno(connection)))
            }
            let error = DatabaseError(resultCode: ResultCode(rawValue: code), message: detail)
            return StorageProblem(error, path: path) ?? StorageProblem.unwritable(path: path, detail: detail)
        }
        let opened = sqlite3_open_v2(uri, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nil)
        guard opened == SQLITE_OK, let connection else { throw failure(opened) }
        sqlite3_busy_timeout(connection, 10_000)

        func strings(_ sql: String) throws -> [String] {
            var statement: OpaquePointer?
            let prepared = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
            defer { sqlite3_finalize(statement) }
            guard prepared == SQLITE_OK else { throw failure(prepared) }
            var values: [String] = []
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { return values }
                guard step == SQLITE_ROW else { throw failure(step) }
                values.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
            }
        }
        let tables = try strings("SELECT name FROM sqlite_master WHERE type = 'table'")
        guard tables.contains("grdb_migrations") else { return }
        let known = migrator.migrations
        let unknown = try strings("SELECT identifier FROM grdb_migrations").filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw StorageProblem.newerSchema(path: path, unknownMigrations: unknown)
        }
    }

    /// A path as the path of an SQLite `file:` URI (only these three characters mean something there).
    static func uriEscaped(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "?", with: "%3f")
            .replacingOccurrences(of: "#", with: "%23")
    }

    /// The database file's path without its extension: the start of its copies' names.
    static func copyStem(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        return stem.isEmpty ? name : stem
    }

    /// Where the copy taken before `migration` goes: `NAME.before-MIGRATION.sqlite` beside the file.
    public static func copyPath(of path: String, beforeMigration migration: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return (folder as NSString).appendingPathComponent("\(copyStem(of: path)).before-\(migration).sqlite")
    }

    /// Copies the file before `migration` is applied. A copy that already holds `migration` means
    /// another process migrated meanwhile (and took its own copy first): it is dropped, so a copy by
    /// that name only ever holds the state before the migration.
    static func copyBeforeMigration(_ reader: any DatabaseReader, path: String, migration: String) throws {
        let destination = copyPath(of: path, beforeMigration: migration)
        do {
            try writeCopy(of: reader, to: destination, replacing: true) { copy in
                try !migrator.appliedIdentifiers(copy).contains(migration)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StorageProblem(
                path: path, reason: .diskFull,
                message: "The disk holding the library file \(path) is full: ImaginAI copies the file to \(destination) "
                    + "before it upgrades its schema, and the copy did not fit. Nothing was changed. Free some space "
                    + "on that disk (about the size of the library file) and start ImaginAI again.")
        } catch let problem as StorageProblem {
            throw problem
        } catch {
            throw StorageProblem(error, path: path)
                ?? StorageProblem.unwritable(path: path, detail: "copying it to \(destination) failed: \(describe(error))")
        }
    }

    /// A consistent copy of the database at `destination`, owner-only (0600), made with SQLite's backup
    /// API inside one read transaction: in WAL mode other processes write on meanwhile, and the copy
    /// holds the state committed when it began. It is written under a temporary name and renamed into
    /// place, so `destination` never holds half a copy. `keep` may refuse the finished copy.
    /// Without `replacing`, an existing `destination` is an error (`EEXIST`) and is left alone.
    static func writeCopy(
        of reader: any DatabaseReader, to destination: String, replacing: Bool,
        keep: (Database) throws -> Bool = { _ in true }
    ) throws {
        if !replacing && FileManager.default.fileExists(atPath: destination) {
            throw POSIXError(.EEXIST)
        }
        let partial = destination + ".\(getpid()).partial"
        unlink(partial)
        let fd = Foundation.open(partial, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        close(fd)
        do {
            let copy = try DatabaseQueue(path: partial)
            try reader.backup(to: copy)
            // The source's WAL flag came with its first page: a copy in rollback mode is one file that
            // can be moved, mailed or opened read-only without -wal and -shm files appearing.
            try copy.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
            let kept = try copy.read(keep)
            try copy.close()
            guard kept else {
                unlink(partial)
                return
            }
            if !replacing && FileManager.default.fileExists(atPath: destination) {
                throw POSIXError(.EEXIST)
            }
            guard rename(partial, destination) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            unlink(partial)
            unlink(partial + "-journal")
            throw error
        }
    }

    /// `imaginai backup`: copies the database at `path` to `destination` while other processes may be
    /// writing to it. The file is not migrated (a library a newer ImaginAI wrote is copied as it is).
    /// Returns the result of `PRAGMA quick_check` on the copy ("ok" when sound).
    public static func backup(path given: String, to givenDestination: String) throws -> String {
        let (path, destination) = (absolutePath(given), absolutePath(givenDestination))
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw StorageProblem.unwritable(path: path, detail: "no such file")
        }
        if isFolder.boolValue { throw StorageProblem.folder(path: path) }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // Read-write so that closing it, as the last connection, checkpoints and removes the -wal and
            // -shm files a read-only connection would leave behind.
            let source = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? source.close() }
            try writeCopy(of: source, to: destination, replacing: false)
        } catch let error as POSIXError where error.code == .EEXIST {
            throw StorageProblem(
                path: destination, reason: .unwritable,
                message: "\(destination) already exists; ImaginAI does not overwrite it. Choose another name with --to.")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StorageProblem(
                path: destination, reason: .diskFull,
                message: "The disk holding \(destination) is full: the copy of \(path) did not fit and was removed. "
                    + "Free some space there, or choose a copy on another disk with --to.")
        } catch let error as DatabaseError {
            throw StorageProblem(error, path: path) ?? StorageProblem.unwritable(path: path, detail: "\(error)")
        } catch let problem as StorageProblem {
            throw problem
        } catch {
            throw StorageProblem.unwritable(path: destination, detail: describe(error))
        }
        let copy = try DatabaseQueue(path: destination, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? copy.close() }
        return try copy.read { try String.fetchAll($0, sql: "PRAGMA quick_check").joined(separator: "\n") }
    }
}
