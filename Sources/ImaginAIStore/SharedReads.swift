import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AppDatabase {
    /// Runs `body` with every read this thread makes through this database, until `body` returns,
    /// inside one read transaction: one snapshot, one reader checkout and one BEGIN/COMMIT for many
    /// reads. For the connection's reader thread, which answers pipelined reads one after another:
    /// per read, the checkout, BEGIN/COMMIT and SQLite's lock calls cost as much as the read itself.
    ///
    /// The reads see the state committed when the first of them ran, so the caller may only put in
    /// one scope reads that are not ordered after a write (nothing answered as done may be missing
    /// from them). Reads on other threads are unaffected. `body` must not write through this
    /// database: a write inside a read of the same thread is not allowed by GRDB.
    public func sharingReads(_ body: () -> Void) {
        var ran = false
        do {
            try writer.read { db in
                let thread = pthread_self()
                sharedRead.withLock { $0 = SharedRead(thread: thread, database: db) }
                defer { sharedRead.withLock { $0 = nil } }
                ran = true
                body()
            }
        } catch {
            // No transaction could be opened (or closed): each read then opens its own and meets the
            // same error, as it would have without sharing.
            if !ran { body() }
        }
    }

    /// Every read method goes through here: inside `sharingReads` on its thread, the shared
    /// transaction; otherwise a read transaction of its own.
    func read<T>(_ work: (Database) throws -> T) throws -> T {
        let shared = sharedRead.withLock { shared -> Database? in
            guard let shared, pthread_equal(shared.thread, pthread_self()) != 0 else { return nil }
            return shared.database
        }
        if let shared { return try work(shared) }
        return try writer.read(work)
    }
}

/// The transaction `sharingReads` holds open, and the only thread that may use it.
struct SharedRead: @unchecked Sendable {
    // Unchecked: `database` is used only on `thread`, inside the GRDB read that opened it.
    let thread: pthread_t
    let database: Database
}
