import Foundation
import GRDB
import Synchronization
import ImaginAICore
import ImaginAIProtocol

/// The app's database: scenarios, their cards, adventures and their turns, settings.
///
/// One instance owns one GRDB writer (a `DatabasePool` in WAL mode on disk, a `DatabaseQueue` in
/// memory). Every write method is one IMMEDIATE transaction, so several processes can share a file.
public final class AppDatabase: Sendable {
    /// Who a card belongs to.
    public enum CardOwner: Sendable, Equatable {
        case scenario(String)
        case adventure(String)
    }

    let writer: any DatabaseWriter
    let clock: StoreClock
    /// Set while `sharingReads` runs (see there).
    let sharedRead = Mutex<SharedRead?>(nil)
    /// Recall's document counts of terms, kept between recalls (see `rarestTerms`).
    let termCounts = Mutex(RecallTermCounts())
    /// This process's name in the change log (`libraryChange.writer`): random, so that two processes on
    /// one file (or two databases opened by one test) never take each other's changes for their own.
    public let writerID = Identifier.make("proc")

    init(writer: any DatabaseWriter, seedSample: Bool = true, clock: StoreClock = .shared) throws {
        self.writer = writer
        self.clock = clock
        // In memory there is nothing to copy before a migration.
        try Self.migrate(writer, copyingBeforeMigrationFrom: writer.path == ":memory:" ? nil : writer.path)
        try installChangeTriggers()
        if seedSample {
            try seedSampleIfNeeded()
        }
    }

    /// Opens (creating if needed) the database at `path`; `":memory:"` gives an in-memory database.
    ///
    /// Throws a `StorageProblem` when the file cannot be used: a folder, a file that cannot be opened,
    /// one that is not a database or is damaged, or one a newer ImaginAI wrote. Such a file is looked at
    /// read-only first (see `inspect`) and is left byte for byte as it was. Before a migration is
    /// applied to a file that holds data, the file is copied beside itself (see `migrate`).
    public static func open(path given: String) throws -> AppDatabase {
        if given == ":memory:" { return try inMemory() }
        // Absolute, so that the path in a -31005 error says which file even to a client elsewhere.
        let path = absolutePath(given)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StorageProblem.folder(path: path)
        }
        do {
            try prepareFile(at: path)
        } catch {
            throw StorageProblem.unwritable(path: path, detail: Self.describe(error))
        }
        try inspect(path: path)
        try checkWritable(path: path)
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: makeConfiguration())
                return try AppDatabase(writer: pool)
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 5
            {
                // Switching a fresh file to WAL races with another process doing the same: try again.
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            } catch let problem as StorageProblem {
                throw problem
            } catch {
                throw StorageProblem(error, path: path) ?? StorageProblem.unwritable(path: path, detail: "\(error)")
            }
        }
    }

    /// SQLite opens a file it may not write read-only without a word, and creates -wal and -shm files
    /// before its first write fails: a file, folder or disk that cannot be written is refused first.
    static func checkWritable(path: String) throws {
        if access(path, W_OK) != 0 {
            throw StorageProblem.unwritable(path: path, detail: "the file cannot be written: \(String(cString: strerror(errno)))")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: path + "-wal"), access(folder.isEmpty ? "." : folder, W_OK) != 0 {
            throw StorageProblem.unwritable(
                path: path, detail: "its folder \(folder) cannot be written, and SQLite keeps its -wal and -shm files there: \(String(cString: strerror(errno)))")
        }
    }

    static func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// The reason in a Foundation or POSIX error, without the type dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        return error.localizedDescription
    }

    /// A fresh in-memory database (seeded with the sample scenario, like a new file).
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(writer: DatabaseQueue(configuration: makeConfiguration()))
    }

    /// The configuration of every connection.
    static func makeConfiguration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Another process may hold the write lock: wait for it rather than fail.
        config.busyMode = .timeout(10)
        // Write transactions are IMMEDIATE: GRDB begins non-read-only transactions with
        // `BEGIN IMMEDIATE` unless told otherwise (Database.beginTransaction), which takes the write lock
        // up front, so two processes never deadlock upgrading a read lock.
        config.label = "ImaginAIStore"
        config.prepareDatabase { db in
            db.add(function: foldFunction)
            db.add(function: newIdFunction)
            db.add(function: recallTextFunction)
        }
        return config
    }

    /// `imaginai_fold(text)`: Unicode lowercase, for case-insensitive search (SQLite's LIKE folds ASCII only).
    static let foldFunction = DatabaseFunction("imaginai_fold", argumentCount: 1, pure: true) { values in
        guard let string = String.fromDatabaseValue(values[0]) else { return nil }
        return string.lowercased()
    }

    /// `imaginai_recall_text(text)`: a turn's text as the recall index holds it (the triggers of
    /// migration v4-recall call it on every write of a turn).
    static let recallTextFunction = DatabaseFunction("imaginai_recall_text", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return RecallText.indexed(text)
    }

    /// `imaginai_new_id(prefix)`: a fresh random id, for copying many rows in one SQL statement.
    static let newIdFunction = DatabaseFunction("imaginai_new_id", argumentCount: 1, pure: false) { values in
        guard let prefix = String.fromDatabaseValue(values[0]) else { return nil }
        return Identifier.make(prefix)
    }

    /// Creates missing parent directories (owner-only) and a new, empty file readable and writable by the
    /// owner only. SQLite gives its -wal and -shm files the database file's permissions.
    static func prepareFile(at path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.path) {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: path,
                NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO),
            ])
        }
    }

    /// Applies the migrations. Two processes opening a fresh file at once may both see "v1" as pending;
    /// the loser's migration fails (its tables exist by then): it then checks that the winner completed
    /// the migrations, and carries on.
    ///
    /// A file with a migration this version does not know was written by a newer ImaginAI: it is not
    /// migrated (`StorageProblem.newerSchema`). With `copyPath`, a file that holds data and has a
    /// migration pending is first copied to `NAME.before-MIGRATION.sqlite` beside it.
    static func migrate(_ writer: any DatabaseWriter, copyingBeforeMigrationFrom copyPath: String? = nil) throws {
        let migrator = self.migrator
        let known = migrator.migrations
        let (applied, holdsData) = try writer.read { db in
            (try migrator.appliedIdentifiers(db),
             try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')") ?? false)
        }
        let unknown = applied.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw StorageProblem.newerSchema(path: writer.path, unknownMigrations: unknown)
        }
        if let copyPath, holdsData, let firstPending = known.first(where: { !applied.contains($0) }) {
            try copyBeforeMigration(writer, path: copyPath, migration: firstPending)
        }
        var attempt = 0
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                attempt += 1
                if try writer.read(migrator.hasCompletedMigrations) { return }
                if attempt >= 5 { throw error }
            }
        }
    }

    /// The identifiers of the applied migrations, oldest first.
    func appliedMigrations() throws -> [String] {
        try writer.read { try Self.migrator.appliedMigrations($0) }
    }

    static let sampleSeededKey = "sampleSeeded"

    /// On the first open of a database, inserts the built-in sample scenario, once: the flag is set in
    /// the same IMMEDIATE transaction, so deleting the sample never brings it back, and two processes
    /// opening a fresh file together seed it once.
    func seedSampleIfNeeded() throws {
        try writer.write { db in
            if try AppStateRecord.fetchOne(db, key: Self.sampleSeededKey) != nil { return }
            _ = try insertScenario(db, draft: SampleScenario.draft, now: clock.now())
            try AppStateRecord(key: Self.sampleSeededKey, value: "true").insert(db)
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try writer.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }
}
