import ImaginAIProtocol
import Foundation
import JSONRPC

/// A JSON-RPC client for one `imaginai serve` child: numbered requests, responses parsed as `JSONValue`.
final class DaemonClient {
    let child: Child
    private var nextID: Int64 = 1
    /// Seconds to wait for any single response before giving up.
    var responseTimeout: Double = 15
    /// Set when a response did not come: the goodbye then skips straight to killing the child.
    private var unresponsive = false

    init(child: Child) {
        self.child = child
    }

    /// Starts `daemon serve --db PATH`, its stderr going to `logPath`.
    static func spawn(daemon: String, database: String, logPath: String?, environment: [String: String] = [:]) throws -> DaemonClient {
        DaemonClient(child: try Child(
            name: "imaginai", executable: daemon, arguments: ["serve", "--db", database], stderrPath: logPath, environment: environment))
    }

    /// Takes the next request id (never reused within a connection).
    func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// A framed request body, built by splicing so the measured loop does no JSON encoding.
    static func frame(id: Int64, method: String, params: JSONValue?) -> [UInt8] {
        var body = Array(#"{"id":\#(id),"jsonrpc":"2.0","method":"#.utf8)
        body += (try? Array(JSONCoding.encode(method))) ?? Array("\"\(method)\"".utf8)
        if let params {
            body += Array(#","params":"#.utf8)
            body += (try? Array(JSONCoding.encode(params))) ?? Array("null".utf8)
        }
        body.append(UInt8(ascii: "}"))
        return Framing.frame(body)
    }

    static func notificationFrame(method: String) -> [UInt8] {
        Framing.frame(Array(#"{"jsonrpc":"2.0","method":"\#(method)"}"#.utf8))
    }

    /// Sends one request and waits for its response; returns `result` or throws with the error message.
    @discardableResult
    func call(_ method: String, _ params: JSONValue? = nil, timeout: Double? = nil) throws -> JSONValue {
        let id = takeID()
        try child.send(Self.frame(id: id, method: method, params: params))
        var body: [UInt8]
        let until = deadline(in: timeout ?? responseTimeout)
        do {
            // Notifications sent before the response (`story/chunk` of a story method) are not the answer.
            repeat {
                body = try child.inbox.next(until: until, what: "the \(method) response")
            } while Self.isNotification(body)
        } catch {
            unresponsive = true
            throw error
        }
        return try Self.result(of: body, method: method, expecting: id)
    }

    /// A message with a method and no id. Results (`{"id":…` first) are told apart without parsing.
    static func isNotification(_ body: [UInt8]) -> Bool {
        guard !Inbox.looksLikeResult(body),
              let message = try? JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body)) else { return false }
        return message["id"] == nil && message["method"] != nil
    }

    static func result(of body: [UInt8], method: String, expecting id: Int64? = nil) throws -> JSONValue {
        let message: JSONValue
        do {
            message = try JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw BenchError("\(method): unreadable response: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        if let error = message["error"] {
            let text = error["message"]?.stringValue ?? "\(error)"
            throw BenchError("\(method) failed: \(text)")
        }
        if let id, message["id"] != .int(id) {
            throw BenchError("\(method): response for id \(message["id"].map { "\($0)" } ?? "none"), expected \(id)")
        }
        guard let result = message["result"] else {
            throw BenchError("\(method): response without result: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return result
    }

    @discardableResult
    func initialize(timeout: Double) throws -> JSONValue {
        try call("initialize", .object(["clientInfo": .object(["name": .string("imaginai-bench")])]), timeout: timeout)
    }

    /// LSP-style goodbye: `shutdown`, then the `exit` notification, then end of input; the child is
    /// SIGKILLed if it has not exited within a few seconds.
    func shutdown() {
        if unresponsive {
            child.stop(grace: 0.2)
            return
        }
        if !child.inbox.isClosed {
            if (try? call("shutdown", nil, timeout: 5)) != nil {
                try? child.send(Self.notificationFrame(method: "exit"))
            }
        }
        child.stop(grace: unresponsive ? 0.2 : 5)
    }
}
