import Foundation
import ImaginAIProtocol
import Synchronization
import Testing
@testable import JSONRPC

private struct Greet: RequestType {
    static let method = "test/greet"
    typealias Response = Greeting
    var name: String
}

private struct Greeting: Codable, Sendable, Equatable {
    var text: String
    var count: Int
}

private struct Said: NotificationType {
    static let method = "test/said"
    var text: String
}

/// Frames seen by the client that no call was waiting for, and notifications, in arrival order.
private final class Seen: Sendable {
    private struct Frames {
        var bodies: [String] = []
        var waiter: (count: Int, continuation: CheckedContinuation<[String], Never>)?
    }
    private let frameState = Mutex(Frames())
    let notifications = Mutex<[String]>([])

    func add(frame: String) {
        let ready = frameState.withLock { state -> (CheckedContinuation<[String], Never>, [String])? in
            state.bodies.append(frame)
            guard let waiter = state.waiter, state.bodies.count >= waiter.count else { return nil }
            state.waiter = nil
            return (waiter.continuation, state.bodies)
        }
        if let (continuation, bodies) = ready { continuation.resume(returning: bodies) }
    }

    /// Waits until `count` frames have arrived and returns them.
    func frames(count: Int) async -> [String] {
        await withCheckedContinuation { continuation in
            let ready = frameState.withLock { state -> [String]? in
                if state.bodies.count >= count { return state.bodies }
                state.waiter = (count, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// A real server `Connection` and a `ClientConnection` joined by two OS pipes in this process: the
/// in-memory pair, with the same reader thread and writer as a child process's pipes.
private func makePair(seen: Seen) throws -> (ClientConnection, Task<Int32, Never>) {
    var toServer: [Int32] = [0, 0]
    var toClient: [Int32] = [0, 0]
    guard pipe(&toServer) == 0, pipe(&toClient) == 0 else { throw ChildProcessError("no pipes") }
    let server = Connection(sink: FileDescriptorSink(descriptor: toClient[1]))
    server.register(method: "initialize") { _, _ in Array("{}".utf8) }
    server.register(Greet.self, immediate: true) { request, context in
        context.notify(Said(text: "greeting \(request.name)"))
        guard !request.name.isEmpty else { throw ResponseError.invalidParams("Invalid params: 'name' is empty", field: "name") }
        return Greeting(text: "Hello, \(request.name)", count: request.name.count)
    }
    let serverInput = toServer[0]
    let serverOutput = toClient[1]
    let run = Task {
        let code = await server.run(readingFrom: serverInput)
        close(serverInput)
        close(serverOutput)
        return code
    }
    let client = ClientConnection(
        reading: toClient[0], writing: toServer[1],
        onNotification: { method, params in
            seen.notifications.withLock { $0.append("\(method) \(params?["text"]?.stringValue ?? "-")") }
        },
        onUnmatched: { body in seen.add(frame: String(decoding: body, as: UTF8.self)) })
    return (client, run)
}

@Test func clientSendsTypedRequestsAndGetsTypedAnswersAndErrors() async throws {
    let seen = Seen()
    let (client, run) = try makePair(seen: seen)
    _ = try await client.request("initialize", ["clientInfo": ["name": "tests"]])
    let greeting = try await client.send(Greet(name: "Zoë"))
    #expect(greeting == Greeting(text: "Hello, Zoë", count: 3))
    do {
        _ = try await client.send(Greet(name: ""))
        Issue.record("an error response must be thrown")
    } catch let error as ResponseError {
        #expect(error.code == .invalidParams)
        #expect(error.data?["field"] == "name")
    }
    // The handler's notifications arrive before its answer, so both are here by now.
    #expect(seen.notifications.withLock { $0 } == ["test/said greeting Zoë", "test/said greeting "])
    client.closeInput()
    #expect(await run.value == 1)
}

@Test func clientHandsRawTrafficToTheCallerAndFailsCallsWhenTheServerEnds() async throws {
    let seen = Seen()
    let (client, run) = try makePair(seen: seen)
    // Raw bytes, answered to a frame no call waits for: it reaches the caller unparsed.
    client.sendRaw(Framing.frame(Array(#"{"jsonrpc":"2.0","id":"raw","method":"initialize"}"#.utf8)))
    let id = client.takeID()
    client.sendRaw(Framing.frame(ClientConnection.requestBody(id: id, method: "test/greet", params: Array(#"{"name":"x"}"#.utf8))))
    // A typed call among them gets its own answer; the others (in any order: requests run side by
    // side) reach the caller unparsed.
    #expect(try await client.send(Greet(name: "y")).text == "Hello, y")
    let frames = await seen.frames(count: 2)
    #expect(Set(frames) == [#"{"id":"raw","jsonrpc":"2.0","result":{}}"#, #"{"id":\#(id),"jsonrpc":"2.0","result":{"count":1,"text":"Hello, x"}}"#])
    client.notify("exit")
    #expect(await run.value == 1)
    do {
        _ = try await client.send(Greet(name: "late"))
        Issue.record("a call after the server ended must fail")
    } catch is ClientConnection.Closed {}
}
