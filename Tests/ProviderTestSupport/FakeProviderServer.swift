import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on 127.0.0.1 that plays back scripted responses, so providers are tested
/// against their real wire formats without a network. Each connection is served on its own thread
/// and closed after one response, unless the server keeps connections alive (then the responses must
/// say where they end: a length or chunked encoding).
public final class FakeProviderServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: [UInt8]
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    public enum Step: Sendable {
        case send([UInt8])
        case pause(Duration)
        /// Keeps the connection open, sending nothing, until the client closes it.
        case hang
        /// Runs code at this point of the script (a benchmark notes the time of the next write).
        case run(@Sendable () -> Void)
    }

    public typealias Handler = @Sendable (Request) -> [Step]

    public let port: Int
    private let listener: Int32
    private let handler: Handler
    private let keepAlive: Bool
    private let log = Mutex<(requests: [Request], clientClosed: Int, accepted: Int)>(([], 0, 0))
    private let stopped = Atomic<Bool>(false)

    /// `keepAlive`: serve further requests on a connection after a response, until the client closes it.
    public init(keepAlive: Bool = false, handler: @escaping Handler) throws {
        self.handler = handler
        self.keepAlive = keepAlive
        // Close-on-exec: a daemon another test spawns meanwhile must not inherit the server's sockets (an
        // inherited connection outlives the server's close, and the client waits for its end in vain).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw ServerError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var requests: [Request] { log.withLock { $0.requests } }
    /// Connections the client closed while the server was still holding them open (`.hang`).
    public var connectionsClosedByClient: Int { log.withLock { $0.clientClosed } }
    /// Connections accepted so far.
    public var connectionsAccepted: Int { log.withLock { $0.accepted } }

    public func stop() {
        if stopped.exchange(true, ordering: .relaxed) { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            log.withLock { $0.accepted += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        repeat {
            guard let request = readRequest(fd) else { return }
            log.withLock { $0.requests.append(request) }
            guard respond(to: request, on: fd) else { return }
        } while keepAlive
    }

    /// Plays the script for one request; false when the connection is done with.
    private func respond(to request: Request, on fd: Int32) -> Bool {
        for step in handler(request) {
            switch step {
            case .send(let bytes):
                var offset = 0
                while offset < bytes.count {
                    let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { return false }
                    offset += sent
                }
            case .run(let work):
                work()
            case .pause(let duration):
                Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
            case .hang:
                var byte: UInt8 = 0
                while !stopped.load(ordering: .relaxed) {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&poller, 1, 50) > 0 {
                        if recv(fd, &byte, 1, 0) <= 0 {
                            log.withLock { $0.clientClosed += 1 }
                            return false
                        }
                    }
                }
                return false
            }
        }
        return true
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        func readMore() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count <= 0 { return false }
            buffer += chunk[0..<count]
            return true
        }
        var headerEnd: Int?
        while headerEnd == nil {
            if let range = buffer.firstRange(of: separator) { headerEnd = range.upperBound; break }
            if !readMore() { return nil }
        }
        let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count - headerEnd! < length {
            if !readMore() { return nil }
        }
        return Request(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
            body: Array(buffer[headerEnd!..<(headerEnd! + length)]))
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Building blocks for scripted responses.
public enum FakeResponse {
    /// A whole response with a length, e.g. an error.
    public static func complete(status: Int, headers: [String: String] = [:], body: String, contentType: String = "application/json") -> [FakeProviderServer.Step] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return [.send(Array((head + "\r\n" + body).utf8))]
    }

    /// The head of a streamed response whose body ends when the connection closes.
    public static func streamHead(contentType: String = "text/event-stream") -> FakeProviderServer.Step {
        .send(Array("HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n".utf8))
    }

    /// A stream in chunked encoding that leaves the connection open for the next request.
    public static func keepAliveStream(_ pieces: [String], contentType: String = "text/event-stream") -> [FakeProviderServer.Step] {
        var steps: [FakeProviderServer.Step] = [.send(Array("HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))]
        for piece in pieces {
            steps.append(.send(Array((String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n").utf8)))
        }
        steps.append(.send(Array("0\r\n\r\n".utf8)))
        return steps
    }

    /// A full stream: head, then each piece as it own write, `gap` apart.
    public static func stream(_ pieces: [String], gap: Duration = .zero, contentType: String = "text/event-stream") -> [FakeProviderServer.Step] {
        var steps: [FakeProviderServer.Step] = [streamHead(contentType: contentType)]
        for piece in pieces {
            if gap > .zero { steps.append(.pause(gap)) }
            steps.append(.send(Array(piece.utf8)))
        }
        return steps
    }

    /// `data: <json>\n\n` for each payload.
    public static func sse(_ payloads: [String], event: String? = nil) -> [String] {
        payloads.map { (event.map { "event: \($0)\n" } ?? "") + "data: \($0)\n\n" }
    }

    /// An OpenAI Chat Completions stream that says `pieces`, then finish_reason, a usage chunk and [DONE].
    public static func openAIStream(_ pieces: [String], finish: String = "stop", promptTokens: Int? = 42, completionTokens: Int = 7, reasoningTokens: Int? = nil) -> [String] {
        var events = pieces.map { #"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\#(quote($0))},"finish_reason":null}]}"# }
        events.append(#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"\#(finish)"}]}"#)
        if let promptTokens {
            let details = reasoningTokens.map { #","completion_tokens_details":{"reasoning_tokens":\#($0)}"# } ?? ""
            events.append(#"{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"total_tokens":\#(promptTokens + completionTokens)\#(details)}}"#)
        }
        return sse(events) + ["data: [DONE]\n\n"]
    }

    public static func quote(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
