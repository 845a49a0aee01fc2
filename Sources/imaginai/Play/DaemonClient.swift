import Foundation
import ImaginAIProtocol
import JSONRPC
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon went away (crashed, or closed its stdout) before answering.
struct DaemonGone: Error, CustomStringConvertible {
    var description: String
}

/// A client of `imaginai serve` running as a child process: the only way `play` touches the story is
/// through the protocol on these two pipes, so `play` proves the protocol suffices for a real front end.
final class DaemonClient: Sendable {
    private struct State {
        var nextID: Int64 = 0
        var pending: [Int64: CheckedContinuation<JSONValue, any Error>] = [:]
        var chunkHandlers: [Int64: @Sendable (StoryChunkNotification) -> Void] = [:]
        var gone: String?
    }

    let processID: pid_t
    private let toChild: Int32
    private let fromChild: Int32
    private let state = Mutex(State())
    /// One whole frame per write, so a cancellation sent from the interrupt thread never splits a request.
    private let writer = Mutex(false)

    init(executable: String, arguments: [String]) throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else {
            throw CommandLineError("cannot create pipes for the daemon: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec keeps our ends (and the interrupt pipe) out of the child; dup2 clears the flag
        // on the copies that become the child's stdin and stdout.
        for descriptor in input + output { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        // A process group of its own: Ctrl-C at the terminal reaches the whole foreground group, and it
        // must stop a generation (through $/cancelRequest), not kill the daemon holding the story.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0])
        close(output[1])
        guard status == 0 else {
            close(input[1])
            close(output[0])
            throw CommandLineError("cannot start the daemon \(executable): \(String(cString: strerror(status)))")
        }
        processID = pid
        toChild = input[1]
        fromChild = output[0]
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    /// Our own executable, so `play` always talks to a daemon of exactly its own version.
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        if let path = Bundle.main.executablePath { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }

    func makeID() -> Int64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    /// Sends a request and waits for its answer; an error response is thrown as its `ResponseError`.
    /// `onChunk` sees the request's `story/chunk` notifications on the reader thread, as they arrive.
    func call<Request: RequestType>(
        _ request: Request, id: Int64? = nil, onChunk: (@Sendable (StoryChunkNotification) -> Void)? = nil
    ) async throws -> Request.Response {
        let id = id ?? makeID()
        let message = JSONValue.object([
            "jsonrpc": "2.0", "id": .int(id), "method": .string(Request.method), "params": try Self.value(of: request),
        ])
        let frame = Framing.frame(Array(try JSONCoding.encode(message)))
        let response: JSONValue = try await withCheckedThrowingContinuation { continuation in
            let gone = state.withLock { state -> String? in
                if let gone = state.gone { return gone }
                state.pending[id] = continuation
                if let onChunk { state.chunkHandlers[id] = onChunk }
                return nil
            }
            if let gone {
                continuation.resume(throwing: DaemonGone(description: gone))
                return
            }
            write(frame)
        }
        _ = state.withLock { $0.chunkHandlers.removeValue(forKey: id) }
        if let error = response["error"] {
            throw try Self.decode(ResponseError.self, from: error)
        }
        return try Self.decode(Request.Response.self, from: response["result"] ?? .null)
    }

    func notify<Notification: NotificationType>(_ notification: Notification) {
        guard let params = try? JSONCoding.encode(notification) else { return }
        write(Framing.frame(MessageEncoding.notification(method: Notification.method, params: Array(params))))
    }

    /// The polite end: `shutdown` lets the daemon commit what is in flight, `exit` ends it with status 0.
    func shutdown() async -> Int32 {
        _ = try? await call(ShutdownRequest())
        notify(ExitNotification())
        return finish()
    }

    /// For leaving from a signal: the same two messages without waiting for the answer in between
    /// (the daemon answers `shutdown` only after in-flight work is committed, and handles `exit` after it).
    func shutdownWithoutWaiting() -> Int32 {
        if let body = try? JSONCoding.encode(JSONValue.object(["jsonrpc": "2.0", "id": .int(makeID()), "method": .string(ShutdownRequest.method)])) {
            write(Framing.frame(Array(body)))
        }
        notify(ExitNotification())
        return finish()
    }

    /// Closes the daemon's stdin and waits for it to end; returns its exit status.
    private func finish() -> Int32 {
        writer.withLock { closed in
            if !closed { close(toChild) }
            closed = true
        }
        var status: Int32 = 0
        while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private func write(_ frame: [UInt8]) {
        writer.withLock { closed in
            guard !closed else { return }
            // A failed write means the daemon is gone; the reader then sees end of file and fails what is pending.
            writeAll(toChild, frame)
        }
    }

    private func readLoop() {
        var parser = FrameParser(maxBodyBytes: .max)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fromChild, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            parser.append(chunk[0..<count])
            while let event = parser.next() {
                if case .message(let body) = event { handle(body) }
            }
        }
        close(fromChild)
        let waiting = state.withLock { state in
            state.gone = "the daemon stopped (its output ended)"
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for continuation in waiting {
            continuation.resume(throwing: DaemonGone(description: "the daemon stopped before answering"))
        }
    }

    private func handle(_ body: [UInt8]) {
        guard let message = try? JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body)) else { return }
        if let method = message["method"]?.stringValue {
            guard method == StoryChunkNotification.method,
                  let chunk = try? Self.decode(StoryChunkNotification.self, from: message["params"] ?? .null),
                  let id = chunk.requestId.intValue,
                  let handler = state.withLock({ $0.chunkHandlers[id] })
            else { return }
            handler(chunk)
            return
        }
        guard let id = message["id"]?.intValue,
              let continuation = state.withLock({ $0.pending.removeValue(forKey: id) })
        else { return }
        continuation.resume(returning: message)
    }

    static func value<T: Encodable>(of value: T) throws -> JSONValue {
        try JSONCoding.makeDecoder().decode(JSONValue.self, from: JSONCoding.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONCoding.makeDecoder().decode(T.self, from: JSONCoding.encode(value))
    }
}
