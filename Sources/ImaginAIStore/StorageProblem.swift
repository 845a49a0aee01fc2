import Foundation
import GRDB

/// Why the library file cannot be used, or why one write could not be saved: the store's side of
/// error -31005. The message names the file and says what a person can do about it.
public struct StorageProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        /// The file is not an SQLite database, or its pages are damaged.
        case corrupt
        /// The file (or its folder, or the disk) cannot be opened, read or written.
        case unwritable
        /// A newer ImaginAI applied schema changes this one does not know.
        case newerSchema
        /// The disk is full: the write was rolled back.
        case diskFull
    }

    public var path: String
    public var reason: Reason
    public var message: String
    public var description: String { message }

    public init(path: String, reason: Reason, message: String) {
        self.path = path
        self.reason = reason
        self.message = message
    }

    /// Where to look for an earlier state of the file: the copies the daemon and `imaginai backup` leave
    /// beside it.
    static func copiesHint(_ path: String) -> String {
        let stem = AppDatabase.copyStem(of: path)
        return "copies taken before upgrades lie beside it as \(stem).before-*.sqlite, and 'imaginai backup' copies as \(stem).backup-*.sqlite"
    }

    public static func corrupt(path: String, detail: String) -> StorageProblem {
        StorageProblem(
            path: path, reason: .corrupt,
            message: "The library file \(path) is damaged or is not an ImaginAI database (SQLite says: \(detail)). "
                + "ImaginAI has not changed it. Restore a copy of it (\(copiesHint(path))), "
                + "or move it away to start a new, empty library.")
    }

    public static func unwritable(path: String, detail: String) -> StorageProblem {
        StorageProblem(
            path: path, reason: .unwritable,
            message: "ImaginAI cannot read and write the library file \(path) (\(detail)). "
                + "Check that it is a file you may read and write, in a folder you may write to, on a disk mounted "
                + "read-write; or choose another file with --db or IMAGINAI_DB.")
    }

    public static func folder(path: String) -> StorageProblem {
        let suggestion = (path as NSString).appendingPathComponent("imaginai.sqlite")
        return StorageProblem(
            path: path, reason: .unwritable,
            message: "The library path \(path) is a folder, not a database file. "
                + "Point --db or IMAGINAI_DB at a file, such as \(suggestion).")
    }

    public static func newerSchema(path: String, unknownMigrations: [String]) -> StorageProblem {
        let names = unknownMigrations.map { "'\($0)'" }.joined(separator: ", ")
        let changes = unknownMigrations.count == 1 ? "the schema change \(names), which this" : "the schema changes \(names), which this"
        return StorageProblem(
            path: path, reason: .newerSchema,
            message: "The library file \(path) was written by a newer ImaginAI: it has \(changes) version does not know. "
                + "ImaginAI has not changed it. Upgrade ImaginAI to open it, or open a copy taken before that "
                + "upgrade with --db (\(copiesHint(path))).")
    }

    public static func diskFull(path: String) -> StorageProblem {
        StorageProblem(
            path: path, reason: .diskFull,
            message: "The disk holding the library file \(path) is full: this change was not saved "
                + "(everything saved before it is kept, and reading goes on). Free some space on that disk and try again.")
    }

    /// The problem an SQLite error stands for, or nil when it is not about the file (a constraint, a
    /// busy timeout, a bug): those stay internal errors.
    public init?(_ error: any Error, path: String) {
        guard let error = error as? DatabaseError else { return nil }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_FULL:
            self = .diskFull(path: path)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            self = .corrupt(path: path, detail: detail)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM, .SQLITE_AUTH:
            self = .unwritable(path: path, detail: detail)
        default:
            return nil
        }
    }
}

extension AppDatabase {
    /// The file this database lives in (`:memory:` for an in-memory one).
    public var path: String { writer.path }

    /// The -31005 problem behind an error a store method threw, if it is one.
    public func storageProblem(for error: any Error) -> StorageProblem? {
        if let problem = error as? StorageProblem { return problem }
        return StorageProblem(error, path: path)
    }
}
