import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `imaginai web --port 0 --no-open` (or imaginai-web itself) as a child, with the address it printed.
final class WebServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let token: String
    let log = LogCapture()

    static var productsFolder: URL {
        if let explicit = ProcessInfo.processInfo.environment["IMAGINAI_BIN"] {
            return URL(fileURLWithPath: explicit).deletingLastPathComponent()
        }
        // The test runner sits in the build products folder, next to both executables.
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// `direct` runs imaginai-web itself (for options `imaginai web` does not take).
    init(database: String, direct extraArguments: [String]? = nil) throws {
        if let extraArguments {
            process.executableURL = Self.productsFolder.appendingPathComponent("imaginai-web")
            process.arguments = ["--db", database, "--port", "0"] + extraArguments
        } else {
            process.executableURL = Self.productsFolder.appendingPathComponent("imaginai")
            process.arguments = ["web", "--db", database, "--port", "0", "--no-open"]
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let log = log
        errors.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        // The one stdout line; reading it is the wait for the server to listen.
        var line: [UInt8] = []
        while true {
            var byte: UInt8 = 0
            let count = read(output.fileHandleForReading.fileDescriptor, &byte, 1)
            if count <= 0 {
                throw WebTestError("imaginai web ended before printing its address; its log:\n\(log.text)")
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        let pattern = /^ImaginAI web: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})$/
        guard let match = text.wholeMatch(of: pattern), let port = Int(match.1), port > 0 else {
            throw WebTestError("unexpected address line: \(text)")
        }
        self.port = port
        token = String(match.2)
        addressLine = text
    }

    let addressLine: String

    var pid: Int32 { process.processIdentifier }

    /// The pids of the server's living children (the daemons), from /proc.
    func childPIDs() -> Set<Int32> {
        var children: Set<Int32> = []
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
            // Fields after the command name (which may hold spaces) start after the last ')'.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, fields[0] != "Z", Int32(fields[1]) == self.pid { children.insert(pid) }
        }
        return children
    }

    func stop() {
        if process.isRunning {
            process.interrupt()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

final class LogCapture: Sendable {
    private let storage = Mutex(Data())
    func append(_ data: Data) { storage.withLock { $0.append(data) } }
    var text: String { storage.withLock { String(decoding: $0, as: UTF8.self) } }
}

struct WebTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits for `condition` to hold, checking every 10 ms, up to `timeout`: for things that have no event
/// to wait on (another process ending).
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A blocking TCP connection to 127.0.0.1 with a receive timeout, written by hand so that tests can
/// send any header (a hostile Host or Origin) and see the bytes that come back.
final class TCPConnection {
    let descriptor: Int32
    private var buffered: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 10) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw WebTestError("socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(descriptor)
            throw WebTestError("connect to port \(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw WebTestError("send: \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Reads more into the buffer; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        if count < 0 { throw WebTestError("recv: \(String(cString: strerror(errno))) (nothing came within the timeout?)") }
        if count == 0 { return false }
        buffered.append(contentsOf: chunk[0..<count])
        return true
    }

    func read(exactly count: Int) throws -> [UInt8] {
        while buffered.count < count {
            guard try fill() else { throw WebTestError("connection closed with \(buffered.count) of \(count) bytes read") }
        }
        defer { buffered.removeFirst(count) }
        return Array(buffered[0..<count])
    }

    func readUntilEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffered.removeAll() }
        return buffered
    }

    /// The status line and headers, up to the blank line.
    func readHead() throws -> HTTPHead {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let end = buffered.firstRange(of: separator) {
                let head = String(decoding: buffered[..<end.lowerBound], as: UTF8.self)
                buffered.removeFirst(end.upperBound)
                return try HTTPHead(head)
            }
            guard try fill() else { throw WebTestError("connection closed before the response head ended") }
        }
    }

    /// The rest of a response whose head has been read (Content-Length, or until the end of the stream).
    func readBody(_ head: HTTPHead) throws -> String {
        if let length = head["content-length"].flatMap(Int.init) {
            return String(decoding: try read(exactly: length), as: UTF8.self)
        }
        return String(decoding: try readUntilEnd(), as: UTF8.self)
    }
}

struct HTTPHead {
    let status: Int
    let fields: [(name: String, value: String)]

    init(_ text: String) throws {
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw WebTestError("bad status line: \(statusLine)") }
        self.status = status
        fields = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    subscript(_ name: String) -> String? { fields.first { $0.name == name.lowercased() }?.value }
    func all(_ name: String) -> [String] { fields.filter { $0.name == name.lowercased() }.map(\.value) }
}

struct HTTPResult {
    let head: HTTPHead
    let body: String
    var status: Int { head.status }
}

/// One GET on a fresh connection. `host` nil: the right one for the port.
func httpGet(port: Int, _ path: String, host: String? = nil, headers: [String: String] = [:], method: String = "GET") throws -> HTTPResult {
    let connection = try TCPConnection(port: port)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
    try connection.write(request + "\r\n")
    let head = try connection.readHead()
    let body = method == "HEAD" ? "" : try connection.readBody(head)
    return HTTPResult(head: head, body: body)
}

/// A WebSocket client over a raw connection: masked frames out, any frames in.
final class WebSocketClient {
    let connection: TCPConnection
    /// The upgrade response (101 when the upgrade happened).
    let handshake: HTTPHead
    /// The body of a refused upgrade.
    let refusal: String?

    enum Frame: Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16?, reason: String)
    }

    init(port: Int, cookieToken: String?, origin: String?, host: String? = nil, path: String = "/rpc") throws {
        connection = try TCPConnection(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        if let cookieToken { request += "Cookie: imaginai_token=\(cookieToken)\r\n" }
        try connection.write(request + "\r\n")
        handshake = try connection.readHead()
        refusal = handshake.status == 101 ? nil : try connection.readBody(handshake)
    }

    func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        switch payload.count {
        case ..<126: frame.append(0x80 | UInt8(payload.count))
        case ..<65536: frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default:
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xff)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try connection.write(frame)
    }

    func send(_ text: String) throws { try sendFrame(opcode: 0x1, Array(text.utf8)) }

    func sendClose() throws { try sendFrame(opcode: 0x8, [0x03, 0xe8]) }

    /// The next data or close frame; pings are answered, fragments joined.
    func receive() throws -> Frame {
        var message: [UInt8] = []
        var messageOpcode: UInt8 = 0
        while true {
            let header = try connection.read(exactly: 2)
            let final = header[0] & 0x80 != 0
            let opcode = header[0] & 0x0f
            var length = Int(header[1] & 0x7f)
            if length == 126 {
                let extended = try connection.read(exactly: 2)
                length = Int(extended[0]) << 8 | Int(extended[1])
            } else if length == 127 {
                length = try connection.read(exactly: 8).reduce(0) { $0 << 8 | Int($1) }
            }
            let payload = try connection.read(exactly: length)
            switch opcode {
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
            case 0x9: try sendFrame(opcode: 0xA, payload)
            case 0xA: continue
            default:
                if opcode != 0 { messageOpcode = opcode }
                message += payload
                if final {
                    return messageOpcode == 0x1 ? .text(String(decoding: message, as: UTF8.self)) : .binary(message)
                }
            }
        }
    }

    /// The next message as JSON (fails on anything else).
    func receiveJSON() throws -> [String: Any] {
        let frame = try receive()
        guard case .text(let text) = frame else { throw WebTestError("expected a text frame, got \(frame)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw WebTestError("not a JSON object: \(text)")
        }
        return object
    }

    private var nextID = 1

    /// Sends a request and returns its response, with every message that came before it.
    func request(_ method: String, _ params: [String: Any] = [:]) throws -> (response: [String: Any], before: [[String: Any]]) {
        let id = nextID
        nextID += 1
        let message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method, "params": params]
        try send(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
        var before: [[String: Any]] = []
        while true {
            let received = try receiveJSON()
            if received["id"] as? Int == id { return (received, before) }
            before.append(received)
        }
    }

    func result(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let (response, _) = try request(method, params)
        guard let result = response["result"] as? [String: Any] else { throw WebTestError("\(method) failed: \(response)") }
        return result
    }
}
