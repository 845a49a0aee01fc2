import ImaginAIProtocol
import JSONRPC
import Testing

// The session is a value: each test feeds it events in order and checks the actions it returns.

@Test func sessionRefusesEverythingButInitializeFirst() {
    var session = Session(maxPendingRequests: 4)
    #expect(session.admit(id: 1, method: "scenario/list", isRegistered: true)
        == .reject(ResponseError(code: .serverNotInitialized, message: "Server not initialized: send initialize first")))
    #expect(session.phase == .uninitialized)
    #expect(session.admit(id: 2, method: "initialize", isRegistered: true) == .run(serial: 1))
    #expect(session.phase == .running)
    guard case .reject(let again) = session.admit(id: 3, method: "initialize", isRegistered: true) else {
        Issue.record("a second initialize must be refused"); return
    }
    #expect(again.code == .invalidRequest)
}

@Test func sessionShutdownEndsAdmissionAndSetsTheExitCode() {
    var session = Session(maxPendingRequests: 4)
    _ = session.admit(id: 1, method: "initialize", isRegistered: true)
    #expect(session.exitCode == 1)
    #expect(session.admit(id: 2, method: "shutdown", isRegistered: false) == .shutdown(serial: 2))
    #expect(session.exitCode == 0)
    guard case .reject(let late) = session.admit(id: 3, method: "scenario/list", isRegistered: true) else {
        Issue.record("requests after shutdown must be refused"); return
    }
    #expect(late.message.contains("shutting down"))
    #expect(!session.exitRequested)
    session.exit()
    #expect(session.exitRequested)
}

@Test func sessionUnknownMethodIsMethodNotFoundAndReservesNothing() {
    var session = Session(maxPendingRequests: 4)
    _ = session.admit(id: 1, method: "initialize", isRegistered: true)
    #expect(session.admit(id: 2, method: "no/such", isRegistered: false) == .reject(.methodNotFound("no/such")))
    #expect(session.inFlight == 1)
    // The id was not reserved, so it may be used right away.
    #expect(session.admit(id: 2, method: "test/echo", isRegistered: true) == .run(serial: 2))
}

@Test func sessionRefusesADuplicateIdUntilItIsAnswered() {
    var session = Session(maxPendingRequests: 4)
    _ = session.admit(id: "a", method: "initialize", isRegistered: true)
    guard case .reject(let duplicate) = session.admit(id: "a", method: "test/echo", isRegistered: true) else {
        Issue.record("an id still running must be refused"); return
    }
    #expect(duplicate.message.contains(#"id "a""#))
    session.answered("a")
    #expect(session.admit(id: "a", method: "test/echo", isRegistered: true) == .run(serial: 2))
}

@Test func sessionCancellationFindsOnlyUnansweredRequests() {
    var session = Session(maxPendingRequests: 4)
    _ = session.admit(id: 1, method: "initialize", isRegistered: true)
    #expect(session.cancel(nil) == .missingID)
    #expect(session.cancel(9) == .notRunning)
    #expect(session.admit(id: 9, method: "test/wait", isRegistered: true) == .run(serial: 2))
    #expect(!session.shouldCancel(9))
    #expect(session.cancel(9) == .cancel(serial: 2))
    // A cancel that arrives before the work is registered is kept for when it starts.
    #expect(session.shouldCancel(9))
    session.answered(9)
    #expect(!session.shouldCancel(9))
    #expect(session.cancel(9) == .notRunning)
}

@Test func sessionPendingLimitIsRoomNotRejection() {
    var session = Session(maxPendingRequests: 2)
    _ = session.admit(id: 1, method: "initialize", isRegistered: true)
    #expect(session.hasRoom)
    _ = session.admit(id: 2, method: "test/wait", isRegistered: true)
    #expect(!session.hasRoom)
    // Over the limit is still admitted (a batch may go over by its size); the reader is what waits.
    #expect(session.admit(id: 3, method: "test/wait", isRegistered: true) == .run(serial: 3))
    session.answered(1)
    let roomAfterFirst = session.finished(serial: 1)
    #expect(!roomAfterFirst)
    session.answered(2)
    let roomAfterSecond = session.finished(serial: 2)
    #expect(roomAfterSecond)
    #expect(session.hasRoom)
    #expect(session.inFlight == 1)
}
