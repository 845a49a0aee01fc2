import FoundationEssentials
import ImaginAIProtocol
import JSONRPC
import LLM
import Logging
import Synchronization

/// The models the story methods can use: the offline storyteller, always, and every HTTP provider,
/// configured from the environment and then from `initializationOptions.providers`.
final class ModelRegistry: Sendable {
    /// The `provider` part a model id may have: the offline storyteller's, then every HTTP provider's.
    static let knownProviders = ["offline"] + ProviderKind.allCases.map(\.rawValue)

    private let environment: [String: String]
    /// Built on first use, not at start: a session that plays offline or only edits never pays for
    /// provider setup (and the HTTP stack behind it loads on the first request as well).
    private let providers: Mutex<(overrides: [String: ProviderConfiguration.Override], built: Providers?)>
    private let logger: Logger?

    init(environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger? = nil) {
        self.environment = environment
        self.logger = logger
        providers = Mutex(([:], nil))
    }

    /// Applies `initializationOptions.providers` (`{name: {baseURL?, apiKeys?}}`); unknown names and
    /// shapes are ignored rather than failing `initialize`, whose options are free-form.
    func configure(initializationOptions options: JSONValue?) {
        guard case .object(let providers)? = options?["providers"] else { return }
        var overrides: [String: ProviderConfiguration.Override] = [:]
        for (name, value) in providers {
            let keys = value["apiKeys"]?.arrayValue?.compactMap(\.stringValue) ?? value["apiKey"]?.stringValue.map { [$0] } ?? []
            overrides[name] = .init(baseURL: value["baseURL"]?.stringValue, apiKeys: keys)
        }
        self.providers.withLock { $0 = (overrides, nil) }
    }

    /// The providers as the environment and `initialize` configured them, set up on the first call.
    private var current: Providers {
        providers.withLock { state in
            if let built = state.built { return built }
            let built = Self.makeProviders(environment: environment, overrides: state.overrides, logger: logger)
            for kind in ProviderKind.allCases {
                if let runtime = built.runtimes[kind], runtime.configuration.configured {
                    let source = state.overrides[kind.rawValue] == nil ? "" : " (with initializationOptions)"
                    logger?.info("provider \(runtime.configuration)\(source)")
                }
            }
            state.built = built
            return built
        }
    }

    private static func makeProviders(
        environment: [String: String], overrides: [String: ProviderConfiguration.Override], logger: Logger?
    ) -> Providers {
        func duration(_ name: String) -> Duration? {
            environment[name].flatMap(Int.init).map { .milliseconds($0) }
        }
        let defaults = HTTPTimeouts()
        let timeouts = HTTPTimeouts(
            idle: duration("IMAGINAI_PROVIDER_IDLE_TIMEOUT_MS") ?? defaults.idle,
            deadline: duration("IMAGINAI_PROVIDER_DEADLINE_MS") ?? defaults.deadline)
        let retry = RetryPolicy(backoff: duration("IMAGINAI_PROVIDER_BACKOFF_MS") ?? RetryPolicy().backoff)
        let local = localServers(environment["IMAGINAI_LOCAL_SERVERS"], logger: logger)
        return Providers(
            configurations: ProviderConfiguration.load(environment: environment, overrides: overrides, localServers: local ?? [:]),
            timeouts: timeouts, retry: retry, probe: local.map { Set($0.keys) } ?? Set(ProviderKind.local), log: { [logger] line in logger?.debug("\(line)") })
    }

    /// IMAGINAI_LOCAL_SERVERS moves or turns off the look for local servers: `none` (or empty) looks
    /// for none; `llamacpp=URL,ollama=URL` looks there instead of the usual ports (tests, or a
    /// server on another port). Nil when unset: the usual ports. Only loopback addresses are looked at.
    static func localServers(_ value: String?, logger: Logger?) -> [ProviderKind: String]? {
        guard let value else { return nil }
        var servers: [ProviderKind: String] = [:]
        for entry in value.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts == ["none"] { continue }
            guard parts.count == 2, let kind = ProviderKind(rawValue: parts[0]), ProviderKind.local.contains(kind),
                  let url = URL(string: parts[1].contains("://") ? parts[1] : "http://" + parts[1]),
                  ProviderConfiguration.isLoopback(url) else {
                logger?.warning("IMAGINAI_LOCAL_SERVERS: ignored '\(entry)' (expected ollama=URL or llamacpp=URL on a loopback address, or none)")
                continue
            }
            servers[kind] = parts[1]
        }
        return servers
    }

    func model(id: String, settings: Settings) throws -> any LanguageModel {
        if id == OfflineStoryteller.id {
            return OfflineStoryteller(delayMilliseconds: settings.storytellerDelayMs)
        }
        if let model = current.model(id: id) { return model }
        let provider = String(id.split(separator: "/").first ?? "")
        throw ResponseError(
            code: .providerFailure,
            message: "Model \(id) is not available: there is no provider '\(provider)' (known: \(Self.knownProviders.joined(separator: ", "))); "
                + "models/list shows the models there are, \(ProviderError.wayBack)",
            data: .object(["provider": .string(provider), "kind": "invalid_request", "reason": .string(ProviderError.Reason.unknownProvider.rawValue)]))
    }

    func list() async -> [ModelInfo] {
        let offline = OfflineStoryteller().descriptor
        var models = [ModelInfo(
            id: offline.id, name: offline.name, contextTokens: offline.contextTokens,
            maxOutputTokens: offline.maxOutputTokens, supportsThinking: offline.supportsThinking, available: true)]
        for listed in await current.list() {
            let d = listed.descriptor
            models.append(ModelInfo(
                id: d.id, name: d.name, contextTokens: d.contextTokens, maxOutputTokens: d.maxOutputTokens,
                supportsThinking: d.supportsThinking, available: listed.available, reason: listed.reason, local: listed.local))
        }
        return models
    }

    func contextTokens(of id: String) -> Int {
        if id == OfflineStoryteller.id { return OfflineStoryteller().descriptor.contextTokens }
        return current.contextTokens(of: id) ?? Providers.defaultContextTokens
    }
}

extension ProviderError {
    /// The -31003 error; `extra` adds what the failed request had already stored.
    func responseError(extra: [String: JSONValue] = [:]) -> ResponseError {
        var data: [String: JSONValue] = ["provider": .string(provider), "kind": .string(kind.rawValue)]
        if let status { data["status"] = .int(Int64(status)) }
        if let retryAfterMs { data["retryAfterMs"] = .int(Int64(retryAfterMs)) }
        if let reason { data["reason"] = .string(reason.rawValue) }
        if let baseURL { data["baseURL"] = .string(baseURL) }
        data.merge(extra) { $1 }
        return ResponseError(code: .providerFailure, message: message, data: .object(data))
    }
}
