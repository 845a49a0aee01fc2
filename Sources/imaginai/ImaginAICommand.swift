import ImaginAIProtocol
import ArgumentParser
import Foundation
import ImaginAIServer
import ImaginAIStore
import JSONRPC
import Logging

@main
struct ImaginAICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imaginai",
        abstract: "An interactive-fiction daemon: JSON-RPC 2.0 over stdio with LSP framing.",
        version: ServerVersion.version,
        subcommands: [Serve.self, Play.self, Web.self, Import.self, Export.self, List.self, Backup.self],
        defaultSubcommand: Serve.self
    )
}

/// Where the database lives, shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database file (':memory:' for a throwaway one). Default: $IMAGINAI_DB, else $XDG_DATA_HOME/imaginai/imaginai.sqlite.", completion: .file())
    var db: String?

    var resolvedPath: String {
        DatabaseLocation.resolve(explicit: db, environment: ProcessInfo.processInfo.environment)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon on stdin/stdout (the default).")

    @OptionGroup var database: DatabaseOptions

    @Option(
        help: "Least severe log level written: trace, debug, info, notice, warning, error, critical.",
        completion: .list(["trace", "debug", "info", "notice", "warning", "error", "critical"]))
    var logLevel: Logger.Level = .info

    @Option(help: "Write logs to this file instead of stderr.", completion: .file())
    var logFile: String?

    @Option(help: "Largest message body accepted, in bytes; bigger ones are skipped with error -31004.")
    var maxMessageBytes: Int = 16 << 20

    func validate() throws {
        guard maxMessageBytes >= 1024 else {
            throw ValidationError("--max-message-bytes must be at least 1024")
        }
    }

    func run() async throws {
        let logger = try LogSetup.makeLogger(level: logLevel, file: logFile)
        let path = database.resolvedPath
        let appDatabase: AppDatabase
        do {
            appDatabase = try AppDatabase.open(path: path)
        } catch let problem as StorageProblem {
            // Still served, so that the editor that started the daemon can show why nothing works.
            logger.critical("cannot use database \(path): \(problem.message)")
            let server = UnusableLibraryServer(
                problem: problem, sink: FileDescriptorSink(descriptor: 1), maxMessageBytes: maxMessageBytes, logger: logger)
            let code = await server.run(readingFrom: 0)
            logger.info("exiting with code \(code)")
            throw ExitCode(code)
        }
        logger.info("serving on stdio with database \(path)")
        let server = ImaginAIServer(
            database: appDatabase,
            sink: FileDescriptorSink(descriptor: 1),
            maxMessageBytes: maxMessageBytes,
            logger: logger
        )
        let code = await server.run(readingFrom: 0)
        logger.info("exiting with code \(code)")
        throw ExitCode(code)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
