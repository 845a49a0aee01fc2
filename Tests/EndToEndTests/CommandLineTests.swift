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

    /// An AI Dungeon export of several scenarios is listed scenario by scenario.
    @Test func importListsEachScenarioOfAnAIDungeonExport() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let file = directory.appendingPathComponent("adventures.json")
        try JSONEncoder().encode(ImportExportTests.aiDungeonScenarios).write(to: file)
        let imported = try await run(["import", file.path, "--db", db])
        #expect(imported.code == 0, "\(imported.errors)")
        let lines = imported.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(imported.output)")
        #expect(lines.first == "Imported 3 scenarios from adventures.json:")
        for (line, name) in zip(lines.dropFirst(), ["The Drowned Bell\" as scn_", "Ashfall\" as scn_", "adventures\" as scn_"]) {
            #expect(line.hasPrefix("  Imported \"\(name)"), "\(line)")
        }
        #expect(lines[1].hasSuffix(" with 2 cards."))
        let listed = try await run(["list", "--db", db])
        for line in lines.dropFirst() {
            let id = try #require(line.split(separator: " ").first { $0.hasPrefix("scn_") })
            #expect(listed.output.contains("  \(id)  "), "\(id) in \(listed.output)")
        }
    }

    /// What did not come over, and what came over approximately, is printed after the summary.
    @Test func importPrintsSkippedEntriesAndWarnings() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let file = directory.appendingPathComponent("lights.json")
        try Data(#"{"entries": {"0": {"key": ["lamp"], "content": "A lamp.", "position": 3, "comment": "Lamp"}, "1": {"key": [], "content": "Nothing fires me."}, "2": {"key": ["x"], "content": "Off.", "disable": true}}}"#.utf8).write(to: file)
        let imported = try await run(["import", file.path, "--db", db])
        #expect(imported.code == 0, "\(imported.errors)")
        #expect(imported.output.split(separator: "\n").map(String.init) == [
            "Imported \"lights\" as \(imported.output.split(separator: " ")[3]) with 2 cards.",
            "Not imported (1):",
            "  entry 2: no trigger keys: a card without keys would never be sent to the model",
            "Imported, but worth a look (1):",
            "  entry 1: position 3 (after the author's note) became afterHistory: ImaginAI puts the card after the story, just before the author's note",
        ], "\(imported.output)")
    }

    /// A path that is no file, or a file that is not text, is named as such.
    @Test func importSaysWhenThereIsNoTextToRead() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        let missing = try await run(["import", directory.appendingPathComponent("gone.json").path, "--db", db])
        #expect(missing.code != 0 && missing.errors.contains("cannot import gone.json: there is no file at "), "\(missing.errors)")
        let folder = try await run(["import", directory.path, "--db", db])
        #expect(folder.code != 0 && folder.errors.contains(": it is a folder"), "\(folder.errors)")
        let picture = directory.appendingPathComponent("card.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0xFE]).write(to: picture)
        let binary = try await run(["import", picture.path, "--db", db])
        #expect(binary.code != 0 && binary.errors.contains("cannot import card.png: the file is not UTF-8 text"), "\(binary.errors)")
    }

    /// A bad file gets what is wrong, where, and what to do, in the file's terms, never Swift's.
    @Test func importErrorsNameTheFileThePlaceAndTheFix() async throws {
        let directory = try temporaryDirectory()
        let db = directory.appendingPathComponent("cli.sqlite").path
        func expectReadable(_ result: (code: Int32, output: String, errors: String), file: String) {
            #expect(result.code != 0)
            #expect(result.output.isEmpty, "\(result.output)")
            #expect(result.errors.contains("cannot import \(file): "), "\(result.errors)")
            for internals in ["FormatError(", "Error Domain", "Invalid params", "'data'", "DecodingError"] {
                #expect(!result.errors.contains(internals), "\(result.errors)")
            }
            #expect(result.errors.split(separator: "\n").count <= 2, "\(result.errors)")
        }
        let listedBefore = try await run(["list", "--db", db])

        // Cut short inside the second entry's text: line 4, the end of the file.
        let truncated = directory.appendingPathComponent("cut-short.json")
        try Data("{\"entries\": {\n  \"0\": {\"key\": [\"gate\"], \"content\": \"The gate.\"},\n  \"1\": {\"key\": [\"tower\"],\n    \"content\": \"The tow".utf8).write(to: truncated)
        let cut = try await run(["import", truncated.path, "--db", db])
        expectReadable(cut, file: "cut-short.json")
        #expect(cut.errors.contains("it is not valid JSON: at line 4, column 24, the text ends inside the string that starts at line 4, column 16"), "\(cut.errors)")
        #expect(cut.errors.contains("Open cut-short.json at line 4, column 24 and fix the JSON there"), "\(cut.errors)")

        let stray = directory.appendingPathComponent("stray.json")
        try Data("[\n  {\"title\": \"A\", \"keys\": \"a\", \"value\": \"x\"}\n  {\"title\": \"B\"}\n]".utf8).write(to: stray)
        let missingComma = try await run(["import", stray.path, "--db", db])
        expectReadable(missingComma, file: "stray.json")
        #expect(missingComma.errors.contains("at line 3, column 3, expected ',' or ']' but found '{\"title\": \"B…'; is a comma missing?"), "\(missingComma.errors)")

        let unknown = directory.appendingPathComponent("weather.json")
        try Data(#"{"city": "Oslo", "temperature": -3}"#.utf8).write(to: unknown)
        let notAFormat = try await run(["import", unknown.path, "--db", db])
        expectReadable(notAFormat, file: "weather.json")
        #expect(notAFormat.errors.contains("the file matches no scenario or card format ImaginAI reads"), "\(notAFormat.errors)")
        #expect(notAFormat.errors.contains("name that format with --format"), "\(notAFormat.errors)")
        #expect(notAFormat.errors.contains("(tried imaginai, seed, aidungeon"), "\(notAFormat.errors)")

        let empty = directory.appendingPathComponent("empty.json")
        try Data("\n".utf8).write(to: empty)
        let nothing = try await run(["import", empty.path, "--db", db])
        expectReadable(nothing, file: "empty.json")
        #expect(nothing.errors.contains("cannot import empty.json: the file is empty. Export the scenario or cards again"), "\(nothing.errors)")

        let listed = try await run(["list", "--db", db])
        #expect(listed.output == listedBefore.output, "nothing stored")
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
        #expect(imported.errors.contains("cannot import world.json: the field entries.12.content is 100001 characters; the limit is 100000"), "\(imported.errors)")
        let after = try await run(["list", "--db", db])
        #expect(after.output == before.output, "nothing stored")

        let cards = (0..<3).map { index -> JSONValue in
            ["title": .string(index == 2 ? String(repeating: "T", count: 1_001) : "Card \(index)"), "keys": "k", "value": "Text."]
        }
        let named = directory.appendingPathComponent("cards.json")
        try JSONEncoder().encode(JSONValue.array(cards)).write(to: named)
        let longName = try await run(["import", named.path, "--db", db])
        #expect(longName.code != 0)
        #expect(longName.errors.contains("cannot import cards.json: the field [2].title is 1001 characters; the limit is 1000"), "\(longName.errors)")
    }
}

enum Fixtures {
    /// The repository root, found from this file's path; `shared/` lies beside it.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let seedScenario = shared.appendingPathComponent("seed/prototype-scenario-export.json")
    static let formats = shared.appendingPathComponent("fixtures/formats")
}
