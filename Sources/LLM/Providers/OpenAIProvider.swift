import FoundationEssentials

/// Chat Completions, streamed: OpenAI itself and every server that imitates it (Ollama's /v1,
/// llama.cpp, vLLM, LM Studio, OpenRouter).
struct OpenAIFormat: WireFormat {
    /// `openai`, or `llamacpp` for a llama.cpp server: the same wire, another name in messages.
    var kind: ProviderKind = .openai
    var framing: Framing { .sse }
    /// The Chat Completions API takes at most four stop sequences.
    static let maxStopSequences = 4

    /// OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…) refuse a request that has `stop` at all.
    static func refusesStop(model: String, baseURL: URL) -> Bool {
        guard baseURL.host == "api.openai.com" else { return false }
        let name = model.lowercased()
        let reasoningSeries = name.hasPrefix("o") && name.dropFirst().first?.isNumber == true
        return reasoningSeries || name.hasPrefix("gpt-5")
    }

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
        if !request.stopSequences.isEmpty && !Self.refusesStop(model: model, baseURL: baseURL) {
            body["stop"] = Array(request.stopSequences.prefix(Self.maxStopSequences))
        }
        var headers = ["Accept": "text/event-stream"]
        if let key { headers["Authorization"] = "Bearer \(key.secret)" }
        return try .jsonPost(baseURL.appendingPathComponent("chat/completions"), body: body, headers: headers)
    }

    func makeDecoder(for request: GenerationRequest) -> Decoder { Decoder() }

    struct Decoder: StreamDecoder {
        var done = false
        var stopReason: FinishReason?
        var usage: ModelUsage?
        /// Runs once per streamed token on the HTTP thread, so it reads typed fields with one decoder
        /// rather than bridging a JSONSerialization tree through `Any`.
        private let json = JSONDecoder()

        mutating func decode(_ event: SSEEvent) throws -> [GenerationEvent] {
            // Only a short payload can be the end marker; JSON itself allows the spaces around an object.
            if event.data.utf8.count <= 16, event.data.trimmingCharacters(in: .whitespaces) == "[DONE]" {
                done = true
                return []
            }
            let chunk: Chunk
            if let fast = StreamJSON.parse(event.data).flatMap(Chunk.init(reading:)) {
                chunk = fast
            } else {
                do {
                    chunk = try json.decode(Chunk.self, from: Data(event.data.utf8))
                } catch {
                    throw ProviderStreamError.malformed("not a JSON object: \(event.data.prefix(80))")
                }
            }
            if let error = chunk.error {
                throw ProviderStreamError.reported(status: error.code ?? error.status, body: event.data)
            }
            var events: [GenerationEvent] = []
            for choice in chunk.choices {
                // Reasoning (`reasoning_content`, `reasoning`) arrives beside `content` and is never story.
                if let text = choice.content, !text.isEmpty { events.append(.text(text)) }
                if let reason = choice.finishReason { stopReason = reason == "length" ? .length : .stop }
            }
            if let counts = chunk.usage, let prompt = counts.promptTokens {
                let completion = counts.completionTokens ?? 0
                let reasoning = counts.reasoningTokens ?? 0
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

    /// One streamed chunk. Only its top level must be an object: a field of an unexpected type is
    /// skipped, as servers that imitate the API differ in the details.
    struct Chunk: Decodable {
        struct Choice: Decodable {
            var content: String?
            var finishReason: String?

            init() {}

            private enum Keys: String, CodingKey { case delta, finish_reason }
            private enum DeltaKeys: String, CodingKey { case content }

            init(from decoder: any Swift.Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                let delta = try? container.nestedContainer(keyedBy: DeltaKeys.self, forKey: .delta)
                content = (try? delta?.decodeIfPresent(String.self, forKey: .content)) ?? nil
                finishReason = (try? container.decodeIfPresent(String.self, forKey: .finish_reason)) ?? nil
            }
        }

        struct Usage: Decodable {
            var promptTokens: Int?
            var completionTokens: Int?
            var reasoningTokens: Int?

            init(promptTokens: Int?, completionTokens: Int?, reasoningTokens: Int?) {
                self.promptTokens = promptTokens
                self.completionTokens = completionTokens
                self.reasoningTokens = reasoningTokens
            }

            private enum Keys: String, CodingKey { case prompt_tokens, completion_tokens, completion_tokens_details }
            private enum DetailKeys: String, CodingKey { case reasoning_tokens }

            init(from decoder: any Swift.Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                promptTokens = (try? container.decodeIfPresent(Int.self, forKey: .prompt_tokens)) ?? nil
                completionTokens = (try? container.decodeIfPresent(Int.self, forKey: .completion_tokens)) ?? nil
                let details = try? container.nestedContainer(keyedBy: DetailKeys.self, forKey: .completion_tokens_details)
                reasoningTokens = (try? details?.decodeIfPresent(Int.self, forKey: .reasoning_tokens)) ?? nil
            }
        }

        /// Any `error` member, whatever its shape, ends the stream; its code or status is kept if it has one.
        struct ReportedError: Decodable {
            var code: Int?
            var status: Int?

            init(code: Int?, status: Int?) {
                self.code = code
                self.status = status
            }

            private enum Keys: String, CodingKey { case code, status }

            init(from decoder: any Swift.Decoder) throws {
                let container = try? decoder.container(keyedBy: Keys.self)
                code = (try? container?.decodeIfPresent(Int.self, forKey: .code)) ?? nil
                status = (try? container?.decodeIfPresent(Int.self, forKey: .status)) ?? nil
            }
        }

        var choices: [Choice] = []
        var usage: Usage?
        var error: ReportedError?

        private enum Keys: String, CodingKey { case choices, usage, error }

        /// The same reading from a `StreamJSON` tree, member for member as `init(from:)` reads it; nil
        /// where `JSONDecoder`'s own answer is needed (not an object, a non-integer number where an
        /// integer is read, a null `error`).
        init?(reading json: StreamJSON) {
            guard case .object(let members) = json else { return nil }
            if case .array(let elements)? = members["choices"] {
                var choices: [Choice] = []
                for element in elements {
                    // One element that is not an object fails the whole array, which then reads as none.
                    guard case .object(let fields) = element else {
                        choices = []
                        break
                    }
                    var choice = Choice()
                    if case .string(let text)? = fields["delta"]?["content"] { choice.content = text }
                    if case .string(let reason)? = fields["finish_reason"] { choice.finishReason = reason }
                    choices.append(choice)
                }
                self.choices = choices
            }
            if case .object? = members["usage"], let usage = members["usage"] {
                guard let prompt = Self.integer(usage["prompt_tokens"]), let completion = Self.integer(usage["completion_tokens"]),
                      let reasoning = Self.integer(usage["completion_tokens_details"]?["reasoning_tokens"]) else { return nil }
                self.usage = Usage(promptTokens: prompt, completionTokens: completion, reasoningTokens: reasoning)
            }
            switch members["error"] {
            case nil: break
            case .null?: return nil
            case let reported?:
                guard let code = Self.integer(reported["code"]), let status = Self.integer(reported["status"]) else { return nil }
                error = ReportedError(code: code, status: status)
            }
        }

        /// An optional integer member: `.some(nil)` when absent or not a number (as `try?` reads it),
        /// nil when only `JSONDecoder` can say (a number not written as a plain integer).
        private static func integer(_ value: StreamJSON?) -> Int?? {
            guard case .number(let exact)? = value else { return .some(nil) }
            guard let exact else { return nil }
            return .some(exact)
        }

        init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            choices = (try? container.decodeIfPresent([Choice].self, forKey: .choices)) ?? []
            usage = (try? container.decodeIfPresent(Usage.self, forKey: .usage)) ?? nil
            if container.contains(.error) { error = try container.decode(ReportedError.self, forKey: .error) }
        }
    }
}
