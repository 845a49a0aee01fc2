import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// library/changed: two daemons on one database file (two editor windows), and the command line writing
/// under a running daemon.
@Suite(.timeLimit(.minutes(2)))
struct LiveSyncTests {
    /// The longest a notification may take before the test gives up on it; the issue's figure (200 ms)
    /// is checked on the median.
    static let patience: Duration = .seconds(5)

    /// Two initialized daemons on a fresh file.
    static func twoDaemons() async throws -> (watching: Daemon, writing: Daemon, path: String) {
        let path = try temporaryDirectory().appendingPathComponent("shared.sqlite").path
        let watching = try Daemon(database: path)
        let writing = try Daemon(database: path)
        _ = try await watching.initialize()
        _ = try await writing.initialize()
        return (watching, writing, path)
    }

    /// Waits for the next library/changed `daemon` sends that matches, returning its params, how long
    /// after `since` the test had it, and, as the yardstick for that moment's load, how long a plain
    /// request to the same daemon takes right after.
    static func changed(
        _ daemon: Daemon, since: ContinuousClock.Instant, _ kind: String, _ id: JSONValue, _ change: String
    ) async throws -> (params: JSONValue, latency: Duration, roundTrip: Duration) {
        let message = try await daemon.receive(timeout: patience) {
            $0["method"] == "library/changed" && $0["params"]?["kind"] == .string(kind) && $0["params"]?["id"] == id
                && $0["params"]?["change"] == .string(change)
        }
        let latency = ContinuousClock.now - since
        let asked = ContinuousClock.now
        _ = try await daemon.call("settings/get")
        return (message["params"]!, latency, ContinuousClock.now - asked)
    }

    @Test func everyKindOfChangeThroughOneDaemonReachesTheOthersClient() async throws {
        let (watching, writing, _) = try await Self.twoDaemons()
        var latencies: [Duration] = []
        var roundTrips: [Duration] = []
        func record(_ measured: (params: JSONValue, latency: Duration, roundTrip: Duration)) {
            latencies.append(measured.latency)
            roundTrips.append(measured.roundTrip)
        }

        _ = try await writing.call("settings/update", ["changes": ["storytellerDelayMs": 0, "maxOutputTokens": 50]])
        var sent = ContinuousClock.now
        let settings = try await Self.changed(watching, since: sent, "settings", "settings", "updated")
        // Owner fields that do not apply are left out, not null.
        #expect(settings.params == ["kind": "settings", "id": "settings", "change": "updated"])
        record(settings)

        let scenario = try await writing.call("scenario/create", ["scenario": [
            "name": "Lighthouse", "openingScene": "The lamp is out.", "cards": [["name": "Keeper", "keys": ["keeper"]]],
        ]])
        sent = ContinuousClock.now
        let scenarioId = scenario["id"]!
        record(try await Self.changed(watching, since: sent, "scenario", scenarioId, "created"))
        let cardId = scenario["cards"]!.arrayValue![0]["id"]!

        let added = try await writing.call("card/create", ["scenarioId": scenarioId, "card": ["name": "Gull"]])
        sent = ContinuousClock.now
        let card = try await Self.changed(watching, since: sent, "card", added["id"]!, "created")
        #expect(card.params == ["kind": "card", "id": added["id"]!, "change": "created", "scenarioId": scenarioId])
        record(card)

        _ = try await writing.call("card/update", ["id": cardId, "changes": ["description": "Knows the rocks."]])
        sent = ContinuousClock.now
        record(try await Self.changed(watching, since: sent, "card", cardId, "updated"))

        let adventure = try await writing.call("adventure/start", ["scenarioId": scenarioId])
        sent = ContinuousClock.now
        let adventureId = adventure["id"]!
        let started = try await Self.changed(watching, since: sent, "adventure", adventureId, "created")
        #expect(started.params["scenarioId"] == scenarioId)
        record(started)

        let act = try await writing.call("story/act", ["adventureId": adventureId, "action": "do", "text": "light the lamp"])
        sent = ContinuousClock.now
        for turn in [act["playerTurn"]!, act["aiTurn"]!] {
            let announced = try await Self.changed(watching, since: sent, "turn", turn["id"]!, "created")
            #expect(announced.params == ["kind": "turn", "id": turn["id"]!, "change": "created", "adventureId": adventureId])
            record(announced)
        }

        _ = try await writing.call("adventure/delete", ["id": adventureId])
        sent = ContinuousClock.now
        record(try await Self.changed(watching, since: sent, "adventure", adventureId, "deleted"))

        for depth in 1...6 {
            _ = try await writing.call("settings/update", ["changes": ["scanDepth": JSONValue.int(Int64(depth))]])
            sent = ContinuousClock.now
            record(try await Self.changed(watching, since: sent, "settings", "settings", "updated"))
        }

        // The issue's 200 ms holds on a quiet machine (scripts/bench measures it). Beside a parallel test
        // run on two cores every process waits its turn, so the bound also allows a few plain round trips
        // to the same daemon, each measured right after its notification: a watch that polled, or missed
        // a wake until the next commit, would still fail it.
        let median = latencies.sorted()[latencies.count / 2]
        let roundTrip = roundTrips.sorted()[roundTrips.count / 2]
        #expect(median <= max(.milliseconds(200), roundTrip * 4), "latencies: \(latencies); round trips: \(roundTrips)")

        // The writing daemon's client is told nothing of its own changes: the first library/changed it
        // gets is the watching daemon's one change, and no other precedes or follows it.
        _ = try await watching.call("settings/update", ["changes": ["scanDepth": 9]])
        let fromWatching = try await Self.changed(writing, since: .now, "settings", "settings", "updated")
        #expect(fromWatching.params == ["kind": "settings", "id": "settings", "change": "updated"])
        _ = try await writing.call("settings/get")
        let told = String(decoding: writing.stdoutBytes, as: UTF8.self).components(separatedBy: #""method":"library/changed""#).count - 1
        #expect(told == 1)
    }

    @Test func theImportCommandShowsUpInARunningDaemon() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("shared.sqlite").path
        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let file = directory.appendingPathComponent("atlas.json")
        let cards: [JSONValue] = (0..<30).map { ["name": .string("Place \($0)"), "keys": [.string("place \($0)")]] }
        try JSONCoding.encode(JSONValue.object([
            "format": "imaginai.scenario", "version": 1, "scenario": ["name": "Atlas from the shell", "cards": .array(cards)],
        ])).write(to: file)

        let command = try Daemon(arguments: ["import", file.path, "--db", path])
        #expect(try await command.waitForExit() == 0, "\(command.stderr)")
        let finished = ContinuousClock.now
        let created = try await daemon.receive(timeout: Self.patience) {
            $0["method"] == "library/changed" && $0["params"]?["kind"] == "scenario" && $0["params"]?["change"] == "created"
        }
        let scenarioId = created["params"]!["id"]!
        #expect(ContinuousClock.now - finished < Self.patience)
        // Its cards came with it (they are not announced one by one): the client reads them with it.
        let scenario = try await daemon.call("scenario/get", ["id": scenarioId])
        #expect(scenario["name"] == "Atlas from the shell")
        #expect(scenario["cards"]?.arrayValue?.count == 30)
    }

    /// An idle daemon that watches the file runs nothing: its CPU time over a quiet window stays within
    /// the clock's granularity.
    @Test func anIdleWatchingDaemonUsesNoCPU() async throws {
        let (watching, writing, _) = try await Self.twoDaemons()
        // The watch is running: a change through the other daemon reaches this one.
        _ = try await writing.call("settings/update", ["changes": ["scanDepth": 3]])
        _ = try await Self.changed(watching, since: .now, "settings", "settings", "updated")

        let pid = watching.process.processIdentifier
        let before = try Self.cpuTicks(pid: pid)
        // A measuring window, not a wait for anything: nothing happens in it by design.
        try await Task.sleep(for: .seconds(2))
        let after = try Self.cpuTicks(pid: pid)
        #expect(after - before <= 2, "the idle daemon used \(after - before) clock ticks in 2 s")
        #expect(watching.process.isRunning)
    }

    /// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
    static func cpuTicks(pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
        let fields = stat[stat.range(of: ")", options: .backwards)!.upperBound...].split(separator: " ")
        return Int(fields[11])! + Int(fields[12])!
    }
}
