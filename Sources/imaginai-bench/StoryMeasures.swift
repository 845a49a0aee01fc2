import ImaginAIProtocol
import Foundation
import ImaginAICore
import JSONRPC
import LLM
import ProviderTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The story issue's figures: trigger scans and prompt assembly in-process (they are pure code), and the
/// cost the daemon adds to each streamed chunk.
extension Runner {
    mutating func story() {
        triggerScans()
        promptAssembly()
        chunkOverhead()
    }

    /// 5 KB of prose that mentions a few of the cards.
    static func scanWindow(cards: Int) -> String {
        var text = ""
        var index = 0
        while text.utf8.count < 5000 {
            text += "The rain keeps falling on the harbor while word\(index * 37 % max(cards, 1)) waits by the old mill and nobody speaks. "
            index += 1
        }
        return text
    }

    mutating func triggerScans() {
        var plainTenThousand: Double?
        for cards in [100, 1000, 10_000] {
            progress("trigger scan: \(cards) cards (\(cards * 3) keys) over a 5 KB window")
            let keys = (0..<cards).map { ["name\($0) alpha", "word\($0)", "k\($0)z"] }
            let window = Self.scanWindow(cards: cards)
            let buildStart = monotonicNanos()
            let matcher = TriggerMatcher(cards: keys)
            let build = monotonicNanos() - buildStart
            var samples = Samples()
            var fired = 0
            for _ in 0..<(options.quick ? 10 : 50) {
                let start = monotonicNanos()
                fired = matcher.scan(window).count
                samples.add(monotonicNanos() - start)
            }
            // Baseline: what a simple implementation does, one case-insensitive search per key.
            let lowered = window.lowercased()
            let naiveStart = monotonicNanos()
            var naiveFired = 0
            for cardKeys in keys where cardKeys.contains(where: { lowered.contains($0.lowercased()) }) { naiveFired += 1 }
            let naive = monotonicNanos() - naiveStart
            if cards == 10_000 { plainTenThousand = samples.p50 }
            rows.append(Row(
                measure: "trigger scan, \(Format.grouped(Double(cards))) cards / \(Format.grouped(Double(cards * 3))) keys, 5 KB window (p50; \(fired) fired; matcher built once in \(Format.ms(Double(build))))",
                imaginai: Format.ms(samples.p50),
                baseline: "a search per key: \(Format.ms(Double(naive))) (\(naiveFired) fired, no word boundaries)",
                target: cards == 10_000 ? "≤ 5 ms (prototype ~2.5 s)" : "—",
                met: cards == 10_000 ? verdict(samples.p50, atMost: 5e6) : "—"))
        }
        fullCardSelection(plainScan: plainTenThousand)
    }

    /// Every card rule in use at 10,000 cards: secondary keys, recursion two rounds deep, groups,
    /// probability, sticky/cooldown/delay with activations to count from, per-card scan depths and all
    /// three positions; the whole selection as prompt assembly runs it (a 5 KB window of four turns and
    /// the action), against the plain scan of the same cards from this run.
    mutating func fullCardSelection(plainScan: Double?) {
        let count = 10_000
        progress("card selection: \(count) cards with every rule over a 5 KB window")
        let cards = (0..<count).map { index in
            PromptCard(
                id: "crd_\(index)", type: "character", name: "Name\(index)",
                // Each card names two others, so recursion has somewhere to go.
                description: "Name\(index) owes word\((index * 7 + 1) % count) and fears k\((index * 13 + 5) % count)z.",
                keys: ["name\(index) alpha", "word\(index)", "k\(index)z"],
                rules: PromptCardRules(
                    secondaryKeys: index % 4 == 0 ? ["rain", "harbor"] : [],
                    secondaryLogic: [.andAny, .andAll, .notAny, .notAll][index / 4 % 4],
                    constant: index % 1000 == 0,
                    order: index % 50,
                    probability: index % 3 == 0 ? 60 : 100,
                    scanDepth: index % 5 == 0 ? 2 : nil,
                    excludeRecursion: index % 11 == 0,
                    preventRecursion: index % 13 == 0,
                    sticky: index % 6 == 0 ? 3 : 0,
                    cooldown: index % 6 == 0 ? 2 : 0,
                    delay: index % 17 == 0 ? 5 : 0,
                    group: index % 3 == 1 ? "group\(index % 40)" : nil,
                    position: [.beforeHistory, .afterHistory, .atDepth(2)][index % 3]))
        }
        let window = Self.scanWindow(cards: count)
        // Four turns of the 5 KB window, then a short action.
        let quarter = window.count / 4
        let turns = (0..<4).map { turn in
            let start = window.index(window.startIndex, offsetBy: turn * quarter)
            let end = turn == 3 ? window.endIndex : window.index(start, offsetBy: quarter)
            return PromptTurn(index: 96 + turn, speaker: turn % 2 == 0 ? .ai : .player(.do), text: String(window[start..<end]))
        }
        let activations = stride(from: 90, to: 100, by: 2).map { turn in
            CardActivation(turnIndex: turn, cardIDs: stride(from: turn * 6, to: count, by: 600).map { "crd_\($0)" })
        }
        let material = PromptMaterial(baseSystemInstruction: BenchText.instruction, instructions: "", plotEssentials: "", authorsNotes: "", cards: cards)
        let buildStart = monotonicNanos()
        let index = CardIndex(cards: cards)
        let build = monotonicNanos() - buildStart
        var samples = Samples()
        var fired = 0
        var included = 0
        for version in 0..<(options.quick ? 10 : 50) {
            let start = monotonicNanos()
            let prompt = try? PromptAssembler.assemble(
                material: material, action: (kind: .do, text: "look for word3 in the rain"),
                limits: PromptLimits(contextTokens: 32_768, maxOutputTokens: 500, scanDepth: 4, recursionDepth: 2),
                cardIndex: index,
                moment: PromptMoment(adventureID: "adv_bench", answerIndex: 100, version: version, activations: activations)
            ) { before, limit in
                before == nil ? Array(turns.suffix(limit)) : []
            }
            samples.add(monotonicNanos() - start)
            fired = prompt?.firedCards.count ?? 0
            included = prompt?.firedCards.filter(\.included).count ?? 0
        }
        rows.append(Row(
            measure: "card selection with every rule (secondary keys, recursion depth 2, groups, probability, sticky/cooldown/delay, positions), \(Format.grouped(Double(count))) cards, 5 KB window (p50; \(fired) fired, \(included) included; index built once in \(Format.ms(Double(build))))",
            imaginai: Format.ms(samples.p50),
            baseline: plainScan.map { "plain scan of the same 10,000 cards: \(Format.ms($0))" } ?? "—",
            target: "≤ 5 ms",
            met: verdict(samples.p50, atMost: 5e6)))
    }

    mutating func promptAssembly() {
        let material = PromptMaterial(
            baseSystemInstruction: BenchText.instruction, instructions: "Narrate a harbor mystery.",
            plotEssentials: String(repeating: "The fog has lain over Kell for a week. ", count: 20),
            authorsNotes: "Slow dread.",
            cards: (0..<50).map { PromptCard(id: "c\($0)", type: "character", name: "Name\($0)", description: String(repeating: "A quiet person of the harbor. ", count: 8), keys: ["name\($0)"]) })
        let cardIndex = CardIndex(cards: material.cards)
        for turns in [1000, 100_000] {
            progress("prompt assembly: \(turns) turns")
            let history = (0..<turns).map { PromptTurn(index: $0, speaker: $0 % 2 == 0 ? .ai : .player(.do), text: "Turn \($0): name\($0 % 50) walks the quay in the rain and looks at the water for a long while.") }
            var samples = Samples()
            var loaded = 0
            var included = 0
            for _ in 0..<(options.quick ? 10 : 50) {
                loaded = 0
                let start = monotonicNanos()
                let prompt = try? PromptAssembler.assemble(
                    material: material, action: (kind: .do, text: "look for name3"),
                    limits: PromptLimits(contextTokens: 8192, maxOutputTokens: 200), cardIndex: cardIndex
                ) { before, limit in
                    let end = before ?? history.count
                    let page = Array(history[max(0, end - limit)..<end])
                    loaded += page.count
                    return page
                }
                samples.add(monotonicNanos() - start)
                included = prompt?.includedTurns.count ?? 0
            }
            rows.append(Row(
                measure: "prompt assembly, \(Format.grouped(Double(turns))) turns, 8k context (p50; \(included) turns fit, \(loaded) loaded)",
                imaginai: Format.ms(samples.p50), baseline: "—",
                target: turns == 100_000 ? "must not load all turns" : "—",
                met: turns == 100_000 ? (loaded < turns ? "yes" : "**no**") : "—"))
        }
    }

    /// Per-chunk cost through the daemon: the offline storyteller with no typing delay, timed from the
    /// first chunk to the response, against the same model streaming in-process.
    mutating func chunkOverhead() {
        progress("streaming: story/act with the offline storyteller, no delay, 800 tokens")
        let directory = temp + "/story"
        var daemonPerChunk = Samples()
        var inProcessPerChunk = Samples()
        var chunkCount = 0
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let client = try DaemonClient.spawn(daemon: daemon, database: directory + "/story.sqlite", logPath: directory + "/stderr.log")
            defer { client.shutdown() }
            try client.initialize(timeout: options.initializeTimeout)
            try client.call("settings/update", .object(["changes": .object(["storytellerDelayMs": 0, "maxOutputTokens": 800])]))
            let scenarios = try client.call("scenario/list")
            guard let scenarioID = scenarios["scenarios"]?.arrayValue?.first?["id"] else { throw BenchError("no sample scenario") }
            let adventure = try client.call("adventure/start", .object(["scenarioId": scenarioID]))
            guard let adventureID = adventure["id"] else { throw BenchError("adventure/start returned no id") }
            for _ in 0..<(options.quick ? 3 : 20) {
                let id = client.takeID()
                try client.child.send(DaemonClient.frame(id: id, method: "story/continue", params: .object(["adventureId": adventureID])))
                var first: UInt64?
                var chunks = 0
                while true {
                    // Timed when the reader thread has the frame whole, as the raw baseline is timed
                    // where its recv returns: neither pays the bench's hand-over to this thread.
                    let (body, now) = try client.child.inbox.nextArrival(until: deadline(in: 30), what: "story/continue")
                    let message = try JSONDecoder().decode(JSONValue.self, from: Data(body))
                    if message["method"] == "story/chunk" {
                        if first == nil { first = now }
                        chunks += 1
                        continue
                    }
                    guard message["result"] != nil else { throw BenchError("story/continue failed: \(message)") }
                    if let first, chunks > 1 { daemonPerChunk.add((now - first) / UInt64(chunks - 1)) }
                    chunkCount = chunks
                    break
                }
            }
            // The same model in-process: what streaming costs with no daemon, no pipe and no JSON.
            let request = GenerationRequest(system: "", story: String(repeating: "The fog lies over the harbor and the bell rings. ", count: 200), maxOutputTokens: 800, seed: 1)
            for _ in 0..<(options.quick ? 3 : 20) {
                let semaphore = DispatchSemaphore(value: 0)
                let counter = ChunkCounter()
                Task {
                    for try await event in OfflineStoryteller(delayMilliseconds: 0).stream(request) {
                        if case .text = event { counter.chunk(at: monotonicNanos()) }
                    }
                    counter.finish(at: monotonicNanos())
                    semaphore.signal()
                }
                semaphore.wait()
                if let perChunk = counter.perChunk { inProcessPerChunk.add(perChunk) }
            }
            let overhead = daemonPerChunk.p50 - inProcessPerChunk.p50
            rows.append(Row(
                measure: "streaming, offline storyteller: time per chunk from the first story/chunk to the response (p50; ~\(chunkCount) chunks a turn); overhead = imaginai − baseline",
                imaginai: "\(Format.ms(daemonPerChunk.p50)) (overhead \(Format.ms(overhead)))",
                baseline: "the storyteller in-process: \(Format.ms(inProcessPerChunk.p50))",
                target: "overhead ≤ 0.1 ms per chunk (prototype ~1 ms)",
                met: verdict(overhead, atMost: 0.1e6)))
        } catch {
            rows.append(Row(measure: "streaming per chunk", imaginai: "failed (note \(notebookAdd(error)))", baseline: "—", target: "≤ 0.1 ms"))
        }
    }
}

extension Runner {
    /// What the daemon adds to a provider's stream: a fake OpenAI-compatible server on loopback notes
    /// when it writes each chunk, and the client when the matching story/chunk arrives (one clock, one
    /// process). Also the time from sending story/continue to the server receiving the HTTP request.
    mutating func providerOverhead() {
        progress("streaming from a provider: fake OpenAI-compatible server on loopback")
        let pieces = (0..<(options.quick ? 50 : 200)).map { " word\($0)" }
        let events = FakeResponse.openAIStream(pieces)
        let times = ProviderTimes()
        var perChunk = Samples()
        var firstChunk = Samples()
        var toProvider = Samples()
        do {
            let server = try FakeProviderServer { _ in
                times.requestArrived(at: monotonicNanos())
                var steps: [FakeProviderServer.Step] = [FakeResponse.streamHead()]
                for (index, event) in events.enumerated() {
                    // A gap like a fast model's (500 tokens/s), so chunks are not coalesced into one read.
                    steps.append(.pause(.milliseconds(2)))
                    if index < pieces.count { steps.append(.run { times.sent(index, at: monotonicNanos()) }) }
                    steps.append(.send(Array(event.utf8)))
                }
                return steps
            }
            defer { server.stop() }
            let (client, adventureID) = try startAdventure(against: server, in: "provider")
            defer { client.shutdown() }
            try client.call("settings/update", .object(["changes": .object(["model": "openai/bench", "maxOutputTokens": 800])]))
            for _ in 0..<(options.quick ? 3 : 10) {
                times.reset()
                let id = client.takeID()
                let asked = monotonicNanos()
                try client.child.send(DaemonClient.frame(id: id, method: "story/continue", params: .object(["adventureId": adventureID])))
                while true {
                    // Timed when the reader thread has the frame whole, as the raw baseline is timed
                    // where its recv returns: neither pays the bench's hand-over to this thread.
                    let (body, now) = try client.child.inbox.nextArrival(until: deadline(in: 30), what: "story/continue")
                    let message = try JSONDecoder().decode(JSONValue.self, from: Data(body))
                    if message["method"] == "story/chunk" {
                        guard let seq = message["params"]?["seq"]?.intValue, let sent = times.sent(Int(seq)) else { continue }
                        perChunk.add(now - sent)
                        if seq == 0 { firstChunk.add(now - sent) }
                        continue
                    }
                    guard message["result"] != nil else { throw BenchError("story/continue failed: \(message)") }
                    if let arrived = times.arrival { toProvider.add(arrived - asked) }
                    break
                }
            }
            // Baseline: the same server and stream read straight off a socket, no daemon.
            let raw = try Self.rawProviderStream(server: server, times: times, runs: options.quick ? 3 : 10, pieces: pieces.count)
            let overhead = perChunk.p50 - raw.p50
            rows.append(Row(
                measure: "provider stream (fake OpenAI server, loopback): server's write of a chunk to the client's story/chunk (p50 / p99 over \(perChunk.values.count) chunks); overhead = p50 − raw p50",
                imaginai: "\(Format.ms(perChunk.p50)) / \(Format.ms(perChunk.p99)) (overhead \(Format.ms(overhead)))",
                baseline: "raw stream, socket read in the bench: \(Format.ms(raw.p50)) / \(Format.ms(raw.p99))",
                target: "overhead ≤ 0.05 ms per chunk (goal 0.02)",
                met: verdict(overhead, atMost: 0.05e6)))
            rows.append(Row(
                measure: "provider stream: first chunk, server's write to the client (p50); story/continue to the HTTP request at the server (p50)",
                imaginai: "\(Format.ms(firstChunk.p50)); \(Format.ms(toProvider.p50))", baseline: "—", target: "—"))
        } catch {
            rows.append(Row(measure: "provider stream overhead", imaginai: "failed (note \(notebookAdd(error)))", baseline: "—", target: "overhead ≤ 0.05 ms per chunk (goal 0.02)"))
        }
    }
}

extension Runner {
    /// The provider's stream with no daemon: an HTTP POST over a plain loopback socket, the response read
    /// as it comes, each SSE event matched to the server's write time the same way the daemon row is.
    static func rawProviderStream(server: FakeProviderServer, times: ProviderTimes, runs: Int, pieces: Int) throws -> Samples {
        var samples = Samples()
        for _ in 0..<runs {
            times.reset()
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw BenchError("socket() failed") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(server.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw BenchError("connect to the fake server failed") }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let body = #"{"model":"bench","stream":true,"messages":[]}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let bytes = Array(request.utf8)
            guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw BenchError("send to the fake server failed") }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            var event = -1  // the head's blank line ends "event" -1
            reading: while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                let now = monotonicNanos()
                if count <= 0 { break reading }
                pending += buffer[0..<count]
                // Each "\r\n\r\n" (the head) or "\n\n" (an SSE event) ends one unit.
                while let end = Self.unitEnd(pending) {
                    pending.removeFirst(end)
                    if event >= 0 && event < pieces, let sent = times.sent(event) { samples.add(now - sent) }
                    event += 1
                }
            }
            guard event > pieces else { throw BenchError("the raw stream ended after \(event) events") }
        }
        return samples
    }

    /// The length through the first blank line ("\n\n", or "\r\n\r\n"), if there is one.
    private static func unitEnd(_ bytes: [UInt8]) -> Int? {
        var index = 1
        while index < bytes.count {
            if bytes[index] == 10 {
                if bytes[index - 1] == 10 { return index + 1 }
                if index >= 3 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 { return index + 1 }
            }
            index += 1
        }
        return nil
    }
}

/// The fake server's clock readings, shared with the measuring loop.
final class ProviderTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var writes: [Int: UInt64] = [:]
    private var arrived: UInt64?

    func reset() { lock.lock(); writes = [:]; arrived = nil; lock.unlock() }
    func requestArrived(at time: UInt64) { lock.lock(); arrived = time; lock.unlock() }
    func sent(_ index: Int, at time: UInt64) { lock.lock(); writes[index] = time; lock.unlock() }
    func sent(_ index: Int) -> UInt64? { lock.lock(); defer { lock.unlock() }; return writes[index] }
    var arrival: UInt64? { lock.lock(); defer { lock.unlock() }; return arrived }
}

/// Times a stream the way the daemon's row is timed: from the first chunk to the end.
final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var first: UInt64?
    private var last: UInt64 = 0
    private var count = 0

    func chunk(at time: UInt64) {
        lock.lock(); defer { lock.unlock() }
        if first == nil { first = time }
        count += 1
    }

    func finish(at time: UInt64) {
        lock.lock(); defer { lock.unlock() }
        last = time
    }

    var perChunk: UInt64? {
        lock.lock(); defer { lock.unlock() }
        guard let first, count > 1 else { return nil }
        return (last - first) / UInt64(count - 1)
    }
}

private enum BenchText {
    static let instruction = "You are the narrator of an interactive story. Continue the story in the second person."
}
