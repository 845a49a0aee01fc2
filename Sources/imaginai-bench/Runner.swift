import ImaginAIProtocol
import Foundation
import JSONRPC
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the four measures in order and keeps the table rows. A measure that fails fills its cells with
/// the reason and the run goes on to the next one.
struct Runner {
    let options: Options
    let daemon: String
    let cat: String
    let temp: String

    var rows: [Row] = []
    private var serverVersion = "unknown version"
    private let notebook = Notebook()
    /// Taken when the run starts, not when the report is printed.
    private let started = SystemInfo.date()
    private let loadBefore = SystemInfo.loadAverage()
    var failures: Int { notebook.failures }

    /// Size of the framed `scenario/get` response, which the cat baselines echo.
    private var responseFrameBytes = 0
    private var requestFrameBytes = 0

    init(options: Options, daemon: String, cat: String, temp: String) {
        self.options = options
        self.daemon = daemon
        self.cat = cat
        self.temp = temp
    }

    mutating func run() {
        func wanted(_ name: String) -> Bool { options.only.isEmpty || options.only.contains(name) }
        if wanted("cold") { coldStart() }
        if wanted("roundtrip") { roundTripAndThroughput() }
        if wanted("memory") { memory() }
        if wanted("import") { importFile() }
        if wanted("story") { story() }
        if wanted("long-adventure") { longAdventure() }
        if wanted("recall") { recall() }
        if wanted("sync") { sync() }
        if wanted("provider") {
            providerOverhead()
            providerCPU()
        }
    }

    func notebookAdd(_ error: any Error) -> Int { notebook.add(Format.failure(error)) }

    // MARK: 1. Cold start

    mutating func coldStart() {
        let runs = options.coldRuns
        progress("cold start: \(runs) daemon spawns (fresh database file each), then \(runs) cat spawns")
        let initializeFrame = DaemonClient.frame(
            id: 1, method: "initialize", params: .object(["clientInfo": .object(["name": .string("imaginai-bench")])]))

        var daemonResult: Result<Samples, any Error>
        do {
            // One untimed spawn first, so every timed run finds the binary in the page cache.
            _ = try timedDaemonStart(label: "warmup")
            var samples = Samples()
            for run in 0..<runs { samples.add(try timedDaemonStart(label: "cold-\(run)")) }
            daemonResult = .success(samples)
        } catch {
            daemonResult = .failure(error)
        }

        var catResult: Result<Samples, any Error>
        do {
            _ = try timedCatStart(frame: initializeFrame)
            var samples = Samples()
            for _ in 0..<runs { samples.add(try timedCatStart(frame: initializeFrame)) }
            catResult = .success(samples)
        } catch {
            catResult = .failure(error)
        }

        let figures: [(String, (Samples) -> Double, String)] = [
            ("p50", { $0.p50 }, "≤ 15 ms (goal ≤ 8 ms; prototype ~3.7 s)"),
            ("p99", { $0.p99 }, "reported"),
            ("min", { $0.min }, "—"),
        ]
        for (name, pick, target) in figures {
            rows.append(Row(
                measure: name == "p50"
                    ? "cold start p50: spawn → `initialize` response (\(runs) runs, new DB file each)"
                    : "cold start \(name)",
                imaginai: cell(daemonResult) { Format.ms(pick($0)) },
                baseline: "cat: " + cell(catResult) { Format.ms(pick($0)) },
                target: target,
                met: name == "p50" ? verdict(try? daemonResult.get().p50, atMost: 15e6) : "—"))
        }
    }

    /// Spawns the daemon on a fresh database file and times spawn → initialize response; not timed:
    /// shutdown, exit and removal of the database.
    private mutating func timedDaemonStart(label: String) throws -> UInt64 {
        let directory = temp + "/" + label
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = monotonicNanos()
        let client = try DaemonClient.spawn(daemon: daemon, database: directory + "/bench.sqlite", logPath: directory + "/stderr.log")
        defer { client.shutdown() }
        let result: JSONValue
        do {
            result = try client.initialize(timeout: options.initializeTimeout)
        } catch {
            throw BenchError("\(error)\(stderrTail(directory + "/stderr.log"))")
        }
        let elapsed = monotonicNanos() - start
        if let version = result["serverInfo"]?["version"]?.stringValue { serverVersion = version }
        return elapsed
    }

    /// Spawns cat and times spawn → the first frame echoed back.
    private func timedCatStart(frame: [UInt8]) throws -> UInt64 {
        let start = monotonicNanos()
        let child = try Child(name: "cat", executable: cat, arguments: [], stderrPath: nil)
        defer { child.stop(grace: 5) }
        try child.send(frame)
        _ = try child.inbox.next(until: deadline(in: 10), what: "the echoed frame")
        return monotonicNanos() - start
    }

    // MARK: 2 and 3. Round trip and pipelined throughput

    mutating func roundTripAndThroughput() {
        let count = options.roundTrips
        let warmup = options.warmup
        let pipelined = options.pipelined
        progress("round trip: \(warmup) warm-up + \(count) sequential scenario/get of a 20-card scenario; then \(pipelined) pipelined")

        var roundTrip: Result<Samples, any Error> = .failure(BenchError("not run"))
        var throughput: Result<UInt64, any Error> = .failure(BenchError("not run"))
        let directory = temp + "/roundtrip"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let client = try DaemonClient.spawn(daemon: daemon, database: directory + "/bench.sqlite", logPath: directory + "/stderr.log")
            defer { client.shutdown() }
            try client.initialize(timeout: options.initializeTimeout)
            let created = try client.call(
                "scenario/create", Payloads.scenarioCreateParams(name: "Round trip", cardCount: 20, seed: 7))
            guard let id = created["id"]?.stringValue else { throw BenchError("scenario/create returned no id") }
            let params: JSONValue = .object(["id": .string(id)])

            // Warm-up, checking the first response in full.
            for index in 0..<warmup {
                let requestID = client.takeID()
                let frame = DaemonClient.frame(id: requestID, method: "scenario/get", params: params)
                try client.child.send(frame)
                let body = try client.child.inbox.next(until: deadline(in: 15), what: "scenario/get")
                if index == 0 {
                    let scenario = try DaemonClient.result(of: body, method: "scenario/get", expecting: requestID)
                    let cards = scenario["cards"]?.arrayValue?.count ?? 0
                    guard cards == 20 else { throw BenchError("scenario/get returned \(cards) cards, expected 20") }
                    responseFrameBytes = Framing.frame(body).count
                    requestFrameBytes = frame.count
                } else if !Inbox.looksLikeResult(body) {
                    _ = try DaemonClient.result(of: body, method: "scenario/get")
                }
            }

            roundTrip = Result {
                let frames = (0..<count).map { _ in DaemonClient.frame(id: client.takeID(), method: "scenario/get", params: params) }
                var samples = Samples()
                for frame in frames {
                    let start = monotonicNanos()
                    try client.child.send(frame)
                    let body = try client.child.inbox.next(until: deadline(in: 15), what: "scenario/get")
                    samples.add(monotonicNanos() - start)
                    if !Inbox.looksLikeResult(body) { _ = try DaemonClient.result(of: body, method: "scenario/get") }
                }
                return samples
            }

            progress("throughput: \(pipelined) pipelined scenario/get")
            throughput = Result {
                let frames = (0..<pipelined).map { _ in DaemonClient.frame(id: client.takeID(), method: "scenario/get", params: params) }
                return try pipelinedRun(child: client.child, frames: frames, what: "scenario/get responses")
            }
        } catch {
            roundTrip = .failure(BenchError("\(error)\(stderrTail(directory + "/stderr.log"))"))
            throughput = .failure(error)
        }

        // Baselines: a frame the size of the scenario/get response, echoed by cat.
        var catRoundTrip: Result<Samples, any Error> = .failure(BenchError("not run"))
        var catThroughput: Result<UInt64, any Error> = .failure(BenchError("not run"))
        let echoSize = responseFrameBytes > 0 ? responseFrameBytes : 10_000
        let echo = Self.echoFrame(totalBytes: echoSize)
        do {
            let child = try Child(name: "cat", executable: cat, arguments: [], stderrPath: nil)
            defer { child.stop(grace: 5) }
            for _ in 0..<warmup {
                try child.send(echo)
                _ = try child.inbox.next(until: deadline(in: 10), what: "the echoed frame")
            }
            catRoundTrip = Result {
                var samples = Samples()
                for _ in 0..<count {
                    let start = monotonicNanos()
                    try child.send(echo)
                    _ = try child.inbox.next(until: deadline(in: 10), what: "the echoed frame")
                    samples.add(monotonicNanos() - start)
                }
                return samples
            }
            catThroughput = Result {
                try pipelinedRun(child: child, frames: Array(repeating: echo, count: pipelined), what: "echoed frames")
            }
        } catch {
            catRoundTrip = .failure(error)
            catThroughput = .failure(error)
        }

        let sizes = responseFrameBytes > 0
            ? " (\(Format.grouped(Double(requestFrameBytes))) B request, \(Format.grouped(Double(responseFrameBytes))) B response)"
            : ""
        rows.append(Row(
            measure: "round trip p50: sequential `scenario/get`, 20 cards\(sizes), \(count) requests",
            imaginai: cell(roundTrip) { Format.ms($0.p50) },
            baseline: "cat echo: " + cell(catRoundTrip) { Format.ms($0.p50) },
            target: "≤ 15× cat (goal ≤ 5×; prototype ~10 ms)",
            met: verdict(ratio(try? roundTrip.get().p50, to: try? catRoundTrip.get().p50), atMost: 15)))
        rows.append(Row(
            measure: "round trip p99",
            imaginai: cell(roundTrip) { Format.ms($0.p99) },
            baseline: "cat echo: " + cell(catRoundTrip) { Format.ms($0.p99) },
            target: "reported"))
        rows.append(Row(
            measure: "round trip min",
            imaginai: cell(roundTrip) { Format.ms($0.min) },
            baseline: "cat echo: " + cell(catRoundTrip) { Format.ms($0.min) },
            target: "—"))
        rows.append(Row(
            measure: "throughput: \(Format.grouped(Double(pipelined))) pipelined `scenario/get` over one pipe (send all, read all)",
            imaginai: cell(throughput) { Format.rate(pipelined, nanos: $0, unit: "req") },
            baseline: "cat: " + cell(catThroughput) { Format.rate(pipelined, nanos: $0, unit: "frames") },
            target: "≥ 30,000 req/s (goal ≥ 50,000)",
            met: verdict((try? throughput.get()).map { Double(pipelined) / (Double($0) / 1e9) }, atLeast: 30_000)))
    }

    /// Writes every frame (one write each) while the reader thread counts responses; times first
    /// write → last response. Error responses fail the measure.
    private func pipelinedRun(child: Child, frames: [[UInt8]], what: String) throws -> UInt64 {
        child.inbox.startCounting()
        let start = monotonicNanos()
        for frame in frames { try child.send(frame) }
        let outcome = try child.inbox.finishCounting(expected: frames.count, until: deadline(in: 120), what: what)
        let elapsed = monotonicNanos() - start
        if outcome.failed > 0 {
            throw BenchError("\(outcome.failed) of \(frames.count) were errors, first: \(outcome.first ?? "?")")
        }
        return elapsed
    }

    /// A frame of exactly `totalBytes` whose body starts like a response (`{"id":`), for cat to echo.
    static func echoFrame(totalBytes: Int) -> [UInt8] {
        var bodyLength = totalBytes
        // The header length depends on the digits of the body length; converge on an exact total.
        for _ in 0..<3 { bodyLength = totalBytes - "Content-Length: \(bodyLength)\r\n\r\n".utf8.count }
        let head = #"{"id":1,"jsonrpc":"2.0","result":""#
        let padding = max(0, bodyLength - head.utf8.count - 2)
        return Framing.frame(Array((head + String(repeating: "x", count: padding) + "\"}").utf8))
    }

    // MARK: 4. Memory

    mutating func memory() {
        let total = options.scenarios
        let batch = options.batch
        progress("memory: idle RSS after initialize, then \(total) scenario/create in pipelined batches of \(batch)")
        let directory = temp + "/memory"
        let database = directory + "/bench.sqlite"
        var idle: Result<(rssKiB: Int, hwmKiB: Int), any Error> = .failure(BenchError("not run"))
        var loaded: Result<(rssKiB: Int, hwmKiB: Int), any Error> = .failure(BenchError("not run"))
        var createTime: Result<UInt64, any Error> = .failure(BenchError("not run"))
        var databaseBytes: Int?
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let client = try DaemonClient.spawn(daemon: daemon, database: database, logPath: directory + "/stderr.log")
            defer { client.shutdown() }
            try client.initialize(timeout: options.initializeTimeout)
            idle = Result { try Self.memory(of: client.child) }

            let cardsPerScenario = 4
            createTime = Result {
                let start = monotonicNanos()
                var made = 0
                while made < total {
                    let size = min(batch, total - made)
                    let frames = (0..<size).map { offset in
                        DaemonClient.frame(
                            id: client.takeID(), method: "scenario/create",
                            params: Payloads.scenarioCreateParams(
                                name: "Bench scenario \(made + offset)", cardCount: cardsPerScenario, seed: made + offset))
                    }
                    client.child.inbox.startCounting()
                    for frame in frames { try client.child.send(frame) }
                    let outcome = try client.child.inbox.finishCounting(
                        expected: size, until: deadline(in: 120), what: "scenario/create responses")
                    if outcome.failed > 0 {
                        throw BenchError("\(outcome.failed) scenario/create failed, first: \(outcome.first ?? "?")")
                    }
                    made += size
                }
                return monotonicNanos() - start
            }
            loaded = Result { try Self.memory(of: client.child) }
            let sizes = ["", "-wal", "-shm"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: database + $0))?[.size] as? Int
            }
            databaseBytes = sizes.isEmpty ? nil : sizes.reduce(0, +)
        } catch {
            // Whatever had not been measured yet fails for the same reason.
            let failure = BenchError("\(error)\(stderrTail(directory + "/stderr.log"))")
            if case .failure = idle { idle = .failure(failure) }
            if case .failure = createTime { createTime = .failure(failure) }
            if case .failure = loaded { loaded = .failure(failure) }
        }
        try? FileManager.default.removeItem(atPath: directory)

        // Baseline: what a process that has done next to nothing (cat, after one echo) holds.
        let catIdle: Result<(rssKiB: Int, hwmKiB: Int), any Error> = Result {
            let child = try Child(name: "cat", executable: cat, arguments: [], stderrPath: nil)
            defer { child.stop(grace: 5) }
            try child.send(Self.echoFrame(totalBytes: 200))
            _ = try child.inbox.next(until: deadline(in: 10), what: "the echoed frame")
            return try Self.memory(of: child)
        }

        rows.append(Row(
            measure: "RSS idle, right after `initialize` (VmRSS)",
            imaginai: cell(idle) { Format.mib(kib: $0.rssKiB) },
            baseline: "cat: " + cell(catIdle) { Format.mib(kib: $0.rssKiB) },
            target: "≤ 18 MiB (goal ≤ 12 MiB)",
            met: verdict((try? idle.get().rssKiB).map(Double.init), atMost: 18 * 1024)))
        rows.append(Row(
            measure: "RSS after creating \(Format.grouped(Double(total))) scenarios of 4 cards, file DB (VmRSS)",
            imaginai: cell(loaded) { Format.mib(kib: $0.rssKiB) },
            baseline: "—",
            target: "reported"))
        rows.append(Row(
            measure: "peak RSS over that run (VmHWM)",
            imaginai: cell(loaded) { Format.mib(kib: $0.hwmKiB) },
            baseline: "cat: " + cell(catIdle) { Format.mib(kib: $0.hwmKiB) },
            target: "reported"))
        rows.append(Row(
            measure: "`scenario/create` rate while loading (batches of \(batch) pipelined)"
                + (databaseBytes.map { "; DB file then \(Format.mib(bytes: $0))" } ?? ""),
            imaginai: cell(createTime) { Format.rate(total, nanos: $0, unit: "scenarios") },
            baseline: "—",
            target: "—"))
    }

    static func memory(of child: Child) throws -> (rssKiB: Int, hwmKiB: Int) {
        guard let figures = child.memory() else { throw BenchError("cannot read /proc/\(child.pid)/status") }
        return figures
    }

    // MARK: Report

    /// A figure, or a pointer to the note that says why there is none.
    func cell<T>(_ result: Result<T, any Error>, _ format: (T) -> String) -> String {
        switch result {
        case .success(let value): return format(value)
        case .failure(let error): return "failed (note \(notebook.add(Format.failure(error))))"
        }
    }

    /// The last lines of a child's stderr, to explain a failure.
    func stderrTail(_ path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "" }
        let lines = text.split(separator: "\n").suffix(3).joined(separator: " / ")
        return "; daemon stderr: \(lines)"
    }

    func report() -> String {
        let mode = options.quick ? "quick (CI smoke run)" : "full"
        var out = "## imaginai benchmark\n\n"
        out += "- date: \(started)\n"
        out += "- system: \(SystemInfo.kernel())\n"
        out += "- CPU: \(SystemInfo.cpuModel()), \(SystemInfo.cores) cores\n"
        out += "- load average (1, 5, 15 min) at start: \(loadBefore); at end: \(SystemInfo.loadAverage())\n"
        out += "- build: imaginai-bench \(SystemInfo.benchConfiguration); daemon `\(daemon)` (\(SystemInfo.configuration(ofBinary: daemon)), imaginai \(serverVersion))\n"
        out += "- mode: \(mode): \(options.coldRuns) cold starts, \(options.roundTrips) round trips after \(options.warmup) warm-up, "
            + "\(options.pipelined) pipelined requests, \(options.scenarios) scenarios created\n"
        out += "- baseline: `\(cat)` echoing frames over the same kind of pipes, read by the same client code\n\n"
        out += markdownTable(rows)
        if !notebook.notes.isEmpty {
            out += "\nNotes:\n\n"
            for (index, note) in notebook.notes.enumerated() { out += "\(index + 1). \(note)\n" }
        }
        return out
    }
}

/// Failure notes under the table, numbered; the same failure in several cells is one note.
final class Notebook {
    private(set) var notes: [String] = []
    private(set) var failures = 0

    /// Records a failure and returns its note number.
    func add(_ text: String) -> Int {
        failures += 1
        if let index = notes.firstIndex(of: text) { return index + 1 }
        notes.append(text)
        return notes.count
    }
}
