import Foundation
import GRDB
import ImaginAIProtocol
import JSONRPC

/// `story/act` on an adventure at the 100,000-turn limit against the same on a fresh adventure, both with
/// the offline storyteller and no typing delay, in one daemon: what a long history adds to a turn.
///
/// The long history is written straight into the database file between two daemons, because the
/// protocol has no way to append turns without generating them (50,000 generated exchanges would take
/// minutes). It is honest in what matters: the schema, the adventure and its cards are the daemon's own
/// (made with `adventure/start` by the first daemon), and the turn texts are what the offline storyteller
/// wrote on that adventure (played first through `story/act`), repeated in order up to the limit, with
/// ids in the daemon's format. The timed daemon opens the file as a user's would.
extension Runner {
    /// Turns the long adventure has when the timed turns begin: the limit less the two turns (player and
    /// ai) each warm-up and timed `story/act` adds.
    static func longAdventureTurns(acts: Int) -> Int { 100_000 - 2 * acts }

    mutating func longAdventure() {
        let timed = options.quick ? 5 : 20
        let warmups = 2
        let target = Self.longAdventureTurns(acts: timed + warmups)
        progress("long adventure: \(Format.grouped(Double(target))) turns written, then \(timed) story/act on it and on a fresh one")
        let directory = temp + "/long"
        let database = directory + "/long.sqlite"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }

            // 1. The adventure and a sample of real storyteller turns, by the daemon.
            let (longID, seedTurns) = try Self.seedLongAdventure(
                daemon: daemon, database: database, logPath: directory + "/seed.log", timeout: options.initializeTimeout)

            // 2. The rest of the history, written in one transaction.
            let fillStart = monotonicNanos()
            let written = try Self.fillHistory(database: database, adventureID: longID, samples: seedTurns, upTo: target)
            let fillTime = monotonicNanos() - fillStart

            // 3. The timed turns, alternating between the two adventures so both see the same conditions.
            let client = try DaemonClient.spawn(daemon: daemon, database: database, logPath: directory + "/stderr.log")
            defer { client.shutdown() }
            try client.initialize(timeout: options.initializeTimeout)
            try client.call("settings/update", .object(["changes": .object(["storytellerDelayMs": 0])]))
            guard let scenarioID = try client.call("scenario/list")["scenarios"]?.arrayValue?.first?["id"] else {
                throw BenchError("no sample scenario")
            }
            guard let freshID = try client.call("adventure/start", .object(["scenarioId": scenarioID]))["id"] else {
                throw BenchError("adventure/start returned no id")
            }
            let before = try client.call("adventure/get", .object(["id": longID]))["turnCount"]?.intValue ?? 0
            guard before == Int64(target) else { throw BenchError("the long adventure has \(before) turns, expected \(target)") }

            var fresh = Samples()
            var long = Samples()
            for turn in 0..<(warmups + timed) {
                let action = Self.benchActions[turn % Self.benchActions.count]
                for (adventure, isLong) in [(freshID, false), (longID, true)] {
                    let params: JSONValue = .object(["adventureId": adventure, "action": .string(action.kind), "text": .string(action.text)])
                    let start = monotonicNanos()
                    let result = try client.call("story/act", params, timeout: 60)
                    let elapsed = monotonicNanos() - start
                    guard result["aiTurn"]?["text"]?.stringValue?.isEmpty == false else { throw BenchError("story/act wrote no text: \(result)") }
                    if turn >= warmups { isLong ? long.add(elapsed) : fresh.add(elapsed) }
                }
            }
            let after = try client.call("adventure/get", .object(["id": longID]))["turnCount"]?.intValue ?? 0
            let ratio = long.p50 / fresh.p50
            rows.append(Row(
                measure: "`story/act`, offline storyteller, no delay: adventure at \(Format.grouped(Double(target)))–\(Format.grouped(Double(after))) turns (p50 of \(timed); history of \(seedTurns.count) storyteller turns repeated, \(Format.grouped(Double(written))) rows written in \(Format.ms(Double(fillTime)))) vs a fresh adventure",
                imaginai: "\(Format.ms(long.p50)) (p99 \(Format.ms(long.p99))); ratio \(String(format: "%.2f", ratio))×",
                baseline: "fresh adventure: \(Format.ms(fresh.p50)) (p99 \(Format.ms(fresh.p99)))",
                target: "≤ 1.5× (goal ≤ 1.1×)",
                met: verdict(ratio, atMost: 1.5)))
        } catch {
            rows.append(Row(
                measure: "`story/act`, 100k-turn adventure vs a fresh one",
                imaginai: "failed (note \(notebookAdd(BenchError("\(error)\(stderrTail(directory + "/stderr.log"))"))))",
                baseline: "—", target: "≤ 1.5×"))
        }
    }

    /// Actions of each kind, as a player types them, mentioning the sample scenario's places and people.
    static let benchActions: [(kind: String, text: String)] = [
        ("do", "look around the harbor"), ("say", "Who keeps the lighthouse?"), ("do", "walk to the old mill"),
        ("do", "I open the logbook"), ("say", "what happened here"), ("story", "The fog rolls in from the sea."),
        ("do", "follow the path along the cliffs"), ("do", "knock on the door"), ("say", "I am looking for Wren"),
        ("do", "light the lantern"),
    ]

    /// Starts the long adventure in a daemon of its own and plays a few turns on it, so the history is
    /// what the storyteller writes. Returns the adventure's id and its turns (role, action, text).
    static func seedLongAdventure(daemon: String, database: String, logPath: String, timeout: Double) throws -> (JSONValue, [SeedTurn]) {
        let client = try DaemonClient.spawn(daemon: daemon, database: database, logPath: logPath)
        defer { client.shutdown() }
        try client.initialize(timeout: timeout)
        try client.call("settings/update", .object(["changes": .object(["storytellerDelayMs": 0])]))
        guard let scenarioID = try client.call("scenario/list")["scenarios"]?.arrayValue?.first?["id"] else {
            throw BenchError("no sample scenario")
        }
        guard let adventureID = try client.call("adventure/start", .object(["scenarioId": scenarioID, "name": "Long"]))["id"] else {
            throw BenchError("adventure/start returned no id")
        }
        for action in benchActions {
            try client.call("story/act", .object([
                "adventureId": adventureID, "action": .string(action.kind), "text": .string(action.text),
            ]), timeout: 60)
        }
        let listed = try client.call("turn/list", .object(["adventureId": adventureID, "limit": 500]))
        let turns = (listed["turns"]?.arrayValue ?? []).compactMap { turn -> SeedTurn? in
            guard let role = turn["role"]?.stringValue, let text = turn["text"]?.stringValue else { return nil }
            return SeedTurn(role: role, action: turn["action"]?.stringValue, text: text)
        }
        // The opening scene (turn 0) stays the adventure's first turn; the exchanges are what repeats.
        let exchanges = Array(turns.dropFirst())
        guard exchanges.count >= 2 else { throw BenchError("the seed adventure has \(turns.count) turns") }
        return (adventureID, exchanges)
    }

    struct SeedTurn {
        var role: String
        var action: String?
        var text: String
    }

    /// Appends turns to the adventure until it has `upTo`, cycling through `samples`, in one transaction
    /// with the daemon stopped. Returns how many rows were written.
    static func fillHistory(database: String, adventureID: JSONValue, samples: [SeedTurn], upTo total: Int) throws -> Int {
        guard let id = adventureID.stringValue else { throw BenchError("adventure id is not a string") }
        // The recall index's triggers call the daemon's SQL function on every turn written.
        let queue = try DatabaseQueue(path: database, configuration: recallConfiguration())
        return try queue.write { db in
            let start = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(turnIndex) + 1, 0) FROM turn WHERE adventureId = ?", arguments: [id]) ?? 0
            let createdAt = try String.fetchOne(db, sql: "SELECT createdAt FROM adventure WHERE id = ?", arguments: [id]) ?? "2026-01-01T00:00:00.000Z"
            let insert = try db.makeStatement(sql: """
                INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var generator = SplitMix(seed: 0x5eed)
            // The seed turns end on an ai turn and the samples start on a player turn: the alternation holds.
            var sample = 0
            for index in start..<total {
                let turn = samples[sample]
                sample = (sample + 1) % samples.count
                try insert.execute(arguments: [Self.turnID(&generator), id, index, turn.role, turn.action, turn.text, createdAt])
            }
            return max(0, total - start)
        }
    }

    /// An id shaped like the daemon's (`turn_` and 20 characters of its alphabet).
    static func turnID(_ generator: inout SplitMix) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
        var bits = generator.next()
        var more = generator.next()
        var bytes = Array("turn_".utf8)
        for position in 0..<20 {
            if position == 12 { bits = more; more = 0 }
            bytes.append(alphabet[Int(bits & 31)])
            bits >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Deterministic ids for the written history (no clash with the daemon's random ones in practice: both
/// draw 100 bits).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
