import FoundationEssentials
import Synchronization

/// A model a provider offers, as its server lists it.
public struct ProviderModel: Sendable, Equatable {
    public var descriptor: ModelDescriptor
    public var available: Bool
    public var reason: String?
    /// Served on this machine (a loopback address): no network, no key.
    public var local = false
}

/// Every HTTP provider of a session: builds models by id and lists what each configured server offers.
public final class Providers: Sendable {
    /// The context size assumed for a model whose server does not say (OpenAI-compatible servers,
    /// Ollama and Anthropic list no sizes): small enough for any current model.
    public static let defaultContextTokens = 8192
    /// How long a server's model list is reused before it is asked again.
    public static let listLifetime: Duration = .seconds(300)
    /// How long a failure to list is remembered, so an unreachable server does not cost every
    /// `models/list` its timeout, yet a server just started is seen soon.
    public static let failedListLifetime: Duration = .seconds(30)
    /// How long a local server not configured is waited for: a server on loopback answers its model
    /// list in milliseconds, and `models/list` must not wait on ports where nothing runs.
    public static let probeTimeout: Duration = .milliseconds(300)

    public let runtimes: [ProviderKind: ProviderRuntime]
    /// The local servers (`ProviderKind.local`) the user has not configured, looked for at their base
    /// URLs (on loopback only) by `list`.
    public let probed: Set<ProviderKind>
    private let cache = Mutex<[ProviderKind: (until: ContinuousClock.Instant, models: [ProviderModel])]>([:])

    /// `probe`: the local servers `list` looks for, when not configured.
    public init(
        configurations: [ProviderKind: ProviderConfiguration], timeouts: HTTPTimeouts = HTTPTimeouts(), retry: RetryPolicy = RetryPolicy(),
        probe: Set<ProviderKind> = Set(ProviderKind.local), log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        runtimes = configurations.mapValues { ProviderRuntime(configuration: $0, timeouts: timeouts, retry: retry, log: log) }
        // A port a configured provider already points at is listed under that provider, not twice.
        let configuredAddresses = Set(configurations.values.filter(\.configured).map(Self.address))
        probed = probe.filter { kind in
            guard ProviderKind.local.contains(kind), let configuration = configurations[kind], !configuration.configured else { return false }
            return configuration.isLocal && !configuredAddresses.contains(Self.address(configuration))
        }
    }

    private static func address(_ configuration: ProviderConfiguration) -> String {
        let url = configuration.baseURL
        return "\(url.host ?? ""):\(url.port ?? (url.scheme == "https" ? 443 : 80))"
    }

    /// A model by `provider/model` id, listed or not; nil when the provider is unknown.
    public func model(id: String) -> (any LanguageModel)? {
        let parts = id.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = ProviderKind(rawValue: parts[0]), let runtime = runtimes[kind] else { return nil }
        let name = parts[1]
        let listed = cache.withLock { $0[kind]?.models.first { $0.descriptor.id == id }?.descriptor }
        let descriptor = listed ?? ModelDescriptor(
            id: id, name: name, contextTokens: Self.defaultContextTokens, maxOutputTokens: 4096,
            supportsThinking: kind == .anthropic || kind == .gemini)
        switch kind {
        case .openai: return HTTPLanguageModel(format: OpenAIFormat(), model: name, runtime: runtime, descriptor: descriptor)
        case .llamacpp: return HTTPLanguageModel(format: OpenAIFormat(kind: .llamacpp), model: name, runtime: runtime, descriptor: descriptor)
        case .anthropic: return HTTPLanguageModel(format: AnthropicFormat(), model: name, runtime: runtime, descriptor: descriptor)
        case .gemini: return HTTPLanguageModel(format: GeminiFormat(), model: name, runtime: runtime, descriptor: descriptor)
        case .ollama: return HTTPLanguageModel(format: OllamaFormat(), model: name, runtime: runtime, descriptor: descriptor)
        }
    }

    /// The context size of a model as its server listed it, if it was listed.
    public func contextTokens(of id: String) -> Int? {
        cache.withLock { $0.values.lazy.flatMap(\.models).first { $0.descriptor.id == id }?.descriptor.contextTokens }
    }

    /// The models of every configured provider, asked of the servers at once (and cached); a server
    /// that cannot be asked gives one entry, `<provider>/*`, unavailable, with the reason. Then those
    /// of the local servers found running though not configured; where none runs, nothing.
    public func list(timeout: Duration = .seconds(5)) async -> [ProviderModel] {
        let configured = runtimes.values.filter(\.configuration.configured).sorted { $0.name < $1.name }
        let probes = runtimes.values.filter { probed.contains($0.configuration.kind) }.sorted { $0.name < $1.name }
        return await withTaskGroup(of: (Int, [ProviderModel]).self) { group in
            for (position, runtime) in configured.enumerated() {
                group.addTask { (position, await self.list(runtime, timeout: timeout)) }
            }
            for (position, runtime) in probes.enumerated() {
                group.addTask { (configured.count + position, await self.probe(runtime)) }
            }
            var results: [(Int, [ProviderModel])] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// A local server's models when one answers, remembered like any list; nothing when none does
    /// (remembered as long as a failure, so a server started meanwhile is seen soon).
    private func probe(_ runtime: ProviderRuntime) async -> [ProviderModel] {
        let kind = runtime.configuration.kind
        if let cached = cache.withLock({ $0[kind] }), ContinuousClock.now < cached.until {
            return cached.models
        }
        do {
            let models = try await ModelLister.list(runtime, timeout: Self.probeTimeout)
            cache.withLock { $0[kind] = (.now + Self.listLifetime, models) }
            return models
        } catch {
            cache.withLock { $0[kind] = (.now + Self.failedListLifetime, []) }
            return []
        }
    }

    private func list(_ runtime: ProviderRuntime, timeout: Duration) async -> [ProviderModel] {
        let kind = runtime.configuration.kind
        if let cached = cache.withLock({ $0[kind] }), ContinuousClock.now < cached.until {
            return cached.models
        }
        do {
            let models = try await ModelLister.list(runtime, timeout: timeout)
            cache.withLock { $0[kind] = (.now + Self.listLifetime, models) }
            return models
        } catch {
            let reason = (error as? ProviderError)?.message ?? "\(kind.displayName) could not be asked for its models"
            let failed = [ProviderModel(
                descriptor: ModelDescriptor(
                    id: "\(kind.rawValue)/*", name: "\(kind.displayName) at \(runtime.configuration.baseURL.host ?? "?") (any model id may still be typed)",
                    contextTokens: Self.defaultContextTokens, maxOutputTokens: 4096, supportsThinking: false),
                available: false, reason: reason, local: runtime.configuration.isLocal)]
            cache.withLock { $0[kind] = (.now + Self.failedListLifetime, failed) }
            return failed
        }
    }
}

/// Asks each kind of server for its models.
enum ModelLister {
    static func list(_ runtime: ProviderRuntime, timeout: Duration) async throws -> [ProviderModel] {
        let configuration = runtime.configuration
        let kind = configuration.kind
        let key = configuration.keys.first
        if key == nil && configuration.keyRequired {
            throw ProviderError(provider: kind.rawValue, kind: .auth, message: "No API key is configured for \(kind.displayName); set \(kind.keyVariable ?? "a key")")
        }
        var request: HTTPRequest
        switch kind {
        case .openai, .llamacpp:
            request = HTTPRequest(url: configuration.baseURL.appendingPathComponent("models"))
            if let key { request.headers["Authorization"] = "Bearer \(key.secret)" }
        case .anthropic:
            var components = URLComponents(url: configuration.baseURL.appendingPathComponent("v1/models"), resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "limit", value: "100")]
            request = HTTPRequest(url: components.url!)
            request.headers["anthropic-version"] = "2023-06-01"
            if let key { request.headers["x-api-key"] = key.secret }
        case .gemini:
            var components = URLComponents(url: configuration.baseURL.appendingPathComponent("models"), resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "pageSize", value: "1000")]
            request = HTTPRequest(url: components.url!)
            if let key { request.headers["x-goog-api-key"] = key.secret }
        case .ollama:
            request = HTTPRequest(url: configuration.baseURL.appendingPathComponent("api/tags"))
        }
        let (status, body) = try await fetch(request, timeout: timeout, runtime: runtime)
        guard (200..<300).contains(status) else {
            let detail = ErrorClassifier.providerMessage(body).map { ": " + configuration.redact($0) } ?? ""
            throw ProviderError(
                provider: kind.rawValue, status: status, kind: ErrorClassifier.kind(status: status, body: body),
                message: "\(kind.displayName) answered the model list with HTTP \(status)\(detail)")
        }
        let object = (try? jsonObject(body)) ?? [:]
        func entry(_ name: String, display: String? = nil, context: Int? = nil, output: Int? = nil, thinking: Bool = false) -> ProviderModel {
            ProviderModel(
                descriptor: ModelDescriptor(
                    id: "\(kind.rawValue)/\(name)", name: display ?? name, contextTokens: context ?? Providers.defaultContextTokens,
                    maxOutputTokens: output ?? 4096, supportsThinking: thinking),
                available: true, reason: nil, local: configuration.isLocal)
        }
        switch kind {
        case .openai, .llamacpp:
            return (object["data"] as? [[String: Any]] ?? []).compactMap { item in
                // OpenRouter says `context_length`; llama.cpp says `meta.n_ctx_train`.
                let context = item["context_length"] as? Int ?? (item["meta"] as? [String: Any])?["n_ctx_train"] as? Int
                return (item["id"] as? String).map { entry($0, context: context) }
            }
        case .anthropic:
            return (object["data"] as? [[String: Any]] ?? []).compactMap { item in
                (item["id"] as? String).map { entry($0, display: item["display_name"] as? String, context: 200_000, thinking: true) }
            }
        case .gemini:
            return (object["models"] as? [[String: Any]] ?? []).compactMap { item in
                let methods = item["supportedGenerationMethods"] as? [String] ?? []
                guard methods.contains("generateContent"), let name = item["name"] as? String else { return nil }
                let short = name.hasPrefix("models/") ? String(name.dropFirst(7)) : name
                return entry(
                    short, display: item["displayName"] as? String, context: item["inputTokenLimit"] as? Int,
                    output: item["outputTokenLimit"] as? Int, thinking: item["thinking"] as? Bool ?? false)
            }
        case .ollama:
            return (object["models"] as? [[String: Any]] ?? []).compactMap { item in
                (item["name"] as? String ?? item["model"] as? String).map { entry($0) }
            }
        }
    }

    private static func fetch(_ request: HTTPRequest, timeout: Duration, runtime: ProviderRuntime) async throws -> (Int, String) {
        let response = CollectedResponse(limit: 8 << 20)
        do {
            try await HTTPClient.perform(request, timeouts: HTTPTimeouts(idle: timeout, deadline: timeout), consumer: response)
        } catch let error as HTTPTransportError {
            let kind = runtime.configuration.kind
            let host = runtime.configuration.baseURL.host ?? "?"
            switch error {
            case .timeout:
                throw ProviderError(provider: kind.rawValue, kind: .timeout, message: "\(kind.displayName) at \(host) did not answer the model list in time")
            case .network(let description):
                throw ProviderError(
                    provider: kind.rawValue, kind: .network,
                    message: "Could not reach \(kind.displayName) at \(host): \(runtime.configuration.redact(description))")
            }
        }
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }
}

/// A whole (small) response body, kept up to a limit. Read only after `HTTPClient.perform` returns.
final class CollectedResponse: HTTPResponseConsumer, @unchecked Sendable {
    let limit: Int
    private(set) var status = 0
    private(set) var body: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    func head(status: Int, headers: [String: String]) { self.status = status }

    func body(_ bytes: UnsafeRawBufferPointer) throws {
        if body.count < limit { body.append(contentsOf: bytes) }
    }
}
