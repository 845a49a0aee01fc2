import Foundation
import ProviderTestSupport
import Synchronization
import ImaginAICore
import Testing
@testable import LLM

/// Providers against a scripted server on loopback speaking each provider's wire format.
@Suite(.timeLimit(.minutes(2)))
struct ProviderTests {
    typealias Step = FakeProviderServer.Step

    static let request = GenerationRequest(system: "You are the narrator.", story: "The ferry is late.", maxOutputTokens: 64, seed: 9)

    struct Outcome {
        var texts: [String] = []
        var finish: FinishReason?
        var usage: ModelUsage?
        var error: (any Error)?
        var providerError: ProviderError? { error as? ProviderError }
    }

    func providers(
        _ kind: ProviderKind, _ server: FakeProviderServer, keys: [String] = [], basePath: String = "",
        idle: Duration = .seconds(5), deadline: Duration = .seconds(20)
    ) -> Providers {
        Providers(
            configurations: [kind: ProviderConfiguration(
                kind: kind, baseURL: URL(string: server.baseURL + basePath)!, keys: keys.map(APIKey.init), configured: true)],
            timeouts: HTTPTimeouts(idle: idle, deadline: deadline),
            retry: RetryPolicy(serverRetries: 2, backoff: .milliseconds(10)))
    }

    func run(_ providers: Providers, _ id: String, _ request: GenerationRequest = request) async -> Outcome {
        var outcome = Outcome()
        do {
            for try await event in providers.model(id: id)!.stream(request) {
                switch event {
                case .text(let text): outcome.texts.append(text)
                case .finished(let reason, let usage):
                    outcome.finish = reason
                    outcome.usage = usage
                }
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    // MARK: OpenAI-compatible

    @Test func openAIStreamsTextInOrderWithUsageAndSendsTheDocumentedRequest() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(["Fog ", "lifts", "."], promptTokens: 40, completionTokens: 3), gap: .milliseconds(5)) }
        let outcome = await run(providers(.openai, server, keys: ["sk-one"], basePath: "/v1"), "openai/gpt-test")
        #expect(outcome.error == nil)
        #expect(outcome.texts == ["Fog ", "lifts", "."])
        #expect(outcome.finish == .stop)
        #expect(outcome.usage == ModelUsage(promptTokens: 40, outputTokens: 3, source: .api))
        let sent = try #require(server.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer sk-one")
        let body = sent.json
        #expect(body["model"] as? String == "gpt-test")
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["max_tokens"] as? Int == 64)
        let messages = body["messages"] as? [[String: String]] ?? []
        #expect(messages == [["role": "system", "content": "You are the narrator."], ["role": "user", "content": "The ferry is late."]])
    }

    @Test func eachChunkArrivesWhileTheServerIsStillSendingWithCloseDelimitedAndChunkedBodies() async throws {
        let events = FakeResponse.openAIStream(["first", "second"])
        @Sendable func chunked(_ text: String) -> [UInt8] { Array((String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n").utf8) }
        let server = try FakeProviderServer { request in
            if request.json["model"] as? String == "chunked" {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                return [.send(Array(head.utf8)), .send(chunked(events[0])), .pause(.milliseconds(3000))]
                    + events.dropFirst().map { .send(chunked($0)) } + [.send(Array("0\r\n\r\n".utf8))]
            }
            return FakeResponse.stream([events[0]]) + [.pause(.milliseconds(3000))] + FakeResponse.stream(Array(events.dropFirst())).dropFirst()
        }
        let providers = providers(.openai, server, basePath: "/v1")
        for model in ["openai/close-delimited", "openai/chunked"] {
            let started = ContinuousClock.now
            var arrivals: [(String, Duration)] = []
            for try await event in providers.model(id: model)!.stream(Self.request) {
                if case .text(let text) = event { arrivals.append((text, ContinuousClock.now - started)) }
            }
            #expect(arrivals.map(\.0) == ["first", "second"], "\(model)")
            // Relative, not absolute, so a loaded machine cannot fail it: the first chunk must come well
            // before the server's 3 s pause ends, not with the rest.
            let gap = (arrivals.last?.1 ?? .zero) - (arrivals.first?.1 ?? .zero)
            #expect(gap >= .milliseconds(1500), "\(model): the first chunk was held back: \(arrivals)")
        }
    }

    @Test func aLocalServerWithoutAKeyGetsNoAuthorizationHeaderAndUsageMayBeMissing() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(["Hi."], promptTokens: nil)) }
        let outcome = await run(providers(.openai, server, basePath: "/v1"), "openai/smollm2")
        #expect(outcome.texts == ["Hi."])
        #expect(outcome.usage == nil, "no usage chunk: the daemon estimates")
        #expect(server.requests.first?.headers["authorization"] == nil)
    }

    @Test func reasoningIsNeverStoryButIsCountedAndLengthIsReported() async throws {
        let reasoning = FakeResponse.sse([
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"Let me think about fog."},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"reasoning":"Still thinking."},"finish_reason":null}]}"#,
        ])
        let server = try FakeProviderServer { _ in
            FakeResponse.stream(reasoning + FakeResponse.openAIStream(["The bell"], finish: "length", promptTokens: 10, completionTokens: 30, reasoningTokens: 28))
        }
        let outcome = await run(providers(.openai, server, basePath: "/v1"), "openai/thinker")
        #expect(outcome.texts == ["The bell"])
        #expect(outcome.finish == .length)
        #expect(outcome.usage == ModelUsage(promptTokens: 10, outputTokens: 2, thinkingTokens: 28, source: .api))
    }

    @Test func a429RestsThatKeyAndTheNextKeyAnswers() async throws {
        let server = try FakeProviderServer { request in
            if request.headers["authorization"] == "Bearer key-A" {
                return FakeResponse.complete(status: 429, headers: ["Retry-After": "7"], body: #"{"error":{"message":"Rate limit reached","type":"requests"}}"#)
            }
            return FakeResponse.stream(FakeResponse.openAIStream(["ok"]))
        }
        let providers = providers(.openai, server, keys: ["key-A", "key-B"], basePath: "/v1")
        let first = await run(providers, "openai/m")
        #expect(first.error == nil)
        #expect(first.texts == ["ok"])
        #expect(server.requests.map { $0.headers["authorization"] } == ["Bearer key-A", "Bearer key-B"])
        // key-A is resting for 7 s, so the next request goes straight to key-B.
        let second = await run(providers, "openai/m")
        #expect(second.texts == ["ok"])
        #expect(server.requests.map { $0.headers["authorization"] } == ["Bearer key-A", "Bearer key-B", "Bearer key-B"])
    }

    @Test func everyKeyRateLimitedFailsWithTheDelay() async throws {
        let server = try FakeProviderServer { _ in
            FakeResponse.complete(status: 429, headers: ["Retry-After": "3"], body: #"{"error":{"message":"slow down"}}"#)
        }
        let outcome = await run(providers(.openai, server, keys: ["k1", "k2"], basePath: "/v1"), "openai/m")
        let error = try #require(outcome.providerError)
        #expect(error.kind == .rateLimit)
        #expect(error.status == 429)
        #expect((2_900...3_000).contains(error.retryAfterMs ?? 0), "\(error)")
        #expect(server.requests.count == 2)
    }

    @Test func a401RetiresTheKeyForTheSessionAndNeverShowsIt() async throws {
        let server = try FakeProviderServer { request in
            if request.headers["authorization"] == "Bearer sk-bad-SECRET" {
                return FakeResponse.complete(status: 401, body: #"{"error":{"message":"Incorrect API key provided: sk-bad-SECRET"}}"#)
            }
            return FakeResponse.stream(FakeResponse.openAIStream(["fine"]))
        }
        let providers = providers(.openai, server, keys: ["sk-bad-SECRET", "sk-good"], basePath: "/v1")
        #expect(await run(providers, "openai/m").texts == ["fine"])
        #expect(await run(providers, "openai/m").texts == ["fine"])
        #expect(await run(providers, "openai/m").texts == ["fine"])
        #expect(server.requests.filter { $0.headers["authorization"] == "Bearer sk-bad-SECRET" }.count == 1, "retired after its 401")

        let alone = try FakeProviderServer { _ in
            FakeResponse.complete(status: 401, body: #"{"error":{"message":"Incorrect API key provided: sk-bad-SECRET"}}"#)
        }
        let error = try #require(await run(self.providers(.openai, alone, keys: ["sk-bad-SECRET"], basePath: "/v1"), "openai/m").providerError)
        #expect(error.kind == .auth)
        #expect(error.status == 401)
        #expect(!error.message.contains("SECRET"))
        #expect(!"\(error)".contains("SECRET"))
    }

    @Test func a500IsRetriedOnTheSameKeyThenSucceeds() async throws {
        let calls = Atomic<Int>(0)
        let server = try FakeProviderServer { _ in
            calls.add(1, ordering: .relaxed).newValue == 1
                ? FakeResponse.complete(status: 500, body: #"{"error":{"message":"boom"}}"#)
                : FakeResponse.stream(FakeResponse.openAIStream(["second time"]))
        }
        let outcome = await run(providers(.openai, server, keys: ["k"], basePath: "/v1"), "openai/m")
        #expect(outcome.texts == ["second time"])
        #expect(server.requests.count == 2)
    }

    @Test func persistent5xxGivesUpAfterTwoRetries() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.complete(status: 503, body: #"{"error":{"message":"overloaded"}}"#) }
        let error = try #require(await run(providers(.openai, server, keys: ["k"], basePath: "/v1"), "openai/m").providerError)
        #expect(error.kind == .server)
        #expect(error.status == 503)
        #expect(error.message.contains("overloaded"))
        #expect(server.requests.count == 3)
    }

    @Test func contextTooLongAndBadRequestsAreNotRetried() async throws {
        let server = try FakeProviderServer { request in
            request.json["model"] as? String == "small"
                ? FakeResponse.complete(status: 400, body: #"{"error":{"message":"This model's maximum context length is 4096 tokens.","code":"context_length_exceeded"}}"#)
                : FakeResponse.complete(status: 404, body: #"{"error":{"message":"The model 'nope' does not exist"}}"#)
        }
        let providers = providers(.openai, server, keys: ["k1", "k2"], basePath: "/v1")
        let context = try #require(await run(providers, "openai/small").providerError)
        #expect(context.kind == .contextLength)
        let missing = try #require(await run(providers, "openai/nope").providerError)
        #expect(missing.kind == .invalidRequest)
        #expect(missing.status == 404)
        #expect(missing.message.contains("does not exist"))
        #expect(server.requests.count == 2)
    }

    @Test func aConnectionCutMidStreamKeepsTheTextAndFailsAsNetwork() async throws {
        let server = try FakeProviderServer { _ in
            // Two chunks, then the connection closes without finish_reason or [DONE].
            FakeResponse.stream(Array(FakeResponse.openAIStream(["Half ", "a story"]).prefix(2)))
        }
        let outcome = await run(providers(.openai, server, keys: ["k"], basePath: "/v1"), "openai/m")
        #expect(outcome.texts == ["Half ", "a story"])
        let error = try #require(outcome.providerError)
        #expect(error.kind == .network)
        #expect(server.requests.count == 1, "text was already shown, so the request is not repeated")
    }

    @Test func aMalformedEventStopsTheStreamAsAServerError() async throws {
        let server = try FakeProviderServer { _ in
            FakeResponse.stream(FakeResponse.sse([#"{"choices":[{"index":0,"delta":{"content":"Before"}}]}"#, #"{"choices":[{"delta": nope"#]) + FakeResponse.openAIStream(["after"]))
        }
        let outcome = await run(providers(.openai, server, keys: ["k"], basePath: "/v1"), "openai/m")
        #expect(outcome.texts == ["Before"])
        #expect(outcome.providerError?.kind == .server)
    }

    @Test func aSlowFirstByteWithinTheIdleTimeoutIsFine() async throws {
        let server = try FakeProviderServer { _ in [.pause(.milliseconds(600))] + FakeResponse.stream(FakeResponse.openAIStream(["late"])) }
        let outcome = await run(providers(.openai, server, basePath: "/v1", idle: .seconds(3)), "openai/m")
        #expect(outcome.texts == ["late"])
    }

    @Test func aStreamThatStallsIsAbandonedAfterTheIdleTimeoutAndTheConnectionClosed() async throws {
        let server = try FakeProviderServer { _ in
            [FakeResponse.streamHead(), .send(Array(FakeResponse.sse([#"{"choices":[{"index":0,"delta":{"content":"Once"}}]}"#])[0].utf8)), .hang]
        }
        let started = ContinuousClock.now
        let outcome = await run(providers(.openai, server, basePath: "/v1", idle: .milliseconds(400)), "openai/m")
        #expect(outcome.texts == ["Once"])
        #expect(outcome.providerError?.kind == .timeout)
        // Only tells the idle timeout (400 ms) from the 10-minute deadline, which ends a stall as `timeout`
        // too; the bound is loose so a loaded CI machine cannot fail it.
        #expect(ContinuousClock.now - started < .seconds(60))
        try await waitUntil { server.connectionsClosedByClient == 1 }
    }

    @Test func aStreamThatNeverEndsHitsTheDeadline() async throws {
        let server = try FakeProviderServer { _ in
            FakeResponse.stream(Array(repeating: ": still here\n\n", count: 200), gap: .milliseconds(50))
        }
        let outcome = await run(providers(.openai, server, basePath: "/v1", idle: .seconds(2), deadline: .milliseconds(600)), "openai/m")
        let error = try #require(outcome.providerError)
        #expect(error.kind == .timeout)
        #expect(error.message.contains("did not finish"))
    }

    @Test func cancellingTheConsumerClosesTheConnection() async throws {
        let server = try FakeProviderServer { _ in [FakeResponse.streamHead(), .hang] }
        let providers = providers(.openai, server, basePath: "/v1", idle: .seconds(30))
        let task = Task { await run(providers, "openai/m") }
        try await waitUntil { server.requests.count == 1 }
        task.cancel()
        _ = await task.value
        try await waitUntil { server.connectionsClosedByClient == 1 }
    }

    @Test func cancellingMidStreamClosesTheConnectionAtOnce() async throws {
        let first = FakeResponse.sse([#"{"choices":[{"index":0,"delta":{"content":"Once"}}]}"#])[0]
        let server = try FakeProviderServer { _ in [FakeResponse.streamHead(), .send(Array(first.utf8)), .hang] }
        let providers = providers(.openai, server, basePath: "/v1", idle: .seconds(30))
        let received = Mutex<[String]>([])
        let task = Task {
            for try await event in providers.model(id: "openai/m")!.stream(Self.request) {
                if case .text(let text) = event { received.withLock { $0.append(text) } }
            }
        }
        try await waitUntil { received.withLock { $0 } == ["Once"] }
        #expect(server.connectionsClosedByClient == 0)
        task.cancel()
        _ = await task.result
        try await waitUntil { server.connectionsClosedByClient == 1 }
    }

    /// `generate(into:)`, what the story service uses: the events `stream` would give, in order, then
    /// the stream's error.
    @Test func generateHandsOverTheSameEventsInOrderAndThenTheError() async throws {
        let pieces = (0..<30).map { " w\($0)" }
        let whole = try FakeProviderServer { _ in FakeResponse.stream(FakeResponse.openAIStream(pieces)) }
        let expected = await run(providers(.openai, whole, basePath: "/v1"), "openai/m")
        let received = Mutex<[GenerationEvent]>([])
        try await providers(.openai, whole, basePath: "/v1").model(id: "openai/m")!.generate(Self.request) { event in
            received.withLock { $0.append(event) }
        }
        let events = received.withLock { $0 }
        #expect(events.dropLast() == pieces.map(GenerationEvent.text)[...])
        #expect(expected.texts == pieces)
        guard case .finished(let reason, let usage)? = events.last else {
            Issue.record("no finished event: \(events)")
            return
        }
        #expect(reason == expected.finish && usage == expected.usage)

        let cut = try FakeProviderServer { _ in
            FakeResponse.stream(FakeResponse.sse([#"{"choices":[{"index":0,"delta":{"content":"Before"}}]}"#, #"{"choices":[{"delta": nope"#]))
        }
        let partial = Mutex<[GenerationEvent]>([])
        await #expect(throws: ProviderError.self) {
            try await providers(.openai, cut, basePath: "/v1").model(id: "openai/m")!.generate(Self.request) { event in
                partial.withLock { $0.append(event) }
            }
        }
        #expect(partial.withLock { $0 } == [.text("Before")])
    }

    @Test func cancellingGenerateMidStreamClosesTheConnectionAtOnce() async throws {
        let first = FakeResponse.sse([#"{"choices":[{"index":0,"delta":{"content":"Once"}}]}"#])[0]
        let server = try FakeProviderServer { _ in [FakeResponse.streamHead(), .send(Array(first.utf8)), .hang] }
        let providers = providers(.openai, server, basePath: "/v1", idle: .seconds(30))
        let received = Mutex<[String]>([])
        let task = Task {
            try await providers.model(id: "openai/m")!.generate(Self.request) { event in
                if case .text(let text) = event { received.withLock { $0.append(text) } }
            }
        }
        try await waitUntil { received.withLock { $0 } == ["Once"] }
        #expect(server.connectionsClosedByClient == 0)
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        try await waitUntil { server.connectionsClosedByClient == 1 }
        #expect(received.withLock { $0 } == ["Once"])
    }

    @Test func twoTurnsInARowShareOneKeptAliveConnection() async throws {
        let server = try FakeProviderServer(keepAlive: true) { _ in FakeResponse.keepAliveStream(FakeResponse.openAIStream(["Same ", "socket."])) }
        let providers = providers(.openai, server, keys: ["k"], basePath: "/v1")
        for _ in 0..<2 {
            let outcome = await run(providers, "openai/m")
            #expect(outcome.error == nil)
            #expect(outcome.texts == ["Same ", "socket."])
        }
        #expect(server.requests.count == 2)
        #expect(server.connectionsAccepted == 1)
    }

    @Test func anInterimResponseIsSkippedAndTheFinalStatusAndHeadersCount() async throws {
        let server = try FakeProviderServer { _ in
            [.send(Array("HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n".utf8))]
                + FakeResponse.complete(status: 429, headers: ["Retry-After": "4"], body: #"{"error":{"message":"later"}}"#)
        }
        let long = GenerationRequest(system: "s", story: String(repeating: "The tide turns. ", count: 80_000), maxOutputTokens: 64, seed: 1)
        let error = try #require(await run(providers(.openai, server, keys: ["k"], basePath: "/v1"), "openai/m", long).providerError)
        #expect(error.kind == .rateLimit)
        #expect(error.status == 429)
        #expect(error.retryAfterMs == 4000)
        // A body over 1 MiB must not make libcurl wait (up to a second) for a `100 Continue` first.
        #expect(server.requests.first?.headers["expect"] == nil)
    }

    @Test func eventsSplitAcrossReadsAtAnyByteAreReassembled() async throws {
        // Seven-byte writes, each flushed on its own, cut field names, JSON and UTF-8 sequences apart.
        let pieces = ["Die Fähre ", "läuft ", "ein — ", "endlich."]
        let bytes = Array(FakeResponse.openAIStream(pieces).joined().utf8)
        let server = try FakeProviderServer { _ in
            var steps: [Step] = [FakeResponse.streamHead()]
            for start in stride(from: 0, to: bytes.count, by: 7) {
                steps.append(.send(Array(bytes[start..<min(start + 7, bytes.count)])))
                steps.append(.pause(.milliseconds(1)))
            }
            return steps
        }
        let outcome = await run(providers(.openai, server, basePath: "/v1"), "openai/m")
        #expect(outcome.error == nil)
        #expect(outcome.texts == pieces)
        #expect(outcome.finish == .stop)
    }

    @Test func anUnreachableServerIsANetworkFailure() async throws {
        let server = try FakeProviderServer { _ in [] }
        let providers = providers(.openai, server, basePath: "/v1")
        server.stop()
        let error = try #require(await run(providers, "openai/m").providerError)
        #expect(error.kind == .network)
        #expect(error.message.contains("127.0.0.1"))
    }

    // MARK: Anthropic

    static let anthropicStream = [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-test\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"The player wants the ferry.\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"A horn \"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"sounds.\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":64}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ]

    @Test func anthropicStreamsTextWithoutThinkingAndReportsUsage() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(Self.anthropicStream) }
        var request = Self.request
        request.allowThinking = true
        let outcome = await run(providers(.anthropic, server, keys: ["ak-1"]), "anthropic/claude-test", request)
        #expect(outcome.error == nil)
        #expect(outcome.texts == ["A horn ", "sounds."])
        #expect(outcome.finish == .length)
        // output_tokens (64) covers thinking and story; without a split from the API the story's estimate
        // is taken off it, which beats the estimate of the (summarized) thinking text.
        let story = TokenEstimator.estimate("A horn sounds.")
        #expect(outcome.usage == ModelUsage(promptTokens: 25, outputTokens: story, thinkingTokens: 64 - story, source: .api))
        let sent = try #require(server.requests.first)
        #expect(sent.path == "/v1/messages")
        #expect(sent.headers["x-api-key"] == "ak-1")
        #expect(sent.headers["anthropic-version"] == "2023-06-01")
        #expect(sent.headers["authorization"] == nil)
        let body = sent.json
        #expect(body["system"] as? String == "You are the narrator.")
        #expect(body["stream"] as? Bool == true)
        let thinking = body["thinking"] as? [String: Any]
        #expect(thinking?["type"] as? String == "enabled")
        let budget = thinking?["budget_tokens"] as? Int ?? 0
        #expect(budget >= 1024 && (body["max_tokens"] as? Int ?? 0) == 64 + budget)
    }

    @Test func anthropicThinkingTokensComeFromTheAPIWhenItSplitsThemOut() async throws {
        var stream = Self.anthropicStream
        stream[10] = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":64,\"output_tokens_details\":{\"thinking_tokens\":40}}}\n\n"
        let split = stream
        let server = try FakeProviderServer { _ in FakeResponse.stream(split) }
        let outcome = await run(providers(.anthropic, server, keys: ["ak-1"]), "anthropic/claude-test")
        #expect(outcome.finish == .stop)
        #expect(outcome.usage == ModelUsage(promptTokens: 25, outputTokens: 24, thinkingTokens: 40, source: .api))
    }

    @Test func anthropicThinkingIsAtLeastTheEstimateOfItsTextAndZeroWithoutThinking() async throws {
        // A short output_tokens leaves less than the thinking text's own estimate: that estimate is the floor.
        var thinkingStream = Self.anthropicStream
        thinkingStream[10] = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":12}}\n\n"
        let short = thinkingStream
        let thinkingServer = try FakeProviderServer { _ in FakeResponse.stream(short) }
        let thought = TokenEstimator.estimate("The player wants the ferry.")
        let story = TokenEstimator.estimate("A horn sounds.")
        #expect(12 - story < thought, "the stream must exercise the floor")
        let floored = await run(providers(.anthropic, thinkingServer, keys: ["ak-1"]), "anthropic/claude-test")
        #expect(floored.usage == ModelUsage(promptTokens: 25, outputTokens: 12 - thought, thinkingTokens: thought, source: .api))

        // Without a thinking block every output token is story.
        let plain = Array(Self.anthropicStream[0..<1] + Self.anthropicStream[5...])
        let plainServer = try FakeProviderServer { _ in FakeResponse.stream(plain) }
        let outcome = await run(providers(.anthropic, plainServer, keys: ["ak-1"]), "anthropic/claude-test")
        #expect(outcome.texts == ["A horn ", "sounds."])
        #expect(outcome.usage == ModelUsage(promptTokens: 25, outputTokens: 64, thinkingTokens: 0, source: .api))
    }

    @Test func anthropicErrorEventMidStreamKeepsTextAndIsAServerFailure() async throws {
        let server = try FakeProviderServer { _ in
            FakeResponse.stream(Array(Self.anthropicStream.prefix(8)) + ["event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"])
        }
        let outcome = await run(providers(.anthropic, server, keys: ["ak-1"]), "anthropic/claude-test")
        #expect(outcome.texts == ["A horn "])
        let error = try #require(outcome.providerError)
        #expect(error.kind == .server)
        #expect(error.status == 529)
        #expect(error.message.contains("Overloaded"))
    }

    @Test func anthropicWithoutAKeyFailsBeforeAnyRequest() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(Self.anthropicStream) }
        let providers = Providers(configurations: [.anthropic: ProviderConfiguration(
            kind: .anthropic, baseURL: URL(string: server.baseURL)!, keys: [], configured: true)])
        let error = try #require(await run(providers, "anthropic/claude-test").providerError)
        #expect(error.kind == .auth)
        #expect(error.message.contains("ANTHROPIC_API_KEY"))
        #expect(server.requests.isEmpty)
    }

    // MARK: Gemini

    static let geminiStream = FakeResponse.sse([
        #"{"candidates":[{"content":{"parts":[{"text":"Weighing the fog...","thought":true}],"role":"model"},"index":0}]}"#,
        #"{"candidates":[{"content":{"parts":[{"text":"The ferry "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":2,"totalTokenCount":32}}"#,
        #"{"candidates":[{"content":{"parts":[{"text":"appears."}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":64,"thoughtsTokenCount":12,"totalTokenCount":106}}"#,
    ])

    @Test func geminiStreamsTextSkipsThoughtsAndReadsUsageMetadata() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(Self.geminiStream) }
        let outcome = await run(providers(.gemini, server, keys: ["gk-1"], basePath: "/v1beta"), "gemini/gemini-2.5-flash")
        #expect(outcome.error == nil)
        #expect(outcome.texts == ["The ferry ", "appears."])
        #expect(outcome.finish == .length)
        #expect(outcome.usage == ModelUsage(promptTokens: 30, outputTokens: 64, thinkingTokens: 12, source: .api))
        let sent = try #require(server.requests.first)
        #expect(sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(sent.headers["x-goog-api-key"] == "gk-1")
        #expect(!sent.path.contains("key="))
        let body = sent.json
        let system = ((body["systemInstruction"] as? [String: Any])?["parts"] as? [[String: Any]])?.first?["text"] as? String
        #expect(system == "You are the narrator.")
        let generation = body["generationConfig"] as? [String: Any]
        #expect(generation?["maxOutputTokens"] as? Int == 64)
        let thinking = generation?["thinkingConfig"] as? [String: Any]
        #expect(thinking?["thinkingBudget"] as? Int == 0)
        #expect(thinking?["includeThoughts"] as? Bool == false)
    }

    @Test func gemmaGetsTheSystemTextInTheUserTurnAndNoThinkingConfig() async throws {
        let server = try FakeProviderServer { _ in FakeResponse.stream(Self.geminiStream) }
        _ = await run(providers(.gemini, server, keys: ["gk-1"], basePath: "/v1beta"), "gemini/gemma-3-27b-it")
        let body = try #require(server.requests.first).json
        #expect(body["systemInstruction"] == nil)
        #expect((body["generationConfig"] as? [String: Any])?["thinkingConfig"] == nil)
        let text = (((body["contents"] as? [[String: Any]])?.first?["parts"]) as? [[String: Any]])?.first?["text"] as? String
        #expect(text == "You are the narrator.\n\nThe ferry is late.")
    }

    func geminiThinking(_ model: String, allowThinking: Bool) async throws -> (config: [String: Any], maxOutputTokens: Int?) {
        let server = try FakeProviderServer { _ in FakeResponse.stream(Self.geminiStream) }
        var request = Self.request
        request.allowThinking = allowThinking
        let outcome = await run(providers(.gemini, server, keys: ["gk-1"], basePath: "/v1beta"), "gemini/\(model)", request)
        #expect(outcome.error == nil)
        let generation = try #require(server.requests.first).json["generationConfig"] as? [String: Any]
        return (try #require(generation?["thinkingConfig"] as? [String: Any]), generation?["maxOutputTokens"] as? Int)
    }

    @Test func gemini3GetsAThinkingLevelAndGemini25ABudget() async throws {
        for model in ["gemini-3-pro-preview", "gemini-3-flash-preview", "gemini-3.1-pro"] {
            let low = try await geminiThinking(model, allowThinking: false)
            #expect(low.config["thinkingLevel"] as? String == "low", "\(model)")
            #expect(low.config["thinkingBudget"] == nil, "Gemini 3 refuses a request with both: \(model)")
            #expect(low.config["includeThoughts"] as? Bool == false)
            #expect(low.maxOutputTokens == 64 + GeminiFormat.thinkingHeadroom.low)
            let high = try await geminiThinking(model, allowThinking: true)
            #expect(high.config["thinkingLevel"] as? String == "high", "\(model)")
            #expect(high.config["thinkingBudget"] == nil)
            #expect(high.maxOutputTokens == 64 + GeminiFormat.thinkingHeadroom.high)
        }
        let pro = try await geminiThinking("gemini-2.5-pro", allowThinking: false)
        #expect(pro.config["thinkingBudget"] as? Int == 128)
        #expect(pro.config["thinkingLevel"] == nil)
        #expect(pro.maxOutputTokens == 64 + 128)
        let flash = try await geminiThinking("gemini-2.5-flash", allowThinking: true)
        #expect(flash.config["thinkingBudget"] as? Int == GeminiFormat.thinkingBudget)
        #expect(flash.config["thinkingLevel"] == nil)
        #expect(flash.maxOutputTokens == 64 + GeminiFormat.thinkingBudget)
        #expect(!GeminiFormat.takesThinkingLevel("gemini-flash-latest"))
        #expect(!GeminiFormat.takesThinkingLevel("gemini-2.0-flash"))
        #expect(GeminiFormat.takesThinkingLevel("Gemini-3-Pro"))
        #expect(GeminiFormat.takesThinkingLevel("gemini-10-ultra"))
    }

    /// The path each provider's first request reached when its base URL variable is `suffix` after the
    /// fake server's host.
    func requestPath(_ kind: ProviderKind, baseSuffix suffix: String, model: String) async throws -> String {
        let server = try FakeProviderServer { _ in FakeResponse.complete(status: 404, body: "{}") }
        let environment = [kind.baseURLVariable: server.baseURL + suffix, kind.keyVariable ?? "OLLAMA_API_KEY": "key-1"]
        let providers = Providers(
            configurations: ProviderConfiguration.load(environment: environment),
            retry: RetryPolicy(serverRetries: 0, backoff: .milliseconds(10)))
        _ = await run(providers, "\(kind.rawValue)/\(model)")
        return try #require(server.requests.first).path
    }

    @Test func geminiBaseURLIsTheHostAloneOrWithItsVersion() async throws {
        let stream = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        for suffix in ["", "/", "/v1beta", "/v1beta/", "//v1beta//"] {
            #expect(try await requestPath(.gemini, baseSuffix: suffix, model: "gemini-2.5-flash") == stream, "GEMINI_BASE_URL ending '\(suffix)'")
        }
        #expect(try await requestPath(.gemini, baseSuffix: "/v1", model: "gemini-2.5-flash") == "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        // A proxy prefix gets the version after it, as Google's SDK does.
        #expect(try await requestPath(.gemini, baseSuffix: "/proxy/google", model: "gemini-2.5-flash") == "/proxy/google" + stream)

        // The model list goes to the same API path.
        let server = try FakeProviderServer { _ in FakeResponse.complete(status: 200, body: #"{"models":[]}"#) }
        let listing = Providers(configurations: ProviderConfiguration.load(environment: ["GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": "k"]))
        _ = await listing.list(timeout: .seconds(5))
        #expect(server.requests.first?.path == "/v1beta/models?pageSize=1000")
    }

    @Test func otherProvidersBaseURLsAreSettledToTheirAPIPath() async throws {
        for suffix in ["", "/", "/v1", "/v1/"] {
            #expect(try await requestPath(.anthropic, baseSuffix: suffix, model: "claude-test") == "/v1/messages", "ANTHROPIC_BASE_URL ending '\(suffix)'")
        }
        for suffix in ["", "/", "/v1", "/v1/"] {
            #expect(try await requestPath(.openai, baseSuffix: suffix, model: "m") == "/v1/chat/completions", "OPENAI_BASE_URL ending '\(suffix)'")
        }
        #expect(try await requestPath(.openai, baseSuffix: "/api/v1", model: "m") == "/api/v1/chat/completions")
        for suffix in ["", "/", "/api", "/v1/"] {
            #expect(try await requestPath(.ollama, baseSuffix: suffix, model: "llama3") == "/api/chat", "OLLAMA_HOST ending '\(suffix)'")
        }
    }

    @Test func gemini429WithRetryInfoUsesItsDelayAndRotates() async throws {
        let server = try FakeProviderServer { request in
            request.headers["x-goog-api-key"] == "gk-1"
                ? FakeResponse.complete(status: 429, body: #"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}"#)
                : FakeResponse.stream(Self.geminiStream)
        }
        let providers = providers(.gemini, server, keys: ["gk-1", "gk-2"], basePath: "/v1beta")
        #expect(await run(providers, "gemini/gemini-2.5-flash").texts == ["The ferry ", "appears."])
        let solo = try FakeProviderServer { _ in
            FakeResponse.complete(status: 429, body: #"{"error":{"code":429,"message":"Resource has been exhausted","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}"#)
        }
        let error = try #require(await run(self.providers(.gemini, solo, keys: ["gk-1"], basePath: "/v1beta"), "gemini/gemini-2.5-flash").providerError)
        #expect(error.kind == .rateLimit)
        #expect((2_900...3_000).contains(error.retryAfterMs ?? 0), "\(error)")
    }

    // MARK: Ollama

    @Test func ollamaNativeStreamsNDJSON() async throws {
        let lines = [
            #"{"model":"llama3","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}"# + "\n",
            #"{"model":"llama3","message":{"role":"assistant","content":"Waves"},"done":false}"# + "\n",
            #"{"model":"llama3","message":{"role":"assistant","content":" break."},"done":false}"# + "\n",
            #"{"model":"llama3","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":18,"eval_count":4}"# + "\n",
        ]
        let server = try FakeProviderServer { _ in FakeResponse.stream(lines, contentType: "application/x-ndjson") }
        let outcome = await run(providers(.ollama, server), "ollama/llama3")
        #expect(outcome.texts == ["Waves", " break."])
        #expect(outcome.usage == ModelUsage(promptTokens: 18, outputTokens: 4, source: .api))
        #expect(server.requests.first?.path == "/api/chat")
        #expect((server.requests.first?.json["options"] as? [String: Any])?["num_predict"] as? Int == 64)
    }

    // MARK: Listing

    @Test func modelsAreListedFromTheServerAndAnUnreachableOneSaysWhy() async throws {
        let server = try FakeProviderServer { request in
            request.path == "/v1/models"
                ? FakeResponse.complete(status: 200, body: #"{"object":"list","data":[{"id":"smollm2","object":"model","meta":{"n_ctx_train":2048}},{"id":"other","object":"model"}]}"#)
                : FakeResponse.complete(status: 404, body: "{}")
        }
        let providers = providers(.openai, server, basePath: "/v1")
        let listed = await providers.list()
        #expect(listed.map(\.descriptor.id) == ["openai/smollm2", "openai/other"])
        #expect(listed.allSatisfy { $0.available })
        #expect(providers.contextTokens(of: "openai/smollm2") == 2048)
        _ = await providers.list()
        #expect(server.requests.count == 1, "cached")

        let gone = try FakeProviderServer { _ in [] }
        let unreachable = self.providers(.ollama, gone)
        gone.stop()
        let entries = await unreachable.list(timeout: .seconds(2))
        #expect(entries.count == 1)
        #expect(entries.first?.available == false)
        #expect(entries.first?.reason?.contains("Could not reach") == true)

        let failing = try FakeProviderServer { _ in FakeResponse.complete(status: 503, body: #"{"error":{"message":"warming up"}}"#) }
        let warming = self.providers(.openai, failing, basePath: "/v1")
        #expect(await warming.list().first?.reason?.contains("warming up") == true)
        #expect(await warming.list().first?.available == false)
        #expect(failing.requests.count == 1, "the failure is remembered for a while")
        #expect(unreachable.model(id: "ollama/anything") != nil, "an unlisted id may still be used")
    }

    /// Polls `condition`. The deadline only bounds a failure: a suite run in parallel on a loaded
    /// machine has taken over 5 s to deliver a first chunk.
    func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            if ContinuousClock.now > deadline {
                Issue.record("condition not met in 30 s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

struct ProviderConfigurationTests {
    @Test func keysAndBaseURLsComeFromTheEnvironmentAndTheClientOverrides() {
        let loaded = ProviderConfiguration.load(environment: [
            "OPENAI_API_KEY": "o0", "OPENAI_API_KEY_1": "o1", "OPENAI_API_KEY_3": "o3",
            "GEMINI_API_KEY_2": "g2", "OLLAMA_HOST": "127.0.0.1:11434/",
            "ANTHROPIC_BASE_URL": "http://localhost:9/",
        ], overrides: ["anthropic": .init(baseURL: nil, apiKeys: ["from-client"])])
        #expect(loaded[.openai]?.keys.map(\.secret) == ["o0", "o1", "o3"])
        #expect(loaded[.openai]?.keyRequired == true)
        #expect(loaded[.gemini]?.keys.map(\.secret) == ["g2"])
        #expect(loaded[.ollama]?.baseURL.absoluteString == "http://127.0.0.1:11434")
        #expect(loaded[.ollama]?.configured == true)
        #expect(loaded[.anthropic]?.baseURL.absoluteString == "http://localhost:9")
        #expect(loaded[.anthropic]?.keys.map(\.secret) == ["from-client"])
        let local = ProviderConfiguration.load(environment: ["OPENAI_BASE_URL": "http://user:pw-SECRET@127.0.0.1:8080/v1?key=q-SECRET"])
        #expect(!String(describing: local[.openai]!).contains("SECRET"))
        #expect(local[.openai]?.keyRequired == false)
        #expect(local[.gemini]?.configured == false)
    }

    @Test func defaultBaseURLsAreUnchangedAndCredentialsInABaseURLSurviveSettling() {
        let defaults = ProviderConfiguration.load(environment: [:])
        #expect(defaults[.gemini]?.baseURL.absoluteString == "https://generativelanguage.googleapis.com/v1beta")
        #expect(defaults[.openai]?.baseURL.absoluteString == "https://api.openai.com/v1")
        #expect(defaults[.anthropic]?.baseURL.absoluteString == "https://api.anthropic.com")
        #expect(defaults[.ollama]?.baseURL.absoluteString == "http://127.0.0.1:11434")
        let google = ProviderConfiguration.load(environment: ["GEMINI_BASE_URL": " https://generativelanguage.googleapis.com/ "])
        #expect(google[.gemini]?.baseURL.absoluteString == "https://generativelanguage.googleapis.com/v1beta")
        let proxied = ProviderConfiguration.load(environment: ["GEMINI_BASE_URL": "https://u:p@proxy.example/g?token=t"])
        #expect(proxied[.gemini]?.baseURL.absoluteString == "https://u:p@proxy.example/g/v1beta?token=t")
        #expect(ProviderConfiguration.isVersion("v1beta1") && ProviderConfiguration.isVersion("v2alpha"))
        #expect(!ProviderConfiguration.isVersion("vertex") && !ProviderConfiguration.isVersion("v1gamma"))
    }

    @Test func keysNeverShowInDescriptionsOrDumps() {
        let configuration = ProviderConfiguration.load(environment: ["OPENAI_API_KEY": "sk-test-SECRET-123"])[.openai]!
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [String(describing: configuration), String(reflecting: configuration), dumped, "\(configuration.keys)"] {
            #expect(!text.contains("SECRET"), "\(text)")
        }
        #expect(configuration.redact("echo sk-test-SECRET-123 back") == "echo [redacted] back")
    }

    @Test func openAIItselfGetsMaxCompletionTokensAndImitatorsGetMaxTokens() throws {
        let request = GenerationRequest(system: "s", story: "t", maxOutputTokens: 77)
        for (base, field) in [("https://api.openai.com/v1", "max_completion_tokens"), ("http://127.0.0.1:8080/v1", "max_tokens")] {
            let built = try OpenAIFormat().httpRequest(for: request, model: "m", baseURL: URL(string: base)!, key: nil)
            let body = try JSONSerialization.jsonObject(with: Data(built.body)) as? [String: Any]
            #expect(body?[field] as? Int == 77, "\(base)")
            #expect(body?.keys.filter { $0.hasPrefix("max_") }.count == 1)
        }
    }

    @Test func openAIChunksAreReadLenientlyButAnErrorOrANonObjectStopsTheStream() throws {
        var decoder = OpenAIFormat.Decoder()
        // A field of an unexpected type is skipped; the text beside it still counts.
        let odd = #"{"choices":[{"delta":{"content":"Fog","role":7},"finish_reason":null,"logprobs":"x"}],"usage":"later"}"#
        #expect(try decoder.decode(SSEEvent(data: odd)) == [.text("Fog")])
        #expect(try decoder.decode(SSEEvent(data: #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":4,"completion_tokens_details":{"reasoning_tokens":1}}}"#)).isEmpty)
        #expect(try decoder.decode(SSEEvent(data: " [DONE] ")).isEmpty)
        #expect(try decoder.finish() == [.finished(.stop, ModelUsage(promptTokens: 5, outputTokens: 3, thinkingTokens: 1, source: .api))])

        var failing = OpenAIFormat.Decoder()
        #expect {
            try failing.decode(SSEEvent(data: #"{"error":{"message":"overloaded","code":503}}"#))
        } throws: { error in
            guard case .reported(let status, let body)? = error as? ProviderStreamError else { return false }
            return status == 503 && body.contains("overloaded")
        }
        #expect {
            try failing.decode(SSEEvent(data: #"["not", "an", "object"]"#))
        } throws: { error in
            guard case .malformed(let what)? = error as? ProviderStreamError else { return false }
            return what.contains("not a JSON object")
        }
        #expect(throws: ProviderStreamError.self) { try failing.finish() }
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(ErrorClassifier.retryAfter(headers: ["retry-after": "12"], body: "") == .seconds(12))
        let date = "Tue, 14 Nov 2023 22:13:40 GMT"  // 20 s after `now`
        #expect(ErrorClassifier.retryAfter(headers: ["retry-after": date], body: "", now: now) == .seconds(20))
        #expect(ErrorClassifier.retryAfter(headers: [:], body: "") == nil)
    }

    @Test func contextLengthIsRecognizedInEachProvidersWording() {
        for body in [
            #"{"error":{"code":"context_length_exceeded"}}"#,
            #"{"error":{"message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
            #"{"error":{"message":"The input token count (1200000) exceeds the maximum number of tokens allowed"}}"#,
        ] {
            #expect(ErrorClassifier.kind(status: 400, body: body) == .contextLength, "\(body)")
        }
        #expect(ErrorClassifier.kind(status: 400, body: #"{"error":{"message":"bad temperature"}}"#) == .invalidRequest)
    }
}
