import ImaginAIProtocol
import Foundation

/// A request id exactly as the client sent it (a number or a string), so it is echoed unchanged.
public typealias RequestID = JSONValue

/// One element of what a client sent, after the JSON-RPC envelope has been checked.
public enum IncomingMessage: Equatable, Sendable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    /// Not a valid request; answered with this error (`id` is null when it could not be read).
    case invalid(id: RequestID, error: ResponseError)
}

/// A decoded body: a single message or a batch (a JSON array).
public enum IncomingBody: Equatable, Sendable {
    case single(IncomingMessage)
    case batch([IncomingMessage])
    /// Not JSON at all (or an empty batch): answered with this error and id null.
    case unreadable(ResponseError)
    /// Arrays and objects nested deeper than the limit: not parsed (so the id is unknown).
    case tooDeep(limit: Int)
}

public enum MessageDecoding {
    /// Default nesting limit. Real payloads (card books of other tools included) nest under 10 levels;
    /// the limit keeps every recursive walk of a message (decoding, re-encoding params, hashing,
    /// freeing) far from the stack's end, on any thread.
    public static let defaultMaxDepth = 64

    public static func decode(_ body: [UInt8], maxDepth: Int = defaultMaxDepth) -> IncomingBody {
        guard String(validating: body, as: UTF8.self) != nil else {
            return .unreadable(ResponseError(code: .parseError, message: "Parse error: message body is not valid UTF-8"))
        }
        if exceedsDepth(body, maxDepth) {
            return .tooDeep(limit: maxDepth)
        }
        let value: JSONValue
        do {
            value = try FastJSONParser.parse(body) ?? JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            return .unreadable(ResponseError(code: .parseError, message: "Parse error: \(describe(error))"))
        }
        switch value {
        case .array(let elements):
            if elements.isEmpty {
                return .unreadable(.invalidRequest("Invalid request: empty batch"))
            }
            return .batch(elements.map(message(from:)))
        default:
            return .single(message(from: value))
        }
    }

    /// Any JSON body as a value (nil when it is not JSON): what a client makes of what it receives.
    public static func parse(_ body: [UInt8]) -> JSONValue? {
        guard String(validating: body, as: UTF8.self) != nil, !exceedsDepth(body, defaultMaxDepth) else { return nil }
        return FastJSONParser.parse(body) ?? (try? JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(body)))
    }

    /// True when `[` and `{` outside strings nest deeper than `limit`. A byte scan, so it runs before any
    /// recursive parsing; brackets of invalid JSON are counted the same way (the parser rejects it anyway).
    static func exceedsDepth(_ body: [UInt8], _ limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }

    static func message(from value: JSONValue) -> IncomingMessage {
        guard case .object(let object) = value else {
            return .invalid(id: .null, error: .invalidRequest("Invalid request: expected an object, got \(value.typeName)"))
        }
        var id = JSONValue.null
        let hasID = object["id"] != nil
        if let rawID = object["id"] {
            switch rawID {
            case .string, .int, .double, .null: id = rawID
            default:
                return .invalid(id: .null, error: .invalidRequest("Invalid request: id must be a number or a string, got \(rawID.typeName)"))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .invalid(id: id, error: .invalidRequest("Invalid request: \"jsonrpc\" must be \"2.0\""))
        }
        guard let methodValue = object["method"] else {
            let what = object["result"] != nil || object["error"] != nil ? "a response, but this server sends no requests" : "no \"method\""
            return .invalid(id: id, error: .invalidRequest("Invalid request: \(what)"))
        }
        guard case .string(let method) = methodValue else {
            return .invalid(id: id, error: .invalidRequest("Invalid request: \"method\" must be a string, got \(methodValue.typeName)"))
        }
        let params = object["params"]
        switch params {
        case nil, .null?, .object?, .array?: break
        case let other?:
            return .invalid(id: id, error: .invalidRequest("Invalid request: \"params\" must be an object or an array, got \(other.typeName)"))
        }
        if hasID {
            return .request(id: id, method: method, params: params)
        }
        return .notification(method: method, params: params)
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// Builds outgoing bodies by splicing pre-encoded JSON, so a result is encoded once, not twice.
public enum MessageEncoding {
    public static func response(id: RequestID, result: [UInt8]) -> [UInt8] {
        var out = Array(#"{"id":"#.utf8)
        out += encodeValue(id)
        out += Array(#","jsonrpc":"2.0","result":"#.utf8)
        out += result
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `Framing.frame(response(id:result:))` built in one buffer: the result is copied once.
    public static func responseFrame(id: RequestID, result: [UInt8]) -> [UInt8] {
        let idBytes = encodeValue(id)
        let head: StaticString = #"{"id":"#
        let middle: StaticString = #","jsonrpc":"2.0","result":"#
        let bodyCount = head.utf8CodeUnitCount + idBytes.count + middle.utf8CodeUnitCount + result.count + 1
        let header = "Content-Length: \(bodyCount)\r\n\r\n".utf8
        var out: [UInt8] = []
        out.reserveCapacity(header.count + bodyCount)
        out.append(contentsOf: header)
        head.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: idBytes)
        middle.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: result)
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func errorResponse(id: RequestID, error: ResponseError) -> [UInt8] {
        var out = Array(#"{"error":"#.utf8)
        out += (try? Array(JSONCoding.encode(error))) ?? Array(#"{"code":-32603,"message":"unencodable error"}"#.utf8)
        out += Array(#","id":"#.utf8)
        out += encodeValue(id)
        out += Array(#","jsonrpc":"2.0"}"#.utf8)
        return out
    }

    public static func notification(method: String, params: [UInt8]) -> [UInt8] {
        var out = Array(#"{"jsonrpc":"2.0","method":"#.utf8)
        out += encodeValue(.string(method))
        out += Array(#","params":"#.utf8)
        out += params
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func batch(_ bodies: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, body) in bodies.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += body
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public static func encodeValue(_ value: JSONValue) -> [UInt8] {
        var out = JSONOutput(capacity: 16)
        out.value(value)
        return out.bytes
    }
}
