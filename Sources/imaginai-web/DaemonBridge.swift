import Foundation
import JSONRPC
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One `imaginai serve` child for one WebSocket: text in, LSP frames out, and back.
final class DaemonBridge: Sendable {
    let child: ChildProcess
    /// The daemon's message bodies as text, in the order it wrote them; finishes when its stdout ends.
    let messages: AsyncStream<String>
    // Writes to the child's stdin wait while its pipe is full; on this serial queue they never hold a
    // thread of Swift's small cooperative pool, and they stay in order.
    private let writes: DispatchQueue
    private let logger: Logger
    private let exit: ExitWatch

    init(servePath: String, databasePath: String, maxMessageBytes: Int, logger: Logger) throws {
        // Its stderr is ours: the daemon's log lines land in imaginai-web's log. Its own process group
        // keeps a Ctrl-C in the terminal for imaginai-web, which then ends each child in order.
        child = try ChildProcess(
            executable: servePath,
            arguments: ["serve", "--db", databasePath, "--max-message-bytes", String(maxMessageBytes)],
            errorOutput: .inherit, ownProcessGroup: true)
        writes = DispatchQueue(label: "imaginai-web.daemon-\(child.pid).stdin")
        self.logger = logger
        exit = ExitWatch(child)
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        messages = stream
        let pid = child.pid
        FrameReader.start(
            descriptor: child.outputDescriptor, name: "imaginai-web.daemon-\(pid).stdout",
            // The daemon never writes more than the client may send it, plus room for its own framing of
            // long stories; a bad frame from it is logged, not passed on as if it were a message.
            maxBodyBytes: max(maxMessageBytes, 64 << 20),
            onEvent: { event, _ in
                switch event {
                case .message(let body): continuation.yield(String(decoding: body, as: UTF8.self))
                case .badHeader(let problem): logger.error("daemon \(pid) wrote a bad frame header: \(problem)")
                case .oversized(let length, let limit): logger.error("daemon \(pid) wrote a \(length)-byte message, over \(limit); skipped")
                }
                return true
            },
            onEnd: { _ in continuation.finish() })
    }

    var pid: Int32 { child.pid }

    func send(_ text: String) {
        let frame = Framing.frame(Array(text.utf8))
        let child = child
        writes.async {
            guard child.isInputOpen else { return }
            writeAll(child.inputDescriptor, frame)
        }
    }

    /// Asks the daemon to finish (`shutdown` then `exit`, as an editor would), closes its stdin, and
    /// terminates it if it has not ended within a second; returns its exit status.
    @discardableResult
    func stop() async -> Int32 {
        send(#"{"jsonrpc":"2.0","id":"imaginai-web-shutdown","method":"shutdown"}"#)
        send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        let child = child
        writes.async { child.closeInput() }
        if let status = await exitStatus(within: .seconds(1)) { return status }
        logger.warning("daemon \(child.pid) did not exit within a second of shutdown; sending SIGTERM")
        kill(child.pid, SIGTERM)
        if let status = await exitStatus(within: .seconds(1)) { return status }
        logger.warning("daemon \(child.pid) ignored SIGTERM; sending SIGKILL")
        kill(child.pid, SIGKILL)
        return await exitStatus(within: nil) ?? -1
    }

    /// The status once the child has ended; nil if `limit` passes first (nil limit: wait as long as it takes).
    func exitStatus(within limit: Duration?) async -> Int32? {
        await exit.wait(within: limit)
    }
}

/// The child's end, told to any number of waiters, each with its own time limit. One thread per
/// child blocks in waitpid from the start: ChildProcess holds its lock while waiting, so nothing else
/// may ask it anything (not even whether it runs) until it has ended; signals go by pid instead.
final class ExitWatch: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [UInt64: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }
    private let state = Mutex(State())

    init(_ child: ChildProcess) {
        Thread.detachNewThread { [self] in
            let status = child.waitForExit()
            let waiters = state.withLock { state in
                state.status = status
                defer { state.waiters = [:] }
                return state.waiters.values
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }

    var status: Int32? { state.withLock { $0.status } }

    func wait(within limit: Duration?) async -> Int32? {
        await withCheckedContinuation { continuation in
            let registered: UInt64? = state.withLock { state in
                if state.status != nil { return nil }
                let key = state.nextWaiter
                state.nextWaiter += 1
                state.waiters[key] = continuation
                return key
            }
            guard let key = registered else {
                continuation.resume(returning: status)
                return
            }
            guard let limit else { return }
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                let timedOut = state.withLock { $0.waiters.removeValue(forKey: key) }
                timedOut?.resume(returning: nil)
            }
        }
    }
}
