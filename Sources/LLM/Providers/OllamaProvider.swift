import Foundation

/// Ollama's native `/api/chat`, one JSON object per line.
struct OllamaFormat: WireFormat {
    var kind: ProviderKind { .ollama }
    var framing: Framing { .ndjson }

    func httpRequest(for request: GenerationRequest, model: String, baseURL: URL, key: APIKey?) throws -> HTTPRequest {
        var messages: [[String: Any]] = []
        if !request.system.isEmpty { messages.append(["role": "system", "content": request.system]) }
        messages.append(["role": "user", "content": request.story])
        // `think` is left out: a model without thinking rejects it, and a thinking model's reasoning
        // arrives in `message.thinking`, which is skipped.
        var options: [String: Any] = ["num_predict": request.maxOutputTokens, "seed": Int(request.seed & 0x7fff_ffff)]
        if !request.stopSequences.isEmpty { options["stop"] = request.stopSequences }
        let body: [String: Any] = ["model": model, "messages": messages, "stream": true, "options": options]
        var headers: [String: String] = [:]
        if let key { headers["Authorization"] = "Bearer \(key.secret)" }
        return try .jsonPost(baseURL.appendingPathComponent("api/chat"), body: body, headers: headers)
    }

    func makeDecoder(for request: GenerationRequest) -> Decoder { Decoder() }

    struct Decoder: StreamDecoder {
        var done = false
        var stopReason: FinishReason = .stop
        var usage: ModelUsage?

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            let object = try jsonObject(event.data)
            if let error = object["error"] as? String {
                let body = (try? JSONSerialization.data(withJSONObject: ["error": error])).map { String(decoding: $0, as: UTF8.self) }
                throw ProviderStreamError.reported(status: nil, body: body ?? error)
            }
            var events: [GenerationEvent] = []
            if let text = (object["message"] as? [String: Any])?["content"] as? String, !text.isEmpty {
                events.append(.text(text))
            }
            if object["done"] as? Bool == true {
                done = true
                stopReason = object["done_reason"] as? String == "length" ? .length : .stop
                if let prompt = object["prompt_eval_count"] as? Int {
                    usage = ModelUsage(promptTokens: prompt, outputTokens: object["eval_count"] as? Int ?? 0, source: .api)
                }
            }
            return events
        }

        mutating func finish() throws -> [GenerationEvent] {
            guard done else { throw ProviderStreamError.truncated }
            return [.finished(stopReason, usage)]
        }
    }
}
