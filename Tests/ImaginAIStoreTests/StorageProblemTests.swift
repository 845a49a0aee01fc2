import Foundation
import GRDB
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct StorageProblemTests {
    /// `PRAGMA max_page_count` caps the file at its current size: SQLite then fails the next write that
    /// needs a new page with SQLITE_FULL, exactly as it does when the disk is full, without a disk to fill.
    @Test func fullDiskFailsOnlyTheWriteAndWritesWorkAgainOnceThereIsRoom() throws {
        let (directory, path) = temporaryPath()
        defer { removeTemporary(directory) }
        let db = try AppDatabase.open(path: path)
        let kept = try db.createScenario(sampleDraft(name: "Kept"))
        let pages = try db.writer.read { try Int.fetchOne($0, sql: "PRAGMA page_count")! }
        try db.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = \(pages)") }

        var big = sampleDraft(name: "Big")
        big.openingScene = String(repeating: "The tide comes in. ", count: 5_000)
        let problem: StorageProblem?
        do {
            _ = try db.createScenario(big)
            problem = nil
        } catch {
            problem = db.storageProblem(for: error)
        }
        #expect(problem?.reason == .diskFull)
        #expect(problem?.path == path)
        #expect(problem?.message.contains("Free some space") == true)

        // The failed write left nothing behind; what was there is intact and readable.
        #expect(try db.scenario(id: kept.id) == kept)
        let listed = try db.listScenarios(query: nil, tag: nil, limit: 100, offset: 0)
        #expect(listed.scenarios.map(\.name).sorted() == ["Kept", SampleScenario.draft.name].sorted())

        try db.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
        let written = try db.createScenario(big)
        #expect(try db.scenario(id: written.id).openingScene == big.openingScene)
        #expect(try db.integrityCheck() == "ok")
    }

    @Test func sqliteErrorsAboutTheFileAreStorageProblemsAndOthersAreNot() {
        func reason(_ code: ResultCode) -> StorageProblem.Reason? {
            StorageProblem(DatabaseError(resultCode: code, message: "m"), path: "/x/lib.sqlite")?.reason
        }
        #expect(reason(.SQLITE_FULL) == .diskFull)
        #expect(reason(.SQLITE_CORRUPT) == .corrupt)
        #expect(reason(.SQLITE_NOTADB) == .corrupt)
        #expect(reason(.SQLITE_READONLY) == .unwritable)
        #expect(reason(.SQLITE_CANTOPEN) == .unwritable)
        #expect(reason(.SQLITE_IOERR) == .unwritable)
        // Extended codes count by their primary code.
        #expect(reason(ResultCode(rawValue: 10 | (4 << 8))) == .unwritable)  // SQLITE_IOERR_SHORT_READ
        #expect(reason(.SQLITE_CONSTRAINT) == nil)
        #expect(reason(.SQLITE_BUSY) == nil)
        #expect(StorageProblem(CocoaError(.fileReadUnknown), path: "/x") == nil)
    }

    @Test func copyNamesDropTheExtensionOnce() {
        #expect(AppDatabase.copyPath(of: "/d/imaginai.sqlite", beforeMigration: "v4-recall") == "/d/imaginai.before-v4-recall.sqlite")
        #expect(AppDatabase.copyPath(of: "/d/library", beforeMigration: "v2") == "/d/library.before-v2.sqlite")
        #expect(AppDatabase.copyPath(of: "/d/my.lib.db", beforeMigration: "v2") == "/d/my.lib.before-v2.sqlite")
    }
}
