import ImaginAIProtocol
import Foundation
import GRDB
import JSONRPC
import Testing

/// Two daemons and the `imaginai import` command writing one database file at the same time.
@Suite(.timeLimit(.minutes(3)))
struct ConcurrencyTests {
    static let writesPerDaemon = 120
    static let cardsPerDaemon = 40
    static let actsPerDaemon = 4
    static let commandLineImports = 6
    static let bigCards = 1500

    /// All three start together on a file that does not exist yet (so they also race to create and
    /// migrate it), then write at once. Nothing fails, "database is locked" reaches no one, and every
    /// write is counted at the end.
    @Test func twoDaemonsAndTheImportCommandLoseNoWrite() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("shared.sqlite").path
        // A big file holds the write lock for a good while; the others must wait for it, not fail.
        let big = directory.appendingPathComponent("big.json")
        let cards: [JSONValue] = (0..<Self.bigCards).map { ["name": .string("Entry \($0)"), "description": .string(String(repeating: "salt ", count: 30)), "keys": [.string("entry \($0)")]] }
        try JSONCoding.encode(JSONValue.object(["format": "imaginai.scenario", "version": 1, "scenario": ["name": "Big shared import", "cards": .array(cards)]]))
            .write(to: big)
        let small = Fixtures.formats.appendingPathComponent("sillytavern-world-eldoria-2024.json")

        let first = try Daemon(database: path)
        let second = try Daemon(database: path)
        let importer = Task { try await Self.runImports(big: big.path, small: small.path, path: path) }
        _ = try await first.initialize()
        _ = try await second.initialize()

        // A scenario both daemons add cards to, and one adventure each for story turns.
        let shared = try await first.call("scenario/create", ["scenario": ["name": "Shared target", "openingScene": "A quiet dock."]])
        _ = try await first.call("settings/update", ["changes": ["storytellerDelayMs": 0, "maxOutputTokens": 50]])
        var adventures: [String] = []
        for daemon in [first, second] {
            adventures.append(try await daemon.call("adventure/start", ["scenarioId": shared["id"]!])["id"]!.stringValue!)
        }

        async let firstFailures = Self.write(daemon: first, label: "A", shared: shared["id"]!, adventure: adventures[0])
        async let secondFailures = Self.write(daemon: second, label: "B", shared: shared["id"]!, adventure: adventures[1])
        let failures = try await firstFailures + secondFailures
        let imported = try await importer.value
        #expect(failures.isEmpty, "\(failures.prefix(5))")

        // What each client saw: no error text mentioning a lock, anywhere.
        for (name, text) in [("A stderr", first.stderr), ("B stderr", second.stderr), ("A stdout", String(decoding: first.stdoutBytes, as: UTF8.self)),
                             ("B stdout", String(decoding: second.stdoutBytes, as: UTF8.self)), ("import", imported.output)] {
            #expect(!text.localizedCaseInsensitiveContains("locked") && !text.localizedCaseInsensitiveContains("SQLITE_BUSY"), "\(name): \(text.suffix(500))")
        }

        // Count everything, from a third connection.
        let queue = try DatabaseQueue(path: path)
        try await queue.read { [adventures] db in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            let count = { (sql: String, arguments: StatementArguments) in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? -1 }
            for label in ["A", "B"] {
                #expect(try count("SELECT COUNT(*) FROM scenario WHERE name LIKE ?", ["Concurrent \(label)-%"]) == Self.writesPerDaemon)
                #expect(try count("SELECT COUNT(*) FROM card WHERE scenarioId = ? AND name LIKE ?", [shared["id"]!.stringValue!, "\(label) card %"]) == Self.cardsPerDaemon)
            }
            // Each created scenario has all its cards.
            #expect(try count("SELECT COUNT(*) FROM scenario s WHERE name LIKE 'Concurrent %' AND (SELECT COUNT(*) FROM card WHERE scenarioId = s.id) != 2", []) == 0)
            // Both daemons appended to one card list: positions 0..n-1, none repeated.
            let positions = try Int.fetchAll(db, sql: "SELECT position FROM card WHERE scenarioId = ? ORDER BY position", arguments: [shared["id"]!.stringValue!])
            #expect(positions == Array(0..<(2 * Self.cardsPerDaemon)))
            #expect(try count("SELECT COUNT(*) FROM scenario WHERE name = 'Big shared import'", []) == imported.big)
            #expect(try count("SELECT COUNT(*) FROM card c JOIN scenario s ON c.scenarioId = s.id WHERE s.name = 'Big shared import'", []) == imported.big * Self.bigCards)
            // Opening scene + (player, ai) per act.
            for adventure in adventures {
                #expect(try count("SELECT COUNT(*) FROM turn WHERE adventureId = ?", [adventure]) == 1 + 2 * Self.actsPerDaemon)
            }
            // The sample scenario was seeded once although three processes opened the fresh file together.
            let total = try count("SELECT COUNT(*) FROM scenario", [])
            #expect(total == 1 + 1 + 2 * Self.writesPerDaemon + Self.commandLineImports, "scenarios: \(total)")
        }
        // Both still answer and end cleanly.
        for daemon in [first, second] {
            _ = try await daemon.request("shutdown")
            try daemon.notify("exit")
        }
        #expect(try await first.waitForExit() == 0)
        #expect(try await second.waitForExit() == 0)
    }

    /// Pipelines scenario creations and card creations, and plays story turns alongside; returns every
    /// error response.
    static func write(daemon: Daemon, label: String, shared: JSONValue, adventure: String) async throws -> [String] {
        var ids: [String] = []
        for k in 0..<writesPerDaemon {
            try daemon.sendRequest(id: "\(label)s\(k)", method: "scenario/create", params: ["scenario": ["name": .string("Concurrent \(label)-\(k)"), "cards": [["name": "x"], ["name": "y"]]]])
            ids.append("\(label)s\(k)")
            if k < cardsPerDaemon {
                try daemon.sendRequest(id: "\(label)c\(k)", method: "card/create", params: ["scenarioId": shared, "card": ["name": .string("\(label) card \(k)")]])
                ids.append("\(label)c\(k)")
            }
        }
        var failures: [String] = []
        // Story turns one after another (one generation per adventure), while the burst is answered.
        for k in 0..<actsPerDaemon {
            let response = try await daemon.request("story/act", ["adventureId": .string(adventure), "action": "do", "text": .string("\(label) act \(k)")], timeout: .seconds(60))
            if response["error"] != nil { failures.append("\(label) act \(k): \(response)") }
        }
        for id in ids {
            let response = try await daemon.response(to: .string(id), timeout: .seconds(60))
            if response["error"] != nil { failures.append("\(id): \(response)") }
        }
        return failures
    }

    /// Runs the import command over and over (the big file every third time) while the daemons write.
    static func runImports(big: String, small: String, path: String) async throws -> (output: String, big: Int) {
        var output = ""
        var bigCount = 0
        for k in 0..<commandLineImports {
            let isBig = k % 3 == 0
            let command = try Daemon(arguments: ["import", isBig ? big : small, "--db", path])
            let code = try await command.waitForExit(timeout: .seconds(60))
            let text = String(decoding: command.stdoutBytes, as: UTF8.self) + command.stderr
            #expect(code == 0, "import \(k): \(text)")
            output += text
            if isBig { bigCount += 1 }
        }
        return (output, bigCount)
    }
}
