import ImaginAIProtocol
import LLM

/// The models the story methods can use. The offline storyteller is always there; HTTP providers are
/// added by configuration in a later version.
struct ModelRegistry: Sendable {
    func model(id: String, settings: Settings) throws -> any LanguageModel {
        if id == OfflineStoryteller.id {
            return OfflineStoryteller(delayMilliseconds: settings.storytellerDelayMs)
        }
        let provider = String(id.split(separator: "/").first ?? "")
        throw ResponseError(
            code: .providerFailure,
            message: "Model \(id) is not available: no provider '\(provider)' is configured (models/list shows what is)",
            data: .object(["provider": .string(provider), "kind": "invalid_request"]))
    }

    func list() -> [ModelInfo] {
        let offline = OfflineStoryteller().descriptor
        return [ModelInfo(
            id: offline.id, name: offline.name, contextTokens: offline.contextTokens,
            maxOutputTokens: offline.maxOutputTokens, supportsThinking: offline.supportsThinking, available: true)]
    }

    func contextTokens(of id: String) -> Int {
        id == OfflineStoryteller.id ? OfflineStoryteller().descriptor.contextTokens : 8192
    }
}
