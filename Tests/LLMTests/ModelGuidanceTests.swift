import Foundation
import ImaginAICore
import ProviderTestSupport
import Testing
@testable import LLM

/// Stop sequences on the wire, failures that say why and the way back, and local servers found on
/// their ports: against fake servers on loopback.
@Suite(.timeLimit(.minutes(2)))
struct ModelGuidanceTests {
    let base = ProviderTests()

    // MARK: Stop sequences

    static let stops = StoryCutter.stopSequences
    static let request = GenerationRequest(system: "s", story: "t", maxOutputTokens: 40, stopSequences: stops)

    func body<Format: WireFormat>(_ format: Format, model: String, base: String, _ request: GenerationRequest = request) throws -> [String: Any] {
        let built = try format.httpRequest(for: request, model: model, baseURL: URL(string: base)!, key: APIKey("k"))
        return try #require(try JSONSerialization.jsonObject(with: Data(built.body)) as? [String: Any])
    }

    @Test func everyProviderRequestCarriesTheStopSequences() throws {
        #expect(try body(OpenAIFormat(), model: "m", base: "http://127.0.0.1:8080/v1")["stop"] as? [String] == Self.stops)
        #expect(try body(OpenAIFormat(kind: .llamacpp), model: "m", base: "http://127.0.0.1:8080/v1")["stop"] as? [String] == Self.stops)
        #expect(try body(OpenAIFormat(), model: "gpt-4o", base: "https://api.openai.com/v1")["stop"] as? [String] == Self.stops)
        let ollama = try body(OllamaFormat(), model: "m", base: "http://127.0.0.1:11434")
        #expect((ollama["options"] as? [String: Any])?["stop"] as? [String] == Self.stops)
        let gemini = try body(GeminiFormat(), model: "gemini-2.5-flash", base: "https://g/v1beta")
        #expect((gemini["generationConfig"] as? [String: Any])?["stopSequences"] as? [String] == Self.stops)
        #expect(try body(AnthropicFormat(), model: "claude", base: "https://a")["stop_sequences"] as? [String] == Self.stops)
    }

    @Test func stopSequencesAreCappedWhereTheAPIsCapThemAndLeftOutWhereRefused() throws {
        var many = Self.request
        many.stopSequences = (1...7).map { "\n\($0)" }
        #expect(try body(OpenAIFormat(), model: "m", base: "http://127.0.0.1:8080/v1", many)["stop"] as? [String] == Array(many.stopSequences.prefix(4)))
        let gemini = try body(GeminiFormat(), model: "gemini-2.5-flash", base: "https://g/v1beta", many)
        #expect((gemini["generationConfig"] as? [String: Any])?["stopSequences"] as? [String] == Array(many.stopSequences.prefix(5)))
        // OpenAI's reasoning models answer 400 to any `stop`; the daemon's own cut still applies.
        for model in ["o3", "o4-mini", "gpt-5", "gpt-5-mini"] {
            #expect(try body(OpenAIFormat(), model: model, base: "https://api.openai.com/v1")["stop"] == nil, "\(model)")
        }
        // A request without stops sends no field at all.
        var none = Self.request
        none.stopSequences = []
        #expect(try body(OpenAIFormat(), model: "m", base: "http://127.0.0.1:8080/v1", none)["stop"] == nil)
        #expect((try body(OllamaFormat(), model: "m", base: "http://127.0.0.1:11434", none)["options"] as? [String: Any])?["stop"] == nil)
    }

    // MARK: Failures that explain themselves

    func failure(_ providers: Providers, _ id: String) async throws -> ProviderError {
        try #require(await base.run(providers, id).providerError)
    }

    @Test func openAIWithNoBaseURLAndNoKeySaysItWentToOpenAIAndHowToReachALocalServer() async throws {
        let providers = Providers(configurations: ProviderConfiguration.load(environment: [:]), probe: [])
        let error = try await failure(providers, "openai/smollm2")
        #expect(error.reason == .keyMissing)
        #expect(error.kind == .auth)
        #expect(error.baseURL == "https://api.openai.com/v1")
        for part in ["https://api.openai.com/v1", "OPENAI_BASE_URL is not set", "OPENAI_API_KEY", "llamacpp/smollm2"] {
            #expect(error.message.contains(part), "\(part): \(error.message)")
        }
        #expect(error.message.hasSuffix(ProviderError.wayBack))
        // A hosted API that always needs a key names its variable.
        let gemini = try await failure(providers, "gemini/gemini-2.5-flash")
        #expect(gemini.reason == .keyMissing)
        #expect(gemini.message.contains("GEMINI_API_KEY") && gemini.message.hasSuffix(ProviderError.wayBack))
    }

    @Test func aServerThatIsGoneIsNamedByItsURL() async throws {
        let gone = try FakeProviderServer { _ in [] }
        let providers = base.providers(.openai, gone, basePath: "/v1")
        gone.stop()
        let error = try await failure(providers, "openai/smollm2")
        #expect(error.reason == .unreachable)
        #expect(error.kind == .network)
        #expect(error.baseURL == gone.baseURL + "/v1")
        #expect(error.message.contains("Nothing answers at \(gone.baseURL)/v1"), "\(error.message)")
        #expect(error.message.contains("OPENAI_BASE_URL"))
        #expect(error.message.hasSuffix(ProviderError.wayBack))
    }

    @Test func aServerThatAcceptsButNeverAnswersIsUnreachableToo() async throws {
        let silent = try FakeProviderServer { _ in [.hang] }
        let error = try await failure(base.providers(.ollama, silent, idle: .milliseconds(300)), "ollama/llama3")
        #expect(error.reason == .unreachable)
        #expect(error.kind == .timeout)
        #expect(error.message.contains(silent.baseURL) && error.message.hasSuffix(ProviderError.wayBack), "\(error.message)")
    }

    @Test func aModelTheServerDoesNotHaveIsNamedWithModelsList() async throws {
        let bodies = [
            // Ollama, OpenAI, and a vLLM-style 400.
            (404, #"{"error":"model 'nope' not found"}"#),
            (404, #"{"error":{"message":"The model `nope` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#),
            (400, #"{"object":"error","message":"The model `nope` does not exist.","code":400}"#),
        ]
        for (status, text) in bodies {
            let server = try FakeProviderServer { _ in FakeResponse.complete(status: status, body: text) }
            let error = try await failure(base.providers(.openai, server, basePath: "/v1"), "openai/nope")
            #expect(error.reason == .modelUnknown, "\(text)")
            #expect(error.status == status)
            #expect(error.message.contains("'nope'") && error.message.contains("models/list"), "\(error.message)")
            #expect(error.message.hasSuffix(ProviderError.wayBack))
        }
    }

    @Test func a404ThatNamesNoModelIsAWrongPathAndARejectedKeySaysSo() async throws {
        let plain = try FakeProviderServer { _ in FakeResponse.complete(status: 404, body: "Not Found", contentType: "text/plain") }
        let wrongPath = try await failure(base.providers(.openai, plain, basePath: "/api"), "openai/m")
        #expect(wrongPath.reason == .wrongPath)
        #expect(wrongPath.message.contains("/api/chat/completions") && wrongPath.message.contains("OPENAI_BASE_URL"), "\(wrongPath.message)")

        let refusing = try FakeProviderServer { _ in FakeResponse.complete(status: 401, body: #"{"error":{"message":"bad key"}}"#) }
        let rejected = try await failure(base.providers(.openai, refusing, keys: ["sk-x"], basePath: "/v1"), "openai/m")
        #expect(rejected.reason == .keyRejected)
        #expect(rejected.message.contains("OPENAI_API_KEY") && rejected.message.hasSuffix(ProviderError.wayBack))
        // Failures that are no matter of setup carry no reason.
        let busy = try FakeProviderServer { _ in FakeResponse.complete(status: 429, body: "{}") }
        #expect(try await failure(base.providers(.openai, busy, keys: ["sk-x"], basePath: "/v1"), "openai/m").reason == nil)
    }

    // MARK: Local servers on their usual ports

    static let llamaModels = #"{"object":"list","data":[{"id":"smollm2","object":"model","meta":{"n_ctx_train":8192}}]}"#
    static let ollamaTags = #"{"models":[{"name":"qwen3:0.6b","model":"qwen3:0.6b"}]}"#

    @Test func runningLocalServersAreListedAsLocalAndUsableByIdAndAbsentOnesAreNotListed() async throws {
        let llama = try FakeProviderServer { request in
            request.path == "/v1/models"
                ? FakeResponse.complete(status: 200, body: Self.llamaModels)
                : FakeResponse.stream(FakeResponse.openAIStream(["Hello from llama."]))
        }
        let ollama = try FakeProviderServer { _ in FakeResponse.complete(status: 200, body: Self.ollamaTags) }
        let configurations = ProviderConfiguration.load(
            environment: [:], localServers: [.llamacpp: llama.baseURL + "/v1", .ollama: ollama.baseURL])
        let providers = Providers(configurations: configurations)
        let listed = await providers.list()
        #expect(listed.map(\.descriptor.id) == ["llamacpp/smollm2", "ollama/qwen3:0.6b"])
        #expect(listed.allSatisfy { $0.local && $0.available })
        _ = await providers.list()
        #expect(llama.requests.count == 1 && ollama.requests.count == 1, "cached like any list")

        let played = await base.run(providers, "llamacpp/smollm2")
        #expect(played.texts == ["Hello from llama."])
        #expect(llama.requests.last?.path == "/v1/chat/completions")
        #expect(llama.requests.last?.headers["authorization"] == nil, "a llama.cpp server needs no key")

        let gone = try FakeProviderServer { _ in [] }
        gone.stop()
        let nothing = Providers(configurations: ProviderConfiguration.load(
            environment: [:], localServers: [.llamacpp: gone.baseURL + "/v1", .ollama: gone.baseURL]))
        #expect(await nothing.list().isEmpty, "no entry, not even an unavailable one, where nothing runs")
    }

    @Test func aLocalPortAConfiguredProviderUsesIsListedOnceUnderThatProvider() async throws {
        let llama = try FakeProviderServer { _ in FakeResponse.complete(status: 200, body: Self.llamaModels) }
        let configurations = ProviderConfiguration.load(
            environment: ["OPENAI_BASE_URL": llama.baseURL + "/v1"], localServers: [.llamacpp: llama.baseURL + "/v1"])
        let providers = Providers(configurations: configurations, probe: [.llamacpp])
        #expect(providers.probed.isEmpty)
        let listed = await providers.list()
        #expect(listed.map(\.descriptor.id) == ["openai/smollm2"])
        #expect(listed.first?.local == true, "a configured server on loopback is local too")
        // Not probed: configured, or elsewhere than on loopback.
        #expect(Providers(configurations: ProviderConfiguration.load(environment: ["LLAMACPP_BASE_URL": llama.baseURL])).probed == [.ollama])
        #expect(Providers(configurations: ProviderConfiguration.load(
            environment: [:], localServers: [.llamacpp: "http://192.0.2.1:8080/v1"]), probe: [.llamacpp]).probed.isEmpty)
    }

    @Test func theLocalProvidersDefaultToTheUsualPorts() {
        let loaded = ProviderConfiguration.load(environment: [:])
        #expect(loaded[.llamacpp]?.baseURL.absoluteString == "http://127.0.0.1:8080/v1")
        #expect(loaded[.ollama]?.baseURL.absoluteString == "http://127.0.0.1:11434")
        #expect(loaded[.llamacpp]?.keyRequired == false)
        #expect(loaded[.llamacpp]?.configured == false)
        #expect(ProviderConfiguration.load(environment: ["LLAMACPP_BASE_URL": "http://127.0.0.1:9000"])[.llamacpp]?.baseURL.absoluteString
            == "http://127.0.0.1:9000/v1")
    }
}
