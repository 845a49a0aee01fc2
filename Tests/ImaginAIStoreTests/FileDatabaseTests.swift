import Foundation
import Synchronization
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct FileDatabaseTests {
    func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func newFileIsOwnerOnlyInCreatedDirectories() throws {
        let (directory, _) = temporaryPath()
        defer { removeTemporary(directory) }
        let path = directory.appendingPathComponent("nested/deeper/app.sqlite").path
        let db = try AppDatabase.open(path: path)
        _ = try db.createScenario(ScenarioDraft(name: "x"))
        #expect(try permissions(path) == 0o600)
        #expect(try permissions(path + "-wal") & 0o077 == 0)
        #expect(try permissions(directory.appendingPathComponent("nested/deeper").path) == 0o700)
        #expect(try db.integrityCheck() == "ok")
    }

    @Test func existingFilePermissionsAreLeftAlone() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
        _ = try AppDatabase.open(path: path)
        #expect(try permissions(path) == 0o640)
    }

    @Test func usesWALMode() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let db = try AppDatabase.open(path: path)
        #expect(try db.queryPlan("SELECT 1").count >= 0)  // opens fine
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func sampleIsSeededOnceAndNeverAgain() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let first = try AppDatabase.open(path: path)
        let list = try first.listScenarios(query: nil, tag: nil, limit: 10, offset: 0)
        #expect(list.total == 1)
        #expect(list.scenarios[0].name == SampleScenario.draft.name)
        #expect(list.scenarios[0].cardCount == SampleScenario.draft.cards.count)

        // Reopening does not add a second copy.
        let second = try AppDatabase.open(path: path)
        #expect(try second.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).total == 1)

        // Deleting the sample does not bring it back on reopen.
        try second.deleteScenario(id: list.scenarios[0].id)
        let third = try AppDatabase.open(path: path)
        #expect(try third.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).total == 0)
        #expect(try third.appliedMigrations() == ["v1", "v2-story", "v3-card-rules", "v4-recall", "v5-summary", "v6-library-changes"])
    }

    /// What lets the reader thread answer buffered reads from one transaction: inside `sharingReads`
    /// the thread's reads share a snapshot; other threads' reads, and reads after it, see new commits.
    @Test func readsInsideSharingReadsShareOneSnapshot() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let db = try AppDatabase.open(path: path)
        let writer = try AppDatabase.open(path: path)
        @Sendable func total(_ db: AppDatabase) -> Result<Int, any Error> {
            Result { try db.listScenarios(query: nil, tag: nil, limit: 1, offset: 0).total }
        }
        func onAnotherThread<T: Sendable>(_ work: @escaping @Sendable () -> T) -> T {
            let result = Mutex<T?>(nil)
            let done = DispatchSemaphore(value: 0)
            Thread {
                result.withLock { $0 = work() }
                done.signal()
            }.start()
            done.wait()
            return result.withLock { $0! }
        }
        var before: Result<Int, any Error>?, insideAfterWrite: Result<Int, any Error>?
        var otherThread: Result<Int, any Error>?, created: Result<Scenario, any Error>?
        db.sharingReads {
            before = total(db)
            created = onAnotherThread { Result { try writer.createScenario(ScenarioDraft(name: "Committed meanwhile")) } }
            insideAfterWrite = total(db)
            otherThread = onAnotherThread { total(db) }
        }
        _ = try #require(created).get()
        let start = try #require(before).get()
        #expect(try #require(insideAfterWrite).get() == start)
        #expect(try #require(otherThread).get() == start + 1)
        #expect(try total(db).get() == start + 1)
    }

    @Test func dataSurvivesReopen() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let s: Scenario, a: Adventure
        do {
            let db = try AppDatabase.open(path: path)
            s = try db.createScenario(sampleDraft())
            a = try db.startAdventure(scenarioId: s.id, name: nil)
            _ = try db.updateSettings(SettingsChanges(maxOutputTokens: 321))
        }
        let db = try AppDatabase.open(path: path)
        #expect(try db.scenario(id: s.id) == s)
        #expect(try db.adventure(id: a.id) == a)
        #expect(try db.settings().maxOutputTokens == 321)
    }

    @Test func twoInstancesOnOneFileWriteConcurrently() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let one = try AppDatabase.open(path: path)
        let two = try AppDatabase.open(path: path)
        let scenario = try one.createScenario(ScenarioDraft(name: "Shared", openingScene: "Start."))
        let adventure = try two.startAdventure(scenarioId: scenario.id, name: nil)
        let perWorker = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (worker, db) in [one, two, one, two].enumerated() {
                group.addTask {
                    for i in 0..<perWorker {
                        _ = try db.appendTurn(adventureId: adventure.id, role: .player, action: .do, text: "w\(worker) \(i)")
                        _ = try db.createCard(owner: .scenario(scenario.id), draft: CardDraft(name: "w\(worker) \(i)"))
                        if i % 10 == 0 {
                            _ = try db.createScenario(ScenarioDraft(name: "w\(worker) \(i)"))
                            _ = try db.listScenarios(query: nil, tag: nil, limit: 5, offset: 0)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        for db in [one, two] {
            let turns = try db.turns(adventureId: adventure.id, limit: nil, beforeIndex: nil)
            #expect(turns.turnCount == 1 + 4 * perWorker)
            #expect(turns.turns.map(\.index) == Array(0..<(1 + 4 * perWorker)))
            #expect(Set(turns.turns.map(\.text)).count == 1 + 4 * perWorker)
            let cards = try db.cards(of: .scenario(scenario.id))
            #expect(cards.count == 4 * perWorker)
            #expect(try db.count("SELECT COUNT(DISTINCT position) FROM card WHERE scenarioId = ?", arguments: [scenario.id]) == 4 * perWorker)
            #expect(try db.listScenarios(query: nil, tag: nil, limit: 1, offset: 0).total == 2 + 4 * 4)
        }
        #expect(try one.integrityCheck() == "ok")
    }

    static let sqliteCLI = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Another process (the sqlite3 shell) holds the write lock for a moment: our write waits for it
    /// (busy timeout) instead of failing, and both writes land.
    @Test(.enabled(if: sqliteCLI != nil))
    func writesWaitForAnotherProcessHoldingTheLock() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let db = try AppDatabase.open(path: path)
        let flag = directory.appendingPathComponent("locked").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.sqliteCLI!)
        process.arguments = [path]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("""
            .timeout 10000
            BEGIN IMMEDIATE;
            INSERT INTO appState (key, value) VALUES ('otherProcess', 'was here');
            .shell touch '\(flag)'
            .shell sleep 0.4
            COMMIT;

            """.utf8))
        try input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: flag) && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(FileManager.default.fileExists(atPath: flag))
        let start = ContinuousClock.now
        let s = try db.createScenario(ScenarioDraft(name: "after the lock"))
        #expect(ContinuousClock.now - start > .milliseconds(100))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try db.scenario(id: s.id).name == "after the lock")
        #expect(try db.count("SELECT COUNT(*) FROM appState WHERE key = 'otherProcess'") == 1)
    }

    @Test func concurrentFirstOpensOfAFreshFileSeedOnce() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let opened = try await withThrowingTaskGroup(of: AppDatabase.self) { group in
            for _ in 0..<4 {
                group.addTask { try AppDatabase.open(path: path) }
            }
            var all: [AppDatabase] = []
            for try await db in group { all.append(db) }
            return all
        }
        for db in opened {
            #expect(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).total == 1)
            #expect(try db.appliedMigrations() == ["v1", "v2-story", "v3-card-rules", "v4-recall", "v5-summary", "v6-library-changes"])
        }
    }
}

@Suite struct SampleScenarioTests {
    @Test func sampleIsComplete() throws {
        let draft = SampleScenario.draft
        #expect(!draft.name.isEmpty)
        for text in [draft.instructions, draft.plotEssentials, draft.authorsNotes, draft.playerDescription] {
            #expect(text.count > 80)
        }
        let words = draft.openingScene.split(whereSeparator: { $0.isWhitespace }).count
        #expect((120...220).contains(words), "opening scene has \(words) words")
        #expect(draft.openingScene.contains("You ") || draft.openingScene.contains(" you "))
        #expect(draft.tags.count >= 3)
        #expect(draft.cards.count >= 10)
        #expect(Set(draft.cards.map(\.type)).isSuperset(of: ["character", "location", "item", "faction", "lore"]))
        #expect(Set(draft.cards.map(\.name)).count == draft.cards.count)
        for card in draft.cards {
            #expect(card.keys.count >= 2, "\(card.name)")
            #expect(card.description.count > 80, "\(card.name)")
        }
        #expect(draft.cards.contains { $0.keys.contains { $0.contains(" ") } })
    }

    @Test func sampleSeedsIntoAFreshDatabaseAndPlays() throws {
        let db = try AppDatabase.inMemory()
        let summary = try #require(try db.listScenarios(query: nil, tag: nil, limit: 10, offset: 0).scenarios.first)
        let scenario = try db.scenario(id: summary.id)
        #expect(scenario.cards.count == SampleScenario.draft.cards.count)
        let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)
        #expect(adventure.turnCount == 1)
        #expect(try db.latestTurns(adventureId: adventure.id, limit: 1)[0].text == SampleScenario.draft.openingScene)
    }
}
