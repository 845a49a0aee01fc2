import Foundation

/// A provider failure as the client sees it (-31003): what kind of failure, so a client can decide
/// whether to wait, fix a key, shorten the prompt or try later; the message says it in words.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case rateLimit = "rate_limit", auth, invalidRequest = "invalid_request", contextLength = "context_length"
        case server, network, timeout
    }

    /// Why a model cannot be used at all, where that is known: the user has to change something
    /// (start a server, set a key, pick another model) or go back to the offline storyteller.
    public enum Reason: String, Sendable {
        /// Nothing answers at the base URL (connection refused, unknown host, no answer in time).
        case unreachable
        /// A hosted API and no key.
        case keyMissing = "key_missing"
        /// The server refused the key (401/403).
        case keyRejected = "key_rejected"
        /// The server does not have the model.
        case modelUnknown = "model_unknown"
        /// The server answers, but not with the API at that path (404 that names no model).
        case wrongPath = "wrong_path"
        /// The model id names no provider this daemon knows.
        case unknownProvider = "unknown_provider"
    }

    /// How every message with a `reason` ends: the way back that always works.
    public static let wayBack = "or set the model back to offline/storyteller, which needs no network"

    public var provider: String
    public var status: Int?
    public var kind: Kind
    public var retryAfterMs: Int?
    /// A sentence a person can act on; never contains a key.
    public var message: String
    public var reason: Reason?
    /// The base URL the request went to (without credentials), when the reason concerns it.
    public var baseURL: String?

    public init(
        provider: String, status: Int? = nil, kind: Kind, retryAfterMs: Int? = nil, message: String,
        reason: Reason? = nil, baseURL: String? = nil
    ) {
        self.provider = provider
        self.status = status
        self.kind = kind
        self.retryAfterMs = retryAfterMs
        self.message = message
        self.reason = reason
        self.baseURL = baseURL
    }

    public var description: String { "ProviderError(\(provider), \(kind.rawValue), status \(status.map(String.init) ?? "-")): \(message)" }
}

/// How an HTTP error response is handled, decided from its status and body.
enum ErrorClassifier {
    static let contextMarkers = [
        "context_length_exceeded", "maximum context length", "context length", "prompt is too long",
        "too many tokens", "input is too long", "exceeds the context", "context window", "token count",
        "string_above_max_length", "request too large",
    ]

    static func kind(status: Int, body: String) -> ProviderError.Kind {
        let lowered = body.lowercased()
        switch status {
        case 429: return .rateLimit
        case 401, 403: return .auth
        case 408, 500...599: return .server
        case 400, 404, 413, 422:
            return contextMarkers.contains(where: lowered.contains) ? .contextLength : .invalidRequest
        default:
            return contextMarkers.contains(where: lowered.contains) ? .contextLength : .invalidRequest
        }
    }

    /// The delay a 429 asks for: the Retry-After header (seconds or an HTTP date), or Gemini's
    /// `RetryInfo.retryDelay` ("3s", "0.5s") in the body.
    static func retryAfter(headers: [String: String], body: String, now: Date = Date()) -> Duration? {
        if let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int(seconds * 1000)) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) {
                return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
            }
        }
        if let data = body.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let error = object["error"] as? [String: Any], let details = error["details"] as? [[String: Any]] {
            for detail in details {
                if let delay = detail["retryDelay"] as? String, delay.hasSuffix("s"), let seconds = Double(delay.dropLast()) {
                    return .milliseconds(Int(seconds * 1000))
                }
            }
        }
        return nil
    }

    /// Whether a 400/404 says the model is unknown: OpenAI's `model_not_found`, Ollama's "model 'x' not
    /// found", Gemini's "models/x is not found", Anthropic's `not_found_error` naming the model, vLLM's
    /// "The model `x` does not exist".
    static func isUnknownModel(status: Int, body: String) -> Bool {
        guard status == 404 || status == 400 else { return false }
        let lowered = body.lowercased()
        if lowered.contains("model_not_found") { return true }
        guard lowered.contains("model") else { return false }
        return status == 404 || ["not found", "does not exist", "not exist", "unknown model", "no such model"].contains(where: lowered.contains)
    }

    /// The provider's own explanation from an error body (`error.message` for OpenAI, Anthropic and
    /// Gemini; `error` as a string for Ollama), shortened.
    static func providerMessage(_ body: String) -> String? {
        var text: String?
        if let data = body.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let error = object["error"] as? [String: Any] { text = error["message"] as? String }
            else if let error = object["error"] as? String { text = error }
            else if let message = object["message"] as? String { text = message }
        }
        if text == nil {
            let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty && !trimmed.hasPrefix("<") { text = trimmed }
        }
        guard var text else { return nil }
        if text.count > 300 { text = String(text.prefix(300)) + "…" }
        return text
    }
}
