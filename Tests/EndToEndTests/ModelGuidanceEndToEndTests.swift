import Foundation
import ImaginAIProtocol
import JSONRPC
import ProviderTestSupport
import Testing

/// The daemon keeping a model in its lane (a model-written action ends the answer), explaining a model
/// it cannot use, and offering local servers: against fake servers on loopback.
@Suite(.timeLimit(.minutes(3)))
struct ModelGuidanceEndToEndTests {
    let story = StoryTests()
    let providers = ProviderEndToEndTests()

    @Test func aModelWrittenActionEndsTheAnswerInTheChunksAndTheStoredTurn() async throws {
        // The words of the issue, split where a stream may split them: the marker arrives in its own piece.
        let pieces = ["The door ", "opens.", "\n", "> You take", " a moment to talk.", "\nMore"]
        let server = try FakeProviderServer { request in
            FakeResponse.stream(FakeResponse.openAIStream(pieces), gap: .milliseconds(5))
        }
        let directory = try temporaryDirectory()
        let daemon = try providers.daemon(server, directory: directory)
        let adventure = try await story.startAdventure(daemon)
        try await providers.useModel(daemon, "openai/fake")

        let (response, chunks) = try await story.stream(daemon, id: "cut", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "open the door"])
        let result = try #require(response["result"], "\(response)")
        #expect(chunks.compactMap { $0["text"]?.stringValue }.joined() == "The door opens.")
        #expect(result["aiTurn"]?["text"] == "The door opens.")
        #expect(result["finishReason"] == "stop")
        #expect(result["trimmed"] == false)
        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turns"]?.arrayValue?.last?["text"] == "The door opens.")
        let sent = try #require(server.requests.first { $0.path == "/v1/chat/completions" })
        #expect(sent.json["stop"] as? [String] == ["\n>", "\n["])
    }

    @Test func anAnswerThatIsOnlyAnActionStoresNothingAndSaysWhy() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(["> You wait", ".\nThe end."])) }
        let directory = try temporaryDirectory()
        let daemon = try providers.daemon(server, directory: directory)
        let adventure = try await story.startAdventure(daemon)
        try await providers.useModel(daemon, "openai/fake")

        let (response, chunks) = try await story.stream(daemon, id: "empty", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "wait"])
        #expect(chunks.isEmpty)
        let error = try #require(response["error"], "\(response)")
        #expect(error["code"] == .int(-31003))
        #expect(error["data"]?["kind"] == "empty_answer")
        #expect(error["data"]?["playerTurn"]?["text"] == "wait")
        #expect(error["data"]?["aiTurn"] == .null)
        #expect(error["message"]?.stringValue?.hasSuffix("offline/storyteller, which needs no network") == true, "\(error)")
        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turns"]?.arrayValue?.last?["role"] == "player", "the player's action is kept; no empty ai turn")
    }

    /// A daemon with no provider configured at all, looking for local servers where `local` says.
    func bareDaemon(local: String = "none") throws -> Daemon {
        let inherited = ProcessInfo.processInfo.environment.keys.filter {
            ["OPENAI_", "GEMINI_", "ANTHROPIC_", "OLLAMA_", "LLAMACPP_"].contains(where: $0.hasPrefix)
        }
        return try Daemon(environment: ["IMAGINAI_LOCAL_SERVERS": local, "IMAGINAI_PROVIDER_BACKOFF_MS": "10"], unsetting: inherited)
    }

    @Test func aModelThatCannotBeUsedSaysWhyAndHowToGoBack() async throws {
        let daemon = try bareDaemon()
        let adventure = try await story.startAdventure(daemon)
        func failure(_ model: String) async throws -> JSONValue {
            try await providers.useModel(daemon, model)
            let answer = try await daemon.request("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look"])
            let error = try #require(answer["error"], "\(answer)")
            #expect(error["code"] == .int(-31003))
            #expect(error["message"]?.stringValue?.hasSuffix("set the model back to offline/storyteller, which needs no network") == true, "\(error)")
            return error
        }
        // The issue's case: openai/smollm2 with no OPENAI_BASE_URL goes to api.openai.com, without a key.
        let noKey = try await failure("openai/smollm2")
        #expect(noKey["data"]?["reason"] == "key_missing")
        #expect(noKey["data"]?["kind"] == "auth")
        #expect(noKey["data"]?["baseURL"] == "https://api.openai.com/v1")
        #expect(noKey["message"]?.stringValue?.contains("OPENAI_BASE_URL is not set") == true)

        let gone = try FakeProviderServer { _ in [] }
        gone.stop()
        let daemonGone = try Daemon(environment: ["LLAMACPP_BASE_URL": gone.baseURL, "IMAGINAI_PROVIDER_BACKOFF_MS": "10"])
        let second = try await story.startAdventure(daemonGone)
        try await providers.useModel(daemonGone, "llamacpp/smollm2")
        let answer = try await daemonGone.request("story/act", ["adventureId": second["id"]!, "action": "do", "text": "look"])
        let unreachable = try #require(answer["error"], "\(answer)")
        #expect(unreachable["data"]?["reason"] == "unreachable")
        #expect(unreachable["data"]?["provider"] == "llamacpp")
        #expect(unreachable["data"]?["baseURL"] == .string(gone.baseURL + "/v1"))
        #expect(unreachable["message"]?.stringValue?.contains("Nothing answers at \(gone.baseURL)/v1") == true, "\(unreachable)")
        #expect(unreachable["data"]?["playerTurn"]?["text"] == "look", "the action is kept")
    }

    @Test func modelsListOffersARunningLocalServerMarkedLocalAndItPlaysById() async throws {
        let llama = try FakeProviderServer { request in
            request.path == "/v1/models"
                ? FakeResponse.complete(status: 200, body: #"{"object":"list","data":[{"id":"smollm2","object":"model"}]}"#)
                : FakeResponse.stream(FakeResponse.openAIStream(["Fog rolls in."]))
        }
        let daemon = try bareDaemon(local: "llamacpp=\(llama.baseURL)/v1")
        let adventure = try await story.startAdventure(daemon)
        let models = try await daemon.call("models/list")
        let listed = models["models"]?.arrayValue ?? []
        #expect(listed.map { $0["id"]?.stringValue ?? "" } == ["offline/storyteller", "llamacpp/smollm2"], "\(models)")
        #expect(listed.map { $0["local"] } == [false, true])
        #expect(MethodTests.contract.violations(result: models, method: "models/list").isEmpty)

        try await providers.useModel(daemon, "llamacpp/smollm2")
        let played = try await daemon.call("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look"])
        #expect(played["aiTurn"]?["text"] == "Fog rolls in.")

        // Nothing running: nothing offered, and no unavailable entry either.
        let gone = try FakeProviderServer { _ in [] }
        gone.stop()
        let empty = try bareDaemon(local: "llamacpp=\(gone.baseURL)/v1,ollama=\(gone.baseURL)")
        _ = try await empty.initialize()
        let none = try await empty.call("models/list")
        #expect(none["models"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == ["offline/storyteller"])
    }
}
