import Foundation

/// Chat Completions, streamed: OpenAI itself and every server that imitates it (Ollama's /v1,
/// llama.cpp, vLLM, LM Studio, OpenRouter).
struct OpenAIFormat: WireFormat {
    var kind: ProviderKind { .openai }
    var framing: Framing { .sse }

    func httpRequest(for request: GenerationRequest, model: String, baseURL: URL, key: APIKey?) throws -> HTTPRequest {
        var messages: [[String: Any]] = []
        if !request.system.isEmpty { messages.append(["role": "system", "content": request.system]) }
        messages.append(["role": "user", "content": request.story])
        var body: [String: Any] = [
            "model": model, "messages": messages, "stream": true,
            "stream_options": ["include_usage": true],
            // JSON numbers beyond 2^53 are not safe in every server's parser.
            "seed": Int(request.seed & 0x7fff_ffff),
        ]
        // OpenAI's reasoning models refuse `max_tokens`; the servers that imitate the API know only it.
        body[baseURL.host == "api.openai.com" ? "max_completion_tokens" : "max_tokens"] = request.maxOutputTokens
        var headers = ["Accept": "text/event-stream"]
        if let key { headers["Authorization"] = "Bearer \(key.secret)" }
        return try .jsonPost(baseURL.appendingPathComponent("chat/completions"), body: body, headers: headers)
    }

    func makeDecoder(for request: GenerationRequest) -> Decoder { Decoder() }

    struct Decoder: StreamDecoder {
        var done = false
        var stopReason: FinishReason?
        var usage: ModelUsage?

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            let payload = event.data.trimmingCharacters(in: .whitespaces)
            if payload == "[DONE]" {
                done = true
                return []
            }
            let object = try jsonObject(payload)
            if object["error"] != nil {
                let error = object["error"] as? [String: Any]
                throw ProviderStreamError.reported(status: (error?["code"] as? Int) ?? (error?["status"] as? Int), body: payload)
            }
            var events: [GenerationEvent] = []
            for choice in object["choices"] as? [[String: Any]] ?? [] {
                // Reasoning (`reasoning_content`, `reasoning`) arrives beside `content` and is never story.
                if let delta = choice["delta"] as? [String: Any], let text = delta["content"] as? String, !text.isEmpty {
                    events.append(.text(text))
                }
                if let reason = choice["finish_reason"] as? String {
                    stopReason = reason == "length" ? .length : .stop
                }
            }
            if let counts = object["usage"] as? [String: Any], let prompt = counts["prompt_tokens"] as? Int {
                let completion = counts["completion_tokens"] as? Int ?? 0
                let reasoning = (counts["completion_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int ?? 0
                usage = ModelUsage(promptTokens: prompt, outputTokens: max(0, completion - reasoning), thinkingTokens: reasoning, source: .api)
            }
            return events
        }

        mutating func finish() throws -> [GenerationEvent] {
            // Some servers omit [DONE]; a finish_reason is as good a sign that the answer is whole.
            guard done || stopReason != nil else { throw ProviderStreamError.truncated }
            return [.finished(stopReason ?? .stop, usage)]
        }
    }
}
