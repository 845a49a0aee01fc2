import Foundation
import ImaginAIProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The client's end of a JSON-RPC connection over two descriptors (usually a child's pipes): typed
/// requests with `send`, notifications both ways, and raw bytes for tests that need malformed input.
///
/// A reader thread splits incoming frames. A response to a request made with `send` or `request`
/// resumes that call; a notification goes to `onNotification` when one is given; every other frame (a
/// response to something sent raw, an unreadable body) goes to `onUnmatched` as raw bytes. Without a
/// notification handler and while no call is waiting, frames are handed over unparsed, so a caller
/// that reads its own frames (the bench counting ten thousand responses) pays nothing for the routing.
public final class ClientConnection: Sendable {
    /// The server closed its output before answering (it ended, or crashed).
    public struct Closed: Error, CustomStringConvertible {
        public var description: String
    }

    /// The answer could not be read as the response type.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    public typealias NotificationHandler = @Sendable (_ method: String, _ params: JSONValue?) -> Void
    public typealias FrameHandler = @Sendable (_ body: [UInt8]) -> Void

    private struct State {
        var nextID: Int64 = 0
        var pending: [Int64: CheckedContinuation<JSONValue, any Error>] = [:]
        var closed: String?
    }

    /// The child at the other end, when this connection started one.
    public let child: ChildProcess?
    private let writeDescriptor: Int32
    private let sink: FileDescriptorSink
    private let state = Mutex(State())
    private let onNotification: NotificationHandler?
    private let onUnmatched: FrameHandler
    private let onEnd: @Sendable () -> Void

    /// Talks to a server reading `writeDescriptor` and writing `readDescriptor`. Handlers run on the
    /// reader thread, in arrival order; `onBytes` sees every chunk read, before it is framed (for tests
    /// that check the wire byte for byte); `onEnd` runs last, once the server's output has ended.
    public init(
        reading readDescriptor: Int32, writing writeDescriptor: Int32, child: ChildProcess? = nil,
        maxBodyBytes: Int = 256 << 20, readerName: String = "jsonrpc-client",
        onBytes: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil,
        onNotification: NotificationHandler? = nil,
        onUnmatched: @escaping FrameHandler = { _ in },
        onEnd: @escaping @Sendable () -> Void = {}
    ) {
        self.child = child
        self.writeDescriptor = writeDescriptor
        sink = FileDescriptorSink(descriptor: writeDescriptor)
        self.onNotification = onNotification
        self.onUnmatched = onUnmatched
        self.onEnd = onEnd
        FrameReader.start(
            descriptor: readDescriptor, name: readerName, maxBodyBytes: maxBodyBytes, chunkSize: 256 << 10,
            onBytes: onBytes,
            onEvent: { [self] event, _ in
                if case .message(let body) = event { route(body) }
                return true
            },
            onEnd: { [self] _ in end("the server closed its output") })
    }

    /// Starts `executable` and connects to its stdin and stdout.
    public convenience init(
        spawning executable: String, arguments: [String], environment: [String: String]? = nil,
        errorOutput: ChildProcess.ErrorOutput = .inherit, ownProcessGroup: Bool = false,
        readerName: String = "jsonrpc-client", defaultSignals: [Int32] = [SIGPIPE],
        onBytes: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil,
        onNotification: NotificationHandler? = nil,
        onUnmatched: @escaping FrameHandler = { _ in },
        onEnd: @escaping @Sendable () -> Void = {}
    ) throws {
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, errorOutput: errorOutput,
            ownProcessGroup: ownProcessGroup, defaultSignals: defaultSignals)
        self.init(
            reading: child.outputDescriptor, writing: child.inputDescriptor, child: child, readerName: readerName,
            onBytes: onBytes, onNotification: onNotification, onUnmatched: onUnmatched, onEnd: onEnd)
    }

    // MARK: Requests

    /// Sends a typed request and waits for its typed response. An error response is thrown as its
    /// `ResponseError`; `Closed` when the server ends first. `id` (from `takeID`) lets a caller name the
    /// request before it is answered, to cancel it.
    public func send<Request: RequestType>(_ request: Request, id: Int64? = nil) async throws -> Request.Response {
        let params = try JSONCoding.encodeBytes(request)
        let message = try await call(method: Request.method, params: params, id: id)
        if let error = Self.responseError(in: message) { throw error }
        do {
            return try ParamsDecoding.decodeValue(Request.Response.self, from: message["result"] ?? .null)
        } catch {
            throw Unreadable(description: "\(Request.method): unreadable result: \(error)")
        }
    }

    /// Sends a request with untyped params and returns the whole response message (result or error).
    public func request(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        try await call(method: method, params: params.map(MessageEncoding.encodeValue))
    }

    /// Takes the next request id; `send` and `request` use the same sequence, so ids given to raw
    /// requests never collide with theirs.
    public func takeID() -> Int64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    private func call(method: String, params: [UInt8]?, id: Int64? = nil) async throws -> JSONValue {
        let id = id ?? takeID()
        let frame = Framing.frame(Self.requestBody(id: id, method: method, params: params))
        return try await withCheckedThrowingContinuation { continuation in
            let closed: String? = state.withLock { state in
                if let closed = state.closed { return closed }
                state.pending[id] = continuation
                return nil
            }
            if let closed {
                continuation.resume(throwing: Closed(description: closed))
                return
            }
            sink.write(frame)
        }
    }

    // MARK: Notifications and raw bytes

    public func notify<Notification: NotificationType>(_ notification: Notification) throws {
        sendRaw(Framing.frame(MessageEncoding.notification(method: Notification.method, params: try JSONCoding.encodeBytes(notification))))
    }

    public func notify(_ method: String, _ params: JSONValue? = nil) {
        var body = Array(#"{"jsonrpc":"2.0","method":"#.utf8)
        body += MessageEncoding.encodeValue(.string(method))
        if let params {
            body += Array(#","params":"#.utf8)
            body += MessageEncoding.encodeValue(params)
        }
        body.append(UInt8(ascii: "}"))
        sendRaw(Framing.frame(body))
    }

    /// Writes bytes exactly as given (one whole write, never interleaved with another frame). After
    /// `closeInput` nothing is written.
    public func sendRaw(_ bytes: [UInt8]) {
        sink.write(bytes)
    }

    /// Ends the server's input (LSP: after `exit`, or to see how it takes end of file).
    public func closeInput() {
        sink.close { [child, writeDescriptor] in
            if let child {
                child.closeInput()
            } else {
                #if canImport(Glibc)
                _ = Glibc.close(writeDescriptor)
                #else
                _ = Darwin.close(writeDescriptor)
                #endif
            }
        }
    }

    /// A request body built by splicing (no encoder): `{"id":N,"jsonrpc":"2.0","method":…,"params":…}`.
    public static func requestBody(id: Int64, method: String, params: [UInt8]?) -> [UInt8] {
        var body = Array(#"{"id":\#(id),"jsonrpc":"2.0","method":"#.utf8)
        body += MessageEncoding.encodeValue(.string(method))
        if let params {
            body += Array(#","params":"#.utf8)
            body += params
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    // MARK: Incoming

    private func route(_ body: [UInt8]) {
        // Nothing waiting and no one to notify: the frame is someone else's, untouched.
        guard onNotification != nil || !state.withLock({ $0.pending.isEmpty }) else {
            onUnmatched(body)
            return
        }
        guard let message = MessageDecoding.parse(body) else {
            onUnmatched(body)
            return
        }
        if message["method"] == nil, case .int(let id)? = message["id"],
           let waiter = state.withLock({ $0.pending.removeValue(forKey: id) })
        {
            waiter.resume(returning: message)
            return
        }
        if let onNotification, case .string(let method)? = message["method"], message["id"] == nil {
            onNotification(method, message["params"])
            return
        }
        onUnmatched(body)
    }

    private func end(_ why: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            state.closed = why
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for waiter in waiting { waiter.resume(throwing: Closed(description: why)) }
        onEnd()
    }

    static func responseError(in message: JSONValue) -> ResponseError? {
        guard let error = message["error"] else { return nil }
        let code = error["code"]?.intValue.map { ErrorCode(Int($0)) } ?? .internalError
        return ResponseError(code: code, message: error["message"]?.stringValue ?? "\(error)", data: error["data"])
    }
}
