import Foundation
import GRDB
import Synchronization
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// Two `AppDatabase`s on one file are what two processes are to each other: each has its own
/// connections and its own writer id in the change log.
private final class SharedFile {
    let directory: URL
    let path: String
    /// The process that is told.
    let reader: AppDatabase
    /// The process that writes.
    let writer: AppDatabase
    private var last: Int64

    init() throws {
        (directory, path) = temporaryPath()
        reader = try AppDatabase.open(path: path)
        writer = try AppDatabase.open(path: path)
        last = try reader.latestChangeSeq()
    }

    deinit { removeTemporary(directory) }

    /// What the reader is told of the writer's changes since the last call, one line each.
    func news() throws -> [String] {
        let found = try reader.changesFromOtherProcesses(after: last)
        #expect(!found.gap)
        last = found.latest
        return found.changes.map(describe)
    }
}

private func describe(_ change: LibraryChangedNotification) -> String {
    var line = "\(change.kind.rawValue) \(change.change.rawValue) \(change.id)"
    if let scenarioId = change.scenarioId { line += " s=\(scenarioId)" }
    if let adventureId = change.adventureId { line += " a=\(adventureId)" }
    return line
}

@Suite struct LibraryChangeLogTests {
    @Test func scenariosAndCardsAreAnnouncedWithTheirOwner() throws {
        let file = try SharedFile()
        let scenario = try file.writer.createScenario(sampleDraft(cards: 2))
        let (first, second) = (scenario.cards[0].id, scenario.cards[1].id)
        // The cards created with their scenario come with it: a client reads them with it.
        #expect(try file.news() == ["scenario created \(scenario.id)"])
        let added = try file.writer.createCard(owner: .scenario(scenario.id), draft: CardDraft(type: "place", name: "Quay", description: "", keys: []))
        #expect(try file.news().first == "card created \(added.id) s=\(scenario.id)")

        _ = try file.writer.updateCard(id: first, changes: CardChanges(description: "Changed"))
        let news = try file.news()
        #expect(news.first == "card updated \(first) s=\(scenario.id)")
        // Saving what is already there changes nothing anyone sees.
        _ = try file.writer.updateCard(id: first, changes: CardChanges(description: "Changed"))
        #expect(try file.news().filter { $0.hasPrefix("card") } == [])

        _ = try file.writer.updateScenario(id: scenario.id, changes: ScenarioChanges(name: "Renamed"))
        #expect(try file.news() == ["scenario updated \(scenario.id)"])

        try file.writer.deleteCard(id: second)
        #expect(try file.news().contains("card deleted \(second) s=\(scenario.id)"))
    }

    @Test func aPlayedTurnIsAnnouncedWithItsAdventure() throws {
        let file = try SharedFile()
        let scenario = try file.writer.createScenario(sampleDraft(cards: 1))
        _ = try file.news()
        // Its copies of the scenario's cards and its opening scene come with the adventure.
        let adventure = try file.writer.startAdventure(scenarioId: scenario.id, name: nil)
        #expect(try file.news() == ["adventure created \(adventure.id) s=\(scenario.id)"])

        let player = try file.writer.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "Look around")
        let answer = try file.writer.appendAITurn(adventureId: adventure.id, text: "Fog.", usage: sampleUsage)
        // Several changes to one row in one read arrive as one, where the first stood.
        #expect(try file.news() == [
            "turn created \(player.id) a=\(adventure.id)", "adventure updated \(adventure.id) s=\(scenario.id)",
            "turn created \(answer.id) a=\(adventure.id)",
        ])

        _ = try file.writer.addTurnVersion(turnId: answer.id, text: "Rain.", usage: sampleUsage)
        #expect(try file.news() == ["turn updated \(answer.id) a=\(adventure.id)", "adventure updated \(adventure.id) s=\(scenario.id)"])
        _ = try file.writer.useTurnVersion(turnId: answer.id, version: 0)
        #expect(try file.news() == ["turn updated \(answer.id) a=\(adventure.id)", "adventure updated \(adventure.id) s=\(scenario.id)"])
        _ = try file.writer.editTurn(id: answer.id, text: "Snow.")
        #expect(try file.news() == ["turn updated \(answer.id) a=\(adventure.id)", "adventure updated \(adventure.id) s=\(scenario.id)"])

        // The later turn moves down one index: the deletion says so, without a change per moved turn.
        try file.writer.deleteTurn(id: player.id)
        #expect(try file.news() == ["turn deleted \(player.id) a=\(adventure.id)", "adventure updated \(adventure.id) s=\(scenario.id)"])
    }

    @Test func anUndoneAndRedoneExchangeReadTogetherIsUpdated() throws {
        let file = try SharedFile()
        let adventure = try sampleAdventure(file.writer)
        let player = try file.writer.appendPlayerTurn(adventureId: adventure.id, action: .say, text: "Hello")
        let answer = try file.writer.appendAITurn(adventureId: adventure.id, text: "Hi.", usage: sampleUsage)
        _ = try file.news()
        _ = try file.writer.undo(adventureId: adventure.id)
        _ = try file.writer.redo(adventureId: adventure.id)
        #expect(try file.news() == [
            "turn updated \(player.id) a=\(adventure.id)", "turn updated \(answer.id) a=\(adventure.id)",
            "adventure updated \(adventure.id) s=\(adventure.scenarioId!)",
        ])
        _ = try file.writer.undo(adventureId: adventure.id)
        #expect(try file.news() == [
            "turn deleted \(player.id) a=\(adventure.id)", "turn deleted \(answer.id) a=\(adventure.id)",
            "adventure updated \(adventure.id) s=\(adventure.scenarioId!)",
        ])
    }

    @Test func deletingAnAdventureAnnouncesItAloneNotEachTurnAndCard() throws {
        let file = try SharedFile()
        let adventure = try sampleAdventure(file.writer)
        for index in 0..<20 {
            _ = try file.writer.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "Step \(index)")
        }
        _ = try file.news()
        try file.writer.deleteAdventure(id: adventure.id)
        #expect(try file.news() == ["adventure deleted \(adventure.id) s=\(adventure.scenarioId!)"])
    }

    @Test func deletingAScenarioUnlinksItsAdventures() throws {
        let file = try SharedFile()
        let adventure = try sampleAdventure(file.writer)
        let scenarioId = try #require(adventure.scenarioId)
        _ = try file.news()
        try file.writer.deleteScenario(id: scenarioId)
        // Its cards go with it unannounced; the adventure played from it stays, no longer naming it.
        #expect(Set(try file.news()) == ["scenario deleted \(scenarioId)", "adventure updated \(adventure.id)"])
    }

    @Test func aDuplicatedAdventureComesAloneAndCardsImportedLaterOneByOne() throws {
        let file = try SharedFile()
        let adventure = try sampleAdventure(file.writer)
        for index in 0..<10 {
            _ = try file.writer.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "Step \(index)")
        }
        _ = try file.news()
        let copy = try file.writer.duplicateAdventure(id: adventure.id, name: "Copy", upToTurn: nil)
        #expect(try file.news() == ["adventure created \(copy.id) s=\(adventure.scenarioId!)"])

        let drafts = (0..<3).map { CardDraft(type: "other", name: "Imported \($0)", description: "", keys: []) }
        _ = try file.writer.importCards(owner: .adventure(copy.id), drafts: drafts, mode: .append)
        let imported = try file.writer.cards(of: .adventure(copy.id)).filter { $0.name.hasPrefix("Imported") }
        #expect(imported.count == 3)
        let news = try file.news()
        #expect(news.filter { $0.hasPrefix("card created") } == imported.map { "card created \($0.id) a=\(copy.id)" })
    }

    @Test func settingsAreAnnouncedAsAWholeAndOnlyWhenChanged() throws {
        let file = try SharedFile()
        _ = try file.writer.updateSettings(SettingsChanges(scanDepth: 7, storytellerSeed: 3))
        #expect(try file.news() == ["settings updated settings"])
        _ = try file.writer.updateSettings(SettingsChanges(scanDepth: 7))
        #expect(try file.news() == [])
        _ = try file.writer.updateSettings(SettingsChanges(contextTokens: .some(2048)))
        _ = try file.news()
        _ = try file.writer.updateSettings(SettingsChanges(contextTokens: .some(nil)))
        #expect(try file.news() == ["settings updated settings"])
    }

    @Test func aProcessIsNotToldOfItsOwnChanges() throws {
        let file = try SharedFile()
        let start = try file.writer.latestChangeSeq()
        _ = try file.writer.createScenario(sampleDraft())
        _ = try file.writer.updateSettings(SettingsChanges(scanDepth: 2))
        let own = try file.writer.changesFromOtherProcesses(after: start)
        #expect(own.changes.isEmpty)
        #expect(own.latest > start)
        #expect(try file.news().count == 2)
    }

    @Test func anotherProgramWritingTheFileIsNotBrokenAndNotAnnounced() throws {
        let file = try SharedFile()
        // What a sqlite3 shell is to the file: a plain connection without ImaginAI's functions or triggers.
        let shell = try DatabaseQueue(path: file.path)
        try shell.write { db in
            try db.execute(sql: #"INSERT INTO setting (key, value) VALUES ('scanDepth', '4')"#)
            try db.execute(sql: "UPDATE scenario SET name = 'By hand'")
        }
        try shell.close()
        #expect(try file.news() == [])
        #expect(try file.reader.settings().scanDepth == 4)
    }
}

@Suite struct CommitSignalTests {
    /// The commit signal is a WAL hook, which takes the place of SQLite's automatic checkpoint: the hook
    /// checkpoints in its stead, or the -wal file would grow with every commit for as long as the
    /// daemon runs.
    @Test func theWriteAheadLogIsStillCheckpointed() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let db = try AppDatabase.open(path: path)
        let commits = 1200
        for index in 0..<commits {
            _ = try db.updateSettings(SettingsChanges(scanDepth: index % 50 + 1))
        }
        let frames = try db.writer.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { $0[1] as Int } ?? -1
        }
        // Each commit writes at least two pages (the setting, the log); without checkpoints the log
        // would hold them all.
        #expect(frames >= 0 && frames < 1100, "\(frames) frames in the -wal file after \(commits) commits")
    }
}

@Suite struct LibraryChangeCoalescingTests {
    private func change(_ kind: LibraryChangedNotification.Kind, _ id: String, _ change: LibraryChangedNotification.Change,
                        scenario: String? = nil) -> LibraryChangedNotification {
        LibraryChangedNotification(kind: kind, id: id, change: change, scenarioId: scenario)
    }

    @Test func eachRowOnceWhereItFirstChanged() {
        let merged = AppDatabase.coalesce([
            change(.scenario, "s", .created), change(.card, "c", .created), change(.scenario, "s", .updated),
            change(.card, "d", .updated), change(.card, "d", .deleted),
            change(.turn, "t", .deleted), change(.turn, "t", .created),
            change(.card, "e", .created), change(.card, "e", .deleted),
            change(.adventure, "a", .updated, scenario: "s"), change(.adventure, "a", .updated),
            // Same id, another kind: another row.
            change(.turn, "s", .updated),
        ])
        #expect(merged.map(describe) == [
            "scenario created s", "card created c", "card deleted d", "turn updated t", "card deleted e", "adventure updated a",
            "turn updated s",
        ])
    }
}

@Suite struct LibraryChangePruningTests {
    @Test func changesOlderThanTheRetentionGoAtEveryThousandth() throws {
        let db = try emptyDB()
        let interval = AppDatabase.changePruneInterval
        // Old rows up to just before the next multiple of the interval, then one recent change.
        try db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(interval - 1))
            INSERT INTO libraryChange (kind, changedId, change, writer, at)
            SELECT 'card', 'card_' || i, 'created', 'proc_old', '2020-01-01T00:00:00.000Z' FROM n
            """)
        #expect(try db.count("SELECT COUNT(*) FROM libraryChange") == interval - 1)
        _ = try db.updateSettings(SettingsChanges(scanDepth: 5))
        #expect(try db.latestChangeSeq() == Int64(interval))
        // The old rows are gone, the recent one stays, and seqs go on from where they were.
        #expect(try db.count("SELECT COUNT(*) FROM libraryChange") == 1)
        _ = try db.updateSettings(SettingsChanges(scanDepth: 6))
        #expect(try db.latestChangeSeq() == Int64(interval + 1))
        #expect(try db.count("SELECT COUNT(*) FROM libraryChange") == 2)
        // A reader that had not read them is told it missed some.
        #expect(try db.changesFromOtherProcesses(after: 5).gap)
        #expect(try !db.changesFromOtherProcesses(after: Int64(interval - 1)).gap)
    }

    @Test func recentChangesAreKeptWhateverTheirNumber() throws {
        let db = try emptyDB()
        let scenario = try db.createScenario(sampleDraft(cards: 0))
        let drafts = (0..<(AppDatabase.changePruneInterval + 10)).map { CardDraft(type: "other", name: "Card \($0)", description: "", keys: []) }
        _ = try db.importCards(owner: .scenario(scenario.id), drafts: drafts, mode: .append)
        #expect(try db.count("SELECT COUNT(*) FROM libraryChange WHERE kind = 'card'") == drafts.count)
    }
}

@Suite struct LibraryChangeMigrationTests {
    @Test func aVersionFiveFileGainsTheLogAndLogsFromThen() throws {
        let (directory, path) = try olderDatabaseFile(upTo: "v5-summary", sql: """
            INSERT INTO scenario (id, name, createdAt, updatedAt)
            VALUES ('scn_old', 'Old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
            INSERT INTO appState (key, value) VALUES ('sampleSeeded', 'true');
            """)
        defer { removeTemporary(directory) }
        let reader = try AppDatabase.open(path: path)
        #expect(try reader.appliedMigrations().last == "v6-library-changes")
        #expect(try reader.latestChangeSeq() == 0)
        let writer = try AppDatabase.open(path: path)
        _ = try writer.updateScenario(id: "scn_old", changes: ScenarioChanges(name: "Newer"))
        #expect(try reader.changesFromOtherProcesses(after: 0).changes.map(describe) == ["scenario updated scn_old"])
        #expect(try reader.scenario(id: "scn_old").name == "Newer")
    }
}

@Suite struct LibraryWatchTests {
    /// The changes a watch reports, for a test to wait on.
    private final class Inbox: Sendable {
        private let stream: AsyncStream<[String]>
        private let continuation: AsyncStream<[String]>.Continuation
        private let received = Mutex<[String]>([])

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: [String].self)
        }

        func add(_ event: LibraryWatch.Event) {
            if case .changes(let changes) = event { continuation.yield(changes.map(describe)) }
        }

        /// Waits (up to `timeout`) until the changes received include `line`; returns all received so far.
        func waitFor(_ line: String, timeout: Duration = .seconds(5)) async throws -> [String] {
            if received.withLock({ $0.contains(line) }) { return received.withLock { $0 } }
            let found = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { [self] in
                    for await batch in stream {
                        received.withLock { $0.append(contentsOf: batch) }
                        if batch.contains(line) { return true }
                    }
                    return false
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(found, "\(line) was not reported within \(timeout)")
            return received.withLock { $0 }
        }
    }

    @Test func anotherProcessCommitWakesTheWatchAndItsOwnDoNot() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let watched = try AppDatabase.open(path: path)
        let other = try AppDatabase.open(path: path)
        let inbox = Inbox()
        let watch = try watched.watchOtherProcesses { inbox.add($0) }
        defer { watch.stop() }
        #expect(watch.mode == .fileEvents)

        let own = try watched.createScenario(sampleDraft(name: "Mine", cards: 0))
        let theirs = try other.createScenario(sampleDraft(name: "Theirs", cards: 0))
        let received = try await inbox.waitFor("scenario created \(theirs.id)")
        #expect(!received.contains { $0.contains(own.id) })
        _ = try other.updateSettings(SettingsChanges(scanDepth: 3))
        #expect(try await inbox.waitFor("settings updated settings").count == 2)
    }

    @Test func recallCountsAreForgottenWhenAnotherProcessChangesTurns() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let watched = try AppDatabase.open(path: path)
        let other = try AppDatabase.open(path: path)
        watched.termCounts.withLock { $0.remember(["lighthouse": 3]) }
        #expect(watched.termCounts.withLock { $0.startRecall()["lighthouse"] } == 3)
        let inbox = Inbox()
        let watch = try watched.watchOtherProcesses { inbox.add($0) }
        defer { watch.stop() }
        let adventure = try sampleAdventure(other)
        let turn = try other.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "Climb the lighthouse")
        _ = try await inbox.waitFor("turn created \(turn.id) a=\(adventure.id)")
        #expect(watched.termCounts.withLock { $0.startRecall()["lighthouse"] } == nil)
    }

    /// Systems without inotify (and Linux when its limits are reached) look every 100 ms instead.
    @Test func withoutFileEventsTheWatchLooksOnATimer() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let watched = try AppDatabase.open(path: path)
        let other = try AppDatabase.open(path: path)
        let inbox = Inbox()
        let watch = try watched.pollOtherProcesses { inbox.add($0) }
        defer { watch.stop() }
        #expect(watch.mode == .polling(reason: "file events not wanted"))
        _ = try watched.updateSettings(SettingsChanges(scanDepth: 2))
        let theirs = try other.createScenario(sampleDraft(name: "Theirs", cards: 0))
        #expect(try await inbox.waitFor("scenario created \(theirs.id)") == ["scenario created \(theirs.id)"])
    }

    /// A database opened through a symbolic link: SQLite writes the -wal file beside the real file,
    /// which is where the watch must look.
    @Test func aDatabaseOpenedThroughALinkIsWatchedWhereItIs() async throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let linkFolder = directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: linkFolder, withIntermediateDirectories: true)
        let other = try AppDatabase.open(path: path)
        let link = linkFolder.appendingPathComponent("library.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let watched = try AppDatabase.open(path: link)
        let inbox = Inbox()
        let watch = try watched.watchOtherProcesses { inbox.add($0) }
        defer { watch.stop() }
        #expect(watch.mode == .fileEvents)
        let theirs = try other.createScenario(sampleDraft(name: "Theirs", cards: 0))
        _ = try await inbox.waitFor("scenario created \(theirs.id)")
    }

    @Test func anInMemoryDatabaseHasNothingToWatch() throws {
        let watch = try emptyDB().watchOtherProcesses { _ in }
        #expect(watch.mode == .inert)
        watch.stop()
    }
}
