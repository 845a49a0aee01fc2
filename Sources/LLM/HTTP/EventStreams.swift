/// One server-sent event, as the WHATWG "event stream interpretation" dispatches it.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field; "message" when the event named none.
    public var type: String
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last event id seen so far in the stream (it carries over to later events).
    public var lastEventId: String

    public init(type: String = "message", data: String, lastEventId: String = "") {
        self.type = type
        self.data = data
        self.lastEventId = lastEventId
    }
}

/// Parses `text/event-stream` bytes into events, however the bytes are split into chunks.
///
/// Follows https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation:
/// lines end in CRLF, LF or CR (a CR that ends one chunk may pair with an LF starting the next, so the
/// pairing is remembered between calls); a blank line dispatches; an event without data is not
/// dispatched; an incomplete event at the end of the stream is dropped.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType = ""
    private var lastEventId = ""
    /// The `retry:` reconnection time, for completeness; providers do not reconnect.
    public private(set) var retryMilliseconds: Int?

    public init() {}

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        for byte in bytes {
            if var held = streamStart {
                // A UTF-8 byte order mark may open the stream; it is not part of the first line.
                held.append(byte)
                if held == Self.byteOrderMark {
                    streamStart = nil
                } else if Self.byteOrderMark.starts(with: held) {
                    streamStart = held
                } else {
                    streamStart = nil
                    for byte in held { consume(byte, into: &events) }
                }
                continue
            }
            consume(byte, into: &events)
        }
        return events
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    private var streamStart: [UInt8]? = []

    private mutating func consume(_ byte: UInt8, into events: inout [SSEEvent]) {
        if byte == 0x0A && lastWasCR {
            lastWasCR = false
            return
        }
        lastWasCR = byte == 0x0D
        if byte == 0x0D || byte == 0x0A {
            if let event = processLine() { events.append(event) }
            line.removeAll(keepingCapacity: true)
        } else {
            line.append(byte)
        }
    }

    private mutating func processLine() -> SSEEvent? {
        if line.isEmpty { return dispatch() }
        if line.first == 0x3A { return nil }  // ":" starts a comment (servers use them as keep-alives)
        let name: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: 0x3A) {
            name = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == 0x20 { value = value.dropFirst() }
        } else {
            name = line[...]
            value = []
        }
        switch String(decoding: name, as: UTF8.self) {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(contentsOf: value)
            data.append(0x0A)
            hasData = true
        case "id":
            if !value.contains(0) { lastEventId = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }) {
                retryMilliseconds = Int(String(decoding: value, as: UTF8.self))
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = ""
        }
        guard hasData else { return nil }
        data.removeLast()  // the "\n" after the last data line
        return SSEEvent(
            type: eventType.isEmpty ? "message" : eventType, data: String(decoding: data, as: UTF8.self),
            lastEventId: lastEventId)
    }
}

/// Splits newline-delimited JSON (Ollama's native API) into lines, however the bytes are chunked.
public struct NDJSONSplitter: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// The complete, non-blank lines in the bytes so far, without their line ends.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var lines: [String] = []
        for byte in bytes {
            if byte == 0x0A {
                if let line = take() { lines.append(line) }
            } else {
                buffer.append(byte)
            }
        }
        return lines
    }

    /// What is left when the stream ends: a last line that had no newline after it.
    public mutating func finish() -> String? { take() }

    private mutating func take() -> String? {
        defer { buffer.removeAll(keepingCapacity: true) }
        var slice = buffer[...]
        if slice.last == 0x0D { slice = slice.dropLast() }
        let line = String(decoding: slice, as: UTF8.self)
        return line.allSatisfy(\.isWhitespace) ? nil : line
    }
}
