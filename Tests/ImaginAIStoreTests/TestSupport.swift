import Foundation
import GRDB
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// An empty in-memory database (no sample), for tests that count rows.
func emptyDB() throws -> AppDatabase {
    try AppDatabase.inMemory(seedSample: false)
}

/// A scenario with three cards and an opening scene.
func sampleDraft(name: String = "Harbor", cards: Int = 3) -> ScenarioDraft {
    ScenarioDraft(
        name: name, instructions: "Be vivid.", plotEssentials: "The harbor is haunted.",
        authorsNotes: "Keep it tense.", openingScene: "You stand on the quay.",
        playerDescription: "A sailor.", tags: ["Mystery", " sea ", "mystery", ""], visibility: .unlisted,
        cards: (0..<cards).map { i in
            CardDraft(type: "character", name: "Card \(i)", description: "Desc \(i)", keys: ["k\(i)", " k\(i) ", ""])
        })
}

/// What generating an ai turn cost, for tests that store generated turns.
let sampleUsage = TurnUsage(
    promptTokens: 100, outputTokens: 20, thinkingTokens: 0, source: .estimate,
    sections: SectionTokens(system: 10, history: 90), model: "offline/storyteller", latencyMs: 5, firstChunkMs: 1)

/// An adventure started from `sampleDraft()`: its opening scene is turn 0.
func sampleAdventure(_ db: AppDatabase) throws -> Adventure {
    let scenario = try db.createScenario(sampleDraft())
    return try db.startAdventure(scenarioId: scenario.id, name: nil)
}

/// A database file as an older ImaginAI left it: migrated up to `migration`, then `sql` run on it.
/// Returns where it is; the caller removes `directory` with `removeTemporary`.
func olderDatabaseFile(upTo migration: String, sql: String) throws -> (directory: URL, path: String) {
    let (directory, path) = temporaryPath()
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // ImaginAI's functions: migrations from v4 on call them.
    let queue = try DatabaseQueue(path: path, configuration: AppDatabase.makeConfiguration())
    try AppDatabase.migrator.migrate(queue, upTo: migration)
    try queue.write { db in try db.execute(sql: sql) }
    try queue.close()
    return (directory, path)
}

/// A unique path in a fresh temporary directory (removed by the caller with `removeTemporary`).
func temporaryPath(_ file: String = "store.sqlite") -> (directory: URL, path: String) {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("imaginai-store-tests-\(UUID().uuidString)")
    return (directory, directory.appendingPathComponent(file).path)
}

func removeTemporary(_ directory: URL) {
    try? FileManager.default.removeItem(at: directory)
}

/// Runs `body` and returns the StoreError it throws (nil if it throws nothing or something else).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return nil
    }
}
