import Foundation
import ImaginAIProtocol
import ImaginAIStore
import JSONRPC
import Logging
import Synchronization
import Testing
@testable import ImaginAIServer

/// A server over an in-memory connection and an in-memory database: no process, no pipe.
private struct Harness {
    let client = InMemoryClient()
    let server: ImaginAIServer
    let run: Task<Int32, Never>
    private let ids = IDSource()

    init() throws {
        server = ImaginAIServer(database: try AppDatabase.inMemory(), sink: client, logger: Logger(label: "test"))
        let server = self.server
        let client = self.client
        run = Task { await server.run(input: client.input) }
    }

    func request(_ method: String, _ params: String = "null") async -> JSONValue {
        let id = ids.next()
        client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        return await client.response(to: .int(Int64(id)))
    }

    func result(_ method: String, _ params: String = "null") async -> JSONValue {
        let response = await request(method, params)
        #expect(response["error"] == nil, "\(method): \(response)")
        return response["result"] ?? .null
    }
}

private final class IDSource: Sendable {
    private let counter = Mutex(0)
    func next() -> Int { counter.withLock { $0 += 1; return $0 } }
}

@Test func capabilitiesListEveryRegisteredMethodAndFormat() async throws {
    let harness = try Harness()
    let result = await harness.result("initialize", #"{"clientInfo":{"name":"unit"}}"#)
    let methods = result["capabilities"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(methods == harness.server.requestMethods)
    #expect(methods.contains("initialize") && methods.contains("shutdown") && methods.contains("cards/import"))
    #expect(result["capabilities"]?["cardExportFormats"] == .array(["imaginai", "aidungeon", "sillytavern"].map(JSONValue.string)))
    #expect(result["capabilities"]?["cardImportFormats"]?.arrayValue?.first == "auto")
}

@Test func theOpenRPCDocumentListsExactlyTheServedMethods() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/openrpc.json")
    let document = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
    let documented = Set(document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
    let server = ImaginAIServer(database: try AppDatabase.inMemory(), sink: InMemoryClient(), logger: Logger(label: "test"))
    let served = Set(server.requestMethods + ImaginAIServer.clientNotifications)
    #expect(served.subtracting(documented).isEmpty, "served but undocumented: \(served.subtracting(documented).sorted())")
    #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
}

@Test func storeErrorsBecomeTheDocumentedCodes() async throws {
    let harness = try Harness()
    _ = await harness.result("initialize")
    let missing = await harness.request("card/duplicate", #"{"id":"card_nope"}"#)
    #expect(missing["error"]?["code"] == .int(-31001))
    #expect(missing["error"]?["data"] == .object(["kind": "card", "id": "card_nope"]))
    let scenario = await harness.result("scenario/create", #"{"scenario":{"name":"S","openingScene":"Go."}}"#)
    let adventure = await harness.result("adventure/start", #"{"scenarioId":"\#(scenario["id"]!.stringValue!)"}"#)
    let conflict = await harness.request("adventure/restart", #"{"id":"\#(adventure["id"]!.stringValue!)"}"#)
    #expect(conflict["error"]?["code"] == .int(-31002))
}

@Test func formatErrorsBecomeInvalidParamsOnData() async throws {
    let harness = try Harness()
    _ = await harness.result("initialize")
    let response = await harness.request("scenario/import", #"{"data":{"neither":"here nor there"}}"#)
    #expect(response["error"]?["code"] == .int(-32602))
    #expect(response["error"]?["data"]?["field"]?.stringValue?.hasPrefix("data") == true)
    let unknownFormat = await harness.request("scenario/import", #"{"data":{},"format":"docx"}"#)
    #expect(unknownFormat["error"]?["data"]?["field"] == "format")
}

@Test func validationGuardsNamesLimitsAndSettings() async throws {
    let harness = try Harness()
    _ = await harness.result("initialize")
    let cases: [(String, String, String)] = [
        ("scenario/create", #"{"scenario":{"name":"ok","cards":[{"name":"a"},{"name":" "}]}}"#, "scenario.cards[1].name"),
        ("scenario/list", #"{"limit":501}"#, "limit"),
        ("adventure/list", #"{"offset":-1}"#, "offset"),
        ("settings/update", #"{"changes":{"model":"/x"}}"#, "changes.model"),
        ("settings/update", #"{"changes":{"model":"nope/none"}}"#, "changes.model"),
        ("settings/update", #"{"changes":{"model":"Openai/gpt"}}"#, "changes.model"),
        ("settings/update", #"{"changes":{"model":"offline/other"}}"#, "changes.model"),
        ("settings/update", #"{"changes":{"scanDepth":3,"temperature":0.7}}"#, "changes.temperature"),
        ("card/update", #"{"id":"c","changes":{"name":""}}"#, "changes.name"),
    ]
    for (method, params, field) in cases {
        let response = await harness.request(method, params)
        #expect(response["error"]?["data"]?["field"] == .string(field), "\(method): \(response)")
    }
}
