import FoundationEssentials

/// An API key. Its text is reachable only through `secret`, so printing, logging or dumping a
/// configuration can never show it.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let secret: String
    public init(_ secret: String) { self.secret = secret }
    public var description: String { "APIKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The providers this daemon speaks to, and the default endpoint of each.
public enum ProviderKind: String, Sendable, CaseIterable {
    /// `llamacpp` is the OpenAI-compatible wire under its own name, with a local default: a llama.cpp
    /// server (or scripts/real-model) is then usable as `llamacpp/<model>` with nothing configured,
    /// while `openai` keeps meaning api.openai.com unless OPENAI_BASE_URL says otherwise.
    case openai, anthropic, gemini, ollama, llamacpp

    public var displayName: String {
        switch self {
        case .openai: return "OpenAI-compatible server"
        case .anthropic: return "Anthropic"
        case .gemini: return "Gemini"
        case .ollama: return "Ollama"
        case .llamacpp: return "llama.cpp server"
        }
    }

    public var defaultBaseURL: String {
        switch self {
        case .openai: return "https://api.openai.com/v1"
        case .anthropic: return "https://api.anthropic.com"
        case .gemini: return "https://generativelanguage.googleapis.com/v1beta"
        case .ollama: return "http://127.0.0.1:11434"
        case .llamacpp: return "http://127.0.0.1:8080/v1"
        }
    }

    /// The servers people run on their own machine, looked for on their usual ports by `models/list`.
    public static let local: [ProviderKind] = [.ollama, .llamacpp]

    public var keyVariable: String? {
        switch self {
        case .openai: return "OPENAI_API_KEY"
        case .anthropic: return "ANTHROPIC_API_KEY"
        case .gemini: return "GEMINI_API_KEY"
        case .ollama, .llamacpp: return nil
        }
    }

    public var baseURLVariable: String {
        switch self {
        case .openai: return "OPENAI_BASE_URL"
        case .anthropic: return "ANTHROPIC_BASE_URL"
        case .gemini: return "GEMINI_BASE_URL"
        case .ollama: return "OLLAMA_HOST"
        case .llamacpp: return "LLAMACPP_BASE_URL"
        }
    }
}

/// One provider's endpoint and keys.
public struct ProviderConfiguration: Sendable, CustomStringConvertible {
    public var kind: ProviderKind
    public var baseURL: URL
    public var keys: [APIKey]
    /// Whether the user pointed us at this provider (a base URL or a key); only those are listed.
    public var configured: Bool
    /// Whether the base URL is the provider's built-in default (no variable or option set it).
    public var baseURLIsDefault: Bool

    /// A hosted API refuses requests without a key; a server the user runs (a custom base URL for the
    /// OpenAI-compatible provider, or Ollama) usually needs none, so no Authorization header is sent.
    public var keyRequired: Bool {
        switch kind {
        case .ollama, .llamacpp: return false
        case .openai: return baseURL.host == "api.openai.com"
        case .anthropic, .gemini: return true
        }
    }

    public var description: String {
        "\(kind.rawValue) at \(displayURL) with \(keys.count) key(s)"
    }

    /// The base URL without user info or query, either of which could carry a credential.
    public var displayURL: String {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        components?.query = nil
        return components?.string ?? "(base URL)"
    }

    /// Whether the server runs on this machine (a loopback address).
    public var isLocal: Bool { Self.isLoopback(baseURL) }

    public static func isLoopback(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    public init(kind: ProviderKind, baseURL: URL, keys: [APIKey], configured: Bool, baseURLIsDefault: Bool = false) {
        self.kind = kind
        self.baseURL = baseURL
        self.keys = keys
        self.configured = configured
        self.baseURLIsDefault = baseURLIsDefault
    }

    /// What the client passed as `initializationOptions.providers.<name>`.
    public struct Override: Sendable {
        public var baseURL: String?
        public var apiKeys: [String]
        public init(baseURL: String?, apiKeys: [String]) {
            self.baseURL = baseURL
            self.apiKeys = apiKeys
        }
    }

    /// Every provider's configuration from the environment, with the client's overrides winning
    /// (keys given by the client replace the environment's, so a client can choose exactly which
    /// keys a session uses).
    /// `localServers`: where to look for the servers of `ProviderKind.local` when the user has not
    /// configured them (their default base URLs unless a test moves them).
    public static func load(
        environment: [String: String], overrides: [String: Override] = [:], localServers: [ProviderKind: String] = [:]
    ) -> [ProviderKind: ProviderConfiguration] {
        var result: [ProviderKind: ProviderConfiguration] = [:]
        for kind in ProviderKind.allCases {
            var keys: [APIKey] = []
            if let variable = kind.keyVariable {
                if let key = environment[variable]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { keys.append(APIKey(key)) }
                // Gaps are allowed: removing KEY_2 must not silently drop KEY_3.
                for index in 1...64 {
                    guard let key = environment["\(variable)_\(index)"]?.trimmingCharacters(in: .whitespaces) else { continue }
                    if !key.isEmpty && !keys.contains(APIKey(key)) { keys.append(APIKey(key)) }
                }
            }
            var base = environment[kind.baseURLVariable].flatMap { $0.isEmpty ? nil : $0 }
            if let override = overrides[kind.rawValue] {
                if let url = override.baseURL, !url.isEmpty { base = url }
                if !override.apiKeys.isEmpty { keys = override.apiKeys.filter { !$0.isEmpty }.map(APIKey.init) }
            }
            let configured = base != nil || !keys.isEmpty
            result[kind] = ProviderConfiguration(
                kind: kind, baseURL: normalize(base ?? localServers[kind] ?? kind.defaultBaseURL, kind: kind), keys: keys,
                configured: configured, baseURLIsDefault: base == nil)
        }
        return result
    }

    /// `OLLAMA_HOST` is often written as `host:port` without a scheme; trailing slashes are dropped so
    /// paths can be appended, and the API's version path is settled (see `apiPath`).
    static func normalize(_ text: String, kind: ProviderKind) -> URL {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        guard var components = URLComponents(string: text), components.host != nil else {
            return URL(string: kind.defaultBaseURL)!
        }
        components.percentEncodedPath = apiPath(components.percentEncodedPath, kind: kind)
        return components.url ?? URL(string: kind.defaultBaseURL)!
    }

    /// Each provider's SDK reads its base URL variable its own way, so users write them with and without
    /// the version: Google's and Anthropic's SDKs take the host alone and add the version themselves,
    /// OpenAI's takes it with `/v1`. The path is brought to what the request builders append to:
    /// - Gemini: the version (`/v1beta`, `/v1`, `/v1alpha`) ends the path; one is added (`/v1beta`, as
    ///   Google's SDK does) after a host or a proxy prefix that has none.
    /// - Anthropic: no version (requests append `v1/messages`); a trailing `/v1` is dropped.
    /// - OpenAI-compatible: a bare host gets `/v1`, where OpenAI, Ollama, vLLM, LM Studio and llama.cpp
    ///   all serve the API; any other path is the user's choice (OpenRouter's `/api/v1`) and is kept.
    /// - Ollama: the native API hangs off the root (`/api/chat`); a trailing `/api` or `/v1` (the
    ///   OpenAI-compatible path, a common mix-up) is dropped.
    static func apiPath(_ path: String, kind: ProviderKind) -> String {
        var segments = path.split(separator: "/").map(String.init)
        switch kind {
        case .gemini:
            if !(segments.last.map(isVersion) ?? false) { segments.append("v1beta") }
        case .anthropic:
            if segments.last == "v1" { segments.removeLast() }
        case .openai, .llamacpp:
            if segments.isEmpty { segments = ["v1"] }
        case .ollama:
            if let last = segments.last, last == "api" || last == "v1" { segments.removeLast() }
        }
        return segments.isEmpty ? "" : "/" + segments.joined(separator: "/")
    }

    /// `v1`, `v1beta`, `v1alpha`, `v2beta3`: how Google names its API versions.
    static func isVersion(_ segment: String) -> Bool {
        guard segment.hasPrefix("v") else { return false }
        let rest = segment.dropFirst()
        let major = rest.prefix { $0.isNumber }
        guard !major.isEmpty else { return false }
        var stage = rest.dropFirst(major.count)
        for word in ["alpha", "beta"] where stage.hasPrefix(word) { stage = stage.dropFirst(word.count) }
        return stage.allSatisfy(\.isNumber)
    }

    /// Replaces every configured key in a text that came from outside (an error body, a system error)
    /// before it can reach a message or a log.
    public func redact(_ text: String) -> String {
        keys.reduce(text) { text, key in key.secret.count >= 4 ? text.replacingOccurrences(of: key.secret, with: "[redacted]") : text }
    }
}
