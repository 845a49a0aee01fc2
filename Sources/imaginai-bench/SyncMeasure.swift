import Foundation
import ImaginAIProtocol
import JSONRPC
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16's live-sync figures: two daemons on one database file (two editor windows). How long after
/// one daemon's client writes does the other daemon's client have `library/changed`, beside the writer's
/// own response to the same request; how long a big commit's burst takes to arrive whole; and what an
/// idle watching daemon costs, beside an idle daemon on an in-memory database (which watches nothing)
/// over the same window.
extension Runner {
    mutating func sync() {
        let changes = options.quick ? 20 : 50
        let burstCards = 350
        let idleSeconds = options.quick ? 5.0 : 60.0
        let directory = temp + "/sync"
        progress("sync: \(changes) card edits through one daemon seen by another, a \(burstCards)-card import's burst, \(Int(idleSeconds)) s idle")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/shared.sqlite"
            let watching = try DaemonClient.spawn(daemon: daemon, database: path, logPath: directory + "/watching.log")
            defer { watching.shutdown() }
            let writing = try DaemonClient.spawn(daemon: daemon, database: path, logPath: directory + "/writing.log")
            defer { writing.shutdown() }
            let unwatched = try DaemonClient.spawn(daemon: daemon, database: ":memory:", logPath: directory + "/memory.log")
            defer { unwatched.shutdown() }
            for client in [watching, writing, unwatched] {
                try client.initialize(timeout: options.initializeTimeout)
                try client.child.send(DaemonClient.notificationFrame(method: "initialized"))
            }
            try notificationLatency(watching: watching, writing: writing, changes: changes)
            try burst(watching: watching, writing: writing, cards: burstCards)
            // The same recent work as the watching daemon's (a burst's worth of requests and answers),
            // so that what the runtime does after activity (parking its worker threads) weighs alike.
            let scenario = try unwatched.call("scenario/create", .object(["scenario": .object(["name": "Atlas"])]))
            try unwatched.call("cards/import", .object([
                "scenarioId": scenario["id"] ?? .null, "data": Self.worldInfoBook(entries: burstCards), "format": "sillytavern",
            ]))
            try idleCPU(watching: watching, unwatched: unwatched, seconds: idleSeconds)
        } catch {
            rows.append(Row(
                measure: "live sync (issue 16)", imaginai: "failed (note \(notebookAdd(error)))\(stderrTail(directory + "/watching.log"))",
                baseline: "—", target: "—"))
        }
    }

    /// Waits for the watching daemon's `library/changed` for row `id`, skipping the others of the same
    /// burst; returns when its reader had it.
    static func arrival(of id: String, at client: DaemonClient, what: String) throws -> UInt64 {
        while true {
            let (body, arrived) = try client.child.inbox.nextArrival(until: deadline(in: 5), what: what)
            let message = try JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body))
            guard message["method"] == "library/changed" else {
                throw BenchError("the watching daemon sent \(String(decoding: body.prefix(200), as: UTF8.self)) while \(what) was awaited")
            }
            if message["params"]?["id"] == .string(id) { return arrived }
        }
    }

    mutating func notificationLatency(watching: DaemonClient, writing: DaemonClient, changes: Int) throws {
        let scenario = try writing.call("scenario/create", .object(["scenario": .object([
            "name": "Sync bench", "cards": .array([.object(["name": "Keeper", "keys": .array(["keeper"])])]),
        ])]))
        guard let cardID = scenario["cards"]?.arrayValue?.first?["id"]?.stringValue, let scenarioID = scenario["id"]?.stringValue else {
            throw BenchError("scenario/create returned no card")
        }
        _ = try Self.arrival(of: scenarioID, at: watching, what: "the created scenario's library/changed")
        var notified = Samples()
        var answered = Samples()
        for index in 0..<changes {
            let id = writing.takeID()
            let frame = DaemonClient.frame(id: id, method: "card/update", params: .object([
                "id": .string(cardID), "changes": .object(["description": .string("Edit \(index) of the keeper.")]),
            ]))
            let start = monotonicNanos()
            try writing.child.send(frame)
            let (body, responded) = try writing.child.inbox.nextArrival(until: deadline(in: 15), what: "the card/update response")
            _ = try DaemonClient.result(of: body, method: "card/update", expecting: id)
            let seen = try Self.arrival(of: cardID, at: watching, what: "library/changed for edit \(index)")
            answered.add(responded - start)
            notified.add(seen - start)
            // The scenario's own `updated` (its updatedAt moves with its cards) ends the burst.
            _ = try Self.arrival(of: scenarioID, at: watching, what: "the scenario's library/changed for edit \(index)")
        }
        let afterResponse = zip(notified.values, answered.values).map { $0 - $1 }
        rows.append(Row(
            measure: "live sync: one daemon's client edits a card (card/update, \(changes) edits one after another), the other daemon's client has library/changed; from the request's write (p50 / max)",
            imaginai: "\(Format.ms(notified.p50)) / \(Format.ms(notified.values.max() ?? 0)) (after the writer's response: p50 \(Format.ms(Samples(values: afterResponse).p50)), max \(Format.ms(afterResponse.max() ?? 0)))",
            baseline: "the writing daemon's own response to the same request: \(Format.ms(answered.p50)) / \(Format.ms(answered.values.max() ?? 0))",
            target: "≤ 200 ms",
            met: verdict(notified.values.max(), atMost: 200e6)))
    }

    /// A card file imported into an existing scenario: one notification per card (cards created with
    /// a new scenario come with it instead), plus the scenario's own `updated`.
    mutating func burst(watching: DaemonClient, writing: DaemonClient, cards: Int) throws {
        let scenario = try writing.call("scenario/create", .object(["scenario": .object(["name": "Atlas"])]))
        guard let scenarioID = scenario["id"]?.stringValue else { throw BenchError("scenario/create returned no id") }
        _ = try Self.arrival(of: scenarioID, at: watching, what: "the new scenario's library/changed")
        let id = writing.takeID()
        let frame = DaemonClient.frame(id: id, method: "cards/import", params: .object([
            "scenarioId": .string(scenarioID), "data": Self.worldInfoBook(entries: cards), "format": "sillytavern",
        ]))
        let start = monotonicNanos()
        try writing.child.send(frame)
        let (body, responded) = try writing.child.inbox.nextArrival(until: deadline(in: 30), what: "the cards/import response")
        _ = try DaemonClient.result(of: body, method: "cards/import", expecting: id)
        var count = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        var cardsSeen = 0
        while cardsSeen < cards || count < cards + 1 {
            let (note, arrived) = try watching.child.inbox.nextArrival(until: deadline(in: 10), what: "the burst's library/changed")
            if count == 0 { first = arrived }
            count += 1
            last = arrived
            let message = try JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(note))
            if message["params"]?["kind"] == "card" { cardsSeen += 1 }
        }
        rows.append(Row(
            measure: "live sync: cards/import of a \(cards)-entry World Info book into a scenario through one daemon, the other's client has the whole burst (\(count) library/changed); from the request's write",
            imaginai: "first \(Format.ms(Double(first - start))), last \(Format.ms(Double(last - start)))",
            baseline: "the writing daemon's own response: \(Format.ms(Double(responded - start)))",
            target: "≤ 200 ms after the response",
            met: verdict(Double(last) - Double(responded), atMost: 200e6)))
    }

    mutating func idleCPU(watching: DaemonClient, unwatched: DaemonClient, seconds: Double) throws {
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let before = (try Self.cpuSeconds(pid: watching.child.pid), try Self.cpuSeconds(pid: unwatched.child.pid))
        let start = monotonicNanos()
        // The measuring window: nothing is sent to or written by anyone in it.
        Thread.sleep(forTimeInterval: seconds)
        let wall = Double(monotonicNanos() - start) / 1e9
        let used = (try Self.cpuSeconds(pid: watching.child.pid) - before.0, try Self.cpuSeconds(pid: unwatched.child.pid) - before.1)
        func describe(_ cpu: Double) -> String {
            String(format: "%.0f clock ticks (%.3f s CPU, %.4f%%) over %.1f s", (cpu * ticksPerSecond).rounded(), cpu, cpu / wall * 100, wall)
        }
        rows.append(Row(
            measure: "live sync: an idle daemon watching a database file another daemon also serves; utime+stime from /proc/PID/stat (1 tick = \(Format.ms(1e9 / ticksPerSecond)))",
            imaginai: describe(used.0),
            baseline: "an idle daemon on an in-memory database (nothing to watch; the same import just before), same window: " + describe(used.1),
            target: "≈ 0 (≤ 1 tick a minute)",
            met: verdict(used.0 * ticksPerSecond / wall * 60, atMost: 1)))
    }
}
