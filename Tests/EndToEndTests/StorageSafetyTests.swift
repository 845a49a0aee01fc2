import Foundation
import GRDB
import ImaginAIProtocol
@testable import ImaginAIStore
import JSONRPC
import Testing

/// A library file that cannot be used is answered for, not crashed on, and never touched; a full disk
/// fails one write and nothing else; a migration leaves a copy of what it migrated; `imaginai backup`
/// copies while a daemon writes.
@Suite(.timeLimit(.minutes(3)))
struct StorageSafetyTests {
    /// Every file in `directory` with its bytes (a folder as an empty marker).
    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let url = directory.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
            files[name] = isFolder.boolValue ? Data("<folder>".utf8) : (try? Data(contentsOf: url)) ?? Data("<unreadable>".utf8)
        }
        return files
    }

    /// A library made by this version, with one scenario of its own, all in the one file: the pool's
    /// read-only readers close last and leave the -wal, so one read-write connection checkpoints it
    /// and, closing, removes it.
    static func makeLibrary(at path: String) throws {
        let database = try AppDatabase.open(path: path)
        _ = try database.createScenario(ScenarioDraft(name: "Written before"))
        try database.writer.close()
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { _ = try $0.checkpoint(.truncate) }
        try queue.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    /// The daemon on `path` answers `initialize`, a store method and an unknown method with -31005 and
    /// `reason`, then shuts down and exits cleanly; `directory` is byte for byte as it was.
    func expectUnusable(_ path: String, in directory: URL, reason: String, messageMentions: String? = nil) async throws {
        let before = try Self.snapshot(directory)
        let daemon = try Daemon(database: path)
        let initialized = try await daemon.request("initialize", ["clientInfo": ["name": "storage tests"]])
        let error = try #require(initialized["error"], "initialize should fail: \(initialized)")
        #expect(error["code"] == -31005)
        #expect(error["data"]?["reason"] == .string(reason))
        #expect(error["data"]?["path"] == .string(path))
        let message = error["message"]?.stringValue ?? ""
        #expect(message.contains(path), "\(message)")
        if let messageMentions { #expect(message.contains(messageMentions), "\(message)") }
        try daemon.notify("initialized")
        for method in ["scenario/list", "settings/update", "no/such/method"] {
            let answer = try await daemon.request(method, ["changes": [:]])
            #expect(answer["error"] == error, "\(method): \(answer)")
        }
        let shutdown = try await daemon.request("shutdown")
        #expect(shutdown["result"] == .null)
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)
        #expect(daemon.stderr.contains(message), "the log should say why: \(daemon.stderr)")
        #expect(try Self.snapshot(directory) == before, "the library folder changed")
    }

    @Test func fileOfGarbageIsCorrupt() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("garbage.sqlite").path
        try Data(String(repeating: "This is not a database at all. ", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        try await expectUnusable(path, in: directory, reason: "corrupt", messageMentions: "Restore a copy")
    }

    @Test func truncatedDatabaseIsCorrupt() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("truncated.sqlite").path
        try Self.makeLibrary(at: path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        try await expectUnusable(path, in: directory, reason: "corrupt")
    }

    @Test func damagedFirstPageIsCorrupt() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("malformed.sqlite").path
        try Self.makeLibrary(at: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // The schema table's b-tree page header, right after the 100-byte file header.
        bytes.replaceSubrange(100..<612, with: Data(repeating: 0xFF, count: 512))
        try bytes.write(to: URL(fileURLWithPath: path))
        try await expectUnusable(path, in: directory, reason: "corrupt")
    }

    @Test func folderIsUnwritable() async throws {
        let directory = try temporaryDirectory()
        let folder = directory.appendingPathComponent("library.sqlite")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try await expectUnusable(folder.path, in: directory, reason: "unwritable", messageMentions: "is a folder")
    }

    /// chmod 000 shuts out everyone but root, and tests may run as root: there a path under a plain
    /// file (which no one can open) stands in for a file that cannot be opened.
    @Test func fileThatCannotBeOpenedIsUnwritable() async throws {
        let directory = try temporaryDirectory()
        if getuid() == 0 {
            let file = directory.appendingPathComponent("plain-file")
            try Data("a plain file".utf8).write(to: file)
            try await expectUnusable(file.appendingPathComponent("library.sqlite").path, in: directory, reason: "unwritable")
        } else {
            let path = directory.appendingPathComponent("locked.sqlite").path
            try Self.makeLibrary(at: path)
            #expect(chmod(path, 0) == 0)
            defer { chmod(path, 0o600) }
            try await expectUnusable(path, in: directory, reason: "unwritable", messageMentions: "Permission denied")
        }
    }

    /// A library that can be read but not written: SQLite would open it read-only and leave -wal and
    /// -shm files beside it before failing. Root writes any file, so there the disk is read-only.
    @Test func fileThatCannotBeWrittenIsUnwritable() async throws {
        let directory = try temporaryDirectory()
        if getuid() == 0 {
            let mountPoint = directory.appendingPathComponent("read-only-disk")
            try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: false)
            try #require(try Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.path]) == 0)
            defer { _ = try? Self.shell("/bin/umount", [mountPoint.path]) }
            let path = mountPoint.appendingPathComponent("library.sqlite").path
            try Self.makeLibrary(at: path)
            try #require(try Self.shell("/bin/mount", ["-o", "remount,ro", mountPoint.path]) == 0)
            try await expectUnusable(path, in: mountPoint, reason: "unwritable", messageMentions: "Read-only file system")
        } else {
            let path = directory.appendingPathComponent("read-only.sqlite").path
            try Self.makeLibrary(at: path)
            #expect(chmod(path, 0o400) == 0)
            defer { chmod(path, 0o600) }
            try await expectUnusable(path, in: directory, reason: "unwritable", messageMentions: "Permission denied")
        }
    }

    @Test func libraryFromNewerVersionIsLeftAlone() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("newer.sqlite").path
        try Self.makeLibrary(at: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        try queue.close()
        try await expectUnusable(path, in: directory, reason: "newerSchema", messageMentions: "'v99-from-the-future'")
    }

    @Test func endOfInputEndsTheUnusableDaemon() async throws {
        let directory = try temporaryDirectory()
        let folder = directory.appendingPathComponent("library.sqlite")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        let daemon = try Daemon(database: folder.path)
        let initialized = try await daemon.request("initialize")
        #expect(initialized["error"]?["code"] == -31005)
        daemon.closeInput()
        // LSP: the end of input without `shutdown` exits with 1.
        #expect(try await daemon.waitForExit() == 1)
    }

    // MARK: Copies

    /// A file as the previous version left it (every migration but the newest, and data) is copied
    /// beside itself before the daemon migrates it; an up-to-date file and a fresh one are not.
    @Test func migrationCopiesTheFileFirst() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("library.sqlite").path
        let migrations = AppDatabase.migrator.migrations
        let (previous, newest) = (migrations[migrations.count - 2], migrations[migrations.count - 1])
        // The daemon's own configuration: a migration may rely on the SQL functions it registers.
        let old = try DatabaseQueue(path: path, configuration: AppDatabase.makeConfiguration())
        try AppDatabase.migrator.migrate(old, upTo: previous)
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO scenario (id, name, openingScene, createdAt, updatedAt)
                VALUES ('scn_before_upgrade', 'Written by the previous version', 'Kept byte for byte: é ✓', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                """)
        }
        try old.close()

        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/get", ["id": "scn_before_upgrade"])
        #expect(scenario["openingScene"] == "Kept byte for byte: é ✓")
        let shutdown = try await daemon.request("shutdown")
        #expect(shutdown["result"] == .null)
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)

        let copyPath = directory.appendingPathComponent("library.before-\(newest).sqlite").path
        let attributes = try FileManager.default.attributesOfItem(atPath: copyPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        var readOnly = Configuration()
        readOnly.readonly = true
        let copy = try DatabaseQueue(path: copyPath, configuration: readOnly)
        let (check, opening, applied) = try await copy.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"),
             try String.fetchOne(db, sql: "SELECT openingScene FROM scenario WHERE id = 'scn_before_upgrade'"),
             try AppDatabase.migrator.appliedMigrations(db))
        }
        #expect(check == ["ok"])
        #expect(opening == "Kept byte for byte: é ✓")
        #expect(applied == Array(migrations.dropLast()))
        try copy.close()

        // Opened again, up to date: no second copy.
        let again = try Daemon(database: path)
        _ = try await again.initialize()
        again.closeInput()
        _ = try await again.waitForExit()
        let copies = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".before-") }
        #expect(copies == ["library.before-\(newest).sqlite"])

        let fresh = directory.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: false)
        let newDaemon = try Daemon(database: fresh.appendingPathComponent("new.sqlite").path)
        _ = try await newDaemon.initialize()
        newDaemon.closeInput()
        _ = try await newDaemon.waitForExit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh.path).filter { $0.contains(".before-") } == [])
    }

    func run(_ arguments: [String]) async throws -> (code: Int32, output: String, errors: String) {
        let process = try Daemon(arguments: arguments)
        let code = try await process.waitForExit()
        return (code, String(decoding: process.stdoutBytes, as: UTF8.self), process.stderr)
    }

    /// `imaginai backup` while a daemon has hundreds of writes in flight: the copy is sound and holds
    /// a state the daemon committed (whole scenarios only), and no write failed for it.
    @Test func backupWhileAnotherDaemonWrites() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("busy.sqlite").path
        let writer = try Daemon(database: path)
        _ = try await writer.initialize()
        let cards: JSONValue = .array((0..<20).map { .object(["name": .string("Card \($0)"), "keys": ["k\($0)"], "description": "A card."]) })
        let writes = 250
        for w in 0..<writes {
            try writer.sendRequest(id: "w\(w)", method: "scenario/create", params: ["scenario": ["name": .string("Busy \(w)"), "cards": cards]])
        }
        let copyPath = directory.appendingPathComponent("copy.sqlite").path
        let backup = try await run(["backup", "--db", path, "--to", copyPath])
        #expect(backup.code == 0, "\(backup.errors)")
        #expect(backup.output == "Copied \(path) to \(copyPath) (integrity check: ok).\n")
        for w in 0..<writes {
            let answer = try await writer.response(to: .string("w\(w)"))
            #expect(answer["result"] != nil, "\(answer)")
        }

        #expect((try FileManager.default.attributesOfItem(atPath: copyPath)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        var readOnly = Configuration()
        readOnly.readonly = true
        let copy = try DatabaseQueue(path: copyPath, configuration: readOnly)
        let (check, halfDone) = try await copy.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"),
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM scenario WHERE name LIKE 'Busy %' AND (SELECT count(*) FROM card WHERE scenarioId = scenario.id) <> 20
                """))
        }
        #expect(check == ["ok"])
        #expect(halfDone == 0)
        try copy.close()
        #expect(!FileManager.default.fileExists(atPath: copyPath + "-wal"))

        // An existing file is never overwritten.
        let copyBytes = try Data(contentsOf: URL(fileURLWithPath: copyPath))
        let refused = try await run(["backup", "--db", path, "--to", copyPath])
        #expect(refused.code != 0)
        #expect(refused.errors.contains("already exists"), "\(refused.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copyPath)) == copyBytes)

        // Without --to: beside the database, named with the time, and said so.
        let besides = try await run(["backup", "--db", path])
        #expect(besides.code == 0, "\(besides.errors)")
        let named = try #require(besides.output.firstMatch(of: #/to (\S+busy\.backup-\d{8}-\d{6}\.sqlite) /#)?.output.1)
        #expect(FileManager.default.fileExists(atPath: String(named)), "\(besides.output)")
        #expect(String(named).hasPrefix(directory.path))

        writer.closeInput()
        _ = try await writer.waitForExit()
    }

    // MARK: Full disk

    /// A real full disk: a 4 MiB tmpfs, filled up by another file. Mounting needs root (CI runs as root).
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; the store's StorageProblemTests cover SQLITE_FULL with max_page_count"))
    func fullDiskFailsTheWriteAndNothingElse() async throws {
        let directory = try temporaryDirectory()
        let mountPoint = directory.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: false)
        try #require(try Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mountPoint.path]) == 0)
        defer { _ = try? Self.shell("/bin/umount", [mountPoint.path]) }
        let path = mountPoint.appendingPathComponent("library.sqlite").path

        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let kept = try await daemon.call("scenario/create", ["scenario": ["name": "Kept", "openingScene": "Saved before the disk filled."]])
        let bigCards: JSONValue = .array((0..<8).map { .object(["name": .string("Long \($0)"), "description": .string(String(repeating: "Words that need room. ", count: 4_000))]) })
        let big: JSONValue = ["scenario": ["name": "Needs room", "cards": bigCards]]

        let filler = mountPoint.appendingPathComponent("filler")
        try Self.fillDisk(with: filler)
        let failed = try await daemon.request("scenario/create", big)
        #expect(failed["error"]?["code"] == -31005, "\(failed)")
        #expect(failed["error"]?["data"]?["reason"] == "diskFull")
        #expect(failed["error"]?["data"]?["path"] == .string(path))
        #expect(failed["error"]?["message"]?.stringValue?.contains("Free some space") == true)

        // Reads go on, and show nothing of the failed write.
        let keptNow = try await daemon.call("scenario/get", ["id": kept["id"]!])
        #expect(keptNow["openingScene"] == "Saved before the disk filled.")
        let names = try await daemon.call("scenario/list")["scenarios"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(!names.contains("Needs room"))
        #expect(names.contains("Kept"))

        try FileManager.default.removeItem(at: filler)
        let written = try await daemon.call("scenario/create", big)
        #expect(written["cards"]?.arrayValue?.count == 8)
        let shutdown = try await daemon.request("shutdown")
        #expect(shutdown["result"] == .null)
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)

        let reopened = try AppDatabase.open(path: path)
        #expect(try reopened.integrityCheck() == "ok")
        #expect(try reopened.scenario(id: kept["id"]!.stringValue!).name == "Kept")
        #expect(try reopened.scenario(id: written["id"]!.stringValue!).cards.count == 8)
        try reopened.writer.close()
    }

    /// Writes `file` until the disk has no byte left.
    static func fillDisk(with file: URL) throws {
        let fd = open(file.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DaemonError.unexpected("cannot create \(file.path)") }
        defer { close(fd) }
        for size in [65536, 4096, 1] {
            let chunk = [UInt8](repeating: 0x2E, count: size)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress!, size) }) == size {}
        }
        guard errno == ENOSPC else { throw DaemonError.unexpected("filling the disk stopped with errno \(errno)") }
    }

    static func shell(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
