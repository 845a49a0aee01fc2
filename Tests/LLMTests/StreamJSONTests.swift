import Foundation
import Testing
@testable import LLM

/// The OpenAI decoder reads each chunk with `StreamJSON` and falls back to `JSONDecoder`: both paths
/// must read every payload alike, and the narrow reader must hand the unusual ones over.
struct StreamJSONTests {
    /// The chunk as `JSONDecoder` reads it, in comparable form.
    static func reference(_ payload: String) -> String? {
        guard let chunk = try? JSONDecoder().decode(OpenAIFormat.Chunk.self, from: Data(payload.utf8)) else { return nil }
        return describe(chunk)
    }

    static func describe(_ chunk: OpenAIFormat.Chunk) -> String {
        let choices = chunk.choices.map { "\($0.content ?? "nil")|\($0.finishReason ?? "nil")" }
        let usage = chunk.usage.map { "\($0.promptTokens ?? -1),\($0.completionTokens ?? -1),\($0.reasoningTokens ?? -1)" } ?? "nil"
        let error = chunk.error.map { "\($0.code ?? -1),\($0.status ?? -1)" } ?? "nil"
        return "\(choices) usage \(usage) error \(error)"
    }

    @Test(arguments: [
        #"{"id":"c1","object":"chat.completion.chunk","created":1694268190,"model":"m","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}"#,
        #"{"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        #"{"choices":[{"delta":{},"finish_reason":"length"}],"usage":null}"#,
        #"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,"completion_tokens_details":{"reasoning_tokens":7}}}"#,
        #"{"choices":[{"delta":{"content":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t"}}]}"#,
        #"{"choices":[{"delta":{"content":"ünïcödé ✓"}},{"delta":{"content":12}},{"delta":"x","finish_reason":5}]}"#,
        #"{"choices":[{"delta":{"content":"a"}},7]}"#,
        #"{"choices":{"delta":{"content":"a"}}}"#,
        #"{"choices":null,"usage":{"prompt_tokens":"12","completion_tokens":-3,"completion_tokens_details":[1]}}"#,
        #"{"error":{"message":"overloaded","code":529}}"#,
        #"{"error":{"message":"bad","code":"invalid_api_key","status":400}}"#,
        #"{"error":"something broke"}"#,
        #"  { "choices" : [ { "delta" : { "content" : "spaced" } } ] , "x" : [ true , false , null , -0.5e3 , 1E+2 ] }  "#,
    ])
    func fastReadingMatchesJSONDecoder(_ payload: String) throws {
        let parsed = try #require(StreamJSON.parse(payload))
        let fast = try #require(OpenAIFormat.Chunk(reading: parsed))
        #expect(Self.describe(fast) == Self.reference(payload))
    }

    /// Handed to JSONDecoder: invalid JSON, a top level that is not an object, repeated keys, a lone
    /// surrogate, integers written as floats where an integer is read, a null error, raw control characters.
    @Test(arguments: [
        #"{"choices":[{"delta":{"content":"a"}}]"#,
        #"{"choices":[{"delta":{"content":"a"}}]}x"#,
        #"[1,2]"#,
        #""text""#,
        #"{"a":1,"a":2}"#,
        #"{"choices":[{"delta":{"content":"\ud83d"}}]}"#,
        #"{"usage":{"prompt_tokens":12.0,"completion_tokens":3}}"#,
        #"{"usage":{"prompt_tokens":99999999999999999999}}"#,
        #"{"error":null}"#,
        "{\"choices\":[{\"delta\":{\"content\":\"a\tb\"}}]}",
        #"{"n":01}"#,
        #"{"n":1.}"#,
        #"{"n":tru}"#,
        #"{"s":"\x"}"#,
    ])
    func unusualPayloadsAreLeftToJSONDecoder(_ payload: String) {
        let fast = StreamJSON.parse(payload).flatMap(OpenAIFormat.Chunk.init(reading:))
        #expect(fast == nil)
    }

    @Test func nestingDeeperThanTheLimitIsLeftToJSONDecoder() {
        let deep = String(repeating: "[", count: StreamJSON.maxDepth + 1) + String(repeating: "]", count: StreamJSON.maxDepth + 1)
        #expect(StreamJSON.parse(#"{"x":"# + deep + "}") == nil)
        let shallow = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(StreamJSON.parse(#"{"x":"# + shallow + "}") != nil)
    }

    @Test func valuesAreReadExactly() throws {
        let parsed = try #require(StreamJSON.parse(#"{"a":[1,-2,9223372036854775807,-9223372036854775808,9223372036854775808,0,-0,1.5],"b":"x\u0041\u00e9","c":{}}"#))
        #expect(parsed["a"] == .array([
            .number(exact: 1), .number(exact: -2), .number(exact: .max), .number(exact: .min), .number(exact: nil),
            .number(exact: 0), .number(exact: nil), .number(exact: nil),
        ]))
        #expect(parsed["b"] == .string("xAé"))
        #expect(parsed["c"] == .object([:]))
    }
}
