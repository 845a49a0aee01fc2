import ImaginAIProtocol
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JSONRPC
import Testing

/// Several turns through a real language model: SmolLM2-135M-Instruct behind llama-cpp-python's
/// OpenAI-compatible server, which `./scripts/test` installs and starts (scripts/real-model) and names in
/// IMAGINAI_REAL_MODEL_BASE_URL. The daemon reaches it as `openai/smollm2` through OPENAI_BASE_URL with no
/// API key, as a user's local server would be. A real model's words differ from run to run, so only the
/// structure is asserted: streamed chunks before each response, their order, the stored turns, usage.
///
/// Without the variable the test is skipped, except in CI (CI=true), where it must run and so fails.
// Ten minutes: about 65 tokens/s on an idle 2-core machine makes it ~15 s (scripts/test runs it alone for
// that), but under `swift test --parallel` or beside compilers llama.cpp slows down many times over.
// Serialized: the server answers one request at a time, so two tests at once each wait out the other's
// turns and can run past their timeouts on a loaded machine.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct RealModelTests {
    static let environment = ProcessInfo.processInfo.environment
    static let baseURL = environment["IMAGINAI_REAL_MODEL_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let inCI = environment["CI"] == "true"
    static let contract = MethodTests.contract
    static let model = "openai/smollm2"
    /// Generous: the first request loads the model, and the whole test suite shares two cores with it.
    static let messageTimeout = Duration.seconds(120)

    @Test(.enabled(
        if: baseURL != nil || inCI,
        "needs a real model server: ./scripts/test starts one and sets IMAGINAI_REAL_MODEL_BASE_URL"))
    func playsSeveralTurnsThroughARealModel() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try realModelDaemon(database: directory.appendingPathComponent("real-model.sqlite"))
        _ = try await daemon.initialize()

        // Short turns keep the test fast; truncate (the default) keeps it to one model call per turn.
        let settings = try await daemon.call("settings/update", ["changes": [
            "model": .string(Self.model), "maxOutputTokens": 50, "responseHandling": "truncate",
        ]])
        #expect(settings["model"] == .string(Self.model))
        let models = try await daemon.call("models/list")
        #expect(
            models["models"]?.arrayValue?.contains { $0["id"] == .string(Self.model) } == true,
            "models/list asks the server for its models: \(models)")

        let scenario = try await daemon.call("scenario/create", ["scenario": [
            "name": "Lighthouse", "plotEssentials": "A storm has cut the island of Brae off from the mainland. The lighthouse keeper is missing.",
            "openingScene": "Rain lashes the cliff path. Ahead, the lighthouse of Brae stands dark for the first time in forty years.",
            "cards": [
                ["name": "Old Tam", "type": "character", "keys": ["Tam", "keeper"], "description": "Old Tam is the lighthouse keeper of Brae, stubborn and kind."],
            ],
        ]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let aid = try #require(adventure["id"])

        var stored: [JSONValue] = []  // the AI turns' ids, in story order
        let doTurn = try await play(daemon, "t1", "story/act", ["adventureId": aid, "action": "do", "text": "look for the keeper"], adventure: aid)
        #expect(doTurn["playerTurn"]?["text"] == "look for the keeper")
        #expect(doTurn["playerTurn"]?["index"] == 1)
        #expect(doTurn["aiTurn"]?["index"] == 2)
        stored.append(doTurn["aiTurn"]!["id"]!)

        let sayTurn = try await play(daemon, "t2", "story/act", ["adventureId": aid, "action": "say", "text": "Tam, are you here?"], adventure: aid)
        #expect(sayTurn["playerTurn"]?["index"] == 3)
        #expect(sayTurn["aiTurn"]?["index"] == 4)
        stored.append(sayTurn["aiTurn"]!["id"]!)

        let continued = try await play(daemon, "t3", "story/continue", ["adventureId": aid], adventure: aid)
        #expect(continued["playerTurn"] == .null)
        #expect(continued["aiTurn"]?["index"] == 5)
        stored.append(continued["aiTurn"]!["id"]!)

        let retried = try await play(daemon, "t4", "story/retry", ["adventureId": aid], adventure: aid)
        #expect(retried["playerTurn"] == .null)
        #expect(retried["aiTurn"]?["id"] == continued["aiTurn"]?["id"], "a retry replaces the latest turn")
        #expect(retried["aiTurn"]?["index"] == 5)

        // Everything played is stored: the opening, two actions with their answers, the retried turn.
        let list = try await daemon.call("turn/list", ["adventureId": aid])
        #expect(list["turnCount"] == 6)
        let turns = list["turns"]?.arrayValue ?? []
        #expect(turns.map { $0["role"]?.stringValue ?? "" } == ["ai", "player", "ai", "player", "ai", "ai"])
        #expect(turns.filter { $0["role"] == "ai" }.dropFirst().map { $0["id"]! } == stored)
        #expect(turns.last?["text"] == retried["aiTurn"]?["text"])
        for turn in turns.dropFirst() where turn["role"] == "ai" {
            #expect(turn["usage"]?["model"] == .string(Self.model), "\(turn)")
        }
        let versions = try await daemon.call("turn/versions", ["id": stored[2]])
        #expect(versions["versions"]?.arrayValue?.count == 2)
        #expect(versions["versions"]?.arrayValue?.first?["text"] == continued["aiTurn"]?["text"])
    }

    /// A story whose history alternates the storyteller's lines with the player's `> You …` actions, as
    /// the prompt shows a played adventure: continuing it greedily, with no system text to steer it,
    /// SmolLM2 writes the next action itself (here "> You walk to the bar."), the failure the issue saw.
    static let primingOpening = """
        The tavern is warm and loud.

        > You look around.

        A bard sings by the fire. The barkeep wipes a mug.

        > You walk to the bar.

        The barkeep nods at you.

        > You order an ale.

        The barkeep pours you an ale.

        > You sit by the fire.

        The bard finishes his song. He smiles at you.

        > You say "Good song."

        "Thank you," says the bard.

        > You ask the bard about the castle.

        The bard leans closer. "Nobody goes to the castle," he says.
        """

    @Test(.enabled(
        if: baseURL != nil || inCI,
        "needs a real model server: ./scripts/test starts one and sets IMAGINAI_REAL_MODEL_BASE_URL"))
    func aModelWrittenActionIsCutFromTheStoredTurn() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try realModelDaemon(database: directory.appendingPathComponent("real-model-cut.sqlite"))
        let baseURL = try #require(Self.baseURL)
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": ["model": .string(Self.model), "maxOutputTokens": 50, "baseSystemInstruction": ""]])
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Tavern", "openingScene": .string(Self.primingOpening)]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let aid = try #require(adventure["id"])
        let action: JSONValue = ["adventureId": aid, "action": "do", "text": "drink the ale"]

        // First the model alone, greedy and without stop sequences, on exactly the daemon's prompt:
        // it does write a player action of its own.
        let preview = try await daemon.call("story/preview", action)
        let sections = Dictionary(uniqueKeysWithValues: (preview["sections"]?.arrayValue ?? []).map {
            ($0["name"]?.stringValue ?? "", $0["text"]?.stringValue ?? "")
        })
        func joined(_ names: [String]) -> String { names.compactMap { sections[$0] }.joined(separator: "\n\n") }
        let raw = try await Self.rawCompletion(
            baseURL: baseURL, system: joined(["system", "instructions", "plotEssentials", "cards"]),
            user: joined(["history", "authorsNotes", "action"]))
        #expect(
            Self.lines(raw).contains { $0.hasPrefix(">") },
            "the priming no longer makes the model write an action, so the cut below is not exercised; model wrote: \(raw)")

        // Then through the daemon, sampling as the server does: whatever the model writes, no stored
        // line and no streamed line is an action (or a prompt line). An answer that was nothing but an
        // action is refused as empty_answer, with nothing stored: then the story is continued instead.
        var method = "story/act"
        for attempt in 0..<2 {
            let (response, chunks) = try await StoryTests().stream(
                daemon, id: "cut\(attempt)", method, method == "story/act" ? action : ["adventureId": aid])
            let streamed = chunks.compactMap { $0["text"]?.stringValue }.joined()
            #expect(!Self.lines(streamed).contains { $0.hasPrefix(">") || $0.hasPrefix("[") }, "\(method) streamed: \(streamed)")
            if let result = response["result"] {
                let text = result["aiTurn"]?["text"]?.stringValue ?? ""
                #expect(!text.isEmpty)
                #expect(!Self.lines(text).contains { $0.hasPrefix(">") || $0.hasPrefix("[") }, "\(method) stored: \(text)")
                #expect(streamed.trimmingCharacters(in: .whitespacesAndNewlines) == text || result["trimmed"] == true)
                method = "story/retry"
            } else {
                #expect(response["error"]?["data"]?["kind"] == "empty_answer", "\(method): \(response)")
                #expect(chunks.isEmpty)
                method = "story/continue"
            }
        }
        let turns = try await daemon.call("turn/list", ["adventureId": aid])
        for turn in turns["turns"]?.arrayValue?.dropFirst() ?? [] where turn["role"] == "ai" {
            let text = turn["text"]?.stringValue ?? ""
            #expect(!Self.lines(text).contains { $0.hasPrefix(">") }, "stored: \(text)")
        }
    }

    /// Issue 15's recall through a real model: 60 turns played quickly with the offline storyteller, turn
    /// 2 saying the password and long out of a 1024-token window; then the real model is asked about it.
    /// What the daemon decides is asserted (turn 2 recalled, its words in the memories section, that
    /// section sent and counted); what a 135M model makes of it is not. In one run it answered, without
    /// the password: "You remember: You say "What was the password again?" and you do not hurry. The
    /// silence is broken only by your own breathing. You have the feeling that you are being watched."
    @Test(.enabled(
        if: baseURL != nil || inCI,
        "needs a real model server: ./scripts/test starts one and sets IMAGINAI_REAL_MODEL_BASE_URL"))
    func aFactFromTurnTwoReachesTheRealModelAsAMemory() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try realModelDaemon(database: directory.appendingPathComponent("real-model-recall.sqlite"))
        let (aid, turns) = try await RecallTests().playSixtyTurns(daemon)
        let factId = turns[2]["id"]!
        _ = try await daemon.call("settings/update", ["changes": ["model": .string(Self.model), "maxOutputTokens": 60]])

        let question = RecallTests.question(aid)
        let asked = try await RecallTests().preview(daemon, aid)
        #expect(asked.recalled.contains(factId), "\(asked.result)")
        #expect(asked.memories?.contains("heliotrope") == true, "\(asked.result)")
        let included = asked.result["includedTurns"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(!included.contains(2) && !included.isEmpty, "turn 2 must be out of the history, or recall proves nothing")

        let answer = try await play(daemon, "recall", "story/act", question, adventure: aid)
        #expect((answer["usage"]?["sections"]?["memories"]?.intValue ?? 0) > 0, "the memories went to the model: \(answer)")
        let text = answer["aiTurn"]?["text"]?.stringValue ?? ""
        #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        // Recorded, not asserted: a 135M model may or may not repeat the password.
        print("RealModelTests recall: \(Self.model) answered: \(text)")
    }

    /// A daemon reaching the real model as `openai/smollm2` through OPENAI_BASE_URL. A local server
    /// needs no key: none is passed, and none leaks in from the runner's environment.
    func realModelDaemon(database: URL) throws -> Daemon {
        let baseURL = try #require(
            Self.baseURL,
            "CI must play through a real model, but IMAGINAI_REAL_MODEL_BASE_URL is not set: run ./scripts/test")
        let keys = Self.environment.keys.filter { $0.hasPrefix("OPENAI_API_KEY") }
        return try Daemon(database: database.path, environment: ["OPENAI_BASE_URL": baseURL], unsetting: keys)
    }

    /// Lines with leading blanks taken off, as the rule reads them.
    static func lines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r" }
            .map { String($0.drop { $0 == " " || $0 == "\t" }) }
    }

    /// One greedy chat completion straight from the server, with no stop sequences.
    static func rawCompletion(baseURL: String, system: String, user: String) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: [
            "model": "smollm2", "max_tokens": 50, "temperature": 0, "top_k": 1, "seed": 1,
            // As the daemon sends it: no system message when there is no system text.
            "messages": (system.isEmpty ? [] : [["role": "system", "content": system]]) + [["role": "user", "content": user]],
        ] as [String: Any])
        // Python's urllib, not URLSession: FoundationNetworking's request now and then hung here until
        // its timeout while the server answered the daemon at once.
        let script = """
            import sys, urllib.request
            request = urllib.request.Request(sys.argv[1], data=sys.stdin.buffer.read(), headers={"Content-Type": "application/json"})
            sys.stdout.buffer.write(urllib.request.urlopen(request, timeout=120).read())
            """
        let data: Data = try await Task.detached {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, baseURL + "/chat/completions"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(body)
            try input.fileHandleForWriting.close()
            let answer = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return answer
        }.value
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let message = (object?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
        return try #require(message?["content"] as? String, "\(String(decoding: data, as: UTF8.self))")
    }

    /// Sends one story request, collects its `story/chunk` notifications until its response, checks what
    /// any generated turn must satisfy, and returns the result.
    func play(_ daemon: Daemon, _ id: String, _ method: String, _ params: JSONValue, adventure: JSONValue) async throws -> JSONValue {
        let body = JSONValue.object(["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params])
        daemon.send(body: String(decoding: try JSONCoding.encode(body), as: UTF8.self))
        var chunks: [JSONValue] = []
        var response: JSONValue
        while true {
            let message = try await daemon.receive(timeout: Self.messageTimeout) {
                $0["id"] == .string(id) || ($0["method"] == "story/chunk" && $0["params"]?["requestId"] == .string(id))
            }
            if message["method"] == "story/chunk" {
                chunks.append(message["params"]!)
            } else {
                response = message
                break
            }
        }
        let result = try #require(response["result"], "\(method) through \(Self.model) failed: \(response)\nstderr: \(daemon.stderr.suffix(2000))")
        #expect(Self.contract.violations(result: result, method: method).isEmpty, "\(method): \(result)")

        #expect(!chunks.isEmpty, "\(method): the model's text streams as story/chunk before the response")
        #expect(chunks.map { $0["seq"]! } == (0..<chunks.count).map { JSONValue.int(Int64($0)) }, "\(method): seq from 0 without gaps")
        #expect(chunks.allSatisfy { $0["adventureId"] == adventure })
        #expect(chunks.allSatisfy { $0["text"]?.stringValue?.isEmpty == false }, "\(method): no empty chunks (a role-only delta is not text)")
        let streamed = chunks.compactMap { $0["text"]?.stringValue }.joined().trimmingCharacters(in: .whitespacesAndNewlines)
        let text = result["aiTurn"]?["text"]?.stringValue ?? ""
        #expect(!text.isEmpty, "\(method): the model wrote something")
        if result["trimmed"] == true {
            #expect(streamed.hasPrefix(text), "\(method): a trimmed turn is the start of what was streamed")
        } else {
            #expect(streamed == text, "\(method): the turn is exactly what was streamed")
        }

        let finish = result["finishReason"]?.stringValue ?? ""
        #expect(["stop", "length"].contains(finish), "\(method): finishReason \(finish)")
        let usage = result["usage"]
        #expect(usage?["model"] == .string(Self.model))
        // llama.cpp's server sends no usage chunk, so the daemon estimates; a server that reports usage is fine too.
        #expect(["estimate", "api"].contains(usage?["source"]?.stringValue ?? ""), "\(method): usage \(String(describing: usage))")
        #expect((usage?["promptTokens"]?.intValue ?? 0) > 0)
        #expect((usage?["outputTokens"]?.intValue ?? 0) > 0)
        let firstChunk = usage?["firstChunkMs"]?.intValue
        #expect(firstChunk != nil, "\(method): text was streamed, so the first chunk's time is known")
        #expect((usage?["latencyMs"]?.intValue ?? -1) >= (firstChunk ?? 0))
        return result
    }
}
