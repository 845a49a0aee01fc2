import Foundation

/// Turns one provider's stream of events (SSE events, or NDJSON lines as events' data) into story events.
protocol StreamDecoder {
    mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent]
    /// The stream ended cleanly; throws `ProviderStreamError.truncated` when the provider had not
    /// said it was done.
    mutating func finish() throws -> [GenerationEvent]
}

enum ProviderStreamError: Error {
    /// An event whose payload could not be read.
    case malformed(String)
    /// The provider reported an error inside a stream that had started well.
    case reported(status: Int?, body: String)
    /// The connection closed before the provider's end-of-answer marker.
    case truncated
}

/// What differs between providers: the request and the wire format of the answer.
protocol WireFormat: Sendable {
    associatedtype Decoder: StreamDecoder
    var kind: ProviderKind { get }
    var framing: Framing { get }
    func httpRequest(for request: GenerationRequest, model: String, baseURL: URL, key: APIKey?) throws -> HTTPRequest
    func makeDecoder(for request: GenerationRequest) -> Decoder
}

enum Framing { case sse, ndjson }

/// Retries and backoff; the defaults are production values, tests shorten them.
public struct RetryPolicy: Sendable {
    /// Further attempts on the same key after a 5xx or a connection failure.
    public var serverRetries: Int
    /// The first backoff; each later one doubles, plus up to 50% jitter so several clients do not
    /// retry in step.
    public var backoff: Duration

    public init(serverRetries: Int = 2, backoff: Duration = .milliseconds(500)) {
        self.serverRetries = serverRetries
        self.backoff = backoff
    }
}

/// One provider for the whole session: its configuration, its keys' state, its timeouts.
public final class ProviderRuntime: Sendable {
    public let configuration: ProviderConfiguration
    let keys: KeyPool
    public let timeouts: HTTPTimeouts
    public let retry: RetryPolicy
    /// Debug lines about attempts, rotation and retries; keys appear only by position ("key #2").
    let log: @Sendable (String) -> Void

    public init(
        configuration: ProviderConfiguration, timeouts: HTTPTimeouts = HTTPTimeouts(), retry: RetryPolicy = RetryPolicy(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.keys = KeyPool(keys: configuration.keys)
        self.timeouts = timeouts
        self.retry = retry
        self.log = log
    }

    var name: String { configuration.kind.rawValue }

    func stream<Format: WireFormat>(_ format: Format, model: String, request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    // The HTTP thread yields decoded events straight into this stream: the one hand-over
                    // between threads on the way to the story.
                    try await self.drive(format, model: model, request: request) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs the generation in the calling task; `sink` gets the decoded events on the HTTP thread as
    /// they are read (and the final one on the caller's), with no hand-over between threads.
    func generate<Format: WireFormat>(
        _ format: Format, model: String, request: GenerationRequest, into sink: @escaping @Sendable (GenerationEvent) -> Void
    ) async throws {
        try await drive(format, model: model, request: request, yield: sink)
    }

    private enum Next {
        case nextKey
        case sameKey
        case fail
    }

    private struct AttemptFailure: Error {
        var next: Next
        var error: ProviderError
    }

    private func drive<Format: WireFormat>(
        _ format: Format, model: String, request: GenerationRequest, yield: @escaping @Sendable (GenerationEvent) -> Void
    ) async throws {
        var tried = Set<Int>()
        var retriesOnKey = 0
        var lastRateLimit: ProviderError?
        // When every key has failed, the last key's own failure (with its status) says the most.
        var lastKeyFailure: ProviderError?
        var emitted = false
        while true {
            try Task.checkCancellation()
            var current: (index: Int, key: APIKey)?
            if keys.isEmpty {
                if configuration.keyRequired { throw missingKey(model: model) }
            } else {
                switch keys.pick(excluding: tried) {
                case .key(let index, let key): current = (index, key)
                case .coolingDown(let delay):
                    let ms = Self.milliseconds(delay)
                    throw ProviderError(
                        provider: name, status: lastRateLimit?.status ?? 429, kind: .rateLimit, retryAfterMs: ms,
                        message: "\(format.kind.displayName) is rate-limiting every configured key; try again in \(Self.seconds(ms)), or add another key")
                case .exhausted:
                    if let lastKeyFailure { throw lastKeyFailure }
                    throw ProviderError(
                        provider: name, kind: .auth,
                        message: "\(format.kind.displayName) rejected every configured API key this session; check \(format.kind.keyVariable ?? "the keys") and restart the session")
                }
            }
            let httpRequest = try format.httpRequest(for: request, model: model, baseURL: configuration.baseURL, key: current?.key)
            log("\(name)/\(model): POST \(URL(string: httpRequest.url)?.path ?? "") " + (current.map { "with key #\($0.index + 1)" } ?? "without a key"))
            do {
                try await attempt(httpRequest, format: format, model: model, request: request, emitted: &emitted, yield: yield)
                return
            } catch let failure as AttemptFailure {
                switch failure.next {
                case .nextKey where current != nil && !emitted:
                    log("\(name)/\(model): key #\(current!.index + 1) failed (\(failure.error.kind.rawValue)); trying another key")
                    tried.insert(current!.index)
                    retriesOnKey = 0
                    lastKeyFailure = failure.error
                    if failure.error.kind == .rateLimit {
                        lastRateLimit = failure.error
                        keys.rest(current!.index, for: .milliseconds(failure.error.retryAfterMs ?? 30_000))
                    } else {
                        keys.retire(current!.index)
                    }
                case .sameKey where retriesOnKey < retry.serverRetries && !emitted:
                    let base = retry.backoff * (1 << retriesOnKey)
                    retriesOnKey += 1
                    log("\(name)/\(model): \(failure.error.kind.rawValue) failure, retry \(retriesOnKey) of \(retry.serverRetries)")
                    try await Task.sleep(for: base + base * Double.random(in: 0..<0.5))
                default:
                    if failure.error.kind == .rateLimit, let index = current?.index {
                        keys.rest(index, for: .milliseconds(failure.error.retryAfterMs ?? 30_000))
                    } else if failure.error.kind == .auth, let index = current?.index {
                        keys.retire(index)
                    }
                    throw failure.error
                }
            }
        }
    }

    private func attempt<Format: WireFormat>(
        _ httpRequest: HTTPRequest, format: Format, model: String, request: GenerationRequest, emitted: inout Bool,
        yield: @escaping @Sendable (GenerationEvent) -> Void
    ) async throws {
        let response = StreamingResponse(framing: format.framing, decoder: format.makeDecoder(for: request), emitted: emitted, yield: yield)
        defer { emitted = response.emitted }
        do {
            try await HTTPClient.perform(httpRequest, timeouts: timeouts, consumer: response)
            try response.finishLines()
        } catch let error as HTTPTransportError {
            if Task.isCancelled { throw CancellationError() }
            let status = response.status
            switch error {
            case .timeout(let idle):
                let limit = Self.seconds(Self.milliseconds(idle ? timeouts.idle : timeouts.deadline))
                if status == 0 {
                    // Not even the response's head came: as far as the user can tell, nothing is there.
                    throw AttemptFailure(next: .fail, error: unreachable(
                        model: model, kind: .timeout, detail: "no answer within \(limit)"))
                }
                throw AttemptFailure(next: .fail, error: ProviderError(
                    provider: name, status: status, kind: .timeout,
                    message: idle
                        ? "\(format.kind.displayName) sent nothing for \(limit); the request was abandoned"
                        : "\(format.kind.displayName) did not finish within \(limit); the request was abandoned"))
            case .network(let description):
                if status == 0 {
                    throw AttemptFailure(next: .sameKey, error: unreachable(
                        model: model, kind: .network, detail: configuration.redact(description)))
                }
                throw AttemptFailure(next: .sameKey, error: ProviderError(
                    provider: name, status: status, kind: .network,
                    message: "The connection to \(format.kind.displayName) broke before the answer was complete: \(configuration.redact(description))"))
            }
        } catch let error as ProviderStreamError {
            throw AttemptFailure(next: .fail, error: streamFailure(error, format: format, status: response.status))
        }
        let status = response.status
        let headers = response.headers
        let errorBody = response.errorBody
        try Task.checkCancellation()

        guard (200..<300).contains(status) else {
            throw httpFailure(
                status: status, headers: headers, body: String(decoding: errorBody, as: UTF8.self), format: format, model: model,
                path: URL(string: httpRequest.url)?.path ?? "")
        }
        do {
            for generated in try response.decoder.finish() { yield(generated) }
        } catch let error as ProviderStreamError {
            throw AttemptFailure(next: response.emitted ? .fail : .sameKey, error: streamFailure(error, format: format, status: status))
        }
    }

    private func streamFailure<Format: WireFormat>(_ error: ProviderStreamError, format: Format, status: Int) -> ProviderError {
        let who = format.kind.displayName
        switch error {
        case .malformed(let what):
            return ProviderError(
                provider: name, status: status, kind: .server,
                message: "\(who) sent a stream event that could not be read (\(configuration.redact(what))); the answer was cut there")
        case .reported(let reportedStatus, let body):
            let detail = ErrorClassifier.providerMessage(body).map { ": " + configuration.redact($0) } ?? ""
            let kind = reportedStatus.map { ErrorClassifier.kind(status: $0, body: body) } ?? .server
            return ProviderError(
                provider: name, status: reportedStatus, kind: kind == .invalidRequest ? .server : kind,
                message: "\(who) reported an error during the answer\(detail)")
        case .truncated:
            return ProviderError(
                provider: name, status: status, kind: .network,
                message: "The connection to \(who) closed before the answer was complete")
        }
    }

    /// No key for an API that needs one. The OpenAI-compatible provider reaches api.openai.com only by
    /// default: without OPENAI_BASE_URL, the user most often meant a server of their own.
    private func missingKey(model: String) -> ProviderError {
        let kind = configuration.kind
        let variable = kind.keyVariable ?? "the key"
        let url = configuration.displayURL
        let message: String
        if kind == .openai && configuration.baseURLIsDefault {
            message = "\(name)/\(model) goes to OpenAI at \(url), as \(kind.baseURLVariable) is not set, and no API key is configured for it: "
                + "to use a server of your own set \(kind.baseURLVariable) to it (a llama.cpp server on 127.0.0.1:8080 is also llamacpp/\(model)), "
                + "to use OpenAI set \(variable), \(ProviderError.wayBack)"
        } else {
            message = "No API key is configured for \(kind.displayName) at \(url): set \(variable) (or \(variable)_1, \(variable)_2, …) "
                + "or initializationOptions.providers.\(name).apiKeys, \(ProviderError.wayBack)"
        }
        return ProviderError(provider: name, kind: .auth, message: message, reason: .keyMissing, baseURL: url)
    }

    /// Nothing answered at the base URL.
    private func unreachable(model: String, kind: ProviderError.Kind, detail: String) -> ProviderError {
        let url = configuration.displayURL
        let variable = configuration.kind.baseURLVariable
        let fix = configuration.isLocal
            ? "start the server, or set \(variable) to where it runs"
            : "check the network and \(variable)"
        return ProviderError(
            provider: name, kind: kind,
            message: "Nothing answers at \(url), where \(name)/\(model) is served (\(detail)): \(fix), \(ProviderError.wayBack)",
            reason: .unreachable, baseURL: url)
    }

    private func httpFailure<Format: WireFormat>(
        status: Int, headers: [String: String], body: String, format: Format, model: String, path: String
    ) -> AttemptFailure {
        let who = format.kind.displayName
        let kind = ErrorClassifier.kind(status: status, body: body)
        let detail = ErrorClassifier.providerMessage(body).map { ": " + configuration.redact($0) } ?? ""
        switch kind {
        case .rateLimit:
            let delay = ErrorClassifier.retryAfter(headers: headers, body: body)
            let ms = delay.map(Self.milliseconds)
            return AttemptFailure(next: .nextKey, error: ProviderError(
                provider: name, status: status, kind: .rateLimit, retryAfterMs: ms,
                message: "\(who) is rate-limiting this key (HTTP \(status))" + (ms.map { "; try again in \(Self.seconds($0))" } ?? "") + detail))
        case .auth:
            return AttemptFailure(next: .nextKey, error: ProviderError(
                provider: name, status: status, kind: .auth,
                message: "\(who) at \(configuration.displayURL) rejected the API key (HTTP \(status))\(detail): check \(format.kind.keyVariable ?? "its key") or initializationOptions.providers.\(name).apiKeys, \(ProviderError.wayBack)",
                reason: .keyRejected, baseURL: configuration.displayURL))
        case .server:
            return AttemptFailure(next: .sameKey, error: ProviderError(
                provider: name, status: status, kind: .server,
                message: "\(who) failed with HTTP \(status) (after \(retry.serverRetries + 1) attempts); try again later\(detail)"))
        case .contextLength:
            return AttemptFailure(next: .fail, error: ProviderError(
                provider: name, status: status, kind: .contextLength,
                message: "The prompt is longer than the model accepts; lower maxOutputTokens, shorten the cards or plot essentials, or choose a model with a larger context\(detail)"))
        default:
            if ErrorClassifier.isUnknownModel(status: status, body: body) {
                return AttemptFailure(next: .fail, error: ProviderError(
                    provider: name, status: status, kind: .invalidRequest,
                    message: "\(who) at \(configuration.displayURL) does not have the model '\(model)' (HTTP \(status)\(detail)): models/list shows the models it has; pick one of those, \(ProviderError.wayBack)",
                    reason: .modelUnknown, baseURL: configuration.displayURL))
            }
            if status == 404 {
                return AttemptFailure(next: .fail, error: ProviderError(
                    provider: name, status: status, kind: .invalidRequest,
                    message: "\(who) at \(configuration.displayURL) has no \(path) (HTTP 404\(detail)): check \(format.kind.baseURLVariable), whose path is where the API is served, \(ProviderError.wayBack)",
                    reason: .wrongPath, baseURL: configuration.displayURL))
            }
            return AttemptFailure(next: .fail, error: ProviderError(
                provider: name, status: status, kind: .invalidRequest,
                message: "\(who) refused the request (HTTP \(status)); check the model id and settings\(detail)"))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ ms: Int) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : String(format: "%.1f s", Double(ms) / 1000)
    }
}

/// A model behind a provider: the `LanguageModel` the story service streams from.
struct HTTPLanguageModel<Format: WireFormat>: LanguageModel {
    let format: Format
    let model: String
    let runtime: ProviderRuntime
    let descriptor: ModelDescriptor

    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        runtime.stream(format, model: model, request: request)
    }

    func generate(_ request: GenerationRequest, into sink: @escaping @Sendable (GenerationEvent) -> Void) async throws {
        try await runtime.generate(format, model: model, request: request, into: sink)
    }
}

/// One attempt's response, read on the HTTP thread: SSE or NDJSON framing and the provider's decoder
/// run in the write callback, and story events go straight to the turn's stream. The attempt reads the
/// other fields only after `HTTPClient.perform` has returned, which orders those reads after the writes.
final class StreamingResponse<Decoder: StreamDecoder>: HTTPResponseConsumer, @unchecked Sendable {
    let framing: Framing
    var decoder: Decoder
    private let yield: @Sendable (GenerationEvent) -> Void
    private(set) var emitted: Bool
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var errorBody: [UInt8] = []
    private var parser = SSEParser()
    private var splitter = NDJSONSplitter()

    init(framing: Framing, decoder: Decoder, emitted: Bool, yield: @escaping @Sendable (GenerationEvent) -> Void) {
        self.framing = framing
        self.decoder = decoder
        self.emitted = emitted
        self.yield = yield
    }

    func head(status: Int, headers: [String: String]) {
        self.status = status
        self.headers = headers
    }

    func body(_ bytes: UnsafeRawBufferPointer) throws {
        guard (200..<300).contains(status) else {
            if errorBody.count < 65_536 { errorBody.append(contentsOf: bytes) }
            return
        }
        switch framing {
        case .sse:
            for event in parser.feed(bytes) { try deliver(event) }
        case .ndjson:
            for line in splitter.feed(bytes) { try deliver(SSEEvent(data: line)) }
        }
    }

    /// The last NDJSON line when the stream ended without a newline after it.
    func finishLines() throws {
        if framing == .ndjson, (200..<300).contains(status), let line = splitter.finish() {
            try deliver(SSEEvent(data: line))
        }
    }

    private func deliver(_ event: SSEEvent) throws {
        for generated in try decoder.decode(event) {
            if case .text = generated { emitted = true }
            yield(generated)
        }
    }
}

extension HTTPRequest {
    /// A JSON POST; the body is encoded from plain dictionaries so each provider writes its request
    /// as it appears in the provider's documentation.
    static func jsonPost(_ url: URL, body: [String: Any], headers: [String: String]) throws -> HTTPRequest {
        var fields = ["Content-Type": "application/json"]
        for (name, value) in headers { fields[name] = value }
        let encoded = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return HTTPRequest(method: "POST", url: url, headers: fields, body: [UInt8](encoded))
    }
}

/// Reads a JSON payload of a stream event as a dictionary.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw ProviderStreamError.malformed("not a JSON object: \(text.prefix(80))")
    }
    return object
}
