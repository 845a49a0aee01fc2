import ArgumentParser
import Foundation
import ImaginAIProtocol
import ImaginAIServer
import ImaginAIStore
import Logging

func openDatabase(path: String, logger: Logger) throws -> AppDatabase {
    do {
        return try AppDatabase.open(path: path)
    } catch {
        logger.critical("cannot open database \(path): \(error)")
        throw ExitCode.failure
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
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw CommandLineError("cannot read \(file): \(error.localizedDescription)")
        }
        let library = Library(database: try openDatabase(path: database.resolvedPath, logger: logger))
        let scenario = try CommandLineError.wrap { try library.importScenario(data: .string(text), format: format, fileName: file) }
        let cards = scenario.cards.count == 1 ? "1 card" : "\(scenario.cards.count) cards"
        print("Imported \"\(scenario.name)\" as \(scenario.id) with \(cards).")
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
            switch error {
            case .notFound(let kind, let id): throw CommandLineError("no \(kind) with id \(id)")
            case .conflict(let message): throw CommandLineError(message)
            case .invalid(_, let message): throw CommandLineError(message)
            case .tooLarge(_, _, let message): throw CommandLineError(message)
            }
        }
    }
}
