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
