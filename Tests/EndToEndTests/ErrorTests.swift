import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ErrorTests {
    @Test func brokenInputGetsPreciseErrorsAndTheDaemonKeepsServing() async throws {
        let daemon = try Daemon(arguments: ["serve", "--db", ":memory:", "--max-message-bytes", "4096"])
        _ = try await daemon.initialize()

        daemon.send(body: #"{"jsonrpc":"2.0","id":1,"method":"#)
        let parse = try await daemon.response(to: .null)
        #expect(parse["error"]?["code"] == .int(-32700))

        daemon.send(body: "17")
        #expect(try await daemon.response(to: .null)["error"]?["code"] == .int(-32600))

        daemon.sendRaw(Array("Content-Length: twelve\r\n\r\n".utf8))
        let header = try await daemon.response(to: .null)
        #expect(header["error"]?["code"] == .int(-32600))
        #expect(header["error"]?["message"]?.stringValue?.contains("Content-Length") == true)

        daemon.send(body: #"{"jsonrpc":"2.0","id":2,"method":"scenario/create","params":{"scenario":{"name":"\#(String(repeating: "x", count: 5000))"}}}"#)
        let big = try await daemon.response(to: .null)
        #expect(big["error"]?["code"] == .int(-31004))

        daemon.send(body: "[]")
        #expect(try await daemon.response(to: .null)["error"]?["code"] == .int(-32600))

        daemon.sendRaw([0x43, 0x6F, 0x6E, 0x74, 0x65, 0x6E, 0x74, 0x2D, 0x4C, 0x65, 0x6E, 0x67, 0x74, 0x68, 0x3A, 0x20, 0x33, 0x0D, 0x0A, 0x0D, 0x0A, 0x22, 0xFF, 0x22])
        let utf8 = try await daemon.response(to: .null)
        #expect(utf8["error"]?["code"] == .int(-32700))

        let unknown = try await daemon.request("story/teleport")
        #expect(unknown["error"]?["code"] == .int(-32601))
        #expect(unknown["error"]?["message"]?.stringValue?.contains("story/teleport") == true)

        // Still serving normally after all of that.
        let list = try await daemon.call("scenario/list")
        #expect(list["total"]?.intValue ?? 0 >= 1)
    }

    /// A big import followed at once by its cancellation: the cancellation reaches the request before it
    /// commits, so it ends with -32800 and nothing is imported.
    @Test func cancellingARunningImportLeavesNothingBehind() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Target"]])
        let entries = (0..<20_000).map { index in
            #""\#(index)":{"uid":\#(index),"key":["key \#(index)"],"content":"Entry \#(index) of a very large world.","comment":"Entry \#(index)"}"#
        }.joined(separator: ",")
        let params = #"{"scenarioId":"\#(scenario["id"]!.stringValue!)","data":{"entries":{\#(entries)}}}"#
        let request = Framing.frame(Array(#"{"jsonrpc":"2.0","id":"big","method":"cards/import","params":\#(params)}"#.utf8))
        let cancel = Framing.frame(Array(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"big"}}"#.utf8))
        daemon.sendRaw(request + cancel)
        let response = try await daemon.response(to: "big")
        #expect(response["error"]?["code"] == .int(-32800), "\(response["error"] ?? response)")
        let after = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        #expect(after["cards"]?.arrayValue?.isEmpty == true)
    }

    @Test func batchesAreAnsweredAsBatches() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        daemon.send(body: #"[{"jsonrpc":"2.0","id":"b1","method":"settings/get"},{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","id":"b2","method":"scenario/get","params":{"id":"scn_none"}},{"jsonrpc":"2.0","id":"b3","method":"nope"},5]"#)
        let batch = try await daemon.receive { $0.arrayValue != nil }
        let responses = batch.arrayValue ?? []
        #expect(responses.count == 4, "three requests and one invalid element; the notification gets nothing")
        let byID = Dictionary(responses.map { ($0["id"] ?? .null, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byID["b1"]?["result"]?["model"] != nil)
        #expect(byID["b2"]?["error"]?["code"] == .int(-31001))
        #expect(byID["b3"]?["error"]?["code"] == .int(-32601))
        #expect(byID[.null]?["error"]?["code"] == .int(-32600))
        daemon.send(body: #"[{"jsonrpc":"2.0","method":"initialized"}]"#)
        // A batch of notifications gets no answer: the next response is the next request's.
        let next = try await daemon.request("settings/get")
        #expect(next["result"] != nil)
    }

    @Test func invalidParamsNameTheOffendingField() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let cases: [(String, JSONValue, String)] = [
            ("scenario/get", [:], "id"),
            ("scenario/get", ["id": 5], "id"),
            ("scenario/create", ["scenario": ["name": "X", "cards": [["name": "a"], ["name": "b"], ["name": "c", "keys": "k1,k2"]]]], "scenario.cards[2].keys"),
            ("scenario/create", ["scenario": ["name": "  "]], "scenario.name"),
            ("scenario/create", ["scenario": ["name": "X", "visibility": "secret"]], "scenario.visibility"),
            ("scenario/update", ["id": "x", "changes": ["tags": .null]], "changes.tags"),
            ("settings/update", ["changes": ["maxOutputTokens": 801]], "changes.maxOutputTokens"),
            ("settings/update", ["changes": ["maxOutputTokens": 49]], "changes.maxOutputTokens"),
            ("settings/update", ["changes": ["responseHandling": "ignore"]], "changes.responseHandling"),
            ("settings/update", ["changes": ["model": "nomodel"]], "changes.model"),
            ("settings/update", ["changes": ["model": "nope/none"]], "changes.model"),
            ("settings/update", ["changes": ["model": "offline/other"]], "changes.model"),
            ("settings/update", ["changes": ["maxTokens": 300]], "changes.maxTokens"),
            ("scenario/list", ["limit": 0], "limit"),
            ("card/create", ["card": ["name": "x"]], "scenarioId"),
            ("cards/export", ["scenarioId": "s", "format": "word"], "format"),
            ("turn/list", ["adventureId": "a", "limit": -1], "limit"),
        ]
        for (method, params, field) in cases {
            let response = try await daemon.request(method, params)
            #expect(response["error"]?["code"] == .int(-32602), "\(method) \(params)")
            #expect(response["error"]?["data"]?["field"] == .string(field), "\(method): \(response)")
        }
    }

    @Test func settingsUpdateRefusesUnknownSettingsAndProvidersAndStoresNothing() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let before = try await daemon.call("settings/get")

        let misspelt = try await daemon.request("settings/update", ["changes": ["maxOutputTokens": 300, "maxTokens": 300]])
        #expect(misspelt["error"]?["code"] == .int(-32602))
        #expect(misspelt["error"]?["data"]?["field"] == "changes.maxTokens")
        let listed = misspelt["error"]?["message"]?.stringValue ?? ""
        #expect(listed.contains("maxTokens") && listed.contains("maxOutputTokens") && listed.contains("storytellerSeed"), "\(listed)")

        let unknown = try await daemon.request("settings/update", ["changes": ["model": "nope/none", "scanDepth": 9]])
        #expect(unknown["error"]?["code"] == .int(-32602))
        #expect(unknown["error"]?["data"]?["field"] == "changes.model")
        let message = unknown["error"]?["message"]?.stringValue ?? ""
        for provider in ["nope", "offline", "openai", "anthropic", "gemini", "ollama"] {
            #expect(message.contains(provider), "\(provider) in \(message)")
        }
        #expect(try await daemon.call("settings/get") == before, "a refused change stores nothing")

        for model in ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "gemini/gemini-3-pro-preview", "ollama/llama3.2:1b", "offline/storyteller"] {
            let updated = try await daemon.call("settings/update", ["changes": ["model": .string(model)]])
            #expect(updated["model"] == .string(model))
        }
    }

    @Test func missingThingsAreNotFoundWithKindAndId() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let cases: [(String, JSONValue, String)] = [
            ("scenario/get", ["id": "scn_missing"], "scenario"),
            ("scenario/update", ["id": "scn_missing", "changes": ["name": "X"]], "scenario"),
            ("scenario/delete", ["id": "scn_missing"], "scenario"),
            ("card/update", ["id": "card_missing", "changes": ["name": "X"]], "card"),
            ("card/delete", ["id": "card_missing"], "card"),
            ("adventure/start", ["scenarioId": "scn_missing"], "scenario"),
            ("adventure/get", ["id": "adv_missing"], "adventure"),
            ("turn/edit", ["id": "turn_missing", "text": "x"], "turn"),
            ("turn/list", ["adventureId": "adv_missing"], "adventure"),
            ("cards/import", ["adventureId": "adv_missing", "data": []], "adventure"),
        ]
        for (method, params, kind) in cases {
            let response = try await daemon.request(method, params)
            #expect(response["error"]?["code"] == .int(-31001), "\(method): \(response)")
            #expect(response["error"]?["data"]?["kind"] == .string(kind), "\(method)")
            #expect(response["error"]?["data"]?["id"] != nil)
        }
    }

    @Test func restartingAnAdventureWithHistoryIsAConflict() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "C", "openingScene": "Once."]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let response = try await daemon.request("adventure/restart", ["id": adventure["id"]!])
        #expect(response["error"]?["code"] == .int(-31002))
    }

    @Test func importOfSomethingThatIsNoFormatChangesNothing() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let before = try await daemon.call("scenario/list")
        for data: JSONValue in [["foo": 1], "not json at all {", 42, [1, 2, 3]] {
            let response = try await daemon.request("scenario/import", ["data": data])
            #expect(response["error"]?["code"] == .int(-32602), "\(data)")
        }
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Keep", "cards": [["name": "Old card"]]]])
        let bad = try await daemon.request("cards/import", ["scenarioId": scenario["id"]!, "data": ["foo": 1], "mode": "replace"])
        #expect(bad["error"]?["code"] == .int(-32602))
        let after = try await daemon.call("scenario/get", ["id": scenario["id"]!])
        #expect(after["cards"]?.arrayValue?.count == 1)
        #expect(try await daemon.call("scenario/list")["total"]?.intValue == (before["total"]?.intValue ?? 0) + 1)
    }
}
