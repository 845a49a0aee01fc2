import ImaginAIProtocol

/// The LSP lifecycle and request bookkeeping of one connection, as a plain value: it is told what
/// arrived and what finished, and answers with what to do. It owns no thread, task or lock (the
/// connection keeps it behind one), so every rule here is tested by feeding it events in order.
public struct Session: Sendable {
    public enum Phase: Sendable, Equatable { case uninitialized, running, shutDown }

    /// What to do with an arriving request.
    public enum Admission: Sendable, Equatable {
        /// Answer at once with this error; nothing runs.
        case reject(ResponseError)
        /// Run the method's handler; `serial` names the work until `finished(_:serial:)`.
        case run(serial: Int)
        /// Answer `shutdown` once every other request has finished.
        case shutdown(serial: Int)
    }

    /// What to do with `$/cancelRequest`.
    public enum Cancellation: Sendable, Equatable {
        /// The request is running (or about to start): cancel the work with this serial; work not
        /// registered yet is cancelled as it starts (`shouldCancel`).
        case cancel(serial: Int)
        /// No such request is unanswered: nothing to do.
        case notRunning
        /// The notification carried no id.
        case missingID
    }

    public private(set) var phase: Phase = .uninitialized
    /// Set by `exit`: the connection stops reading.
    public private(set) var exitRequested = false
    /// Requests running at once before the reader waits (back-pressure, not rejection).
    public let maxPendingRequests: Int

    /// Ids of requests not yet answered, reserved when the request is accepted (so a duplicate
    /// arriving before its work starts is refused) and released just before the response is written
    /// (so a client may reuse an id as soon as it has the answer).
    private var unanswered: [RequestID: Int] = [:]
    /// Requests whose work has started and not yet fully finished: what the pending limit counts.
    private var started = 0
    private var cancelled: Set<RequestID> = []
    private var nextSerial = 0

    public init(maxPendingRequests: Int) {
        self.maxPendingRequests = maxPendingRequests
    }

    /// Decides the fate of request `id` for `method`, in arrival order. `isRegistered` says whether the
    /// dispatcher has a handler for the method.
    public mutating func admit(id: RequestID, method: String, isRegistered: Bool) -> Admission {
        if unanswered[id] != nil {
            return .reject(.invalidRequest("Invalid request: id \(Self.describe(id)) is already in use by a request still running"))
        }
        switch (phase, method) {
        case (.uninitialized, "initialize"):
            phase = .running
        case (.uninitialized, _):
            return .reject(ResponseError(code: .serverNotInitialized, message: "Server not initialized: send initialize first"))
        case (.running, "initialize"):
            return .reject(.invalidRequest("Invalid request: initialize was already received"))
        case (.running, "shutdown"):
            phase = .shutDown
            return .shutdown(serial: reserve(id))
        case (.shutDown, _):
            return .reject(.invalidRequest("Invalid request: the server is shutting down"))
        case (.running, _):
            break
        }
        guard isRegistered else { return .reject(.methodNotFound(method)) }
        return .run(serial: reserve(id))
    }

    private mutating func reserve(_ id: RequestID) -> Int {
        nextSerial += 1
        unanswered[id] = nextSerial
        started += 1
        return nextSerial
    }

    /// Whether the work just started for `id` must be cancelled at once (its cancel came first).
    public func shouldCancel(_ id: RequestID) -> Bool { cancelled.contains(id) }

    public mutating func cancel(_ id: RequestID?) -> Cancellation {
        guard let id else { return .missingID }
        guard let serial = unanswered[id] else { return .notRunning }
        // Recorded even if the work has not started yet: `shouldCancel` tells it as it starts.
        cancelled.insert(id)
        return .cancel(serial: serial)
    }

    /// The response to `id` is about to be written: the id is free again.
    public mutating func answered(_ id: RequestID) {
        unanswered[id] = nil
        if !cancelled.isEmpty { cancelled.remove(id) }
    }

    /// The work with this serial has fully finished (its response written); call once per admitted
    /// serial. Returns true when there is room below the pending limit, so a waiting reader may go on.
    @discardableResult
    public mutating func finished(serial: Int) -> Bool {
        started -= 1
        return started < maxPendingRequests
    }

    /// False when `maxPendingRequests` are unanswered: the reader waits before taking the next message.
    public var hasRoom: Bool { started < maxPendingRequests }

    /// Requests whose work has not finished.
    public var inFlight: Int { started }

    public mutating func exit() { exitRequested = true }

    /// The process exit code LSP prescribes: 0 after `shutdown`, 1 otherwise.
    public var exitCode: Int32 { phase == .shutDown ? 0 : 1 }

    static func describe(_ id: RequestID) -> String {
        var out = JSONOutput(capacity: 16)
        out.value(id)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
