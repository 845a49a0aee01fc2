import ImaginAIProtocol
import Foundation
import JSONRPC
import Synchronization
import Testing

/// The real `imaginai` binary, spawned as a child process and driven over its stdin/stdout pipes through
/// the shared `ClientConnection`: its reader thread frames the output, keeps every byte for the tests
/// that check the wire exactly, and hands each message to an inbox the tests wait on.
final class Daemon: @unchecked Sendable {
    let connection: ClientConnection
    /// What the tests ask of the process (its pid, whether it runs).
    let process: ProcessView
    private let client = InMemoryClient()
    private let rawOutput = ByteBuffer()
    private let errorOutput = ByteBuffer()
    private let forwarding = Switch()

    /// Whether output is decoded for `request`/`receive` (true by default). A test reading thousands of
    /// responses itself from `stdoutBytes` turns it off: decoding every `JSONValue` in the test process
    /// is slow (each failed type guess throws, and swift-testing records a backtrace per throw).
    var forwardsOutput: Bool {
        get { forwarding.isOn }
        set { forwarding.isOn = newValue }
    }

    static var binary: URL {
        if let explicit = ProcessInfo.processInfo.environment["IMAGINAI_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        // The test runner sits in the build products directory, next to the executable.
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("imaginai")
    }

    /// `environment` is added to the test runner's; `unsetting` names variables the daemon must not see.
    /// `umask`, when given, is set (by /bin/sh) before the binary starts.
    init(arguments: [String] = [], database: String = ":memory:", environment: [String: String] = [:], unsetting: [String] = [],
         umask: String? = nil) throws {
        let arguments = arguments.isEmpty ? ["serve", "--db", database] : arguments
        var env = ProcessInfo.processInfo.environment
        // A llama.cpp or Ollama server the developer runs on its usual port must not show up in every
        // test's models/list: tests that look for local servers say where.
        if env["IMAGINAI_LOCAL_SERVERS"] == nil { env["IMAGINAI_LOCAL_SERVERS"] = "none" }
        env.merge(environment) { $1 }
        for name in unsetting { env[name] = nil }
        let (executable, argv) = umask.map { ("/bin/sh", ["-c", "umask \($0) && exec \"$0\" \"$@\"", Self.binary.path] + arguments) }
            ?? (Self.binary.path, arguments)
        connection = try ClientConnection(
            spawning: executable, arguments: argv, environment: env, errorOutput: .pipe, readerName: "e2e-daemon-stdout",
            onBytes: { [rawOutput] bytes in rawOutput.append(bytes) },
            onUnmatched: { [client, forwarding] body in if forwarding.isOn { client.receive(body: body) } },
            onEnd: { [rawOutput] in rawOutput.finish() })
        process = ProcessView(child: connection.child!)
        Self.drain(connection.child!.errorDescriptor, into: errorOutput)
    }

    /// Blocking reads on a thread of its own: end of file is then seen reliably.
    private static func drain(_ descriptor: Int32, into buffer: ByteBuffer) {
        let thread = Thread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, 65536) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                buffer.append(chunk[0..<count])
            }
            buffer.finish()
        }
        thread.start()
    }

    deinit {
        connection.child!.signal(SIGTERM)
    }

    var stderr: String { String(decoding: errorOutput.bytes, as: UTF8.self) }
    var stdoutBytes: [UInt8] { rawOutput.bytes }
    var stdoutByteCount: Int { rawOutput.count }
    func stdoutBytes(from offset: Int) -> [UInt8] { rawOutput.bytes(from: offset) }

    func sendRaw(_ bytes: [UInt8]) {
        connection.sendRaw(bytes)
    }

    func send(body: String) {
        sendRaw(Framing.frame(Array(body.utf8)))
    }

    func makeID() -> Int {
        Int(connection.takeID())
    }

    /// Sends a request and waits for its response (the whole response object).
    func request(_ method: String, _ params: JSONValue? = nil, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        let id = makeID()
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method)]
        if let params { message["params"] = params }
        send(body: String(decoding: try JSONCoding.encode(JSONValue.object(message)), as: UTF8.self))
        return try await response(to: .int(Int64(id)), timeout: timeout)
    }

    /// Sends a request and returns its result, failing the test on an error response.
    func call(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let response = try await request(method, params)
        guard let result = response["result"] else {
            throw DaemonError.unexpected("\(method) failed: \(response)")
        }
        return result
    }

    func notify(_ method: String, _ params: JSONValue? = nil) throws {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        send(body: String(decoding: try JSONCoding.encode(JSONValue.object(message)), as: UTF8.self))
    }

    func response(to id: JSONValue, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        try await receive(timeout: timeout) { $0["id"] == id && $0["method"] == nil }
    }

    func receive(timeout: Duration = .seconds(20), where predicate: @escaping @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
        try await withThrowingTaskGroup(of: JSONValue.self) { group in
            group.addTask { [client] in await client.receive(where: predicate) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw DaemonError.timeout
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    func initialize() async throws -> JSONValue {
        let result = try await call("initialize", ["clientInfo": ["name": "end-to-end tests"]])
        try notify("initialized")
        return result
    }

    func closeInput() {
        connection.closeInput()
    }

    /// Waits for the process to end and for all it wrote to be read, and returns its exit code.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !rawOutput.isFinished || !errorOutput.isFinished {
            if ContinuousClock.now > deadline { throw DaemonError.timeout }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    func kill() {
        connection.child!.signal(SIGKILL)
        connection.child!.waitForExit()
    }
}

/// The few things tests ask of the daemon's process, named as Foundation's `Process` names them.
struct ProcessView: Sendable {
    let child: ChildProcess
    var processIdentifier: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }
    /// The exit status (128 + signal when killed); only meaningful once `isRunning` is false.
    var terminationStatus: Int32 { child.exitStatus ?? -1 }
}

/// A flag shared with the pipe's reader thread.
final class Switch: Sendable {
    private let state = Mutex(true)
    var isOn: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// Bytes appended from a pipe's handler thread and read from the test.
final class ByteBuffer: Sendable {
    private let storage = Mutex<(bytes: [UInt8], finished: Bool)>(([], false))
    func append(_ data: Data) { storage.withLock { $0.bytes.append(contentsOf: data) } }
    func append(_ bytes: ArraySlice<UInt8>) { storage.withLock { $0.bytes.append(contentsOf: bytes) } }
    /// End of file was read: nothing more will arrive.
    func finish() { storage.withLock { $0.finished = true } }
    var bytes: [UInt8] { storage.withLock { $0.bytes } }
    var count: Int { storage.withLock { $0.bytes.count } }
    /// The bytes from `offset` on: what a test polling a long output has not read yet.
    func bytes(from offset: Int) -> [UInt8] { storage.withLock { Array($0.bytes[min(offset, $0.bytes.count)...]) } }
    var isFinished: Bool { storage.withLock { $0.finished } }
}

enum DaemonError: Error {
    case timeout
    case unexpected(String)
}

/// A fresh directory for one test's database files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("imaginai-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
