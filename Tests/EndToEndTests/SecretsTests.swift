import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// API keys given to the daemon never leave it except in the provider's request header: not in the
/// database file, its -wal/-shm, the log (at any level), stderr, a crash report, or any response.
@Suite(.timeLimit(.minutes(3)))
struct SecretsTests {
    /// Each key is planted through a different way in; all are distinct so a leak names its path.
    static let environmentKey = "sk-planted-ENV-7f3a9c2e41d8"
    static let environmentSecondKey = "sk-planted-ENV2-55c0e1a9"
    static let initializationKey = "sk-planted-INIT-b81d0e55f2"
    static let singleInitializationKey = "sk-ant-planted-INITONE-0c9d"
    static let anthropicKey = "sk-ant-planted-ANTH-41aa93"
    static let geminiKey = "AIza-planted-GEM-5e6f7a8b"
    /// A credential inside a base URL (user info and query): logged URLs must drop both.
    static let urlSecret = "sk-planted-URL-93ab17"
    static let unknownProviderKey = "sk-planted-UNKNOWN-d00d"
    static var all: [String] {
        [environmentKey, environmentSecondKey, initializationKey, singleInitializationKey, anthropicKey, geminiKey, urlSecret, unknownProviderKey]
    }

    @Test func plantedKeysAppearNowhere() async throws {
        let port = try closedLoopbackPort()
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("secrets.sqlite").path
        let log = directory.appendingPathComponent("daemon.log").path
        let daemon = try Daemon(
            arguments: ["serve", "--db", database, "--log-level", "trace", "--log-file", log],
            environment: [
                "OPENAI_API_KEY": Self.environmentKey, "OPENAI_API_KEY_2": Self.environmentSecondKey,
                "ANTHROPIC_API_KEY": Self.anthropicKey, "ANTHROPIC_BASE_URL": "http://127.0.0.1:\(port)",
                "GEMINI_API_KEY": Self.geminiKey, "GEMINI_BASE_URL": "http://127.0.0.1:\(port)/v1beta",
                "OLLAMA_HOST": "127.0.0.1:\(port)",
                // Fail fast: connection refused is retried with backoff.
                "IMAGINAI_PROVIDER_BACKOFF_MS": "1", "IMAGINAI_PROVIDER_IDLE_TIMEOUT_MS": "3000",
            ],
            unsetting: ["OPENAI_BASE_URL"])
        var responses: [JSONValue] = []
        // initializationOptions win over the environment: OpenAI gets a URL with a credential in it and a
        // key list, Anthropic a single `apiKey`; an unknown provider's key is ignored (and never echoed).
        let initialized = try await daemon.request("initialize", ["clientInfo": ["name": "secrets test"], "initializationOptions": ["providers": [
            "openai": ["baseURL": .string("http://user:\(Self.urlSecret)@127.0.0.1:\(port)/v1?key=\(Self.urlSecret)"), "apiKeys": [.string(Self.initializationKey)]],
            "anthropic": ["apiKey": .string(Self.singleInitializationKey)],
            "mystery": ["apiKeys": [.string(Self.unknownProviderKey)], "baseURL": .string("http://127.0.0.1:\(port)/?token=\(Self.unknownProviderKey)")],
        ]]])
        responses.append(initialized)
        try daemon.notify("initialized")

        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Secrets", "openingScene": "A locked door."]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        responses.append(try await daemon.request("models/list", timeout: .seconds(30)))
        // Every provider fails against the closed port: -31003 errors, retries and their log lines.
        for model in ["openai/gpt-planted", "anthropic/claude-planted", "gemini/gemini-planted", "ollama/llama-planted"] {
            responses.append(try await daemon.request("settings/update", ["changes": ["model": .string(model)]]))
            for (method, params) in [
                ("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "knock"] as JSONValue),
                ("story/continue", ["adventureId": adventure["id"]!]),
                ("story/preview", ["adventureId": adventure["id"]!, "text": "knock"]),
            ] {
                let response = try await daemon.request(method, params, timeout: .seconds(30))
                responses.append(response)
                if method != "story/preview" {
                    #expect(response["error"]?["code"] == .int(-31003), "\(model) \(method): \(response)")
                    #expect(response["error"]?["data"]?["kind"] == "network", "\(model) \(method): \(response)")
                }
            }
        }
        responses.append(try await daemon.request("models/list", timeout: .seconds(30)))
        responses.append(try await daemon.request("settings/get"))
        responses.append(try await daemon.request("turn/list", ["adventureId": adventure["id"]!]))

        // While it runs, the WAL holds the recent writes: scan the files now and again after exit.
        var scanned = try Self.files(in: directory, prefix: "while running ")
        _ = try await daemon.request("shutdown")
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)
        scanned.merge(try Self.files(in: directory, prefix: "after exit ")) { $0 + $1 }
        scanned["stderr"] = Array(daemon.stderr.utf8)
        // Every response byte, as it came off the pipe.
        scanned["stdout"] = daemon.stdoutBytes

        let logText = String(decoding: scanned["after exit daemon.log"] ?? [], as: UTF8.self)
        #expect(logText.contains(" debug "), "the log was written at debug level or finer: \(logText.prefix(300))")
        #expect(logText.contains("key #"), "requests were logged, with the key by number: \(logText.prefix(500))")
        #expect(scanned.keys.contains { $0.hasSuffix("secrets.sqlite-wal") }, "the WAL was scanned: \(scanned.keys.sorted())")
        for (name, bytes) in scanned {
            for key in Self.all {
                #expect(bytes.firstRange(of: Array(key.utf8)) == nil, "\(key) appears in \(name)")
            }
        }
    }

    /// A crash report (the Swift runtime's backtrace on a fatal signal) holds no key either.
    @Test func aCrashReportHoldsNoKey() async throws {
        let port = try closedLoopbackPort()
        let directory = try temporaryDirectory()
        let daemon = try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("crash.sqlite").path, "--log-level", "trace"],
            environment: [
                "OPENAI_API_KEY": Self.environmentKey, "OPENAI_BASE_URL": "http://127.0.0.1:\(port)/v1",
                "IMAGINAI_PROVIDER_BACKOFF_MS": "1", "SWIFT_BACKTRACE": "enable=yes,interactive=no,color=no",
            ])
        _ = try await daemon.call("initialize", ["initializationOptions": ["providers": ["openai": ["apiKeys": [.string(Self.initializationKey)]]]]])
        _ = try await daemon.call("settings/update", ["changes": ["model": "openai/gpt-planted"]])
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Crash", "openingScene": "Sparks."]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let failed = try await daemon.request("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "pull the lever"], timeout: .seconds(30))
        #expect(failed["error"]?["code"] == .int(-31003))
        // A fatal signal: the runtime prints its crash report (threads, registers and 16 bytes of memory
        // at each) to stderr. A signal sent from outside returns from the handler, so the process lives
        // on after the report: end it once the report is complete.
        kill(daemon.process.processIdentifier, SIGSEGV)
        let deadline = ContinuousClock.now + .seconds(60)
        while !daemon.stderr.contains("Backtrace took") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        daemon.kill()
        _ = try await daemon.waitForExit()
        #expect(daemon.stderr.contains("Program crashed"), "no crash report: \(daemon.stderr.suffix(300))")
        var scanned = try Self.files(in: directory, prefix: "")
        scanned["stderr"] = Array(daemon.stderr.utf8)
        scanned["stdout"] = daemon.stdoutBytes
        for (name, bytes) in scanned {
            for key in [Self.environmentKey, Self.initializationKey] {
                // Memory dumps show 16 bytes: look for any 10 bytes of the key, not only all of it.
                let key = Array(key.utf8)
                for start in 0...(key.count - 10) {
                    #expect(bytes.firstRange(of: key[start..<(start + 10)]) == nil, "part of \(String(decoding: key, as: UTF8.self)) appears in \(name)")
                }
            }
        }
    }

    /// The database and its -wal/-shm, and the log file, are the owner's only, whatever the umask the
    /// daemon or the import command starts with; new parent directories are the owner's only too.
    @Test(arguments: ["000", "022", "077"])
    func filesAreOwnerOnlyWhateverTheUmask(umask: String) async throws {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("new/dirs/private.sqlite").path
        let log = directory.appendingPathComponent("private.log").path
        let daemon = try Daemon(arguments: ["serve", "--db", database, "--log-file", log, "--log-level", "debug"], umask: umask)
        _ = try await daemon.initialize()
        _ = try await daemon.call("scenario/create", ["scenario": ["name": "Private"]])
        // While the daemon runs, the WAL and the shared-memory index exist.
        for path in [database, database + "-wal", database + "-shm", log] {
            let mode = try Self.permissions(path)
            #expect(mode == 0o600, "\(path) under umask \(umask): \(String(mode, radix: 8))")
        }
        for path in [directory.appendingPathComponent("new").path, directory.appendingPathComponent("new/dirs").path] {
            let mode = try Self.permissions(path)
            #expect(mode & 0o077 == 0, "\(path) under umask \(umask): \(String(mode, radix: 8))")
        }
        daemon.kill()

        // The import command creating a fresh database.
        let imported = directory.appendingPathComponent("cli/imported.sqlite").path
        let command = try Daemon(arguments: ["import", Fixtures.seedScenario.path, "--db", imported], umask: umask)
        #expect(try await command.waitForExit() == 0, "\(command.stderr)")
        for path in [imported, imported + "-wal", imported + "-shm"] where FileManager.default.fileExists(atPath: path) {
            let mode = try Self.permissions(path)
            #expect(mode == 0o600, "\(path) under umask \(umask): \(String(mode, radix: 8))")
        }
    }

    static func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
    }

    /// Every file in `directory`, by name.
    static func files(in directory: URL, prefix: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[prefix + name] = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return files
    }
}

/// A loopback port nothing listens on: bound to learn a free number, then closed.
func closedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw DaemonError.unexpected("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw DaemonError.unexpected("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
