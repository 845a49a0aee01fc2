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

@Test func settingsKeepEveryKnownProviderAndNameTheKnownOnesWhenRefusing() async throws {
    let harness = try Harness()
    _ = await harness.result("initialize")
    for model in ["offline/storyteller", "openai/m", "anthropic/m", "gemini/m", "llamacpp/m", "ollama/m"] {
        #expect(await harness.result("settings/update", #"{"changes":{"model":"\#(model)"}}"#)["model"] == .string(model))
    }
    let refused = await harness.request("settings/update", #"{"changes":{"model":"nope/none"}}"#)
    #expect(refused["error"]?["code"] == .int(-32602))
    #expect(refused["error"]?["message"]?.stringValue?.contains("offline, openai, anthropic, gemini, ollama, llamacpp") == true, "\(refused)")
    let unknown = await harness.request("settings/update", #"{"changes":{"modle":"openai/m"}}"#)
    #expect(unknown["error"]?["data"]?["field"] == "changes.modle")
    #expect(await harness.result("settings/get")["model"] == "ollama/m", "refused changes store nothing")
}

@Test func theLookForLocalServersIsMovedOrTurnedOffAndStaysOnLoopback() {
    func servers(_ value: String?) -> [String: String]? {
        ModelRegistry.localServers(value, logger: nil).map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) }
    }
    #expect(servers(nil) == nil, "unset: the usual ports")
    #expect(servers("none") == [:])
    #expect(servers("") == [:])
    #expect(servers("llamacpp=http://127.0.0.1:9001/v1, ollama=localhost:9002") == ["llamacpp": "http://127.0.0.1:9001/v1", "ollama": "localhost:9002"])
    // Another machine, a provider that is no local server, or no URL: ignored, the rest kept.
    #expect(servers("llamacpp=http://192.0.2.7:8080/v1,openai=http://127.0.0.1:1,ollama,ollama=127.0.0.1:9003") == ["ollama": "127.0.0.1:9003"])
}

/// Files whose one entry is over a limit, in two formats, with the entry at a known place.
private func sillyTavernWorld(entries: Int, long index: Int, name: Bool) -> String {
    var fields: [String] = []
    for i in 0..<entries {
        let text = i == index && !name ? String(repeating: "é", count: 100_001) : "Entry \(i)."
        let title = i == index && name ? String(repeating: "N", count: 1_001) : "Entry \(i)"
        fields.append(#""\#(i)":{"uid":\#(i),"key":["k\#(i)"],"content":"\#(text)","comment":"\#(title)"}"#)
    }
    return #"{"entries":{"# + fields.joined(separator: ",") + "}}"
}

@Test func overLongNamesAndTextsInImportedFilesNameTheEntryAndStoreNothing() async throws {
    let harness = try Harness()
    _ = await harness.result("initialize")
    let scenariosBefore = await harness.result("scenario/list")["total"]
    // The file as text, as `imaginai import` sends it, and as parsed JSON.
    let text = sillyTavernWorld(entries: 14, long: 12, name: false)
    let asString = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    for data in [asString, text] {
        let response = await harness.request("scenario/import", #"{"data":\#(data)}"#)
        #expect(response["error"]?["code"] == .int(-31004), "\(response)")
        #expect(response["error"]?["data"]?["field"] == "data.entries.12.content")
        #expect(response["error"]?["data"]?["limit"] == .int(100_000))
        #expect(response["error"]?["message"]?.stringValue?.contains("100001 characters") == true)
    }
    let longName = await harness.request("scenario/import", #"{"data":\#(sillyTavernWorld(entries: 3, long: 1, name: true))}"#)
    #expect(longName["error"]?["data"]?["field"] == "data.entries.1.comment")
    #expect(longName["error"]?["data"]?["limit"] == .int(1_000))
    let ownFile = #"{"format":"imaginai.scenario","scenario":{"name":"S","openingScene":"\#(String(repeating: "x", count: 100_001))"}}"#
    let opening = await harness.request("scenario/import", #"{"data":\#(ownFile)}"#)
    #expect(opening["error"]?["data"]?["field"] == "data.scenario.openingScene")
    // Plot essentials put together from a character card's parts, each under the limit, name the file.
    let half = String(repeating: "p", count: 60_000)
    let character = #"{"spec":"chara_card_v2","data":{"name":"Vera","description":"\#(half)","personality":"\#(half)"}}"#
    let assembled = await harness.request("scenario/import", #"{"data":\#(character)}"#)
    #expect(assembled["error"]?["code"] == .int(-31004), "\(assembled)")
    #expect(assembled["error"]?["data"]?["field"] == "data")
    #expect(assembled["error"]?["message"]?.stringValue?.contains("plotEssentials put together from the character's description") == true)
    #expect(await harness.result("scenario/list")["total"] == scenariosBefore, "nothing stored")

    let scenario = await harness.result("scenario/create", #"{"scenario":{"name":"Host"}}"#)
    let id = scenario["id"]!.stringValue!
    let cards = await harness.request("cards/import", #"{"scenarioId":"\#(id)","data":\#(sillyTavernWorld(entries: 5, long: 4, name: true))}"#)
    #expect(cards["error"]?["code"] == .int(-31004))
    #expect(cards["error"]?["data"]?["field"] == "data.entries.4.comment")
    let aidungeon = #"[{"title":"A","keys":"a","value":"ok"},{"title":"B","keys":"b","value":"\#(String(repeating: "y", count: 100_001))"}]"#
    let array = await harness.request("cards/import", #"{"scenarioId":"\#(id)","data":\#(aidungeon)}"#)
    #expect(array["error"]?["data"]?["field"] == "data[1].value")
    #expect(await harness.result("scenario/get", #"{"id":"\#(id)"}"#)["cards"] == .array([]), "nothing stored")

    // At the limit exactly, everything is stored.
    let atLimit = #"[{"title":"\#(String(repeating: "n", count: 1_000))","keys":"a","value":"\#(String(repeating: "v", count: 100_000))"}]"#
    #expect(await harness.result("cards/import", #"{"scenarioId":"\#(id)","data":\#(atLimit)}"#)["imported"] == .int(1))
}
