import ImaginAIProtocol
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes frames to a file descriptor (stdout for the daemon) in the order `write` is called, never
/// interleaving two frames. Nothing else in the process may write to that descriptor.
///
/// Writers combine rather than queue on a lock: the first caller becomes the writer and drains
/// everything others append while its `write(2)` runs, in as few system calls as possible. Profiling
/// pipelined requests showed answer tasks spinning on a per-frame write lock (9% of the daemon's CPU)
/// behind a full pipe; now they append and return, and a burst of answers leaves in one call. Appending
/// waits while `maxQueuedBytes` are already queued, so a client that stops reading still holds the
/// daemon back (with the pending-request limit) instead of letting the queue grow.
public final class FileDescriptorSink: MessageSink, @unchecked Sendable {
    private let descriptor: Int32
    private let maxQueuedBytes: Int
    // Guards everything below. A pthread mutex: it sleeps rather than spins while contended.
    private let condition = NSCondition()
    private var queued: [UInt8] = []
    private var spare: [UInt8] = []
    private var writing = false
    private var closed = false
    private var held = false

    public init(descriptor: Int32 = 1, maxQueuedBytes: Int = 1 << 20) {
        self.descriptor = descriptor
        self.maxQueuedBytes = maxQueuedBytes
        // A client that goes away must not kill us with SIGPIPE; the write fails with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        Self.growPipeBuffer(descriptor)
    }

    /// On Linux a pipe holds 64 KiB, six `scenario/get` answers: past that every write waits for the
    /// reader to wake and drain it. 1 MiB (the unprivileged maximum) lets a burst of answers leave in
    /// one go. Not a pipe, or not allowed: nothing changes.
    public static func growPipeBuffer(_ descriptor: Int32) {
        #if os(Linux)
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, a macro Swift does not import
        _ = fcntl(descriptor, setPipeSize, 1 << 20)
        #endif
    }

    public func write(_ frame: [UInt8]) {
        condition.lock()
        while writing && queued.count >= maxQueuedBytes { condition.wait() }
        if closed {
            condition.unlock()
            return
        }
        if writing || (held && queued.count + frame.count < maxQueuedBytes) {
            queued.append(contentsOf: frame)
            condition.unlock()
            return
        }
        writing = true
        if queued.isEmpty {
            // Nothing queued: this frame goes out as it is, without a copy.
            condition.unlock()
            writeAll(descriptor, frame)
            condition.lock()
        } else {
            queued.append(contentsOf: frame)
        }
        drain()
    }

    public func hold() {
        condition.lock()
        held = true
        condition.unlock()
    }

    public func release() {
        condition.lock()
        held = false
        if !writing && !queued.isEmpty && !closed {
            writing = true
            drain()
        } else {
            condition.unlock()
        }
    }

    /// Called as the writer with the lock held; writes until the queue is empty, then unlocks.
    private func drain() {
        // The writer leaves only once the queue is empty, so every frame appended is written by the time
        // the call that found no writer returns (what the end of input and shutdown rely on).
        while !queued.isEmpty {
            var batch = queued
            queued = spare
            condition.unlock()
            writeAll(descriptor, batch)
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            spare = batch
            condition.broadcast()
        }
        writing = false
        condition.broadcast()
        condition.unlock()
    }

    /// Closes the descriptor once the frames already written are out (by calling `close`, which owns
    /// it); later writes are dropped. The descriptor number cannot then be reused under a late write.
    public func close(using close: () -> Void) {
        condition.lock()
        while writing { condition.wait() }
        if !closed {
            closed = true
            close()
        }
        condition.unlock()
    }
}

/// Writes all of `bytes` to a descriptor, retrying short and interrupted writes; gives up silently on
/// any other error (a reader that went away), as the callers have no one left to tell.
public func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            #if canImport(Glibc)
            let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            #else
            let written = Darwin.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            #endif
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            offset += written
        }
    }
}

/// An in-process client for a `Connection`: what rust-analyzer calls `Connection::memory()`. Tests drive
/// a real server through it with no process and no pipe.
public final class InMemoryClient: MessageSink {
    private struct Inbox {
        var parser = FrameParser(maxBodyBytes: .max)
        var received: [JSONValue] = []
        var waiters: [(ticket: Int, predicate: @Sendable (JSONValue) -> Bool, continuation: CheckedContinuation<JSONValue, Never>)] = []
        var tickets = 0
    }

    public let input: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let inbox = Mutex(Inbox())

    public init() {
        (input, continuation) = AsyncStream.makeStream(of: [UInt8].self)
    }

    /// Sends raw bytes to the server, exactly as given.
    public func sendRaw(_ bytes: [UInt8]) {
        continuation.yield(bytes)
    }

    /// Frames and sends a JSON body.
    public func send(_ body: String) {
        sendRaw(Framing.frame(Array(body.utf8)))
    }

    public func closeInput() {
        continuation.finish()
    }

    /// The server's side: every frame it writes lands here.
    public func write(_ frame: [UInt8]) {
        let ready: [(CheckedContinuation<JSONValue, Never>, JSONValue)] = inbox.withLock { inbox in
            inbox.parser.append(frame)
            var ready: [(CheckedContinuation<JSONValue, Never>, JSONValue)] = []
            while case .message(let body)? = inbox.parser.next() {
                if let delivery = Self.deliver(body, to: &inbox) { ready.append(delivery) }
            }
            return ready
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// A body already framed (by a `ClientConnection` reading a real pipe): queued like a written frame.
    public func receive(body: [UInt8]) {
        let ready = inbox.withLock { inbox in Self.deliver(body, to: &inbox) }
        if let (continuation, value) = ready { continuation.resume(returning: value) }
    }

    private static func deliver(_ body: [UInt8], to inbox: inout Inbox) -> (CheckedContinuation<JSONValue, Never>, JSONValue)? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else { return nil }
        if let waiter = inbox.waiters.firstIndex(where: { $0.predicate(value) }) {
            return (inbox.waiters.remove(at: waiter).continuation, value)
        }
        inbox.received.append(value)
        return nil
    }

    /// Waits for the first message (already received or still to come) that satisfies `predicate`, and
    /// takes it out of the inbox. Cancelled, it stops waiting and returns null: a caller's timeout can
    /// then end the wait for a message that never comes.
    public func receive(where predicate: @escaping @Sendable (JSONValue) -> Bool) async -> JSONValue {
        let ticket = inbox.withLock { inbox in
            inbox.tickets += 1
            return inbox.tickets
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let found: JSONValue? = inbox.withLock { inbox in
                    if let index = inbox.received.firstIndex(where: predicate) {
                        return inbox.received.remove(at: index)
                    }
                    // Cancelled before the waiter is listed: the cancellation handler has found nothing
                    // to resume (it runs under the same lock, after the flag is set).
                    if Task.isCancelled { return .null }
                    inbox.waiters.append((ticket, predicate, continuation))
                    return nil
                }
                if let found { continuation.resume(returning: found) }
            }
        } onCancel: {
            let waiter = inbox.withLock { inbox in
                inbox.waiters.firstIndex { $0.ticket == ticket }.map { inbox.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(returning: .null)
        }
    }

    /// Waits for the response to request `id`.
    public func response(to id: JSONValue) async -> JSONValue {
        await receive { $0["id"] == id && $0["method"] == nil }
    }

    /// Everything received and not yet taken, in arrival order.
    public func drain() -> [JSONValue] {
        inbox.withLock { inbox in
            defer { inbox.received.removeAll() }
            return inbox.received
        }
    }
}
