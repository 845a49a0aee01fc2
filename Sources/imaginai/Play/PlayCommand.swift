import ArgumentParser
import Foundation
import ImaginAIProtocol
import JSONRPC
import ImaginAIServer
import Logging

struct Play: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play in the terminal: a client that runs 'imaginai serve' as a child and speaks the protocol to it.",
        discussion: """
            Without --scenario or --adventure it resumes the adventure played last (on a new database it \
            starts one in the sample scenario); at a terminal a menu offers the others. With stdin piped \
            it reads one action or /command per line, so a script can play. Type /help inside for commands.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Start a new adventure in this scenario (its id, or its name in any case).")
    var scenario: String?

    @Option(help: "Resume this adventure (its id, see 'imaginai list').")
    var adventure: String?

    @Option(help: "The daemon's log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(help: "Write the daemon's logs to this file. Default: daemon.log in the data folder ($XDG_DATA_HOME/imaginai), so no log line lands on the story.")
    var logFile: String?

    /// daemon.log in the data folder, created if need be; nil when the folder cannot be made.
    static func defaultLogFile(in dataFolder: String) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return nil
        }
        let path = dataFolder + "/daemon.log"
        // One older file is kept, so the log of a long-used data folder stays a few MiB at most.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 4 << 20 {
            _ = rename(path, path + ".1")
        }
        return path
    }

    func validate() throws {
        if scenario != nil && adventure != nil {
            throw ValidationError("choose --scenario or --adventure, not both")
        }
    }

    func run() async throws {
        let console = Console()
        let environment = ProcessInfo.processInfo.environment
        let dataFolder = DatabaseLocation.dataFolder(environment: environment)
        var arguments = ["serve", "--db", database.resolvedPath, "--log-level", logLevel.rawValue]
        let daemonLog = logFile ?? Self.defaultLogFile(in: dataFolder)
        if let daemonLog {
            arguments += ["--log-file", daemonLog]
        } else {
            writeAll(2, Array("imaginai play: cannot create \(dataFolder); the daemon's log goes to stderr\n".utf8))
        }
        // A daemon that dies must not kill us with SIGPIPE while we write to it; the write fails instead.
        signal(SIGPIPE, SIG_IGN)
        let client = try DaemonClient(executable: DaemonClient.ownExecutable(), arguments: arguments)
        let generation = RunningGeneration()
        Interrupts.install { [console] in
            // An editor run from /edit has the terminal; its Ctrl-C is its own.
            if ExternalProgram.running.withLock({ $0 }) { return }
            if let id = generation.current {
                client.notify(CancelRequestNotification(id: .int(id)))
                return
            }
            // Ctrl-C at the prompt (or while starting) leaves, still letting the daemon close cleanly.
            console.endLine()
            _ = client.shutdownWithoutWaiting()
            Foundation.exit(130)
        }

        let code: Int32
        do {
            _ = try await client.call(InitializeRequest(clientInfo: ClientInfo(name: "imaginai play", version: ServerVersion.version)))
            client.notify(InitializedNotification())
            let input: any LineSource = console.interactive
                ? TerminalLines(
                    console: console, historyFile: HistoryFile(path: dataFolder + "/history"),
                    isBusy: { generation.current != nil },
                    onInterrupt: { if let id = generation.current { client.notify(CancelRequestNotification(id: .int(id))) } })
                : PipedLines()
            let start = PlayStart(client: client, console: console)
            let chosen: Adventure?
            if let adventure {
                chosen = try await start.adventure(id: adventure)
            } else if let scenario {
                chosen = try await start.startScenario(named: scenario)
            } else if console.interactive {
                chosen = try await start.menu(input: input)
            } else {
                chosen = try await start.defaultAdventure()
            }
            if let chosen {
                let session = PlaySession(client: client, console: console, generation: generation, input: input, adventure: chosen)
                await session.run()
            }
            code = await client.shutdown()
            RawMode.restore()
        } catch {
            RawMode.restore()
            // Startup failures go to stderr: there is no session transcript yet to keep them in order with.
            console.endLine()
            writeAll(2, Array((PlaySession.describe(error) + "\n").utf8))
            _ = await client.shutdown()
            throw ExitCode.failure
        }
        if code != 0 {
            // The daemon's last words are in its log, not on the screen.
            if let daemonLog { console.line("! the daemon's log is \(daemonLog)", .error) }
            console.line("! the daemon exited with status \(code)", .error)
            throw ExitCode(code)
        }
    }
}
