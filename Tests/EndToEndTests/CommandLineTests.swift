import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// The command-line mirrors: import a file, list, export, through the real binary.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    func run(_ arguments: [String]) async throws -> (code: Int32, output: String, errors: String) {
        let daemon = try Daemon(arguments: arguments)
        let code = try await daemon.waitForExit()
        return (code, String(decoding: daemon.stdoutBytes, as: UTF8.self), daemon.stderr)
    }

    @Test func importListExportRoundTrip() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let seed = Fixtures.seedScenario.path
        let imported = try await run(["import", seed, "--db", db])
        #expect(imported.code == 0, "\(imported.errors)")
        #expect(imported.output.contains("Neon Static"))
        #expect(imported.output.contains("34 cards"))

        let listed = try await run(["list", "--db", db])
        #expect(listed.code == 0)
        let line = listed.output.split(separator: "\n").first { $0.contains("Neon Static") }
        let id = try #require(line?.split(separator: " ").first.map(String.init))

        let exported = try await run(["export", id, "--db", db])
        #expect(exported.code == 0)
        let file = try JSONDecoder().decode(JSONValue.self, from: Data(exported.output.utf8))
        #expect(file["scenario"]?["name"]?.stringValue?.hasPrefix("Neon Static") == true)

        let output = directory.appendingPathComponent("seed.json").path
        let seedExport = try await run(["export", id, "--db", db, "--format", "seed", "--output", output])
        #expect(seedExport.code == 0)
        let seedFile = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(seedFile["tags"]?.stringValue?.contains("noir") == true)
    }

    /// `imaginai import FILE` sends the file's name: a book without a title of its own is named after it.
    @Test func importNamesAnUntitledFileAfterItsFileName() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let file = directory.appendingPathComponent("my_cards-v2.json")
        try Data(contentsOf: Fixtures.formats.appendingPathComponent("sillytavern-world-eldoria-2024.json")).write(to: file)
        let imported = try await run(["import", file.path, "--db", db])
        #expect(imported.code == 0, "\(imported.errors)")
        #expect(imported.output.hasPrefix("Imported \"my cards v2\" as scn_"), "\(imported.output)")
        let listed = try await run(["list", "--db", db])
        #expect(listed.output.contains("  my cards v2  [4 cards]"), "\(listed.output)")
    }

    @Test func failuresAreOneReadableLine() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let missing = try await run(["export", "scn_nope", "--db", db])
        #expect(missing.code != 0)
        #expect(missing.errors.contains("no scenario with id scn_nope"))
        let junk = directory.appendingPathComponent("junk.json")
        try Data(#"{"hello": "world"}"#.utf8).write(to: junk)
        let bad = try await run(["import", junk.path, "--db", db])
        #expect(bad.code != 0)
        #expect(!bad.errors.isEmpty)
    }

    @Test func importingAFileWithAnOverLongEntryNamesItAndStoresNothing() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        var entries: [String: JSONValue] = [:]
        for index in 0..<14 {
            let text = index == 12 ? String(repeating: "w", count: 100_001) : "Entry \(index)."
            entries[String(index)] = ["uid": .int(Int64(index)), "key": [.string("k\(index)")], "content": .string(text), "comment": .string("Entry \(index)")]
        }
        let file = directory.appendingPathComponent("world.json")
        try JSONEncoder().encode(JSONValue.object(["entries": .object(entries)])).write(to: file)
        let before = try await run(["list", "--db", db])
        let imported = try await run(["import", file.path, "--db", db])
        #expect(imported.code != 0)
        #expect(imported.errors.contains("'data.entries.12.content' is 100001 characters; the limit is 100000"), "\(imported.errors)")
        let after = try await run(["list", "--db", db])
        #expect(after.output == before.output, "nothing stored")

        let cards = (0..<3).map { index -> JSONValue in
            ["title": .string(index == 2 ? String(repeating: "T", count: 1_001) : "Card \(index)"), "keys": "k", "value": "Text."]
        }
        let named = directory.appendingPathComponent("cards.json")
        try JSONEncoder().encode(JSONValue.array(cards)).write(to: named)
        let longName = try await run(["import", named.path, "--db", db])
        #expect(longName.code != 0)
        #expect(longName.errors.contains("'data[2].title' is 1001 characters; the limit is 1000"), "\(longName.errors)")
    }
}

enum Fixtures {
    /// The repository root, found from this file's path; `shared/` lies beside it.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let seedScenario = shared.appendingPathComponent("seed/prototype-scenario-export.json")
    static let formats = shared.appendingPathComponent("fixtures/formats")
}
