import ArgumentParser
import Foundation
import ImaginAIFormats
import ImaginAIProtocol
import ImaginAIServer
import ImaginAIStore
import Logging

func openDatabase(path: String, logger: Logger) throws -> AppDatabase {
    do {
        return try AppDatabase.open(path: path)
    } catch let problem as StorageProblem {
        throw CommandLineError(problem.message)
    } catch {
        logger.critical("cannot open database \(path): \(error)")
        throw ExitCode.failure
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a file, consistently, while daemons go on using it.",
        discussion: """
            The copy is made with SQLite's backup API inside one read transaction: it holds the library as it \
            was when the copy began, and daemons writing meanwhile are not held up. It is one file (no -wal), \
            readable by you only, and is checked with PRAGMA quick_check. An existing file is never overwritten.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Where to write the copy. Default: beside the database, as NAME.backup-YYYYMMDD-HHMMSS.sqlite (UTC).", completion: .file())
    var to: String?

    func validate() throws {
        if database.db == ":memory:" { throw ValidationError("an in-memory database (--db :memory:) has nothing to copy") }
    }

    func run() async throws {
        // Absolute, so that the line printed says where the copy is whatever the working directory.
        let source = URL(fileURLWithPath: database.resolvedPath).path
        let destination = URL(fileURLWithPath: to ?? Self.defaultDestination(for: source, at: Date())).path
        let check: String
        do {
            check = try AppDatabase.backup(path: source, to: destination)
        } catch let problem as StorageProblem {
            throw CommandLineError(problem.message)
        }
        guard check == "ok" else {
            throw CommandLineError("copied \(source) to \(destination), but the copy fails SQLite's check: \(check)")
        }
        print("Copied \(source) to \(destination) (integrity check: ok).")
    }

    static func defaultDestination(for path: String, at date: Date) -> String {
        let stamp = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.omitted)
            .time(includingFractionalSeconds: false).timeSeparator(.omitted).dateTimeSeparator(.standard)
            .format(date).replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: "Z", with: "")
        let url = URL(fileURLWithPath: path)
        var stem = url.deletingPathExtension().lastPathComponent
        if stem.isEmpty { stem = url.lastPathComponent }
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).backup-\(stamp).sqlite").path
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a scenario file (ImaginAI, the prototype, AI Dungeon, SillyTavern, character cards, NovelAI, KoboldAI).")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The file to import.", completion: .file())
    var file: String

    @Option(help: "The file's format; 'auto' detects it.", completion: .list(Library.scenarioImportFormats))
    var format: String = "auto"

    func run() async throws {
        let logger = try LogSetup.makeLogger(level: .warning, file: nil)
        let text = try CommandLineError.readText(of: file)
        let library = Library(database: try openDatabase(path: database.resolvedPath, logger: logger))
        let imported: ScenarioImportResult
        do {
            imported = try library.importScenario(data: .string(text), format: format, fileName: file)
        } catch {
            // A full disk or a file gone bad is about the library, not the imported file.
            if let problem = library.database.storageProblem(for: error) { throw CommandLineError(problem.message) }
            throw CommandLineError.importFailed(file: file, error)
        }
        if imported.scenarios.count > 1 {
            print("Imported \(imported.scenarios.count) scenarios from \((file as NSString).lastPathComponent):")
        }
        for scenario in imported.scenarios {
            let cards = scenario.cards.count == 1 ? "1 card" : "\(scenario.cards.count) cards"
            print("\(imported.scenarios.count > 1 ? "  " : "")Imported \"\(scenario.name)\" as \(scenario.id) with \(cards).")
        }
        if !imported.skipped.isEmpty {
            print("Not imported (\(imported.skipped.count)):")
            for entry in imported.skipped { print("  " + Self.placed(entry.reason, index: entry.index)) }
        }
        if !imported.warnings.isEmpty {
            print("Imported, but worth a look (\(imported.warnings.count)):")
            for warning in imported.warnings { print("  " + Self.placed(warning.message, index: warning.index)) }
        }
    }
}

extension Import {
    /// A reason that already names its place in the file (`[1].worldInfo[3]: …`, from a file of several
    /// scenarios) as it is; any other under the entry's number, counted from 1 as a person counts.
    static func placed(_ text: String, index: Int) -> String {
        if let end = text.range(of: "]: "), !text[..<end.lowerBound].contains(" ") { return text }
        return "entry \(index + 1): \(text)"
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a scenario as JSON to stdout or a file.")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The scenario id (see 'imaginai list').")
    var scenarioID: String

    @Option(help: "imaginai (lossless, default) or seed (the prototype's format).", completion: .list(Library.scenarioExportFormats))
    var format: String = "imaginai"

    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.", completion: .file())
    var output: String?

    func run() async throws {
        let logger = try LogSetup.makeLogger(level: .warning, file: nil)
        let library = Library(database: try openDatabase(path: database.resolvedPath, logger: logger))
        let exported = try CommandLineError.wrap { try library.exportScenario(id: scenarioID, format: format) }
        let encoder = JSONCoding.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        var data = try encoder.encode(exported.data)
        data.append(0x0A)
        if let output {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List scenarios and adventures.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = try LogSetup.makeLogger(level: .warning, file: nil)
        let store = try openDatabase(path: database.resolvedPath, logger: logger)
        let scenarios = try store.listScenarios(query: nil, tag: nil, limit: Int.max, offset: 0)
        print("Scenarios (\(scenarios.total)):")
        for scenario in scenarios.scenarios {
            print("  \(scenario.id)  \(scenario.name)  [\(scenario.cardCount) cards]")
        }
        let adventures = try store.listAdventures(limit: Int.max, offset: 0)
        print("Adventures (\(adventures.total)):")
        for adventure in adventures.adventures {
            print("  \(adventure.id)  \(adventure.name)  [\(adventure.turnCount) turns, last played \(adventure.lastPlayedAt)]")
        }
    }
}

/// A failure the command line reports in one readable line instead of a Swift error dump.
struct CommandLineError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    static func wrap<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as ResponseError {
            throw CommandLineError(error.message)
        } catch let error as StoreError {
            throw CommandLineError(readable(error))
        }
    }

    static func readable(_ error: StoreError) -> String {
        switch error {
        case .notFound(let kind, let id): return "no \(kind) with id \(id)"
        case .conflict(let message): return message
        case .invalid(_, let message): return message
        case .tooLarge(_, _, let message): return message
        }
    }

    /// What is wrong with `file` and, where the message alone does not say it, what to do next, in the
    /// file's terms rather than the request's: the request's `data` is the file itself.
    static func importFailed(file: String, _ error: any Error) -> CommandLineError {
        let name = (file as NSString).lastPathComponent
        let problem: String
        var advice: String?
        switch error {
        case let error as FormatError:
            problem = inFileTerms(error.message)
            switch error.kind {
            case .empty:
                return CommandLineError("cannot import \(name): the file is empty. Export the scenario or cards again and import that file.")
            case .notJSON:
                let place = error.line.map { "line \($0)" + (error.column.map { ", column \($0)" } ?? "") } ?? "the place named"
                advice = "Open \(name) at \(place) and fix the JSON there, or export the file again."
            case .unknownFormat:
                advice = "If you know which tool wrote it, name that format with --format (one of the names above)."
            case .other:
                break
            }
        case let error as ResponseError:
            problem = inFileTerms(error.message)
        case let error as StoreError:
            problem = readable(error)
        default:
            problem = "\(error)"
        }
        return CommandLineError("cannot import \(name): \(problem)" + (advice.map { "\n\($0)" } ?? ""))
    }

    /// The file's text, or why it cannot be had in words a person acts on.
    static func readText(of file: String) throws -> String {
        let name = (file as NSString).lastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw CommandLineError("cannot import \(name): there is no file at \(file)")
        }
        if isFolder.boolValue { throw CommandLineError("cannot import \(name): it is a folder; name a file exported by the tool instead") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandLineError("cannot import \(name): the file cannot be read (check its permissions)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CommandLineError(
                "cannot import \(name): the file is not UTF-8 text (a picture, an archive, or text in another encoding); "
                    + "a character card saved as PNG must be exported as JSON first")
        }
        return text
    }

    /// "Invalid params: 'data.entries.12.content' is ..." becomes "the field entries.12.content is ...":
    /// on the command line there are no params, only the file.
    static func inFileTerms(_ message: String) -> String {
        var text = message
        for label in ["Invalid params: ", "Too large: "] where text.hasPrefix(label) {
            text.removeFirst(label.count)
        }
        text = text.replacingOccurrences(of: "'data' is a string but not JSON text", with: "it is not valid JSON")
        text = text.replacingOccurrences(of: "of 'data'", with: "of the file")
        text = text.replacingOccurrences(of: "'data' ", with: "the file ")
        return text.replacing(/'data(\.|(?=\[))([^']+)'/) { match in "the field \(match.output.2)" }
    }
}
