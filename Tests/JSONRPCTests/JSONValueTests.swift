import ImaginAIProtocol
import Foundation
import Testing
@testable import JSONRPC

@Test func jsonValueRoundTripsEveryKind() throws {
    let text = #"{"a":[1,2.5,"x",true,null],"b":{"c":-7}}"#
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    #expect(value["a"] == .array([.int(1), .double(2.5), .string("x"), .bool(true), .null]))
    let again = try JSONCoding.encode(value)
    #expect(String(decoding: again, as: UTF8.self) == text)
}

/// Where the fast parser gives a value it is the one JSONDecoder gives; where the decoder fails, the
/// fast parser gives nothing (so the decoder's error is what the client sees).
@Test func fastParserAgreesWithJSONDecoder() throws {
    let inputs: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"scenario/get","params":{"id":"scn_1"}}"#,
        #" { "a" : [ 1 , -2 , 0 , true , false , null , "x" , { } , [ ] ] } "#,
        #"{"id":"7","s":"quote \" back \\ slash \/ b\b f\f n\n r\r t\t","u":"caf\u00e9"}"#,
        #"{"big":9223372036854775807,"small":-9223372036854775808,"over":9223372036854775808}"#,
        #"{"f":1.5}"#, #"{"e":1e3}"#, #"{"z":-0}"#, #"{"lead":01}"#, #"{"dup":1,"dup":2}"#,
        #"[1,2,]"#, #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":1} x"#, "", " ", "nul", "tru", #"""#, #""abc"#,
        "{\"raw\":\"tab\tinside\"}", "{\"é\":\"ünïcödé 😀\"}", #"[[[[[[[[[[]]]]]]]]]]"#,
        String(repeating: "[", count: 150) + String(repeating: "]", count: 150), #"-"#, #"--1"#, #"1"#, #""s""#,
        #"{"a":[{"b":[{"c":null}]}]}"#, #"{"\u0000":1}"#, #"{"x":"\ud800"}"#, #"{"x":"\q"}"#,
    ]
    for input in inputs {
        let bytes = Array(input.utf8)
        let reference = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        if let fast = FastJSONParser.parse(bytes) {
            #expect(fast == reference, "input: \(input) fast: \(fast)")
        } else if reference == nil {
            // Both refuse: fine.
        }
        if reference == nil { #expect(FastJSONParser.parse(bytes) == nil, "\(input)") }
    }
    #expect(FastJSONParser.parse(Array(#"{"jsonrpc":"2.0","id":1}"#.utf8)) == .object(["jsonrpc": "2.0", "id": 1]))
}
