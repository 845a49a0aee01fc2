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
/// The pipes, framing and request matching are the shared `ClientConnection`; this adds what `play`
/// needs on top: each request's `story/chunk` notifications routed to it, and the LSP goodbye.
final class DaemonClient: Sendable {
    let processID: pid_t
    private let connection: ClientConnection
    private let chunkHandlers: ChunkHandlers

    /// Each running request's `story/chunk` handler, by request id (read on the reader thread).
    private final class ChunkHandlers: Sendable {
        let byID = Mutex<[Int64: @Sendable (StoryChunkNotification) -> Void]>([:])
    }

    init(executable: String, arguments: [String]) throws {
        let chunkHandlers = ChunkHandlers()
        self.chunkHandlers = chunkHandlers
        do {
            // A process group of its own: Ctrl-C at the terminal reaches the whole foreground group, and
            // it must stop a generation (through $/cancelRequest), not kill the daemon holding the story.
            connection = try ClientConnection(
                spawning: executable, arguments: arguments, ownProcessGroup: true, readerName: "play-daemon",
                defaultSignals: [SIGINT, SIGPIPE],
                onNotification: { method, params in
                    guard method == StoryChunkNotification.method,
                          let chunk = try? ParamsDecoding.decodeValue(StoryChunkNotification.self, from: params ?? .null),
                          let id = chunk.requestId.intValue,
                          let handler = chunkHandlers.byID.withLock({ $0[id] })
                    else { return }
                    handler(chunk)
                })
        } catch {
            throw CommandLineError("cannot start the daemon \(executable): \(error)")
        }
        processID = connection.child!.pid
    }

    /// Our own executable, so `play` always talks to a daemon of exactly its own version.
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        if let path = Bundle.main.executablePath { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }

    func makeID() -> Int64 { connection.takeID() }

    /// Sends a request and waits for its answer; an error response is thrown as its `ResponseError`.
    /// `onChunk` sees the request's `story/chunk` notifications on the reader thread, as they arrive.
    func call<Request: RequestType>(
        _ request: Request, id: Int64? = nil, onChunk: (@Sendable (StoryChunkNotification) -> Void)? = nil
    ) async throws -> Request.Response {
        let id = id ?? makeID()
        if let onChunk { chunkHandlers.byID.withLock { $0[id] = onChunk } }
        defer { _ = chunkHandlers.byID.withLock { $0.removeValue(forKey: id) } }
        do {
            return try await connection.send(request, id: id)
        } catch let closed as ClientConnection.Closed {
            throw DaemonGone(description: "the daemon stopped before answering (\(closed))")
        }
    }

    func notify<Notification: NotificationType>(_ notification: Notification) {
        try? connection.notify(notification)
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
        connection.sendRaw(Framing.frame(ClientConnection.requestBody(id: makeID(), method: ShutdownRequest.method, params: nil)))
        notify(ExitNotification())
        return finish()
    }

    /// Closes the daemon's stdin and waits for it to end; returns its exit status.
    private func finish() -> Int32 {
        connection.closeInput()
        return connection.child!.waitForExit()
    }
}
