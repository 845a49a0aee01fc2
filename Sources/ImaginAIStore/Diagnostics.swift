import GRDB

// Internal helpers for tests and tools: they look at the database itself rather than through the API.
extension AppDatabase {
    /// A fresh in-memory database, optionally without the sample scenario.
    static func inMemory(seedSample: Bool) throws -> AppDatabase {
        try AppDatabase(writer: DatabaseQueue(configuration: makeConfiguration()), seedSample: seedSample)
    }

    /// The `detail` column of `EXPLAIN QUERY PLAN sql`.
    func queryPlan(_ sql: String, arguments: [String] = []) throws -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments))
                .map { $0["detail"] as String? ?? "" }
        }
    }

    /// The result of a single-integer query, e.g. a COUNT(*).
    func count(_ sql: String, arguments: [String] = []) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) ?? 0 }
    }

    /// The names of the tables and indexes in the schema.
    func schemaObjectNames() throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"))
        }
    }

    /// Raw SQL, to simulate damage or old data in tests.
    func execute(_ sql: String, arguments: [String] = []) throws {
        try writer.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }
}
