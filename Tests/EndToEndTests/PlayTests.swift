import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// `imaginai play` driven like a user with a script on its stdin; what it stored is then read back through
/// a separate `imaginai serve` on the same database file.
@Suite(.timeLimit(.minutes(3)))
struct PlayTests {
    struct Run {
        var code: Int32
        var output: String
        var errors: String
    }

    func database() throws -> String {
        try temporaryDirectory().appendingPathComponent("play.sqlite").path
    }

    /// A data folder of the test's own beside its database, for play's history and the daemon's log;
    /// and no local model server looked for, so a server running on the tester's machine is not offered.
    func dataHome(_ db: String) -> [String: String] {
        [
            "XDG_DATA_HOME": URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("data").path,
            "IMAGINAI_LOCAL_SERVERS": "none",
        ]
    }

    /// Sets the storyteller's pace through the protocol; `play` itself never changes settings.
    func configure(_ db: String, delayMs: Int, maxOutputTokens: Int = 120) async throws {
        let daemon = try Daemon(arguments: ["serve", "--db", db])
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": [
            "storytellerDelayMs": .int(Int64(delayMs)), "maxOutputTokens": .int(Int64(maxOutputTokens)),
        ]])
        _ = try await daemon.call("shutdown")
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)
    }

    /// Calls one method on the database through a short-lived daemon.
    func inspect(_ db: String, _ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let daemon = try Daemon(arguments: ["serve", "--db", db])
        _ = try await daemon.initialize()
        let result = try await daemon.call(method, params)
        _ = try await daemon.call("shutdown")
        try daemon.notify("exit")
        _ = try await daemon.waitForExit()
        return result
    }

    func play(_ db: String, _ options: [String] = [], script: String) async throws -> Run {
        let player = try Daemon(arguments: ["play", "--db", db] + options, environment: dataHome(db))
        player.sendRaw(Array(script.utf8))
        player.closeInput()
        let code = try await player.waitForExit(timeout: .seconds(90))
        return Run(code: code, output: String(decoding: player.stdoutBytes, as: UTF8.self), errors: player.stderr)
    }

    func turns(_ db: String, adventure: JSONValue) async throws -> [JSONValue] {
        try await inspect(db, "turn/list", ["adventureId": adventure])["turns"]?.arrayValue ?? []
    }

    @Test func aScriptPlaysTheSampleScenarioAndASecondRunResumesIt() async throws {
        let db = try database()
        try await configure(db, delayMs: 0)
        let first = try await play(db, script: "look around\n/say hello\n/retry\n/undo\n/context\n/cards\n/quit\nnever read\n")
        #expect(first.code == 0, "\(first.errors)")
        let log = dataHome(db)["XDG_DATA_HOME"]! + "/imaginai/daemon.log"
        #expect(FileManager.default.fileExists(atPath: log), "the daemon's log is in the data folder, off the story")

        let listed = try await inspect(db, "adventure/list")
        let adventures = try #require(listed["adventures"]?.arrayValue)
        #expect(adventures.count == 1)
        #expect(adventures.first?["scenarioName"] == "The Keeper of Morrow Rock")
        let adventure = try #require(adventures.first?["id"])
        let stored = try await turns(db, adventure: adventure)
        // look around + its answer; hello + its retried answer were undone together.
        #expect(stored.map { $0["role"]! } == ["ai", "player", "ai"])
        #expect(stored[1]["text"] == "look around")
        #expect(stored[1]["action"] == "do")

        let output = first.output
        #expect(output.contains("The Keeper of Morrow Rock"))
        #expect(output.contains("[0] " + (stored[0]["text"]?.stringValue ?? "?")), "the opening scene, numbered")
        #expect(output.contains("> look around"), "piped actions are echoed")
        #expect(output.contains("> You say: \"hello\""), "as they will read in the history")
        #expect(output.contains("> /retry"))
        #expect(output.contains(stored[2]["text"]?.stringValue ?? "?"), "the streamed answer was printed")
        #expect(output.contains("Took back 2 turns"))
        #expect(output.contains("Context for the next turn with offline/storyteller"))
        #expect(output.contains("history:"))
        #expect(output.contains("Story cards ("))
        #expect(output.contains("Ottoline Vance"))
        #expect(!output.contains("never read"), "/quit stops reading")
        #expect(!output.contains("\u{1B}["), "no colours when stdout is not a terminal")
        #expect(!output.contains("Start a new adventure"), "no menu when stdin is not a terminal")

        // No /quit this time: end of input ends the session just as well.
        let second = try await play(db, script: "/continue\n")
        #expect(second.code == 0, "\(second.errors)")
        #expect(second.output.contains("[1] > look around"), "the story so far is shown on resuming")
        let afterwards = try await inspect(db, "adventure/list")
        #expect(afterwards["total"] == 1, "the same adventure was resumed, not a new one started")
        let resumed = try await turns(db, adventure: adventure)
        #expect(resumed.count == 4)
        #expect(second.output.contains(resumed.last?["text"]?.stringValue ?? "?"))
    }

    @Test func scenarioByNameEditsAndUnknownCommands() async throws {
        let db = try database()
        try await configure(db, delayMs: 0)
        let harbor = try await inspect(db, "scenario/create", ["scenario": [
            "name": "Harbor Fog", "openingScene": "You stand on the quay at Kell. The fog hides the water.",
            "cards": [["name": "Mira Vell", "type": "character", "keys": ["Mira", "harbormaster"], "description": "The harbormaster of Kell."]],
        ]])
        let run = try await play(db, ["--scenario", "harbor fog"], script: "/frobnicate\nask Mira about the ferry\n/edit 1 You ask Mira where the ferry went.\n/edit 99 nothing\n/cards\n/history 1\n")
        #expect(run.code == 0, "\(run.errors)")
        #expect(run.output.contains("You stand on the quay at Kell."))
        #expect(run.output.contains("Unknown command /frobnicate"))
        #expect(run.output.contains("/say TEXT"), "the unknown command is answered with the help")
        #expect(run.output.contains("There is no turn 99"))
        #expect(run.output.contains("Mira Vell [character] — keys: Mira, harbormaster"))
        #expect(run.output.contains("(2 earlier turns not shown; /history all shows them)"))

        let listed = try await inspect(db, "adventure/list")
        let adventure = try #require(listed["adventures"]?.arrayValue?.first)
        #expect(adventure["scenarioId"] == harbor["id"])
        let stored = try await turns(db, adventure: adventure["id"]!)
        #expect(stored.count == 3, "the command after the unknown one still ran")
        #expect(stored[1]["text"] == "You ask Mira where the ferry went.", "/edit 1 edited turn 1")

        let unknown = try await play(db, ["--scenario", "no such tale"], script: "")
        #expect(unknown.code != 0)
        #expect(unknown.errors.contains("no scenario with id or name \"no such tale\""))
    }

    @Test func ctrlCStopsTheGenerationButNotThePlayer() async throws {
        let db = try database()
        // Slow enough that the story is still being written when the interrupt arrives.
        try await configure(db, delayMs: 150, maxOutputTokens: 400)
        let player = try Daemon(arguments: ["play", "--db", db], environment: dataHome(db))
        var output: String { String(decoding: player.stdoutBytes, as: UTF8.self) }
        player.sendRaw(Array("look around\n".utf8))
        try await waitUntil {
            guard let echo = output.range(of: "> look around\n") else { return false }
            return output[echo.upperBound...].contains { $0.isLetter }
        }
        kill(player.process.processIdentifier, SIGINT)
        try await waitUntil { output.contains("(stopped") }
        #expect(player.process.isRunning)

        try await configure(db, delayMs: 0)
        player.sendRaw(Array("/say hello\n/quit\n".utf8))
        player.closeInput()
        let code = try await player.waitForExit(timeout: .seconds(60))
        #expect(code == 0, "\(player.stderr)")
        #expect(output.contains("(stopped; the text so far was kept as turn 2)"))

        let adventure = try #require(try await inspect(db, "adventure/list")["adventures"]?.arrayValue?.first?["id"])
        let stored = try await turns(db, adventure: adventure)
        #expect(stored.map { $0["role"]! } == ["ai", "player", "ai", "player", "ai"], "the line after the interrupt was played")
        let partial = stored[2]["text"]?.stringValue ?? ""
        #expect(!partial.isEmpty)
        // A whole answer here runs to well over a hundred words; the interrupt came after the first few.
        #expect(partial.split(separator: " ").count < 40, "the story was cut short: \(partial)")
        #expect(stored[3]["text"] == "hello")
        #expect(output.contains(stored[4]["text"]?.stringValue ?? "?"))
    }

    #if os(Linux)
    @Test func aTerminalGetsAMenuAndColours() async throws {
        let db = try database()
        try await configure(db, delayMs: 0)
        let first = try TerminalSession(arguments: ["play", "--db", db], environment: dataHome(db))
        try await waitUntil { first.output.contains("Choice [1]: ") }
        #expect(first.output.contains("Start a new adventure:"))
        #expect(first.output.contains("1) The Keeper of Morrow Rock"))
        #expect(!first.output.contains("Continue an adventure:"), "a fresh database has none to continue")
        first.type("\n")
        try await waitUntil { first.output.contains("Type /help for commands.") }
        first.type("/quit\n")
        #expect(try await first.waitForExit(self) == 0)
        #expect(first.output.contains("\u{1B}[1m"), "colours at a terminal")
        let listed = try await inspect(db, "adventure/list")
        #expect(listed["adventures"]?.arrayValue?.first?["scenarioName"] == "The Keeper of Morrow Rock", "Enter chose the first entry")

        // The menu's import entry reads a scenario file and starts an adventure in it.
        let second = try TerminalSession(arguments: ["play", "--db", db], environment: dataHome(db))
        try await waitUntil { second.output.contains("Choice [1]: ") }
        #expect(second.output.contains("Continue an adventure:"))
        second.type("i\n")
        try await waitUntil { second.output.contains("File path: ") }
        second.type(Fixtures.seedScenario.path + "\n")
        try await waitUntil { second.output.contains("Type /help for commands.") }
        second.type("/quit\n")
        #expect(try await second.waitForExit(self) == 0)
        #expect(second.output.contains("Imported \"Neon Static"))
        let after = try await inspect(db, "adventure/list")
        #expect(after["total"] == 2)
        #expect(after["adventures"]?.arrayValue?.first?["scenarioName"]?.stringValue?.hasPrefix("Neon Static") == true)
    }
    #endif

    func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline { throw DaemonError.timeout }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

#if os(Linux)
/// `imaginai` on a pseudo-terminal, so that its stdin and stdout are terminals (isatty) as for a person.
final class TerminalSession: @unchecked Sendable {
    let process = Process()
    private let master: Int32
    private let screen = ByteBuffer()

    init(arguments: [String], environment: [String: String] = [:]) throws {
        // posix_openpt and friends are not visible to Swift on Linux, so the ioctls they wrap are used.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0
        else { throw DaemonError.unexpected("no pseudo-terminal: errno \(errno)") }
        let terminal = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { throw DaemonError.unexpected("cannot open /dev/pts/\(number)") }
        let handle = FileHandle(fileDescriptor: terminal, closeOnDealloc: true)
        process.executableURL = Daemon.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        let (master, screen) = (master, screen)
        Thread {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                // EIO once the last holder of the terminal side has gone.
                if count <= 0 { break }
                screen.append(Data(chunk[0..<count]))
            }
            screen.finish()
        }.start()
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
    }

    var output: String { String(decoding: screen.bytes, as: UTF8.self) }

    func type(_ text: String) {
        _ = text.withCString { write(master, $0, strlen($0)) }
    }

    func waitForExit(_ tests: PlayTests) async throws -> Int32 {
        try await tests.waitUntil { !process.isRunning && screen.isFinished }
        return process.terminationStatus
    }
}
#endif
