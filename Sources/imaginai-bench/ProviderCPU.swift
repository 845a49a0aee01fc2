import Foundation
import ImaginAIProtocol
import JSONRPC
import ProviderTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12's first figure: what the daemon costs while a provider streams slowly. A daemon that waits
/// on its sockets costs next to nothing between pieces; one that polls burns a core.
extension Runner {
    mutating func providerCPU() {
        let pieces = (0..<(options.quick ? 20 : 40)).map { " piece\($0)" }
        let gap = Duration.milliseconds(150)
        progress("daemon CPU while a provider streams \(pieces.count) pieces \(gap) apart, then curl -sN on the same stream")
        let target = "≤ 5% (goal ≤ 1%)"
        do {
            let server = try FakeProviderServer { request in
                // The warm-up turn (which loads libcurl and opens the connection) streams at once.
                request.json["model"] as? String == "warmup"
                    ? FakeResponse.stream(FakeResponse.openAIStream(["ready"]))
                    : FakeResponse.stream(FakeResponse.openAIStream(pieces), gap: gap)
            }
            defer { server.stop() }
            let (client, adventureID) = try startAdventure(against: server, in: "provider-cpu")
            defer { client.shutdown() }
            try client.call("settings/update", .object(["changes": .object(["model": "openai/warmup"])]))
            _ = try Self.streamedTurn(client, adventureID: adventureID, timeout: 30)
            try client.call("settings/update", .object(["changes": .object(["model": "openai/bench"])]))

            let cpuBefore = try Self.cpuSeconds(pid: client.child.pid)
            let start = monotonicNanos()
            let chunks = try Self.streamedTurn(client, adventureID: adventureID, timeout: 60)
            let wall = Double(monotonicNanos() - start) / 1e9
            let cpu = try Self.cpuSeconds(pid: client.child.pid) - cpuBefore
            guard chunks == pieces.count else { throw BenchError("story/continue streamed \(chunks) chunks, not \(pieces.count)") }
            let daemonShare = cpu / wall

            let curl = try Self.curlStream(url: server.baseURL + "/v1/chat/completions")
            rows.append(Row(
                measure: "daemon CPU while a provider streams slowly (\(pieces.count) pieces \(gap) apart, fake OpenAI server on loopback; CPU s / wall s from /proc/PID/stat, turn after a warm-up turn)",
                imaginai: String(format: "%.2f%% (%.3f s CPU over %.2f s)", daemonShare * 100, cpu, wall),
                baseline: String(format: "`curl -sN` on the same stream: %.2f%% (%.3f s CPU over %.2f s)", curl.cpu / curl.wall * 100, curl.cpu, curl.wall),
                target: target,
                met: verdict(daemonShare, atMost: 0.05)))
        } catch {
            rows.append(Row(measure: "daemon CPU while a provider streams slowly", imaginai: "failed (note \(notebookAdd(error)))", baseline: "—", target: target))
        }
    }

    /// A daemon on a fresh database in `folder` whose OpenAI-compatible provider is `server`, with an
    /// adventure started from the sample scenario. The caller shuts the daemon down.
    func startAdventure(against server: FakeProviderServer, in folder: String) throws -> (client: DaemonClient, adventureID: JSONValue) {
        let directory = temp + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let client = try DaemonClient.spawn(
            daemon: daemon, database: directory + "/story.sqlite", logPath: directory + "/stderr.log",
            environment: ["OPENAI_BASE_URL": server.baseURL + "/v1", "OPENAI_API_KEY": ""])
        do {
            try client.initialize(timeout: options.initializeTimeout)
            let scenarios = try client.call("scenario/list")
            guard let scenarioID = scenarios["scenarios"]?.arrayValue?.first?["id"] else { throw BenchError("no sample scenario") }
            let adventure = try client.call("adventure/start", .object(["scenarioId": scenarioID]))
            guard let adventureID = adventure["id"] else { throw BenchError("adventure/start returned no id") }
            return (client, adventureID)
        } catch {
            client.shutdown()
            throw error
        }
    }

    /// One `story/continue`, its `story/chunk` notifications read as they come; returns how many came.
    static func streamedTurn(_ client: DaemonClient, adventureID: JSONValue, timeout: Double) throws -> Int {
        let id = client.takeID()
        try client.child.send(DaemonClient.frame(id: id, method: "story/continue", params: .object(["adventureId": adventureID])))
        var chunks = 0
        while true {
            let body = try client.child.inbox.next(until: deadline(in: timeout), what: "story/continue")
            let message = try JSONDecoder().decode(JSONValue.self, from: Data(body))
            if message["method"] == "story/chunk" {
                chunks += 1
                continue
            }
            _ = try DaemonClient.result(of: body, method: "story/continue", expecting: id)
            return chunks
        }
    }

    /// utime + stime of a process (all its threads), in seconds.
    static func cpuSeconds(pid: Int32) throws -> Double {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { throw BenchError("cannot read /proc/\(pid)/stat") }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = fread(&buffer, 1, buffer.count - 1, file)
        let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The command name, in parentheses, may hold spaces; the fields after it are fixed.
        guard let close = text.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3 of proc(5)); utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Runs `curl -sN` on the stream, output to /dev/null; its CPU is read from /proc/PID/stat after it
    /// exits but before it is reaped (waitid with WNOWAIT), so it is measured exactly as the daemon is.
    static func curlStream(url: String) throws -> (cpu: Double, wall: Double) {
        guard let curl = ["/usr/bin/curl", "/bin/curl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("no curl for the baseline (apt-get install curl)")
        }
        let arguments = [curl, "-sN", "-X", "POST", "-H", "Content-Type: application/json",
                         "-d", #"{"model":"bench","stream":true,"messages":[]}"#, "-o", "/dev/null", url]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let start = monotonicNanos()
        let spawned = posix_spawn(&pid, curl, &actions, nil, &argv, environ)
        guard spawned == 0 else { throw BenchError("could not start curl: \(String(cString: strerror(spawned)))") }
        ChildRegistry.shared.add(pid)
        defer {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            ChildRegistry.shared.remove(pid)
        }
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            if errno != EINTR { throw BenchError("waiting for curl failed: \(String(cString: strerror(errno)))") }
        }
        let wall = Double(monotonicNanos() - start) / 1e9
        return (try cpuSeconds(pid: pid), wall)
    }
}
