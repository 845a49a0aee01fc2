import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// How long a provider may take. The idle timeout catches a hung connection or a stalled stream;
/// the deadline bounds a stream that trickles forever.
public struct HTTPTimeouts: Sendable, Equatable {
    public var idle: Duration
    public var deadline: Duration

    public init(idle: Duration = .seconds(60), deadline: Duration = .seconds(600)) {
        self.idle = idle
        self.deadline = deadline
    }
}

public enum HTTPStreamEvent: Sendable {
    case head(status: Int, headers: [String: String])
    case body([UInt8])
}

/// Why an HTTP exchange ended without a complete response.
public enum HTTPTransportError: Error, Sendable, Equatable {
    /// Nothing arrived for the idle timeout, or the deadline passed.
    case timeout(idle: Bool)
    /// The connection could not be made or broke; the text is the system's description, which never
    /// contains request headers.
    case network(String)
}

/// Streams an HTTP response with URLSession's data delegate, which hands over bytes as they arrive
/// (on Linux `URLSession.bytes(for:)` does not exist, and the completion-handler API buffers the whole
/// body). Cancelling the consumer cancels the URLSessionTask, which closes the connection at once.
public enum HTTPStream {
    public static func send(_ request: URLRequest, timeouts: HTTPTimeouts) -> AsyncThrowingStream<HTTPStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let delegate = StreamingDelegate(continuation: continuation)
            let configuration = URLSessionConfiguration.ephemeral
            // Our own watchdog enforces the timeouts; URLSession's would end the stream with a generic error.
            configuration.timeoutIntervalForRequest = 24 * 3600
            configuration.timeoutIntervalForResource = 24 * 3600
            configuration.urlCache = nil
            configuration.httpCookieStorage = nil
            let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
            let task = session.dataTask(with: request)
            let watchdog = Task { [delegate] in
                let start = ContinuousClock.now
                while !Task.isCancelled {
                    let now = ContinuousClock.now
                    let idleEnd = delegate.lastActivity + timeouts.idle
                    let deadlineEnd = start + timeouts.deadline
                    if now >= deadlineEnd || now >= idleEnd {
                        delegate.fail(HTTPTransportError.timeout(idle: now >= idleEnd && now < deadlineEnd))
                        task.cancel()
                        return
                    }
                    try? await Task.sleep(until: min(idleEnd, deadlineEnd), clock: .continuous)
                }
            }
            delegate.watchdog = watchdog
            continuation.onTermination = { _ in
                watchdog.cancel()
                task.cancel()
                session.invalidateAndCancel()
            }
            task.resume()
        }
    }
}

private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation
    private let state = Mutex<(activity: ContinuousClock.Instant, failure: (any Error)?, done: Bool)>((.now, nil, false))
    // Set once, before the task starts.
    nonisolated(unsafe) var watchdog: Task<Void, Never>?

    init(continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation) {
        self.continuation = continuation
    }

    var lastActivity: ContinuousClock.Instant { state.withLock { $0.activity } }

    private func touch() { state.withLock { $0.activity = .now } }

    /// Ends the stream with an error of our own (a timeout) before the task's cancellation arrives.
    func fail(_ error: any Error) {
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state.done = true
            state.failure = error
            return true
        }
        if first { continuation.finish(throwing: error) }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        touch()
        if let http = response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            continuation.yield(.head(status: http.statusCode, headers: headers))
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        touch()
        continuation.yield(.body([UInt8](data)))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        watchdog?.cancel()
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state.done = true
            return true
        }
        if first {
            if let error {
                continuation.finish(throwing: HTTPTransportError.network(Self.describe(error)))
            } else {
                continuation.finish()
            }
        }
        // Releases the session's strong reference to this delegate.
        session.finishTasksAndInvalidate()
    }

    /// The error's own wording without the URL (a query string could hold a key on some servers).
    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        let text = nsError.localizedDescription
        return text.isEmpty ? "connection error \(nsError.code)" : text
    }
}
