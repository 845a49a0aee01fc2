import ImaginAIProtocol
import Foundation
import Synchronization

/// Where framed outgoing messages go. One `write` call carries one whole frame, so implementations only
/// need to make each call atomic for messages never to interleave.
public protocol MessageSink: Sendable {
    func write(_ frame: [UInt8])
    /// Between `hold` and `release` frames may be kept and written together at `release` (the reader
    /// holds while it handles input already buffered: pipelined answers then leave in a few large
    /// writes, not one wake-up of the client per answer).
    func hold()
    func release()
}

extension MessageSink {
    public func hold() {}
    public func release() {}
}

/// What a handler knows about the request it is answering, and how it talks back before its response.
public struct RequestContext: Sendable {
    public let id: RequestID
    public let method: String
    let connection: Connection
    let afterReply = AfterReply()

    /// Runs `work` once this request's response has been handed to the sink: follow-up work (a summary
    /// rewrite) that must never delay the answer. It runs whether the request succeeded or failed.
    public func afterResponse(_ work: @escaping @Sendable () -> Void) {
        afterReply.add(work)
    }

    /// Sends a notification now: anything a handler sends goes out before that handler's response.
    public func notify<Notification: NotificationType>(_ notification: Notification) {
        connection.send(notification)
    }

    /// The same for a notification that writes its own JSON (`story/chunk`, once per streamed piece).
    public func notify<Notification: NotificationType & JSONWritable>(_ notification: Notification) {
        connection.send(notification)
    }
}

/// What a request's handler asked to run after its response (see `RequestContext.afterResponse`).
final class AfterReply: Sendable {
    private let actions = Mutex<[@Sendable () -> Void]>([])

    func add(_ work: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(work) }
    }

    func run() {
        for work in actions.withLock({ actions in defer { actions.removeAll() }; return actions }) { work() }
    }
}

/// A JSON-RPC 2.0 endpoint with LSP lifecycle rules: it reads framed messages, runs each request in its
/// own task, and writes responses through one sink. It knows nothing of what the methods mean.
public final class Connection: Sendable {
    public typealias Handler = Dispatcher.Handler
    public typealias ErrorMapper = @Sendable (any Error) -> ResponseError?
    public typealias Logger = @Sendable (_ level: LogLevel, _ message: String) -> Void
    /// Runs its argument with the reads it makes on this thread sharing one snapshot (see
    /// `init(sink:configuration:errorMapper:log:sharingReads:)`).
    public typealias ReadScope = @Sendable (_ body: () -> Void) -> Void

    public enum LogLevel: Sendable { case debug, info, warning, error }

    public struct Configuration: Sendable {
        public var maxMessageBytes: Int
        /// The code for a body over `maxMessageBytes` or nested deeper than `maxNestingDepth` (the
        /// application may have its own "too large" code).
        public var oversizeErrorCode: ErrorCode
        /// Arrays and objects nested deeper than this are answered with `oversizeErrorCode` unparsed.
        public var maxNestingDepth: Int
        /// Requests running at once. When this many are unanswered the reader stops reading input until
        /// one is answered: back-pressure, not rejection, so a client that pipelines thousands of requests
        /// still gets every answer while the daemon holds at most this many (and the pipe's buffer).
        public var maxPendingRequests: Int
        public init(
            maxMessageBytes: Int = 16 << 20, oversizeErrorCode: ErrorCode = .invalidRequest,
            maxNestingDepth: Int = MessageDecoding.defaultMaxDepth, maxPendingRequests: Int = 128
        ) {
            self.maxMessageBytes = maxMessageBytes
            self.oversizeErrorCode = oversizeErrorCode
            self.maxNestingDepth = maxNestingDepth
            self.maxPendingRequests = maxPendingRequests
        }
    }

    /// The session decides (a pure value); the connection keeps the tasks and waiters it cannot hold.
    private struct State: Sendable {
        var session: Session
        var dispatcher = Dispatcher()
        /// Every request task by serial number, until it has fully finished: what shutdown and the end
        /// of input wait for.
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Readers waiting for room below `maxPendingRequests`; woken as tasks finish.
        var roomWaiters: [@Sendable () -> Void] = []
        /// Serials of tasks that ended before `track` registered them (so they are not registered).
        var endedUnregistered: Set<Int> = []
    }

    public let configuration: Configuration
    private let sink: any MessageSink
    private let state: Mutex<State>
    private let errorMapper: ErrorMapper
    private let log: Logger
    private let sharingReads: ReadScope?

    /// `sharingReads`: when the reader thread has several messages buffered that are requests for
    /// immediate methods, it answers a run of them inside one call of it, so an application whose
    /// immediate methods are reads can serve the run from one read transaction. A run ends before any
    /// other message (a write among the reads is never inside one), and before the reader waits, so a
    /// run holds only messages that had all arrived before the first of them was answered.
    public init(
        sink: any MessageSink,
        configuration: Configuration = Configuration(),
        errorMapper: @escaping ErrorMapper = { _ in nil },
        log: @escaping Logger = { _, _ in },
        sharingReads: ReadScope? = nil
    ) {
        self.sharingReads = sharingReads
        self.sink = sink
        self.configuration = configuration
        self.state = Mutex(State(session: Session(maxPendingRequests: configuration.maxPendingRequests)))
        self.errorMapper = errorMapper
        self.log = log
    }

    // MARK: Registration

    public func register(method: String, immediate: Bool = false, handler: @escaping Handler) {
        state.withLock { $0.dispatcher.register(method: method, immediate: immediate, handler: handler) }
    }

    /// Registers a typed handler: params are decoded into `Request` (absent or null params decode as
    /// `{}`), and a decoding failure becomes -32602 naming the offending field.
    public func register<Request: RequestType>(
        _ type: Request.Type, immediate: Bool = false,
        handler: @escaping @Sendable (Request, RequestContext) async throws -> Request.Response
    ) {
        state.withLock { $0.dispatcher.register(type, immediate: immediate, handler: handler) }
    }

    /// See `Dispatcher.registerFallback`.
    public func registerFallback(handler: @escaping Handler) {
        state.withLock { $0.dispatcher.registerFallback(handler: handler) }
    }

    public var registeredMethods: [String] {
        state.withLock { $0.dispatcher.methods }
    }

    // MARK: Output

    public func send<Notification: NotificationType>(_ notification: Notification) {
        do {
            let params = try JSONCoding.encodeBytes(notification)
            sink.write(Framing.frame(MessageEncoding.notification(method: Notification.method, params: params)))
        } catch {
            log(.error, "could not encode \(Notification.method) notification: \(error)")
        }
    }

    /// A notification that writes its own JSON is framed with one buffer for the body and one for the
    /// frame: no generic encoding, no type check at run time, no intermediate copies.
    public func send<Notification: NotificationType & JSONWritable>(_ notification: Notification) {
        var out = JSONOutput(capacity: 256)
        out.raw(#"{"jsonrpc":"2.0","method":"#)
        out.string(Notification.method)
        out.raw(#","params":"#)
        notification.writeJSON(to: &out)
        out.raw("}")
        sink.write(Framing.frame(out.bytes))
    }

    private func writeBody(_ body: [UInt8]) {
        sink.write(Framing.frame(body))
    }

    // MARK: Input

    /// Reads framed input until it ends or `exit` arrives, then waits for requests still running.
    /// Returns the exit code LSP prescribes: 0 after `shutdown`, 1 otherwise.
    public func run<Input: AsyncSequence & Sendable>(input: Input) async -> Int32 where Input.Element == [UInt8] {
        var parser = FrameParser(maxBodyBytes: configuration.maxMessageBytes)
        do {
            reading: for try await chunk in input {
                parser.append(chunk)
                while let event = parser.next() {
                    if case .message = event, let waiter = roomWaiter() {
                        await withCheckedContinuation { continuation in waiter { continuation.resume() } }
                    }
                    if !handleChecked(event) { break reading }
                }
            }
        } catch {
            log(.error, "input failed: \(error)")
        }
        return await finish(parser)
    }

    /// Like `run(input:)` for a file descriptor (stdin), but frames are read and dispatched on one
    /// dedicated thread: each request then costs a single hand-over to the task that answers it, not
    /// three (reader thread, stream consumer, task).
    public func run(readingFrom descriptor: Int32, chunkSize: Int = 64 << 10) async -> Int32 {
        // Touched only by the reader thread.
        nonisolated(unsafe) let holding = Box(false)
        let parser = await withCheckedContinuation { (continuation: CheckedContinuation<FrameParser, Never>) in
            FrameReader.start(
                descriptor: descriptor, name: "imaginai-reader", maxBodyBytes: configuration.maxMessageBytes,
                chunkSize: chunkSize,
                onInput: { [self] parser in
                    // A message that ended a run of shared reads: taken from the parser and decoded,
                    // not yet answered.
                    var taken: IncomingBody?
                    while true {
                        let body: IncomingBody
                        if let pending = taken {
                            body = pending
                            taken = nil
                        } else {
                            guard let event = parser.next() else { return true }
                            guard case .message(let bytes) = event else {
                                if !handleChecked(event, inline: true) { return false }
                                continue
                            }
                            body = MessageDecoding.decode(bytes, maxDepth: configuration.maxNestingDepth)
                        }
                        // The reader thread may block here until a pending request is answered; what it
                        // holds goes out first, or those answers could be the ones the client waits for.
                        if let waiter = roomWaiter() {
                            if holding.value { sink.release(); holding.value = false }
                            let room = DispatchSemaphore(value: 0)
                            waiter { room.signal() }
                            room.wait()
                        }
                        let more = parser.hasBufferedInput
                        if more && !holding.value { sink.hold(); holding.value = true }
                        guard more, let sharingReads, isImmediateRequest(body) else {
                            handle(body, inline: true)
                            if exitRequested { return false }
                            continue
                        }
                        // A run of buffered immediate requests, answered in one read transaction; it
                        // stops before anything else, and before it would have to wait for room.
                        sharingReads {
                            handle(body, inline: true)
                            while !exitRequested && parser.hasBufferedInput && hasRoom {
                                guard let next = parser.next() else { break }
                                guard case .message(let bytes) = next else {
                                    // A bad header or an oversized message: answered with an error, in order.
                                    handle(next, inline: true)
                                    break
                                }
                                let body = MessageDecoding.decode(bytes, maxDepth: configuration.maxNestingDepth)
                                guard isImmediateRequest(body) else {
                                    taken = body
                                    break
                                }
                                handle(body, inline: true)
                            }
                        }
                        if exitRequested { return false }
                    }
                },
                onDrained: { [self] in
                    // About to block in read: nothing may stay held while the client waits for it.
                    if holding.value { sink.release(); holding.value = false }
                },
                onEnd: { [self] parser in
                    if holding.value { sink.release() }
                    continuation.resume(returning: parser)
                })
        }
        return await finish(parser)
    }

    /// `inline`: an immediate handler may run on this thread now (the reader thread passes true).
    private func handleChecked(_ event: FrameParser.Event, inline: Bool = false) -> Bool {
        handle(event, inline: inline)
        return !exitRequested
    }

    private var exitRequested: Bool { state.withLock { $0.session.exitRequested } }

    private var hasRoom: Bool { state.withLock { $0.session.hasRoom } }

    /// A single request for a method registered `immediate` (a batch never is: it runs in tasks).
    private func isImmediateRequest(_ body: IncomingBody) -> Bool {
        guard case .single(.request(_, let method, _)) = body else { return false }
        return state.withLock { $0.dispatcher.entry(for: method)?.immediate ?? false }
    }

    /// Nil when another request may start now; otherwise a function that registers the wake-up to call
    /// once one has finished. Checked before each message is handled (a batch counts as one message, so
    /// one batch may go over the limit by its size: it is bounded by the message size instead).
    private func roomWaiter() -> ((@escaping @Sendable () -> Void) -> Void)? {
        guard !state.withLock({ $0.session.hasRoom }) else { return nil }
        return { [self] wake in
            let wakeNow = state.withLock { state -> Bool in
                if state.session.hasRoom { return true }
                state.roomWaiters.append(wake)
                return false
            }
            if wakeNow { wake() }
        }
    }

    private func finish(_ parser: FrameParser) async -> Int32 {
        if !parser.isIdle {
            log(.warning, "input ended inside a message; the partial message is dropped")
        }
        await waitForInFlight(except: nil)
        return state.withLock { $0.session.exitCode }
    }

    private func handle(_ event: FrameParser.Event, inline: Bool) {
        switch event {
        case .message(let body):
            handle(MessageDecoding.decode(body, maxDepth: configuration.maxNestingDepth), inline: inline)
        case .badHeader(let problem):
            log(.warning, "bad header: \(problem)")
            writeBody(MessageEncoding.errorResponse(id: .null, error: .invalidRequest("Invalid header: \(problem)")))
        case .oversized(let length, let limit):
            log(.warning, "skipped a \(length)-byte message (limit \(limit))")
            let error = ResponseError(
                code: configuration.oversizeErrorCode,
                message: "Message of \(length) bytes is over the limit of \(limit) bytes; it was skipped unread"
            )
            writeBody(MessageEncoding.errorResponse(id: .null, error: error))
        }
    }

    private func handle(_ decoded: IncomingBody, inline: Bool) {
            switch decoded {
            case .unreadable(let error):
                writeBody(MessageEncoding.errorResponse(id: .null, error: error))
            case .single(let message):
                if let outcome = accept(message) {
                    start(outcome, inline: inline) { [self] reply in if let reply { sink.write(reply.frame) } }
                }
            case .batch(let messages):
                handleBatch(messages)
            case .tooDeep(let limit):
                log(.warning, "skipped a message nested deeper than \(limit) levels")
                let error = ResponseError(
                    code: configuration.oversizeErrorCode,
                    message: "Message nests arrays and objects deeper than \(limit) levels; it was not parsed"
                )
                writeBody(MessageEncoding.errorResponse(id: .null, error: error))
            }
    }

    /// What to do with one message, decided in arrival order so lifecycle rules see messages in sequence.
    private enum Outcome {
        case respond(RequestID, ResponseError)
        case run(RequestID, Int, String, JSONValue?, Dispatcher.Entry)
        case shutdown(RequestID, Int)
    }

    private func accept(_ message: IncomingMessage) -> Outcome? {
        switch message {
        case .invalid(let id, let error):
            return .respond(id, error)
        case .notification(let method, let params):
            handleNotification(method, params)
            return nil
        case .request(let id, let method, let params):
            return state.withLock { state -> Outcome in
                let entry = state.dispatcher.entry(for: method)
                switch state.session.admit(id: id, method: method, isRegistered: entry != nil) {
                case .reject(let error): return .respond(id, error)
                case .shutdown(let serial): return .shutdown(id, serial)
                case .run(let serial): return .run(id, serial, method, params, entry!)
                }
            }
        }
    }

    private func handleNotification(_ method: String, _ params: JSONValue?) {
        switch method {
        case ExitMethod.exit:
            state.withLock { $0.session.exit() }
        case ExitMethod.cancelRequest:
            let decision = state.withLock { state -> (Session.Cancellation, Task<Void, Never>?) in
                let decision = state.session.cancel(params?["id"])
                if case .cancel(let serial) = decision { return (decision, state.tasks[serial]) }
                return (decision, nil)
            }
            switch decision {
            case (.cancel, let task): task?.cancel()
            case (.notRunning, _): log(.debug, "$/cancelRequest for \(describe(params?["id"] ?? .null)), which is not running: ignored")
            case (.missingID, _): log(.warning, "$/cancelRequest without an id ignored")
            }
        case "initialized":
            break
        default:
            log(.debug, "notification \(method) ignored")
        }
    }

    /// Runs an outcome; `deliver` receives the response (nil never happens for requests).
    private func start(_ outcome: Outcome, inline: Bool = false, deliver: @escaping @Sendable (Reply?) -> Void) {
        switch outcome {
        case .respond(let id, let error):
            deliver(.error(id, error))
        case .shutdown(let id, let serial):
            track(id, serial, deliver: deliver) { [self] in
                await waitForInFlight(except: serial)
                return .result(id, Array("null".utf8))
            }
        case .run(let id, let serial, let method, let params, let entry):
            let context = RequestContext(id: id, method: method, connection: self)
            let deliverThenFollowUp: @Sendable (Reply?) -> Void = { reply in
                deliver(reply)
                context.afterReply.run()
            }
            track(id, serial, immediate: inline && entry.immediate, deliver: deliverThenFollowUp) { [self] in
                await execute(entry.handler, params: params, context: context)
            }
        }
    }

    private func track(
        _ id: RequestID, _ serial: Int, immediate: Bool = false, deliver: @escaping @Sendable (Reply?) -> Void,
        _ work: @escaping @Sendable () async -> Reply
    ) {
        let body: @Sendable () async -> Void = { [self] in
            let reply = await work()
            state.withLock { $0.session.answered(id) }
            deliver(reply)
            let waiters = state.withLock { state -> [@Sendable () -> Void] in
                // A task may end before it is registered below (an immediate one usually does).
                if state.tasks.removeValue(forKey: serial) == nil { state.endedUnregistered.insert(serial) }
                guard state.session.finished(serial: serial) else { return [] }
                defer { state.roomWaiters.removeAll() }
                return state.roomWaiters
            }
            for wake in waiters { wake() }
        }
        // Created outside the lock: an immediate task runs its first part right here, and takes the lock.
        let task = immediate ? Task.immediate(operation: body) : Task(operation: body)
        state.withLock { locked in
            if locked.endedUnregistered.remove(serial) == nil { locked.tasks[serial] = task }
            if locked.session.shouldCancel(id) { task.cancel() }
        }
    }

    private func execute(_ handler: Handler, params: JSONValue?, context: RequestContext) async -> Reply {
        do {
            // No cancellation check before the handler: a handler decides what a cancel means for it
            // (a story method must still report and keep what it stored), and a cancel that arrives
            // before it starts reaches it as Task.isCancelled.
            return .result(context.id, try await handler(params, context))
        } catch {
            return .error(context.id, responseError(for: error, method: context.method))
        }
    }

    private func responseError(for error: any Error, method: String) -> ResponseError {
        if let error = error as? ResponseError { return error }
        if error is CancellationError {
            return ResponseError(code: .requestCancelled, message: "Request cancelled")
        }
        if let mapped = errorMapper(error) { return mapped }
        log(.error, "\(method) failed: \(error)")
        return .internalError("Internal error in \(method): \(error)")
    }

    private func handleBatch(_ messages: [IncomingMessage]) {
        let outcomes = messages.compactMap(accept)
        guard !outcomes.isEmpty else { return }
        let collector = BatchCollector(expected: outcomes.count) { [self] bodies in
            writeBody(MessageEncoding.batch(bodies))
        }
        for outcome in outcomes {
            start(outcome) { reply in collector.add(reply?.body) }
        }
    }

    private func waitForInFlight(except excluded: Int?) async {
        while true {
            let tasks = state.withLock { state in
                state.tasks.filter { $0.key != excluded }.map(\.value)
            }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }

    private func describe(_ id: RequestID) -> String { Session.describe(id) }
}

/// A response kept in parts: a single one is framed in one buffer (no copy of the result into a body
/// and of the body into a frame, which showed as memmove in the profile); a batch joins bodies.
private enum Reply: Sendable {
    case result(RequestID, [UInt8])
    case error(RequestID, ResponseError)

    var body: [UInt8] {
        switch self {
        case .result(let id, let result): return MessageEncoding.response(id: id, result: result)
        case .error(let id, let error): return MessageEncoding.errorResponse(id: id, error: error)
        }
    }

    var frame: [UInt8] {
        switch self {
        case .result(let id, let result): return MessageEncoding.responseFrame(id: id, result: result)
        case .error: return Framing.frame(body)
        }
    }
}

private final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}

enum ExitMethod {
    static let exit = "exit"
    static let cancelRequest = "$/cancelRequest"
}

/// Gathers a batch's responses and writes them as one array once the last arrives.
private final class BatchCollector: Sendable {
    private struct Progress { var bodies: [[UInt8]] = []; var arrived = 0 }
    private let progress = Mutex(Progress())
    private let expected: Int
    private let finish: @Sendable ([[UInt8]]) -> Void

    init(expected: Int, finish: @escaping @Sendable ([[UInt8]]) -> Void) {
        self.expected = expected
        self.finish = finish
    }

    func add(_ body: [UInt8]?) {
        let complete: [[UInt8]]? = progress.withLock { progress in
            if let body { progress.bodies.append(body) }
            progress.arrived += 1
            return progress.arrived == expected ? progress.bodies : nil
        }
        if let complete { finish(complete) }
    }
}
