import Testing
@testable import LLM

struct SSEParserTests {
    /// Every rule at once: comments, event names, ids, CRLF/LF/CR line ends, multi-line data, a field
    /// without a colon, one leading space stripped (not two), an event without data not dispatched,
    /// and an incomplete event at the end dropped.
    static let stream = Array((
        ": keep-alive comment\r\n"
        + "event: alpha\r\n"
        + "data: one\r\n"
        + "data:two\r\n"
        + "id: 7\r\n"
        + "\r\n"
        + "data\n"
        + "\n"
        + "data: x\r"
        + "\r"
        + "data:  two spaces\n"
        + "retry: 1500\n"
        + "\n"
        + "event: no-data\n"
        + "\n"
        + "data: {\"a\":1}\r\n"
        + "\r\n"
        + "data: trailing, never dispatched\n"
    ).utf8)

    static let expected = [
        SSEEvent(type: "alpha", data: "one\ntwo", lastEventId: "7"),
        SSEEvent(type: "message", data: "", lastEventId: "7"),
        SSEEvent(type: "message", data: "x", lastEventId: "7"),
        SSEEvent(type: "message", data: " two spaces", lastEventId: "7"),
        SSEEvent(type: "message", data: "{\"a\":1}", lastEventId: "7"),
    ]

    @Test func wholeStream() {
        var parser = SSEParser()
        #expect(parser.feed(Self.stream) == Self.expected)
        #expect(parser.retryMilliseconds == 1500)
    }

    @Test func splitAtEveryByteOffsetGivesTheSameEvents() {
        for offset in 0...Self.stream.count {
            var parser = SSEParser()
            let events = parser.feed(Self.stream[..<offset]) + parser.feed(Self.stream[offset...])
            #expect(events == Self.expected, "split at \(offset)")
        }
    }

    @Test func splitAtEveryPairOfOffsetsAndByteByByte() {
        let bytes = Self.stream
        for first in stride(from: 0, through: bytes.count, by: 1) {
            for second in stride(from: first, through: bytes.count, by: 7) {
                var parser = SSEParser()
                let events = parser.feed(bytes[..<first]) + parser.feed(bytes[first..<second]) + parser.feed(bytes[second...])
                if events != Self.expected {
                    Issue.record("split at \(first), \(second): \(events)")
                    return
                }
            }
        }
        var parser = SSEParser()
        #expect(bytes.flatMap { parser.feed([$0]) } == Self.expected)
    }

    @Test func crEndingOneChunkAndLFStartingTheNextAreOneLineEnd() {
        // Were CR and LF counted as two line ends, the blank line between them would dispatch "a" alone.
        var parser = SSEParser()
        let first = parser.feed(Array("data: a\r".utf8))
        let rest = parser.feed(Array("\ndata: b\n\n".utf8))
        #expect(first.isEmpty)
        #expect(rest == [SSEEvent(data: "a\nb")])
    }

    @Test func byteOrderMarkAtTheStartIsDropped() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8)
        for offset in 0...bytes.count {
            var parser = SSEParser()
            #expect(parser.feed(bytes[..<offset]) + parser.feed(bytes[offset...]) == [SSEEvent(data: "x")], "split at \(offset)")
        }
        // Only at the very start: later the same bytes are text.
        var parser = SSEParser()
        #expect(parser.feed(Array("data: \u{FEFF}y\n\n".utf8)) == [SSEEvent(data: "\u{FEFF}y")])
    }

    @Test func multibyteCharactersSplitAcrossChunksSurvive() {
        let bytes = Array("data: café — 物語\n\n".utf8)
        for offset in 0...bytes.count {
            var parser = SSEParser()
            #expect(parser.feed(bytes[..<offset]) + parser.feed(bytes[offset...]) == [SSEEvent(data: "café — 物語")])
        }
    }
}

struct NDJSONSplitterTests {
    static let stream = Array("{\"a\":1}\n{\"b\":\"é\"}\r\n\n  \n{\"c\":3}".utf8)

    @Test func splitAtEveryByteOffsetGivesTheSameLines() {
        for offset in 0...Self.stream.count {
            var splitter = NDJSONSplitter()
            var lines = splitter.feed(Self.stream[..<offset]) + splitter.feed(Self.stream[offset...])
            if let last = splitter.finish() { lines.append(last) }
            #expect(lines == ["{\"a\":1}", "{\"b\":\"é\"}", "{\"c\":3}"], "split at \(offset)")
        }
    }

    @Test func finishReturnsNothingAfterACompleteLastLine() {
        var splitter = NDJSONSplitter()
        #expect(splitter.feed(Array("{}\n".utf8)) == ["{}"])
        #expect(splitter.finish() == nil)
    }
}
