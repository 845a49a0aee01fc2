import ImaginAIProtocol
import Foundation
import Synchronization
import Testing
@testable import JSONRPC

private struct Echo: RequestType {
    static let method = "test/echo"
    typealias Response = Echo
    var text: String
}

/// A server with an echo method and a method that waits until cancelled, over an in-memory client.
private func makeServer() -> (Connection, InMemoryClient, Task<Int32, Never>) {
    let client = InMemoryClient()
    let connection = Connection(sink: client, configuration: .init(maxMessageBytes: 1000))
    connection.register(method: "initialize") { _, _ in Array(#"{"ok":true}"#.utf8) }
    connection.register(Echo.self) { request, _ in request }
    connection.register(method: "test/wait") { _, _ in
        try await Task.sleep(for: .seconds(60))
        return Array("null".utf8)
    }
    let run = Task { await connection.run(input: client.input) }
    return (connection, client, run)
}

private func request(_ id: String, _ method: String, _ params: String = "{}") -> String {
    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
}

@Test func requestsBeforeInitializeAreRejected() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "test/echo", #"{"text":"hi"}"#))
    let response = await client.response(to: .int(1))
    #expect(response["error"]?["code"] == .int(-32002))
    client.closeInput()
    #expect(await run.value == 1)
}

@Test func lifecycleFromInitializeToShutdown() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    #expect(await client.response(to: .int(1))["result"] == .object(["ok": .bool(true)]))
    client.send(request("2", "initialize"))
    #expect(await client.response(to: .int(2))["error"]?["code"] == .int(-32600))
    client.send(request(#""s""#, "test/echo", #"{"text":"Zoë"}"#))
    #expect(await client.response(to: .string("s"))["result"] == .object(["text": .string("Zoë")]))
    client.send(request("3", "shutdown", "null"))
    let shutdown = await client.response(to: .int(3))
    #expect(shutdown["result"] == .null)
    client.send(request("4", "test/echo", #"{"text":"late"}"#))
    #expect(await client.response(to: .int(4))["error"]?["code"] == .int(-32600))
    client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
    #expect(await run.value == 0)
}

@Test func unknownMethodsAndBadParamsAreExplained() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send(request("2", "no/such"))
    let unknown = await client.response(to: .int(2))
    #expect(unknown["error"]?["code"] == .int(-32601))
    #expect(unknown["error"]?["message"]?.stringValue?.contains("no/such") == true)
    client.send(request("3", "test/echo", #"{"text":5}"#))
    let bad = await client.response(to: .int(3))
    #expect(bad["error"]?["code"] == .int(-32602))
    #expect(bad["error"]?["data"]?["field"] == .string("text"))
    client.closeInput()
    #expect(await run.value == 1)
}

@Test func cancelEndsARunningRequestWithRequestCancelled() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send(request("9", "test/wait"))
    // A duplicate id while the first is still running is refused, not run twice.
    client.send(request("9", "test/echo", #"{"text":"dup"}"#))
    #expect(await client.response(to: .int(9))["error"]?["code"] == .int(-32600))
    client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":9}}"#)
    let cancelled = await client.response(to: .int(9))
    #expect(cancelled["error"]?["code"] == .int(-32800))
    client.closeInput()
    _ = await run.value
}

@Test func batchesAreAnsweredAsOneArrayWithoutNotificationEntries() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send("[" + request("2", "test/echo", #"{"text":"a"}"#) + #",{"jsonrpc":"2.0","method":"initialized"},"# + request("3", "nope") + "]")
    let batch = await client.receive { $0.arrayValue != nil }
    let ids = Set(batch.arrayValue?.compactMap { $0["id"] } ?? [])
    #expect(ids == [.int(2), .int(3)])
    client.send("[]")
    #expect(await client.response(to: .null)["error"]?["code"] == .int(-32600))
    client.closeInput()
    _ = await run.value
}

@Test func brokenInputGetsErrorsAndTheServerKeepsServing() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send("{not json")
    #expect(await client.response(to: .null)["error"]?["code"] == .int(-32700))
    client.sendRaw(Array("Content-Type: nothing-else\r\n\r\n".utf8))
    #expect(await client.response(to: .null)["error"]?["code"] == .int(-32600))
    client.send(#"{"jsonrpc":"2.0","id":2,"method":"test/echo","params":{"text":"\#(String(repeating: "x", count: 2000))"}}"#)
    let oversized = await client.response(to: .null)
    #expect(oversized["error"]?["message"]?.stringValue?.contains("over the limit") == true)
    client.send(request("3", "test/echo", #"{"text":"still here"}"#))
    #expect(await client.response(to: .int(3))["result"]?["text"] == .string("still here"))
    client.closeInput()
    _ = await run.value
}

@Test func notificationsAreNeverAnswered() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send(#"{"jsonrpc":"2.0","method":"no/such/notification"}"#)
    client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}"#)
    client.send(request("2", "test/echo", #"{"text":"x"}"#))
    _ = await client.response(to: .int(2))
    #expect(client.drain().isEmpty)
    client.closeInput()
    _ = await run.value
}

/// A client may reuse an id the moment it has the answer: the id is released before the response is
/// written, not after.
@Test func anIdIsFreeAgainAsSoonAsItsResponseArrives() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    for round in 0..<200 {
        client.send(request("7", "test/echo", #"{"text":"r\#(round)"}"#))
        let response = await client.response(to: .int(7))
        #expect(response["result"]?["text"] == .string("r\(round)"), "round \(round): \(response)")
    }
    client.closeInput()
    _ = await run.value
}

/// The id of a request is taken from the moment it is accepted, even before its task runs.
@Test func aDuplicateIdOfARunningRequestIsRefused() async {
    let (_, client, run) = makeServer()
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send(request("9", "test/wait"))
    client.send(request("9", "test/echo", #"{"text":"twin"}"#))
    let refused = await client.response(to: .int(9))
    #expect(refused["error"]?["code"] == .int(-32600))
    client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":9}}"#)
    #expect(await client.response(to: .int(9))["error"]?["code"] == .int(-32800))
    client.closeInput()
    _ = await run.value
}

/// With `maxPendingRequests` requests unanswered the reader reads nothing more: the next request waits
/// (it is not rejected) and starts as soon as one of them is answered.
@Test func pendingRequestsBeyondTheLimitWaitForRoomAndAreAllAnswered() async throws {
    let client = InMemoryClient()
    let connection = Connection(sink: client, configuration: .init(maxMessageBytes: 1000, maxPendingRequests: 2))
    let started = Mutex(0)
    let released = Mutex(0)
    connection.register(method: "initialize") { _, _ in Array("{}".utf8) }
    connection.register(method: "test/hold") { _, _ in
        let ticket = started.withLock { $0 += 1; return $0 }
        while released.withLock({ $0 }) < ticket { try await Task.sleep(for: .milliseconds(5)) }
        return Array("null".utf8)
    }
    connection.register(Echo.self) { request, _ in request }
    let run = Task { await connection.run(input: client.input) }
    client.send(request("0", "initialize"))
    _ = await client.response(to: .int(0))

    for id in 1...3 { client.send(request("\(id)", "test/hold")) }
    client.send(request("4", "test/echo", #"{"text":"after"}"#))
    // Under load the first two may take a while to start; once they have, the third must not follow.
    for _ in 0..<2000 where started.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
    try await Task.sleep(for: .milliseconds(300))
    #expect(started.withLock { $0 } == 2, "the third request must wait while two are pending")

    released.withLock { $0 = 1 }
    #expect(await client.response(to: .int(1))["result"] == .null)
    for _ in 0..<2000 where started.withLock({ $0 }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
    #expect(started.withLock { $0 } == 3, "answering one makes room for the next")

    released.withLock { $0 = 3 }
    #expect(await client.response(to: .int(2))["result"] == .null)
    #expect(await client.response(to: .int(3))["result"] == .null)
    #expect(await client.response(to: .int(4))["result"] == .object(["text": .string("after")]))
    client.closeInput()
    #expect(await run.value == 1)
}

@Test func messagesNestedTooDeeplyAreAnsweredUnparsed() async {
    let client = InMemoryClient()
    let connection = Connection(sink: client, configuration: .init(maxMessageBytes: 100_000, oversizeErrorCode: ErrorCode(-31004)))
    connection.register(method: "initialize") { _, _ in Array("{}".utf8) }
    let run = Task { await connection.run(input: client.input) }
    let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    client.send(request("1", "initialize", #"{"x":\#(deep)}"#))
    let response = await client.response(to: .null)
    #expect(response["error"]?["code"] == .int(-31004))
    client.send(request("2", "initialize"))
    #expect(await client.response(to: .int(2))["result"] == .object([:]))
    client.closeInput()
    _ = await run.value
}

/// The reader thread answers a run of buffered immediate requests inside one `sharingReads` call (the
/// daemon's read transaction); any other request ends the run, so a write is never inside one.
@Test func bufferedImmediateRequestsRunInSharedReadsThatOtherRequestsSplit() async throws {
    struct Runs: Sendable {
        var current: [Int]?
        var finished: [[Int]] = []
    }
    let runs = Mutex(Runs())
    let client = InMemoryClient()
    let connection = Connection(sink: client, sharingReads: { body in
        runs.withLock { $0.current = [] }
        body()
        runs.withLock { $0.finished.append($0.current!); $0.current = nil }
    })
    connection.register(method: "initialize") { _, _ in Array("{}".utf8) }
    connection.register(method: "test/read", immediate: true) { _, context in
        if case .int(let id) = context.id { runs.withLock { $0.current?.append(Int(id)) } }
        return Array("null".utf8)
    }
    connection.register(method: "test/write") { _, _ in Array("null".utf8) }
    let methods = ["initialize", "test/read", "test/read", "test/write", "test/read", "test/read", "test/read"]
    var input: [UInt8] = []
    for (index, method) in methods.enumerated() {
        input += Framing.frame(Array(request("\(index + 1)", method).utf8))
    }
    // All of it is in the pipe before the reader starts, so one read takes it all.
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)
    #expect(input.withUnsafeBytes { write(ends[1], $0.baseAddress!, $0.count) } == input.count)
    close(ends[1])
    #expect(await connection.run(readingFrom: ends[0]) == 1)
    close(ends[0])
    #expect(runs.withLock { $0.finished } == [[2, 3], [5, 6, 7]])
    for id in 1...methods.count {
        #expect(await client.response(to: .int(Int64(id)))["error"] == nil, "request \(id)")
    }
}

/// Keeps every frame written, in order.
private final class RecordingSink: MessageSink {
    let frames = Mutex<[[UInt8]]>([])
    func write(_ frame: [UInt8]) { frames.withLock { $0.append(frame) } }
}

/// Sends through the generic path only (the constraint hides `JSONWritable`).
private func sendGenerically<Notification: NotificationType>(_ notification: Notification, on connection: Connection) {
    connection.send(notification)
}

@Test func aSelfWritingNotificationIsFramedByteForByteLikeTheGenericOne() {
    let sink = RecordingSink()
    let connection = Connection(sink: sink)
    let chunks = [
        StoryChunkNotification(requestId: .int(7), adventureId: "adv_1", seq: 0, text: " word"),
        StoryChunkNotification(requestId: .string("r/\"1\""), adventureId: "adv_é", seq: 12, text: "ünï \"quoted\"\n\t\\ </b> \u{1}"),
    ]
    for chunk in chunks {
        connection.send(chunk)
        sendGenerically(chunk, on: connection)
    }
    let frames = sink.frames.withLock { $0 }
    #expect(frames.count == 4)
    #expect(frames[0] == frames[1])
    #expect(frames[2] == frames[3])
    #expect(String(decoding: frames[0], as: UTF8.self).hasSuffix(#"{"jsonrpc":"2.0","method":"story/chunk","params":{"adventureId":"adv_1","requestId":7,"seq":0,"text":" word"}}"#))
}

private struct FollowUpNotification: NotificationType {
    static let method = "test/followUp"
    var seen: Int
}

/// Forwards every frame to the in-memory client and keeps them, to see what was written when.
private final class ForwardingSink: MessageSink {
    let client: InMemoryClient
    let frames = Mutex<[String]>([])
    init(client: InMemoryClient) { self.client = client }
    func write(_ frame: [UInt8]) {
        frames.withLock { $0.append(String(decoding: frame, as: UTF8.self)) }
        client.write(frame)
    }
}

@Test func workAskedToFollowAResponseRunsOnlyOnceTheResponseIsWritten() async {
    let client = InMemoryClient()
    let sink = ForwardingSink(client: client)
    let connection = Connection(sink: sink, configuration: .init(maxMessageBytes: 1000))
    connection.register(method: "initialize") { _, _ in Array(#"{"ok":true}"#.utf8) }
    connection.register(method: "test/answerThenFollow") { _, context in
        context.afterResponse {
            // Whatever the follow-up sees of the output, the answer is already in it.
            let written = sink.frames.withLock { $0 }
            let answered = written.contains { $0.contains(#""id":2"#) && $0.contains(#""answer""#) }
            connection.send(FollowUpNotification(seen: answered ? 1 : 0))
        }
        return Array(#""answer""#.utf8)
    }
    let run = Task { await connection.run(input: client.input) }
    client.send(request("1", "initialize"))
    _ = await client.response(to: .int(1))
    client.send(request("2", "test/answerThenFollow"))
    #expect(await client.response(to: .int(2))["result"] == .string("answer"))
    let followUp = await client.receive { $0["method"] == "test/followUp" }
    #expect(followUp["params"]?["seen"] == .int(1))
    client.closeInput()
    _ = await run.value
}
