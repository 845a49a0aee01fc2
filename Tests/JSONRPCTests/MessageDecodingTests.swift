import ImaginAIProtocol
import Testing
@testable import JSONRPC

private func decode(_ text: String) -> IncomingBody { MessageDecoding.decode(Array(text.utf8)) }

@Test func requestsKeepTheirIdsExactly() {
    #expect(decode(#"{"jsonrpc":"2.0","id":7,"method":"m"}"#) == .single(.request(id: .int(7), method: "m", params: nil)))
    #expect(decode(#"{"jsonrpc":"2.0","id":"abc","method":"m","params":null}"#)
        == .single(.request(id: .string("abc"), method: "m", params: .null)))
}

@Test func notificationsHaveNoId() {
    #expect(decode(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
        == .single(.notification(method: "initialized", params: .object([:]))))
}

@Test func invalidJSONIsAParseError() {
    guard case .unreadable(let error) = decode(#"{"jsonrpc": "2.0", "#) else { Issue.record(); return }
    #expect(error.code == .parseError)
}

@Test func invalidUTF8IsAParseError() {
    guard case .unreadable(let error) = MessageDecoding.decode([0x7B, 0xFF, 0x7D]) else { Issue.record(); return }
    #expect(error.code == .parseError)
    #expect(error.message.contains("UTF-8"))
}

@Test func emptyBatchIsOneInvalidRequest() {
    guard case .unreadable(let error) = decode("[]") else { Issue.record(); return }
    #expect(error.code == .invalidRequest)
}

@Test(arguments: [
    (#"1"#, "expected an object"),
    (#"{"id":1,"method":"m"}"#, "jsonrpc"),
    (#"{"jsonrpc":"1.0","id":1,"method":"m"}"#, "jsonrpc"),
    (#"{"jsonrpc":"2.0","id":1}"#, "method"),
    (#"{"jsonrpc":"2.0","id":1,"method":5}"#, "method"),
    (#"{"jsonrpc":"2.0","id":1,"method":"m","params":3}"#, "params"),
    (#"{"jsonrpc":"2.0","id":{"x":1},"method":"m"}"#, "id must be"),
    (#"{"jsonrpc":"2.0","id":1,"result":null}"#, "response"),
])
func invalidRequestsSayWhatIsWrong(text: String, mention: String) {
    guard case .single(.invalid(_, let error)) = decode(text) else { Issue.record("not invalid: \(text)"); return }
    #expect(error.code == .invalidRequest)
    #expect(error.message.contains(mention), "\(error.message)")
}

@Test func invalidRequestEchoesAReadableId() {
    guard case .single(.invalid(let id, _)) = decode(#"{"jsonrpc":"1.0","id":"x","method":"m"}"#) else { Issue.record(); return }
    #expect(id == .string("x"))
}

@Test func batchesDecodeElementByElement() {
    guard case .batch(let items) = decode(#"[{"jsonrpc":"2.0","id":1,"method":"a"},2]"#) else { Issue.record(); return }
    #expect(items.count == 2)
    if case .invalid = items[1] {} else { Issue.record("second element should be invalid") }
}

@Test func responsesSpellOutNullResults() {
    let body = MessageEncoding.response(id: .string("r1"), result: Array("null".utf8))
    #expect(String(decoding: body, as: UTF8.self) == #"{"id":"r1","jsonrpc":"2.0","result":null}"#)
}

@Test func paramsErrorsNameTheFieldPath() {
    struct Card: Decodable { var keys: [String] }
    struct Params: Decodable { var cards: [Card] }
    let params: JSONValue = .object(["cards": .array([
        .object(["keys": .array([])]), .object(["keys": .array([])]), .object(["keys": .string("a,b")]),
    ])])
    do {
        _ = try ParamsDecoding.decode(Params.self, from: params)
        Issue.record("should fail")
    } catch let error as ResponseError {
        #expect(error.code == .invalidParams)
        #expect(error.data == .object(["field": .string("cards[2].keys")]))
        #expect(error.message.contains("got string"))
    } catch { Issue.record("\(error)") }
}

@Test func missingParamsNameTheMissingField() {
    struct Params: Decodable { var id: String }
    do {
        _ = try ParamsDecoding.decode(Params.self, from: nil)
        Issue.record("should fail")
    } catch let error as ResponseError {
        #expect(error.data == .object(["field": .string("id")]))
    } catch { Issue.record("\(error)") }
}

/// Found by scripts/fuzz: Foundation reports 1.5 or 1e300 for an integer field as "not valid JSON" with
/// an empty coding path, which used to give -32602 with `data.field` "". The field must be named.
@Test func numbersThatDoNotFitAnIntegerNameTheirField() {
    struct Entry: Decodable { var weight: Double; var order: Int }
    struct Params: Decodable { var limit: Int?; var ratio: Double?; var entries: [Entry]? }
    let cases: [(JSONValue, String)] = [
        (["limit": .double(1.5)], "limit"),
        (["limit": .double(1e300)], "limit"),
        (["limit": .double(-1e20)], "limit"),
        // 0.5 fits the Double field beside the bad integer, so it must not be blamed.
        (["ratio": .double(0.5), "entries": [["weight": .double(2.5), "order": .double(3.25)]]], "entries[0].order"),
    ]
    for (params, field) in cases {
        do {
            _ = try ParamsDecoding.decode(Params.self, from: params)
            Issue.record("\(params) should fail")
        } catch let error as ResponseError {
            #expect(error.code == .invalidParams)
            #expect(error.data == .object(["field": .string(field)]), "\(params): \(error)")
        } catch { Issue.record("\(error)") }
    }
    // Values that fit still decode.
    #expect((try? ParamsDecoding.decode(Params.self, from: ["limit": .double(7), "ratio": .double(1e300)]))?.limit == 7)
}

/// Found by the randomized protocol test: a NUL inside a string came back from the store cut short.
@Test func stringsWithNULAreRefusedNamingTheField() {
    struct Card: Decodable { var name: String }
    struct Params: Decodable { var cards: [Card] }
    do {
        _ = try ParamsDecoding.decode(Params.self, from: ["cards": [["name": "ok"], ["name": "A\u{0}B"]]])
        Issue.record("should fail")
    } catch let error as ResponseError {
        #expect(error.code == .invalidParams)
        #expect(error.data == .object(["field": .string("cards[1].name")]))
    } catch { Issue.record("\(error)") }
}

@Test func nestingIsLimitedBeforeParsing() {
    func nested(_ depth: Int) -> [UInt8] {
        Array((#"{"jsonrpc":"2.0","id":1,"method":"m","params":"# + String(repeating: "[", count: depth - 1)
            + String(repeating: "]", count: depth - 1) + "}").utf8)
    }
    if case .tooDeep = MessageDecoding.decode(nested(64)) { Issue.record("64 levels are allowed") }
    #expect(MessageDecoding.decode(nested(65)) == .tooDeep(limit: 64))
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    let text = #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"t":"\"\#(String(repeating: "[{", count: 100))"}}"#
    guard case .single(.request) = MessageDecoding.decode(Array(text.utf8)) else { Issue.record("brackets in a string"); return }
    // Deeper than Foundation's own limit (512) is still ours: -31004, not a parse error.
    #expect(MessageDecoding.decode(Array((String(repeating: "[", count: 100_000)).utf8)) == .tooDeep(limit: 64))
}
