import ImaginAIProtocol
import Foundation
import JSONRPC
import ProviderTestSupport
import Synchronization
import Testing

/// The real daemon, configured by environment variables, streaming from a fake OpenAI-compatible
/// server on loopback to the pipe client.
@Suite(.timeLimit(.minutes(3)))
struct ProviderEndToEndTests {
    static let secret = "sk-test-SECRET-123"
    let story = StoryTests()

    /// A daemon on a database file, logging at debug level, pointed at `server` with the secret key.
    func daemon(_ server: FakeProviderServer, directory: URL, extra: [String: String] = [:]) throws -> Daemon {
        try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("story.sqlite").path, "--log-level", "debug"],
            environment: [
                "OPENAI_BASE_URL": server.baseURL + "/v1", "OPENAI_API_KEY": Self.secret,
                "IMAGINAI_PROVIDER_BACKOFF_MS": "10", "IMAGINAI_PROVIDER_IDLE_TIMEOUT_MS": "2000",
            ].merging(extra) { $1 })
    }

    func useModel(_ daemon: Daemon, _ model: String) async throws {
        _ = try await daemon.call("settings/update", ["changes": ["model": .string(model)]])
    }

    /// Everything the daemon wrote or stored: its database files, its log and its stdout.
    func everything(_ daemon: Daemon, directory: URL) throws -> [String: [UInt8]] {
        var all = ["stderr": Array(daemon.stderr.utf8), "stdout": daemon.stdoutBytes]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            all[name] = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return all
    }

    @Test func actStreamsTheServersChunksInOrderAndStoresAPIUsage() async throws {
        let pieces = ["The fog ", "parts, and ", "the ferry's ", "lamp swings ", "into view."]
        let server = try FakeProviderServer { request in
            request.path == "/v1/models"
                ? FakeResponse.complete(status: 200, body: #"{"object":"list","data":[{"id":"fake","object":"model"}]}"#)
                : FakeResponse.stream(FakeResponse.openAIStream(pieces, promptTokens: 321, completionTokens: 12), gap: .milliseconds(20))
        }
        let directory = try temporaryDirectory()
        let daemon = try daemon(server, directory: directory)
        let adventure = try await story.startAdventure(daemon)
        try await useModel(daemon, "openai/fake")

        let (response, chunks) = try await story.stream(daemon, id: "p1", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "wave at the ferry"])
        let result = try #require(response["result"], "\(response)")
        #expect(chunks.compactMap { $0["text"]?.stringValue } == pieces)
        #expect(chunks.map { $0["seq"]! } == (0..<pieces.count).map { JSONValue.int(Int64($0)) })
        #expect(result["aiTurn"]?["text"] == .string(pieces.joined()))
        #expect(result["usage"]?["source"] == "api")
        #expect(result["usage"]?["promptTokens"] == 321)
        #expect(result["usage"]?["outputTokens"] == 12)
        #expect(result["usage"]?["model"] == "openai/fake")
        let sent = try #require(server.requests.first { $0.path == "/v1/chat/completions" })
        #expect(sent.headers["authorization"] == "Bearer \(Self.secret)")
        #expect(sent.json["model"] as? String == "fake")

        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turns"]?.arrayValue?.last?["usage"]?["source"] == "api")

        let models = try await daemon.call("models/list")
        let ids = models["models"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(ids.contains("offline/storyteller") && ids.contains("openai/fake"), "\(ids)")
    }

    @Test func aStreamCutMidwayKeepsThePartialTextAndRepliesProviderFailure() async throws {
        let server = try FakeProviderServer { _ in
            FakeResponse.stream(Array(FakeResponse.openAIStream(["The bell ", "rings twice"]).prefix(2)), gap: .milliseconds(10))
        }
        let directory = try temporaryDirectory()
        let daemon = try daemon(server, directory: directory)
        let adventure = try await story.startAdventure(daemon)
        try await useModel(daemon, "openai/fake")

        let (response, chunks) = try await story.stream(daemon, id: "cut", "story/act", ["adventureId": adventure["id"]!, "action": "say", "text": "Hello?"])
        #expect(chunks.count == 2)
        let error = try #require(response["error"], "\(response)")
        #expect(error["code"] == .int(-31003))
        #expect(error["data"]?["provider"] == "openai")
        #expect(error["data"]?["kind"] == "network")
        #expect(error["data"]?["playerTurn"]?["text"] == "Hello?")
        #expect(error["data"]?["aiTurn"]?["text"] == "The bell rings twice")
        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turns"]?.arrayValue?.last?["text"] == "The bell rings twice")
        // The daemon keeps serving.
        _ = try await daemon.call("settings/get")
    }

    @Test func aRejectedKeyIsAnAuthFailureAndTheKeyIsNowhere() async throws {
        let server = try FakeProviderServer { request in
            if request.path == "/v1/models" {
                return FakeResponse.complete(status: 401, body: #"{"error":{"message":"Incorrect API key provided: \#(Self.secret)"}}"#)
            }
            if request.headers["authorization"] == "Bearer \(Self.secret)" {
                return FakeResponse.complete(status: 401, body: #"{"error":{"message":"Incorrect API key provided: \#(Self.secret)"}}"#)
            }
            return FakeResponse.stream(FakeResponse.openAIStream(["Second key works."]))
        }
        let directory = try temporaryDirectory()
        let daemon = try daemon(server, directory: directory)
        let adventure = try await story.startAdventure(daemon)
        try await useModel(daemon, "openai/fake")

        let failed = try await daemon.request("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look"])
        let error = try #require(failed["error"], "\(failed)")
        #expect(error["code"] == .int(-31003))
        #expect(error["data"]?["kind"] == "auth")
        #expect(error["data"]?["status"] == 401)
        #expect(error["data"]?["aiTurn"] == .null)
        #expect(error["message"]?.stringValue?.contains("OPENAI_API_KEY") == true)
        let models = try await daemon.call("models/list")
        let entry = models["models"]?.arrayValue?.first { $0["id"]?.stringValue?.hasPrefix("openai/") == true }
        #expect(entry?["available"] == false)

        // A client-supplied key list replaces the environment's for the session.
        let second = try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("story.sqlite").path, "--log-level", "debug"],
            environment: ["OPENAI_BASE_URL": server.baseURL + "/v1", "IMAGINAI_PROVIDER_BACKOFF_MS": "10"])
        _ = try await second.call("initialize", ["initializationOptions": ["providers": ["openai": ["apiKeys": [.string(Self.secret), "sk-other"]]]]])
        try second.notify("initialized")
        let played = try await second.call("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look again"])
        #expect(played["aiTurn"]?["text"] == "Second key works.")
        #expect(server.requests.last?.headers["authorization"] == "Bearer sk-other")

        daemon.closeInput()
        second.closeInput()
        _ = try await daemon.waitForExit()
        _ = try await second.waitForExit()
        #expect(daemon.stderr.contains("debug"), "the log was at debug level")
        for (name, bytes) in try everything(daemon, directory: directory).merging(everything(second, directory: directory), uniquingKeysWith: { $0 + $1 }) {
            #expect(bytes.firstRange(of: Array(Self.secret.utf8)) == nil, "the key appears in \(name)")
        }
    }

    @Test func aServerThatNeverAnswersTimesOutAndTheDaemonKeepsServing() async throws {
        let server = try FakeProviderServer { _ in [.hang] }
        let directory = try temporaryDirectory()
        let daemon = try daemon(server, directory: directory, extra: ["IMAGINAI_PROVIDER_IDLE_TIMEOUT_MS": "500"])
        let adventure = try await story.startAdventure(daemon)
        try await useModel(daemon, "openai/fake")
        let body = JSONValue.object(["jsonrpc": "2.0", "id": "hung", "method": "story/continue", "params": ["adventureId": adventure["id"]!]])
        daemon.send(body: String(decoding: try JSONCoding.encode(body), as: UTF8.self))
        // Other requests are answered while the provider hangs.
        _ = try await daemon.call("adventure/get", ["id": adventure["id"]!])
        let response = try await daemon.response(to: "hung", timeout: .seconds(10))
        #expect(response["error"]?["code"] == .int(-31003))
        #expect(response["error"]?["data"]?["kind"] == "timeout")
    }

    /// The proxy variables libcurl reads; the runner's own are set aside so they cannot steer the test.
    static let proxyVariables = ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]

    @Test func httpProxyFromTheEnvironmentCarriesTheRequestAndNoProxyBypassesIt() async throws {
        let pieces = ["Through ", "the proxy."]
        // The fake server doubles as a forward proxy: a proxied request names the whole URL in its
        // request line, and the host it names does not exist, so only the proxy could have answered.
        let proxy = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(pieces)) }
        let directory = try temporaryDirectory()
        let proxied = try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("story.sqlite").path],
            environment: ["OPENAI_BASE_URL": "http://provider.invalid/v1", "OPENAI_API_KEY": Self.secret, "http_proxy": proxy.baseURL],
            unsetting: Self.proxyVariables.filter { $0 != "http_proxy" })
        let adventure = try await story.startAdventure(proxied)
        try await useModel(proxied, "openai/fake")
        let (response, chunks) = try await story.stream(proxied, id: "p", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look"])
        #expect(response["result"] != nil, "\(response)")
        #expect(chunks.compactMap { $0["text"]?.stringValue } == pieces)
        #expect(proxy.requests.map(\.path) == ["http://provider.invalid/v1/chat/completions"])

        // no_proxy names the provider's host, so the request goes straight to it past a dead proxy.
        let dead = try FakeProviderServer { _ in [] }
        dead.stop()
        let server = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(pieces)) }
        let direct = try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("direct.sqlite").path],
            environment: [
                "OPENAI_BASE_URL": server.baseURL + "/v1", "OPENAI_API_KEY": Self.secret,
                "http_proxy": dead.baseURL, "no_proxy": "127.0.0.1",
            ],
            unsetting: Self.proxyVariables.filter { $0 != "http_proxy" && $0 != "no_proxy" })
        let second = try await story.startAdventure(direct)
        try await useModel(direct, "openai/fake")
        let (answer, directChunks) = try await story.stream(direct, id: "d", "story/act", ["adventureId": second["id"]!, "action": "do", "text": "look"])
        #expect(answer["result"] != nil, "\(answer)")
        #expect(directChunks.compactMap { $0["text"]?.stringValue } == pieces)
        #expect(server.requests.map(\.path) == ["/v1/chat/completions"])
    }

    /// Networking is loaded on the first provider request, never before: an idle daemon maps no libcurl,
    /// TLS library or FoundationNetworking, and after a provider turn libcurl is there (so the check
    /// reads the right thing).
    @Test func theNetworkStackIsLoadedOnlyByTheFirstProviderRequest() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(["Loaded."])) }
        let directory = try temporaryDirectory()
        let daemon = try daemon(server, directory: directory)
        func mapped() throws -> String {
            // Read to the end: /proc files report a size of 0, and a read by size would stop at one page.
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(daemon.process.processIdentifier)/maps"))
            defer { try? file.close() }
            let text = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
            #expect(text.contains("libc.so"), "the maps were read whole")
            return text
        }
        let adventure = try await story.startAdventure(daemon)
        let idle = try mapped()
        for library in ["libcurl", "libssl", "libcrypto", "FoundationNetworking"] {
            #expect(!idle.contains(library), "\(library) is mapped before any provider request")
        }
        try await useModel(daemon, "openai/fake")
        let (response, _) = try await story.stream(daemon, id: "n", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "look"])
        #expect(response["result"] != nil, "\(response)")
        let after = try mapped()
        #expect(after.contains("libcurl"))
        #expect(!after.contains("FoundationNetworking"))
    }
}
