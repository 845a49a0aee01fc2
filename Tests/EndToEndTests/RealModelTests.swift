import ImaginAIProtocol
import Foundation
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
@Suite(.timeLimit(.minutes(10)))
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
        let baseURL = try #require(
            Self.baseURL,
            "CI must play through a real model, but IMAGINAI_REAL_MODEL_BASE_URL is not set: run ./scripts/test")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A local server needs no key: none is passed, and none leaks in from the runner's environment.
        let keys = Self.environment.keys.filter { $0.hasPrefix("OPENAI_API_KEY") }
        let daemon = try Daemon(
            database: directory.appendingPathComponent("real-model.sqlite").path,
            environment: ["OPENAI_BASE_URL": baseURL], unsetting: keys)
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
