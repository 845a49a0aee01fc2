import ImaginAIProtocol
import Foundation
import JSONRPC

/// Import of a big card file through the daemon: a generated 10,000-entry SillyTavern World Info book
/// sent as `scenario/import`, timed from the write of the request to the parsed response (which holds the
/// new scenario with every card).
extension Runner {
    /// A SillyTavern World Info book: `{"entries": {"0": {uid, key, keysecondary, content, comment, …}}}`.
    static func worldInfoBook(entries: Int) -> JSONValue {
        var book: [String: JSONValue] = [:]
        let prose = "A quiet figure of the harbor town, known to the fishermen and the keepers of the old lighthouse. "
        for index in 0..<entries {
            book[String(index)] = .object([
                "uid": .int(Int64(index)),
                "key": .array([.string("name\(index)"), .string("word\(index)"), .string("k\(index)z")]),
                "keysecondary": .array([]),
                "comment": .string("Entry \(index)"),
                "content": .string("Entry \(index). " + String(repeating: prose, count: 3)),
                "constant": .bool(false),
                "selective": .bool(true),
                "order": .int(100),
                "position": .int(0),
                "disable": .bool(false),
            ])
        }
        return .object(["name": .string("Bench book"), "entries": .object(book)])
    }

    mutating func importFile() {
        let entries = 10_000
        let runs = options.quick ? 1 : 5
        progress("import: \(runs) × scenario/import of a \(entries)-entry SillyTavern World Info book")
        let book = Self.worldInfoBook(entries: entries)
        let params: JSONValue = .object(["data": book, "format": .string("sillytavern")])
        var frameBytes = 0
        var daemonResult: Result<Samples, any Error> = .failure(BenchError("not run"))
        let directory = temp + "/import"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let client = try DaemonClient.spawn(daemon: daemon, database: directory + "/bench.sqlite", logPath: directory + "/stderr.log")
            defer { client.shutdown() }
            try client.initialize(timeout: options.initializeTimeout)
            var samples = Samples()
            for _ in 0..<runs {
                let id = client.takeID()
                let frame = DaemonClient.frame(id: id, method: "scenario/import", params: params)
                frameBytes = frame.count
                let start = monotonicNanos()
                try client.child.send(frame)
                let body = try client.child.inbox.next(until: deadline(in: 120), what: "the scenario/import response")
                samples.add(monotonicNanos() - start)
                let scenario = try DaemonClient.result(of: body, method: "scenario/import", expecting: id)
                let cards = scenario["cards"]?.arrayValue?.count ?? 0
                guard cards == entries else { throw BenchError("scenario/import made \(cards) cards, expected \(entries)") }
            }
            daemonResult = .success(samples)
        } catch {
            daemonResult = .failure(BenchError("\(error)\(stderrTail(directory + "/stderr.log"))"))
        }
        try? FileManager.default.removeItem(atPath: directory)

        // Baselines: the request's bytes through cat, and parsing the same JSON in-process.
        let frame = DaemonClient.frame(id: 1, method: "scenario/import", params: params)
        let catResult: Result<Samples, any Error> = Result {
            let child = try Child(name: "cat", executable: cat, arguments: [], stderrPath: nil)
            defer { child.stop(grace: 5) }
            var samples = Samples()
            for _ in 0..<runs {
                let start = monotonicNanos()
                try child.send(frame)
                _ = try child.inbox.next(until: deadline(in: 60), what: "the echoed frame")
                samples.add(monotonicNanos() - start)
            }
            return samples
        }
        let body = Data((try? JSONCoding.encode(params)) ?? Data())
        var parse = Samples()
        for _ in 0..<runs {
            let start = monotonicNanos()
            _ = try? JSONSerialization.jsonObject(with: body)
            parse.add(monotonicNanos() - start)
        }
        rows.append(Row(
            measure: "import: `scenario/import` of a \(Format.grouped(Double(entries)))-entry SillyTavern World Info book (\(Format.mib(bytes: frameBytes)) request; p50 of \(runs)), request write → response with all cards",
            imaginai: cell(daemonResult) { Format.ms($0.p50) },
            baseline: "cat echo of the request: " + cell(catResult) { Format.ms($0.p50) } + "; JSONSerialization parse in-process: \(Format.ms(parse.p50))",
            target: "reported"))
    }
}
