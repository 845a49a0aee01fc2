import ImaginAIProtocol

/// Splits a byte stream into LSP-framed message bodies: `Content-Length: N\r\n` (other headers allowed,
/// names case-insensitive) `\r\n`, then N bytes. A pure state machine: feed it bytes in any pieces and
/// take events out; it never blocks and never throws, so one bad frame cannot stop the next.
public struct FrameParser: Sendable {
    public enum Event: Equatable, Sendable {
        case message([UInt8])
        /// The header block was unusable; the parser has skipped it and looks for the next header.
        case badHeader(String)
        /// The body was larger than the limit; its bytes are skipped as they arrive.
        case oversized(length: Int, limit: Int)
    }

    public let maxBodyBytes: Int
    public let maxHeaderBytes: Int

    private enum State: Sendable {
        case header
        case body(remaining: Int)
        case skipping(remaining: Int)
    }

    private var state: State = .header
    private var buffer: [UInt8] = []
    /// Where unread bytes start in `buffer`; compacted lazily to keep appends cheap.
    private var start = 0
    private var body: [UInt8] = []

    public init(maxBodyBytes: Int = 16 << 20, maxHeaderBytes: Int = 8 << 10) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// True when no partial message is pending (used to tell a clean end of input from a truncated one).
    public var isIdle: Bool {
        if case .header = state { return start == buffer.count }
        return false
    }

    /// True when bytes not yet returned as events are buffered (part or all of a next message).
    public var hasBufferedInput: Bool { start < buffer.count }

    public mutating func next() -> Event? {
        while true {
            switch state {
            case .header:
                guard let end = headerEnd() else {
                    if buffer.count - start > maxHeaderBytes {
                        return overlongHeader()
                    }
                    return nil
                }
                let block = Array(buffer[start..<end])
                start = end + 4
                switch parseHeader(block) {
                case .success(let length):
                    if length > maxBodyBytes {
                        state = .skipping(remaining: length)
                        return .oversized(length: length, limit: maxBodyBytes)
                    }
                    body.removeAll(keepingCapacity: true)
                    body.reserveCapacity(length)
                    state = .body(remaining: length)
                case .failure(let problem):
                    if problem.junkBeforeHeader { resynchronise(within: block) }
                    return .badHeader(problem.message)
                }
            case .body(let remaining):
                let available = buffer.count - start
                if available == 0 && remaining > 0 { compact(); return nil }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[start..<(start + take)])
                start += take
                if take < remaining {
                    state = .body(remaining: remaining - take)
                    compact()
                    return nil
                }
                state = .header
                let message = body
                body = []
                return .message(message)
            case .skipping(let remaining):
                let take = min(buffer.count - start, remaining)
                start += take
                if take < remaining {
                    state = .skipping(remaining: remaining - take)
                    compact()
                    return nil
                }
                state = .header
            }
        }
    }

    private mutating func compact() {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Index of the `\r\n\r\n` that ends the header block, if it has arrived.
    private func headerEnd() -> Int? {
        var index = start
        let limit = buffer.count - 3
        while index < limit {
            if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    private struct HeaderProblem: Error {
        var message: String
        /// True when the block may be junk followed by a real header, rather than a real but bad header.
        var junkBeforeHeader = false
    }

    private func parseHeader(_ block: [UInt8]) -> Result<Int, HeaderProblem> {
        if let length = Self.plainContentLength(block) { return .success(length) }
        guard let text = String(validating: block, as: UTF8.self) else {
            return .failure(HeaderProblem(message: "header is not valid UTF-8"))
        }
        var length: Int?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else {
                return .failure(HeaderProblem(
                    message: "malformed header line \(quoted(line)) (expected 'Name: value')", junkBeforeHeader: true))
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            guard name == "content-length" else { continue }
            guard !value.isEmpty, value.utf8.count <= 15, value.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let parsed = Int(value)
            else {
                return .failure(HeaderProblem(message: "Content-Length \(quoted(value)) is not a byte count"))
            }
            if let length, length != parsed {
                return .failure(HeaderProblem(message: "conflicting Content-Length headers (\(length) and \(parsed))"))
            }
            length = parsed
        }
        guard let length else {
            return .failure(HeaderProblem(message: "header block has no Content-Length", junkBeforeHeader: true))
        }
        return .success(length)
    }

    /// The header every client sends, `Content-Length: N` alone, read straight from the bytes (the
    /// general parser below splits and lowercases strings, which showed in the request-path profile).
    /// Nil for anything else, which the general parser then reads.
    private static func plainContentLength(_ block: [UInt8]) -> Int? {
        let prefix: StaticString = "Content-Length: "
        let prefixCount = prefix.utf8CodeUnitCount
        let digits = block.count - prefixCount
        guard digits > 0, digits <= 15 else { return nil }
        for offset in 0..<prefixCount where block[offset] != prefix.utf8Start[offset] { return nil }
        var length = 0
        for index in prefixCount..<block.count {
            let byte = block[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return length
    }

    /// When junk (say, an unframed JSON body) was written before a real header, the block ends with that
    /// header's `Content-Length`: resume there instead of losing the message that follows.
    private mutating func resynchronise(within block: [UInt8]) {
        let needle = Array("content-length:".utf8)
        guard let found = Self.caseInsensitiveLastIndex(of: needle, in: block), found > 0 else { return }
        let resume = Array(block[found...]) + [13, 10, 13, 10]
        buffer.replaceSubrange(0..<start, with: resume)
        start = 0
    }

    /// With no header end in sight the input is not framed (for example raw JSON): drop it, but keep
    /// anything from the last `Content-Length` on, which may be a real frame arriving after the junk.
    private mutating func overlongHeader() -> Event {
        let pending = Array(buffer[start...])
        let needle = Array("content-length:".utf8)
        if let found = Self.caseInsensitiveLastIndex(of: needle, in: pending), found > 0 {
            buffer = Array(pending[found...])
        } else {
            buffer = Array(pending.suffix(needle.count - 1))
        }
        start = 0
        return .badHeader("no header end (\\r\\n\\r\\n) within \(maxHeaderBytes) bytes; input skipped")
    }

    private static func caseInsensitiveLastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            var matched = true
            for offset in 0..<needle.count {
                var byte = haystack[index + offset]
                if byte >= 65 && byte <= 90 { byte += 32 }
                if byte != needle[offset] { matched = false; break }
            }
            if matched { return index }
            index -= 1
        }
        return nil
    }

    private func quoted<S: StringProtocol>(_ text: S) -> String {
        let clipped = text.count > 60 ? text.prefix(60) + "…" : Substring(text)
        return "'\(clipped)'"
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

/// Frames a body for the wire: exactly `Content-Length: N\r\n\r\n`, the only header, as strict clients expect.
public enum Framing {
    public static func frame(_ body: some Collection<UInt8>) -> [UInt8] {
        var out = JSONOutput(capacity: body.count + 40)
        out.raw("Content-Length: ")
        out.int(body.count)
        out.raw("\r\n\r\n")
        out.bytes.append(contentsOf: body)
        return out.bytes
    }
}
