import FoundationEssentials

/// Gemini's native API: `streamGenerateContent?alt=sse`.
struct GeminiFormat: WireFormat {
    var kind: ProviderKind { .gemini }
    var framing: Framing { .sse }
    static let thinkingBudget = 1024
    /// `generationConfig.stopSequences` takes at most five.
    static let maxStopSequences = 5
    /// Room for a Gemini 3 model's thinking on top of the story's own allowance: levels bound no
    /// token count, and thinking counts against maxOutputTokens, so without it a story could end before
    /// its first word.
    static let thinkingHeadroom = (low: 1024, high: 8192)

    /// Gemma models served by the Gemini API accept neither a system instruction nor thinking control.
    static func isGemma(_ model: String) -> Bool { model.lowercased().hasPrefix("gemma") }

    /// Gemini 3 and later take `thinkingLevel` and refuse a request that also sets `thinkingBudget`;
    /// 2.x models know only the budget.
    static func takesThinkingLevel(_ model: String) -> Bool {
        let name = model.lowercased()
        guard name.hasPrefix("gemini-"), let major = Int(name.dropFirst(7).prefix { $0.isNumber }) else { return false }
        return major >= 3
    }

    func httpRequest(for request: GenerationRequest, model: String, baseURL: URL, key: APIKey?) throws -> HTTPRequest {
        var generation: [String: Any] = ["maxOutputTokens": request.maxOutputTokens]
        var body: [String: Any] = [:]
        var userText = request.story
        if Self.isGemma(model) {
            if !request.system.isEmpty { userText = request.system + "\n\n" + request.story }
        } else {
            if !request.system.isEmpty { body["systemInstruction"] = ["parts": [["text": request.system]]] }
            if Self.takesThinkingLevel(model) {
                // "low" is the least every Gemini 3 model accepts (Pro has no "minimal"): none can stop thinking.
                let level = request.allowThinking ? "high" : "low"
                generation["thinkingConfig"] = ["thinkingLevel": level, "includeThoughts": false]
                generation["maxOutputTokens"] = request.maxOutputTokens
                    + (request.allowThinking ? Self.thinkingHeadroom.high : Self.thinkingHeadroom.low)
            } else if request.allowThinking {
                // Thinking tokens count against maxOutputTokens; the story keeps its own allowance.
                generation["thinkingConfig"] = ["thinkingBudget": Self.thinkingBudget, "includeThoughts": false]
                generation["maxOutputTokens"] = request.maxOutputTokens + Self.thinkingBudget
            } else {
                // Pro models cannot stop thinking; 128 is the smallest budget they accept.
                let budget = model.contains("-pro") ? 128 : 0
                generation["thinkingConfig"] = ["thinkingBudget": budget, "includeThoughts": false]
                if budget > 0 { generation["maxOutputTokens"] = request.maxOutputTokens + budget }
            }
        }
        if !request.stopSequences.isEmpty { generation["stopSequences"] = Array(request.stopSequences.prefix(Self.maxStopSequences)) }
        body["contents"] = [["role": "user", "parts": [["text": userText]]]]
        body["generationConfig"] = generation
        var headers = ["Accept": "text/event-stream"]
        if let key { headers["x-goog-api-key"] = key.secret }
        var components = URLComponents(url: baseURL.appendingPathComponent("models/\(model):streamGenerateContent"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "alt", value: "sse")]
        return try .jsonPost(components.url!, body: body, headers: headers)
    }

    func makeDecoder(for request: GenerationRequest) -> Decoder { Decoder() }

    struct Decoder: StreamDecoder {
        var stopReason: FinishReason?
        var usage: ModelUsage?

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            let object = try jsonObject(event.data)
            if let error = object["error"] as? [String: Any] {
                throw ProviderStreamError.reported(status: error["code"] as? Int, body: event.data)
            }
            var events: [GenerationEvent] = []
            for candidate in (object["candidates"] as? [[String: Any]] ?? []).prefix(1) {
                let parts = (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
                for part in parts where part["thought"] as? Bool != true {
                    if let text = part["text"] as? String, !text.isEmpty { events.append(.text(text)) }
                }
                if let reason = candidate["finishReason"] as? String {
                    stopReason = reason == "MAX_TOKENS" ? .length : .stop
                }
            }
            if let metadata = object["usageMetadata"] as? [String: Any], let prompt = metadata["promptTokenCount"] as? Int {
                usage = ModelUsage(
                    promptTokens: prompt, outputTokens: metadata["candidatesTokenCount"] as? Int ?? 0,
                    thinkingTokens: metadata["thoughtsTokenCount"] as? Int ?? 0, source: .api)
            }
            return events
        }

        mutating func finish() throws -> [GenerationEvent] {
            // Gemini has no end marker: the last chunk carries finishReason.
            guard let stopReason else { throw ProviderStreamError.truncated }
            return [.finished(stopReason, usage)]
        }
    }
}
