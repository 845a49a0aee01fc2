import ImaginAIProtocol
import Testing
@testable import JSONRPC

private func frame(_ body: String) -> [UInt8] { Framing.frame(Array(body.utf8)) }

private func events(_ input: [UInt8], pieces: Int? = nil, maxBody: Int = 1 << 20) -> [FrameParser.Event] {
    var parser = FrameParser(maxBodyBytes: maxBody)
    var out: [FrameParser.Event] = []
    let size = pieces ?? max(input.count, 1)
    var index = 0
    while index < input.count {
        parser.append(input[index..<min(index + size, input.count)])
        while let event = parser.next() { out.append(event) }
        index += size
    }
    return out
}

@Test func writesExactlyTheOneHeaderStrictClientsMatch() {
    #expect(String(decoding: frame("{}"), as: UTF8.self) == "Content-Length: 2\r\n\r\n{}")
}

@Test func countsBytesNotCharacters() {
    let body = #"{"t":"Zoë 🐉"}"#
    let framed = String(decoding: frame(body), as: UTF8.self)
    #expect(framed.hasPrefix("Content-Length: \(body.utf8.count)\r\n\r\n"))
    #expect(body.utf8.count != body.count)
}

@Test func everySplitPointYieldsTheSameMessages() {
    let bodies = [#"{"a":"Ærø"}"#, #"{"b":"日本語のテキスト"}"#, "[]"]
    let stream = bodies.flatMap(frame)
    let expected = bodies.map { FrameParser.Event.message(Array($0.utf8)) }
    for size in 1...stream.count {
        #expect(events(stream, pieces: size) == expected, "piece size \(size)")
    }
    // Two cut points at every pair of offsets, so multibyte characters are split every possible way.
    for first in 1..<stream.count {
        var parser = FrameParser()
        var out: [FrameParser.Event] = []
        parser.append(stream[0..<first])
        while let event = parser.next() { out.append(event) }
        parser.append(stream[first...])
        while let event = parser.next() { out.append(event) }
        #expect(out == expected, "cut at \(first)")
    }
}

@Test func coalescedMessagesInOneReadAllComeOut() {
    let stream = frame("1") + frame("2") + frame("3")
    #expect(events(stream) == ["1", "2", "3"].map { .message(Array($0.utf8)) })
}

@Test func headerNamesAreCaseInsensitiveAndContentTypeIsAllowed() {
    let input = Array("content-LENGTH: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".utf8)
    #expect(events(input) == [.message(Array("{}".utf8))])
}

@Test func missingContentLengthIsReportedAndTheNextFrameStillArrives() {
    let input = Array("Content-Type: x\r\n\r\n".utf8) + frame("ok")
    let result = events(input)
    #expect(result.count == 2)
    guard case .badHeader(let why) = result[0] else { Issue.record("expected badHeader"); return }
    #expect(why.contains("no Content-Length"))
    #expect(result[1] == .message(Array("ok".utf8)))
}

@Test(arguments: [
    ("Content-Length: abc\r\n\r\n", "not a byte count"),
    ("Content-Length: -5\r\n\r\n", "not a byte count"),
    ("Content-Length: \r\n\r\n", "not a byte count"),
    ("Content-Length: 99999999999999999999\r\n\r\n", "not a byte count"),
    ("Content-Length: 2\r\nContent-Length: 3\r\n\r\n", "conflicting"),
    ("garbage line\r\n\r\n", "malformed header line"),
])
func badHeadersAreReportedPrecisely(header: String, reason: String) {
    let result = events(Array(header.utf8) + frame("ok"))
    guard case .badHeader(let why)? = result.first else { Issue.record("no badHeader for \(header)"); return }
    #expect(why.contains(reason), "\(why)")
    #expect(result.last == .message(Array("ok".utf8)))
}

@Test func garbageBeforeARealHeaderResynchronisesOnIt() {
    let input = Array("junk\r\nContent-Length: 2\r\n\r\n{}".utf8)
    let result = events(input)
    #expect(result.count == 2)
    #expect(result.last == .message(Array("{}".utf8)))
}

@Test func unframedInputIsSkippedOnceItOverflowsTheHeaderLimit() {
    var parser = FrameParser(maxBodyBytes: 100, maxHeaderBytes: 64)
    parser.append(Array(String(repeating: "x", count: 200).utf8) + frame("ok"))
    var out: [FrameParser.Event] = []
    while let event = parser.next() { out.append(event) }
    #expect(out.count == 2)
    #expect(out.last == .message(Array("ok".utf8)))
}

@Test func oversizedBodiesAreSkippedWithoutBuffering() {
    let big = String(repeating: "a", count: 5000)
    let result = events(frame(big) + frame("ok"), pieces: 7, maxBody: 1000)
    #expect(result == [.oversized(length: 5000, limit: 1000), .message(Array("ok".utf8))])
}

@Test func idleOnlyBetweenMessages() {
    var parser = FrameParser()
    #expect(parser.isIdle)
    parser.append(Array("Content-Length: 5\r\n\r\nab".utf8))
    while parser.next() != nil {}
    #expect(!parser.isIdle)
    parser.append(Array("cde".utf8))
    #expect(parser.next() == .message(Array("abcde".utf8)))
    #expect(parser.isIdle)
}

@Test func zeroLengthBodyIsAMessage() {
    #expect(events(Array("Content-Length: 0\r\n\r\n".utf8)) == [.message([])])
}
