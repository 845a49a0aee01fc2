import ImaginAIProtocol
import Foundation
import GRDB
import JSONRPC
import Testing

/// kill -9 the real daemon (and the `imaginai import` command) at seeded random moments while it writes,
/// imports and streams, 100 times over one database file; after each kill the file must be sound, hold
/// everything the process had answered, and hold no half-done import.
///
/// The seed is printed with every failure; `IMAGINAI_CRASH_SEED=N` replays a run.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CrashSafetyTests {
    static let iterations = 100
    /// Cards in each generated file: big enough that inserting them takes a while, so kills land inside.
    static let bigCount = 400

    enum Kind: CaseIterable {
        case writes, importBigScenario, importFixtureScenario, importCards, story, commandLineImport
    }

    @Test func hundredKillsLoseNothingAnsweredAndLeaveNoHalfImport() async throws {
        let seed = ProcessInfo.processInfo.environment["IMAGINAI_CRASH_SEED"].flatMap(UInt64.init) ?? 20261201
        var random = SplitMix64(state: seed)
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("crash.sqlite").path
        let files = try GeneratedFiles(in: directory)
        let reference = try await FixtureReference.measure()
        var ledger = Ledger()
        ledger.allowShape(name: GeneratedFiles.bigScenarioName, cards: [Self.bigCount])
        for (name, cards) in reference.scenarioShapes { ledger.allowShape(name: name, cards: cards) }

        // One clean session prepares the story: short chunk delays so a turn streams for a few hundred
        // ms, and three adventures (one generation at a time runs per adventure).
        let setup = try Daemon(database: path)
        _ = try await setup.initialize()
        _ = try await setup.call("settings/update", ["changes": ["storytellerDelayMs": 2, "maxOutputTokens": 60]])
        let storyScenario = try await setup.call("scenario/create", ["scenario": [
            "name": "Crash story", "openingScene": "Rain on the tin roof of the signal box.",
            "cards": [["name": "Signal box", "keys": ["signal"], "description": "A cold box by the tracks."]],
        ]])
        ledger.allowShape(name: "Crash story", cards: [1])
        var adventures: [String] = []
        for _ in 0..<3 {
            adventures.append(try await setup.call("adventure/start", ["scenarioId": storyScenario["id"]!])["id"]!.stringValue!)
        }
        // How long each kind of work takes here, so the kill delays spread over before, during and after it.
        var duration: [Kind: Double] = [:]
        // The big scenario import: the quicker of two, each on a daemon started for it, as every
        // iteration starts one. Timed on the warm setup daemon instead, a loaded machine's cold first
        // import took longer than every kill delay, and no import was ever answered before its kill.
        var coldImports: [Double] = []
        for _ in 0..<2 {
            let fresh = try Daemon(database: path)
            _ = try await fresh.initialize()
            coldImports.append(try await Self.timeToAnswer(fresh, "scenario/import", ["data": .string(files.bigScenarioText)]))
            fresh.closeInput()
            _ = try await fresh.waitForExit()
        }
        duration[.importBigScenario] = coldImports.min()!
        let calibrationTarget = try await setup.call("scenario/create", ["scenario": ["name": "Calibration"]])
        ledger.unshaped.insert("Calibration")
        duration[.importCards] = min(
            try await Self.timeToAnswer(setup, "cards/import", ["scenarioId": calibrationTarget["id"]!, "data": .string(files.bigCardsText)]),
            try await Self.timeToAnswer(setup, "cards/import", ["scenarioId": calibrationTarget["id"]!, "data": .string(files.bigCardsText)]))
        let largest = Fixtures.formats.appendingPathComponent(reference.largestFixture)
        duration[.importFixtureScenario] = try await Self.timeToAnswer(
            setup, "scenario/import", ["data": .string(try String(contentsOf: largest, encoding: .utf8)), "fileName": .string(largest.path)])
        duration[.story] = try await Self.timed {
            // All three at once, as the loop sends them.
            for (a, adventure) in adventures.enumerated() {
                try setup.sendRequest(id: "calibrate\(a)", method: "story/act", params: ["adventureId": .string(adventure), "action": "do", "text": "calibrate"])
            }
            for a in adventures.indices { _ = try await setup.response(to: .string("calibrate\(a)")) }
        }
        var calibrationLedger = Ledger()
        duration[.writes] = try await Self.timed {
            let sent = try await send(.writes, to: setup, iteration: -1, files: files, reference: reference,
                                      adventures: adventures, ledger: &calibrationLedger, random: &random)
            for id in sent.keys { _ = try await setup.response(to: .string(id)) }
        }
        ledger.unshaped.formUnion(calibrationLedger.unshaped)
        ledger.shapes.merge(calibrationLedger.shapes) { $0.union($1) }
        setup.closeInput()
        _ = try await setup.waitForExit()
        let cliStart = ContinuousClock.now
        let cli = try Daemon(arguments: ["import", files.bigScenario.path, "--db", path])
        #expect(try await cli.waitForExit() == 0, "\(cli.stderr)")
        duration[.commandLineImport] = Self.milliseconds(since: cliStart)
        let afterSetup = try ledger.problems(path: path)
        try #require(afterSetup.isEmpty, "after setup (seed \(seed)): \(afterSetup.joined(separator: "; "))")

        var outcomes: [Kind: Outcomes] = [:]
        let started = ContinuousClock.now
        var spent: [Kind: Double] = [:]
        for iteration in 0..<Self.iterations {
            let kind = Kind.allCases[iteration % Kind.allCases.count]
            // Up to 1.5 times the calibrated time, so about a third of the kills come after the answer.
            // Fixture files: cubed, so short delays are likelier; most are written in a few ms of the
            // calibrated (largest) file's time, and the kill must sometimes come first. Card imports are
            // of a fixture half the time: squared.
            let exponent: Double = kind == .importFixtureScenario ? 3 : kind == .importCards ? 2 : 1
            let killAfter = 1.5 * duration[kind]! * pow(Double.random(in: 0...1, using: &random), exponent)
            let label = "iteration \(iteration) (\(kind), kill after \(Int(killAfter)) ms, seed \(seed))"
            var outcome = Outcomes()
            let iterationStart = ContinuousClock.now
            defer { spent[kind, default: 0] += Self.milliseconds(since: iterationStart) }
            if kind == .commandLineImport {
                let file = Bool.random(using: &random) ? files.bigScenario : Fixtures.formats.appendingPathComponent(reference.scenarioFixtures.randomElement(using: &random)!)
                let process = try Daemon(arguments: ["import", file.path, "--db", path])
                try await Task.sleep(for: .milliseconds(Int(killAfter)))
                process.kill()
                _ = try await process.waitForExit()
                let output = String(decoding: process.stdoutBytes, as: UTF8.self)
                // "Imported "<name>" as <id> with <n> cards." ("1 card.") is printed after the commit.
                if let match = output.firstMatch(of: /as (scn_\w+) with (\d+) cards?/) {
                    ledger.scenarioCards[String(match.1)] = Int(match.2)!
                    outcome.answered += 1
                } else {
                    outcome.killedFirst += 1
                }
            } else {
                let daemon = try Daemon(database: path)
                _ = try await daemon.initialize()
                let sent = try await send(kind, to: daemon, iteration: iteration, files: files, reference: reference,
                                          adventures: adventures, ledger: &ledger, random: &random)
                try await Task.sleep(for: .milliseconds(Int(killAfter)))
                daemon.kill()
                _ = try await daemon.waitForExit()
                outcome = ledger.record(answers: daemon.writtenMessages, to: sent, label: label)
            }
            outcomes[kind, default: Outcomes()].add(outcome)
            // After a fault every later iteration would report it again: stop at the first.
            let problems = try ledger.problems(path: path)
            try #require(problems.isEmpty, "\(label): \(problems.joined(separator: "; "))")
        }
        let elapsed = Self.milliseconds(since: started)
        let table = Kind.allCases.map { kind in
            "\(kind): calibrated \(Int(duration[kind]!)) ms, spent \(Int(spent[kind] ?? 0)) ms, \(outcomes[kind] ?? Outcomes())"
        }
        print("crash loop (seed \(seed)): \(Self.iterations) kills in \(Int(elapsed)) ms\n  " + table.joined(separator: "\n  "))
        // The loop only proves something if kills land both before and after the answers: check that
        // each kind of work was sometimes answered and sometimes cut off.
        for kind in Kind.allCases {
            let outcome = outcomes[kind] ?? Outcomes()
            #expect(outcome.answered > 0, "\(kind): no request was ever answered before the kill (seed \(seed))")
            #expect(outcome.killedFirst > 0, "\(kind): the kill never came before an answer (seed \(seed))")
        }
    }

    /// Sends one burst of work without waiting for it; returns the requests sent, by id.
    func send(_ kind: Kind, to daemon: Daemon, iteration i: Int, files: GeneratedFiles, reference: FixtureReference,
              adventures: [String], ledger: inout Ledger, random: inout SplitMix64) async throws -> [String: Sent] {
        var sent: [String: Sent] = [:]
        switch kind {
        case .writes:
            // A scenario whose cards the burst edits (its card count changes, so it has no fixed shape).
            let editName = "Edit \(i)"
            ledger.unshaped.insert(editName)
            let edit = try await daemon.call("scenario/create", ["scenario": ["name": .string(editName), "cards": .array((0..<6).map { ["name": .string("Old \(i)-\($0)")] })]])
            let editID = edit["id"]!
            let cardIDs = edit["cards"]!.arrayValue!.map { $0["id"]!.stringValue! }
            // The small edits go first, then the scenario creations pile up behind them.
            for k in 0..<13 {
                if k < 3 {
                    try daemon.sendRequest(id: "u\(k)", method: "card/update", params: ["id": .string(cardIDs[k]), "changes": ["description": .string("updated \(i)-\(k)")]])
                    sent["u\(k)"] = .cardUpdate(id: cardIDs[k], description: "updated \(i)-\(k)")
                } else if k < 6 {
                    try daemon.sendRequest(id: "d\(k)", method: "card/delete", params: ["id": .string(cardIDs[k])])
                    sent["d\(k)"] = .cardDelete(id: cardIDs[k])
                } else if k < 12 {
                    try daemon.sendRequest(id: "c\(k)", method: "card/create", params: ["scenarioId": editID, "card": ["name": .string("New \(i)-\(k)")]])
                    sent["c\(k)"] = .cardCreate(name: "New \(i)-\(k)")
                } else if k == 12 {
                    try daemon.sendRequest(id: "e", method: "scenario/update", params: ["id": editID, "changes": ["plotEssentials": .string("edited \(i)")]])
                    sent["e"] = .scenarioUpdate(id: editID.stringValue!, plotEssentials: "edited \(i)")
                }
            }
            for k in 0..<30 {
                let name = "W \(i)-\(k)"
                let cards = k % 4
                ledger.allowShape(name: name, cards: [cards])
                let draft: JSONValue = ["name": .string(name), "cards": .array((0..<cards).map { ["name": .string("c\($0)"), "description": .string(String(repeating: "lore ", count: 40))] })]
                try daemon.sendRequest(id: "s\(k)", method: "scenario/create", params: ["scenario": draft])
                sent["s\(k)"] = .scenarioCreate(cards: cards)
            }
        case .importBigScenario:
            try daemon.sendRequest(id: "i", method: "scenario/import", params: ["data": .string(files.bigScenarioText)])
            sent["i"] = .scenarioImport(cards: Self.bigCount)
        case .importFixtureScenario:
            let file = reference.scenarioFixtures.randomElement(using: &random)!
            let url = Fixtures.formats.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            // With its file name, as `imaginai import` sends it: both name an untitled file the same way.
            try daemon.sendRequest(id: "i", method: "scenario/import", params: ["data": .string(text), "fileName": .string(url.path)])
            sent["i"] = .scenarioImport(cards: reference.scenarioCards[file]!)
        case .importCards:
            // Appending to a scenario of 2 cards: afterwards it has 2 or 2 + all of the file's cards.
            let useBig = Bool.random(using: &random)
            let file = useBig ? nil : reference.cardFixtures.randomElement(using: &random)!
            let count = file.map { reference.importedCards[$0]! } ?? Self.bigCount
            let name = "Target \(i)"
            ledger.allowShape(name: name, cards: [2, 2 + count])
            let target = try await daemon.call("scenario/create", ["scenario": ["name": .string(name), "cards": [["name": "a"], ["name": "b"]]]])
            let text = try file.map { try String(contentsOf: Fixtures.formats.appendingPathComponent($0), encoding: .utf8) } ?? files.bigCardsText
            try daemon.sendRequest(id: "i", method: "cards/import", params: ["scenarioId": target["id"]!, "data": .string(text), "mode": "append"])
            sent["i"] = .cardsImport(scenarioID: target["id"]!.stringValue!, cards: 2 + count)
        case .story:
            for (a, adventure) in adventures.enumerated() {
                let text = "act \(i)-\(a)"
                try daemon.sendRequest(id: "a\(a)", method: "story/act", params: ["adventureId": .string(adventure), "action": "do", "text": .string(text)])
                sent["a\(a)"] = .storyAct(adventureID: adventure, text: text)
            }
        case .commandLineImport:
            break
        }
        return sent
    }

    /// From the request's last byte sent to the answer's first byte written, as the kill delay counts
    /// it (timing `call` would add the test's own encoding and decoding of big messages).
    static func timeToAnswer(_ daemon: Daemon, _ method: String, _ params: JSONValue) async throws -> Double {
        let id = "calibrate-\(daemon.makeID())"
        let message: JSONValue = ["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params]
        let body = try JSONCoding.encode(message)
        let before = daemon.stdoutByteCount
        let start = ContinuousClock.now
        daemon.send(body: String(decoding: body, as: UTF8.self))
        while daemon.stdoutByteCount == before { try await Task.sleep(for: .milliseconds(1)) }
        let elapsed = milliseconds(since: start)
        let response = try await daemon.response(to: .string(id))
        try #require(response["result"] != nil, "\(method) failed: \(response)")
        return elapsed
    }

    static func timed(_ work: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await work()
        return milliseconds(since: start)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// A request sent just before a kill, and what its answer obliges the database to hold.
enum Sent {
    case scenarioCreate(cards: Int)
    case scenarioImport(cards: Int)
    case cardsImport(scenarioID: String, cards: Int)
    case cardCreate(name: String)
    case cardUpdate(id: String, description: String)
    case cardDelete(id: String)
    case scenarioUpdate(id: String, plotEssentials: String)
    case storyAct(adventureID: String, text: String)
}

struct Outcomes: CustomStringConvertible {
    /// Requests whose answer had arrived before the kill.
    var answered = 0
    /// Requests the kill cut off before their answer.
    var killedFirst = 0
    mutating func add(_ other: Outcomes) {
        answered += other.answered
        killedFirst += other.killedFirst
    }
    var description: String { "\(answered) answered/\(killedFirst) cut" }
}

/// What the database must hold, built up from every answer the killed processes had written.
struct Ledger {
    /// Card counts a scenario of this name may have: creates and imports are all or nothing.
    var shapes: [String: Set<Int>] = [:]
    /// Scenarios whose cards change after creation: any count.
    var unshaped: Set<String> = []
    /// Answered scenario creations and imports: id → exact card count.
    var scenarioCards: [String: Int] = [:]
    var cardNames: [String: String] = [:]
    var cardDescriptions: [String: String] = [:]
    var deletedCards: Set<String> = []
    var plotEssentials: [String: String] = [:]
    /// Answered story turns: id → (adventure, role, text).
    var turns: [String: (adventure: String, role: String, text: String)] = [:]
    /// Player actions whose streaming had begun (a chunk arrived): the player turn was committed first.
    var startedActs: [(adventure: String, text: String)] = []

    mutating func allowShape(name: String, cards: Set<Int>) {
        shapes[name, default: []].formUnion(cards)
    }

    /// Reads the answers out of what the process wrote before it died.
    mutating func record(answers messages: [JSONValue], to sent: [String: Sent], label: String) -> Outcomes {
        var outcome = Outcomes()
        var answered: Set<String> = []
        for message in messages {
            if message["method"] == "story/chunk", let id = message["params"]?["requestId"]?.stringValue,
               case .storyAct(let adventure, let text)? = sent[id]
            {
                startedActs.append((adventure, text))
                continue
            }
            guard let id = message["id"]?.stringValue, let request = sent[id] else { continue }
            guard let result = message["result"] else {
                Issue.record("\(label): \(id) failed: \(message)")
                continue
            }
            answered.insert(id)
            switch request {
            case .scenarioCreate(let cards), .scenarioImport(let cards):
                scenarioCards[result["id"]!.stringValue!] = cards
                #expect(result["cards"]?.arrayValue?.count == cards, "\(label): \(id) answered with the wrong cards")
            case .cardsImport(let scenarioID, let cards):
                scenarioCards[scenarioID] = cards
                #expect(result["cards"]?.arrayValue?.count == cards, "\(label): cards/import answered with \(result["cards"]?.arrayValue?.count ?? -1) cards")
            case .cardCreate(let name):
                cardNames[result["id"]!.stringValue!] = name
            case .cardUpdate(let cardID, let description):
                cardDescriptions[cardID] = description
            case .cardDelete(let cardID):
                deletedCards.insert(cardID)
            case .scenarioUpdate(let scenarioID, let text):
                plotEssentials[scenarioID] = text
            case .storyAct(let adventure, let text):
                let player = result["playerTurn"]!, ai = result["aiTurn"]!
                turns[player["id"]!.stringValue!] = (adventure, "player", text)
                turns[ai["id"]!.stringValue!] = (adventure, "ai", ai["text"]!.stringValue!)
            }
        }
        outcome.answered = answered.count
        outcome.killedFirst = sent.count - answered.count
        return outcome
    }

    /// Opens the file the way any SQLite client would (not through the app's store) and checks it.
    /// Returns what is wrong, one line each.
    func problems(path: String) throws -> [String] {
        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append(message()) }
        }
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            check(integrity == ["ok"], "integrity_check \(integrity)")
            let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            check(foreignKeys.isEmpty, "foreign_key_check \(foreignKeys)")

            let scenarios = try Row.fetchAll(db, sql: """
                SELECT s.id, s.name, s.plotEssentials, (SELECT COUNT(*) FROM card c WHERE c.scenarioId = s.id) AS cards
                FROM scenario s
                """)
            var byID: [String: (name: String, cards: Int, plot: String)] = [:]
            for row in scenarios {
                let id: String = row["id"], name: String = row["name"], cards: Int = row["cards"]
                byID[id] = (name, cards, row["plotEssentials"])
                if unshaped.contains(name) { continue }
                guard let allowed = shapes[name] else {
                    problems.append("unexpected scenario '\(name)' with \(cards) cards")
                    continue
                }
                check(allowed.contains(cards), "'\(name)' \(id) has \(cards) cards, allowed \(allowed.sorted()): a half-done write")
            }
            for (id, cards) in scenarioCards {
                check(byID[id]?.cards == cards, "answered scenario \(id) should have \(cards) cards, has \(byID[id].map { String($0.cards) } ?? "no row")")
            }
            for (id, text) in plotEssentials {
                check(byID[id]?.plot == text, "answered scenario/update of \(id) is lost")
            }
            for (id, name) in cardNames {
                let stored = try String.fetchOne(db, sql: "SELECT name FROM card WHERE id = ?", arguments: [id])
                check(stored == name, "answered card/create \(id) is lost")
            }
            for (id, description) in cardDescriptions {
                let stored = try String.fetchOne(db, sql: "SELECT description FROM card WHERE id = ?", arguments: [id])
                check(stored == description, "answered card/update of \(id) is lost")
            }
            for id in deletedCards {
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM card WHERE id = ?", arguments: [id])
                check(count == 0, "answered card/delete of \(id) came back")
            }
            for (id, turn) in turns {
                let row = try Row.fetchOne(db, sql: "SELECT adventureId, role, text FROM turn WHERE id = ?", arguments: [id])
                check(row?["adventureId"] == turn.adventure && row?["role"] == turn.role && row?["text"] == turn.text,
                        "answered \(turn.role) turn \(id) is lost or changed: \(String(describing: row))")
            }
            for act in startedActs {
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM turn WHERE adventureId = ? AND role = 'player' AND text = ?", arguments: [act.adventure, act.text])
                check(count == 1, "'\(act.text)' streamed, so its player turn was stored, but \(count ?? 0) are there")
            }
            // Each adventure's turns are numbered 0, 1, 2, … with no gap or repeat after any crash.
            let adventures = try String.fetchAll(db, sql: "SELECT id FROM adventure")
            for adventure in adventures {
                let indexes = try Int.fetchAll(db, sql: "SELECT turnIndex FROM turn WHERE adventureId = ? ORDER BY turnIndex", arguments: [adventure])
                check(indexes == Array(0..<indexes.count), "adventure \(adventure) turn indexes \(indexes)")
            }
        }
        return problems
    }
}

/// The card counts the daemon gives each fixture file, measured once on a throwaway in-memory daemon.
struct FixtureReference {
    /// Fixture → cards of the scenario `scenario/import` makes of it.
    var scenarioCards: [String: Int] = [:]
    /// Fixture → cards `cards/import` adds from it.
    var importedCards: [String: Int] = [:]
    /// Name → card counts of every scenario an import of a fixture (or the sample) may leave.
    var scenarioShapes: [String: Set<Int>] = [:]
    var scenarioFixtures: [String] { scenarioCards.keys.sorted() }
    var cardFixtures: [String] { importedCards.keys.sorted() }
    var largestFixture: String { scenarioCards.max { $0.value < $1.value }!.key }

    static func measure() async throws -> FixtureReference {
        var reference = FixtureReference()
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        for scenario in try await daemon.call("scenario/list", ["limit": 100])["scenarios"]!.arrayValue! {
            reference.scenarioShapes[scenario["name"]!.stringValue!, default: []].insert(Int(scenario["cardCount"]!.intValue!))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.formats.path)
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".lorebook") }.sorted()
        try #require(files.count >= 10, "the format fixtures are missing from \(Fixtures.formats.path)")
        let target = try await daemon.call("scenario/create", ["scenario": ["name": "Reference"]])
        for file in files {
            let url = Fixtures.formats.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let imported = try await daemon.request("scenario/import", ["data": .string(text), "fileName": .string(url.path)])
            if let scenario = imported["result"] {
                let cards = scenario["cards"]!.arrayValue!.count
                reference.scenarioCards[file] = cards
                reference.scenarioShapes[scenario["name"]!.stringValue!, default: []].insert(cards)
            }
            let added = try await daemon.request("cards/import", ["scenarioId": target["id"]!, "data": .string(text), "mode": "replace"])
            if let imported = added["result"]?["imported"]?.intValue, imported > 0 {
                reference.importedCards[file] = Int(imported)
            }
        }
        try #require(reference.scenarioCards.count >= 10 && reference.importedCards.count >= 10)
        return reference
    }
}

/// The big files: an ImaginAI scenario file and an AI Dungeon story-card array of `bigCount` cards each.
struct GeneratedFiles {
    static let bigScenarioName = "Big generated scenario"
    let bigScenario: URL
    let bigScenarioText: String
    let bigCardsText: String

    init(in directory: URL) throws {
        let lore = "The archive keeps a ledger of every ship that docked here since the flood; its pages smell of salt."
        let cards: [JSONValue] = (0..<CrashSafetyTests.bigCount).map { k in
            ["name": .string("Archive entry \(k)"), "type": "location", "description": .string("\(lore) Entry \(k)."), "keys": [.string("entry \(k)"), "archive"]]
        }
        let scenario: JSONValue = ["format": "imaginai.scenario", "version": 1, "scenario": ["name": .string(Self.bigScenarioName), "cards": .array(cards)]]
        bigScenarioText = String(decoding: try JSONCoding.encode(scenario), as: UTF8.self)
        bigScenario = directory.appendingPathComponent("big-scenario.json")
        try Data(bigScenarioText.utf8).write(to: bigScenario)
        let storyCards: [JSONValue] = (0..<CrashSafetyTests.bigCount).map { k in
            ["keys": .string("ship \(k), ledger"), "value": .string("\(lore) Ship \(k)."), "type": "item", "title": .string("Ship \(k)"), "description": "", "useForCharacterCreation": false]
        }
        bigCardsText = String(decoding: try JSONCoding.encode(JSONValue.array(storyCards)), as: UTF8.self)
    }
}

/// A small deterministic generator (SplitMix64), so a failing run can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Daemon {
    /// Every complete message the process wrote to stdout (call after it ended: then that is all it sent).
    var writtenMessages: [JSONValue] {
        var parser = FrameParser(maxBodyBytes: .max)
        parser.append(stdoutBytes)
        var messages: [JSONValue] = []
        while case .message(let body)? = parser.next() {
            if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) { messages.append(value) }
        }
        return messages
    }

    /// Sends a request with a string id and does not wait for its answer.
    func sendRequest(id: String, method: String, params: JSONValue) throws {
        let message: JSONValue = ["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params]
        send(body: String(decoding: try JSONCoding.encode(message), as: UTF8.self))
    }
}
