import FoundationEssentials
import ImaginAICore

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
        if !request.stopSequences.isEmpty { body["stop_sequences"] = request.stopSequences }
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
        /// Thinking and story together, as Anthropic bills them.
        var outputTokens = 0
        /// `usage.output_tokens_details.thinking_tokens`, where the API splits thinking out.
        var reportedThinkingTokens: Int?
        var sawThinking = false
        var thinkingText = ""
        var storyText = ""

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            let object = try jsonObject(event.data)
            switch object["type"] as? String ?? event.type {
            case "message_start":
                let usage = (object["message"] as? [String: Any])?["usage"] as? [String: Any]
                if let input = usage?["input_tokens"] as? Int {
                    promptTokens = input + (usage?["cache_read_input_tokens"] as? Int ?? 0) + (usage?["cache_creation_input_tokens"] as? Int ?? 0)
                }
                outputTokens = usage?["output_tokens"] as? Int ?? 0
                readThinkingTokens(usage)
            case "content_block_start":
                let type = (object["content_block"] as? [String: Any])?["type"] as? String
                if type == "thinking" || type == "redacted_thinking" { sawThinking = true }
            case "content_block_delta":
                // thinking_delta and signature_delta carry the model's reasoning, which is not story.
                let delta = object["delta"] as? [String: Any]
                switch delta?["type"] as? String {
                case "text_delta":
                    if let text = delta?["text"] as? String, !text.isEmpty {
                        storyText += text
                        return [.text(text)]
                    }
                case "thinking_delta":
                    sawThinking = true
                    thinkingText += delta?["thinking"] as? String ?? ""
                default:
                    break
                }
            case "message_delta":
                if let reason = (object["delta"] as? [String: Any])?["stop_reason"] as? String {
                    stopReason = reason == "max_tokens" ? .length : .stop
                }
                let usage = object["usage"] as? [String: Any]
                if let output = usage?["output_tokens"] as? Int { outputTokens = output }
                readThinkingTokens(usage)
            case "message_stop":
                stopped = true
            case "error":
                let type = (object["error"] as? [String: Any])?["type"] as? String
                throw ProviderStreamError.reported(status: Self.status(ofErrorType: type), body: event.data)
            default:
                break  // ping, content_block_stop, and event types added later
            }
            return []
        }

        private mutating func readThinkingTokens(_ usage: [String: Any]?) {
            if let thinking = (usage?["output_tokens_details"] as? [String: Any])?["thinking_tokens"] as? Int {
                reportedThinkingTokens = thinking
            }
        }

        /// The part of `outputTokens` spent thinking. Where the API does not split it out, it is
        /// estimated: `output_tokens` is exact and covers thinking and story together, so the thinking is
        /// what is left after the story text's estimate. The thinking deltas alone would undercount:
        /// Claude 4 models stream a summary of their thinking (and redacted blocks stream none) while
        /// billing all of it; their text's estimate is kept as a floor.
        var thinkingTokens: Int {
            if let reportedThinkingTokens { return min(max(0, reportedThinkingTokens), outputTokens) }
            guard sawThinking else { return 0 }
            let rest = outputTokens - TokenEstimator.estimate(storyText)
            return min(outputTokens, max(0, rest, TokenEstimator.estimate(thinkingText)))
        }

        mutating func finish() throws -> [GenerationEvent] {
            guard stopped else { throw ProviderStreamError.truncated }
            let thinking = thinkingTokens
            let usage = promptTokens.map {
                ModelUsage(promptTokens: $0, outputTokens: outputTokens - thinking, thinkingTokens: thinking, source: .api)
            }
            return [.finished(stopReason, usage)]
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
