import Foundation

/// The Messages API, streamed as typed events.
struct AnthropicFormat: WireFormat {
    var kind: ProviderKind { .anthropic }
    var framing: Framing { .sse }
    static let thinkingBudget = 1024

    func httpRequest(for request: GenerationRequest, model: String, baseURL: URL, key: APIKey?) throws -> HTTPRequest {
        var body: [String: Any] = [
            "model": model, "stream": true, "max_tokens": request.maxOutputTokens,
            "messages": [["role": "user", "content": request.story]],
        ]
        if !request.system.isEmpty { body["system"] = request.system }
        if request.allowThinking {
            // The thinking budget is part of max_tokens, and must be below it; the story keeps its own allowance.
            body["thinking"] = ["type": "enabled", "budget_tokens": Self.thinkingBudget]
            body["max_tokens"] = request.maxOutputTokens + Self.thinkingBudget
        }
        var headers = ["anthropic-version": "2023-06-01", "Accept": "text/event-stream"]
        if let key { headers["x-api-key"] = key.secret }
        return try .jsonPost(baseURL.appendingPathComponent("v1/messages"), body: body, headers: headers)
    }

    func makeDecoder(for request: GenerationRequest) -> Decoder { Decoder() }

    struct Decoder: StreamDecoder {
        var stopped = false
        var stopReason: FinishReason = .stop
        var promptTokens: Int?
        var outputTokens = 0

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            let object = try jsonObject(event.data)
            switch object["type"] as? String ?? event.type {
            case "message_start":
                let usage = (object["message"] as? [String: Any])?["usage"] as? [String: Any]
                if let input = usage?["input_tokens"] as? Int {
                    promptTokens = input + (usage?["cache_read_input_tokens"] as? Int ?? 0) + (usage?["cache_creation_input_tokens"] as? Int ?? 0)
                }
                outputTokens = usage?["output_tokens"] as? Int ?? 0
            case "content_block_delta":
                // thinking_delta and signature_delta carry the model's reasoning, which is not story.
                let delta = object["delta"] as? [String: Any]
                if delta?["type"] as? String == "text_delta", let text = delta?["text"] as? String, !text.isEmpty {
                    return [.text(text)]
                }
            case "message_delta":
                if let reason = (object["delta"] as? [String: Any])?["stop_reason"] as? String {
                    stopReason = reason == "max_tokens" ? .length : .stop
                }
                if let output = (object["usage"] as? [String: Any])?["output_tokens"] as? Int { outputTokens = output }
            case "message_stop":
                stopped = true
            case "error":
                let type = (object["error"] as? [String: Any])?["type"] as? String
                throw ProviderStreamError.reported(status: Self.status(ofErrorType: type), body: event.data)
            default:
                break  // ping, content_block_start/stop, and event types added later
            }
            return []
        }

        mutating func finish() throws -> [GenerationEvent] {
            guard stopped else { throw ProviderStreamError.truncated }
            // Anthropic counts thinking inside output_tokens and does not split it out.
            return [.finished(stopReason, promptTokens.map { ModelUsage(promptTokens: $0, outputTokens: outputTokens, source: .api) })]
        }

        static func status(ofErrorType type: String?) -> Int? {
            switch type {
            case "overloaded_error": return 529
            case "api_error": return 500
            case "rate_limit_error": return 429
            case "authentication_error": return 401
            case "permission_error": return 403
            case "invalid_request_error": return 400
            case "request_too_large": return 413
            default: return nil
            }
        }
    }
}
