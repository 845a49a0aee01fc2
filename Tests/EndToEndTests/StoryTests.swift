import ImaginAIProtocol
import Foundation
import ImaginAIStore
import JSONRPC
import Synchronization
import Testing

/// Story generation through the real daemon with the offline storyteller.
@Suite(.timeLimit(.minutes(3)))
struct StoryTests {
    static let contract = MethodTests.contract

    /// A daemon with a started adventure in a small scenario whose cards the tests can trigger.
    func startAdventure(_ daemon: Daemon, delayMs: Int = 0, maxOutputTokens: Int = 120) async throws -> JSONValue {
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": ["storytellerDelayMs": .int(Int64(delayMs)), "maxOutputTokens": .int(Int64(maxOutputTokens))]])
        let scenario = try await daemon.call("scenario/create", ["scenario": [
            "name": "Harbor", "plotEssentials": "The harbor town of Kell sleeps under fog. The ferry has not come for a week.",
            "openingScene": "You stand on the quay at Kell. The fog hides the water, and somewhere a bell rings.",
            "cards": [
                ["name": "Mira Vell", "type": "character", "keys": ["Mira", "harbormaster"], "description": "Mira Vell is the harbormaster of Kell, sharp-eyed and tired of the fog."],
                ["name": "The ferry", "type": "item", "keys": ["ferry"], "description": "The ferry is an old steam boat that crosses to the mainland twice a day."],
            ],
        ]])
        return try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
    }

    /// Sends a request and collects its chunks until its response arrives.
    func stream(_ daemon: Daemon, id: String, _ method: String, _ params: JSONValue) async throws -> (response: JSONValue, chunks: [JSONValue]) {
        let body = JSONValue.object(["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params])
        daemon.send(body: String(decoding: try JSONCoding.encode(body), as: UTF8.self))
        var chunks: [JSONValue] = []
        while true {
            let message = try await daemon.receive(timeout: .seconds(30)) {
                $0["id"] == .string(id) || ($0["method"] == "story/chunk" && $0["params"]?["requestId"] == .string(id))
            }
            if message["method"] == "story/chunk" {
                chunks.append(message["params"]!)
            } else {
                return (message, chunks)
            }
        }
    }

    @Test func actStreamsChunksInOrderBeforeTheResponseAndStoresBothTurns() async throws {
        let daemon = try Daemon()
        let adventure = try await startAdventure(daemon)
        let aid = adventure["id"]!
        let (response, chunks) = try await stream(daemon, id: "act1", "story/act", ["adventureId": aid, "action": "do", "text": "ask Mira about the ferry"])
        let result = try #require(response["result"], "\(response)")
        #expect(Self.contract.violations(result: result, method: "story/act").isEmpty)
        #expect(!chunks.isEmpty)
        #expect(chunks.map { $0["seq"]! } == (0..<chunks.count).map { JSONValue.int(Int64($0)) }, "seq from 0 without gaps")
        #expect(chunks.allSatisfy { $0["adventureId"] == aid })
        let streamed = chunks.compactMap { $0["text"]?.stringValue }.joined()
        let aiText = result["aiTurn"]?["text"]?.stringValue ?? ""
        if result["trimmed"] == false {
            #expect(streamed.trimmingCharacters(in: .whitespacesAndNewlines) == aiText)
        } else {
            #expect(streamed.hasPrefix(aiText))
        }
        #expect(result["playerTurn"]?["text"] == "ask Mira about the ferry")
        #expect(result["playerTurn"]?["index"] == 1)
        #expect(result["aiTurn"]?["index"] == 2)
        #expect(result["usage"]?["model"] == "offline/storyteller")
        #expect(result["usage"]?["source"] == "estimate")
        #expect((result["usage"]?["sections"]?["cards"]?.intValue ?? 0) > 0, "Mira's and the ferry's cards were sent")

        let turns = try await daemon.call("turn/list", ["adventureId": aid])
        #expect(turns["turnCount"] == 3)
        #expect(turns["turns"]?.arrayValue?.last?["usage"]?["outputTokens"] != nil)
        let usage = try await daemon.call("usage/get", ["adventureId": aid])
        #expect(usage["totals"]?["turns"] == 1)
    }

    @Test func retryKeepsEveryVersion() async throws {
        let daemon = try Daemon()
        do {
            let adventure = try await startAdventure(daemon)
            let act = try await daemon.call("story/act", ["adventureId": adventure["id"]!, "action": "say", "text": "Where is the ferry?"])
            #expect(act["aiTurn"]?["text"]?.stringValue?.isEmpty == false)
            let aiTurnId = act["aiTurn"]!["id"]!
            let retry = try await daemon.call("story/retry", ["adventureId": adventure["id"]!])
            #expect(Self.contract.violations(result: retry, method: "story/retry").isEmpty)
            #expect(retry["aiTurn"]?["id"] == aiTurnId, "a retry replaces the same turn")
            #expect(retry["playerTurn"] == .null)
            let versions = try await daemon.call("turn/versions", ["id": aiTurnId])
            #expect(versions["versions"]?.arrayValue?.count == 2)
            #expect(versions["versions"]?.arrayValue?.last?["current"] == true)
            let restored = try await daemon.call("turn/useVersion", ["id": aiTurnId, "version": 0])
            #expect(restored["text"] == act["aiTurn"]?["text"])
            let bad = try await daemon.request("turn/useVersion", ["id": aiTurnId, "version": 7])
            #expect(bad["error"]?["data"]?["field"] == "version")
        }
    }

    @Test func continueUndoRedoAndTheirLimits() async throws {
        let daemon = try Daemon()
        let adventure = try await startAdventure(daemon)
        let aid = adventure["id"]!
        let nothing = try await daemon.request("story/undo", ["adventureId": aid])
        #expect(nothing["error"]?["code"] == .int(-31002), "the opening scene is never undone")
        let retryOpening = try await daemon.request("story/retry", ["adventureId": aid])
        #expect(retryOpening["error"]?["code"] == .int(-31002))

        let continued = try await daemon.call("story/continue", ["adventureId": aid])
        #expect(continued["playerTurn"] == .null)
        #expect(continued["aiTurn"]?["index"] == 1)
        let act = try await daemon.call("story/act", ["adventureId": aid, "action": "story", "text": "The fog lifts for a moment."])
        let undo = try await daemon.call("story/undo", ["adventureId": aid])
        #expect(undo["removed"]?.arrayValue?.map { $0["id"]! } == [act["playerTurn"]!["id"]!, act["aiTurn"]!["id"]!])
        #expect(undo["turnCount"] == 2)
        let redo = try await daemon.call("story/redo", ["adventureId": aid])
        #expect(redo["restored"]?.arrayValue?.map { $0["text"]! } == [act["playerTurn"]!["text"]!, act["aiTurn"]!["text"]!])
        #expect(redo["turnCount"] == 4)
        let noRedo = try await daemon.request("story/redo", ["adventureId": aid])
        #expect(noRedo["error"]?["code"] == .int(-31002))

        _ = try await daemon.call("story/undo", ["adventureId": aid])
        _ = try await daemon.call("story/continue", ["adventureId": aid])
        let cleared = try await daemon.request("story/redo", ["adventureId": aid])
        #expect(cleared["error"]?["code"] == .int(-31002), "a new turn ends what could be redone")

        let empty = try await daemon.request("story/act", ["adventureId": aid, "action": "do", "text": "   "])
        #expect(empty["error"]?["data"]?["field"] == "text")
    }

    @Test func previewShowsExactlyWhatWouldBeSent() async throws {
        let daemon = try Daemon()
        let adventure = try await startAdventure(daemon)
        let preview = try await daemon.call("story/preview", ["adventureId": adventure["id"]!, "action": "do", "text": "wave to the harbormaster"])
        #expect(Self.contract.violations(result: preview, method: "story/preview").isEmpty)
        let sections = preview["sections"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(sections == ["system", "plotEssentials", "cards", "history", "action"])
        #expect(preview["sections"]?.arrayValue?.last?["text"] == "> You wave to the harbormaster.")
        #expect(preview["firedCards"]?.arrayValue?.map { $0["key"]! } == ["harbormaster"])
        #expect(preview["includedTurns"] == [0])
        #expect(try await daemon.call("turn/list", ["adventureId": adventure["id"]!])["turnCount"] == 1, "a preview stores nothing")
        let models = try await daemon.call("models/list")
        #expect(models["models"]?.arrayValue?.first?["id"] == "offline/storyteller")
    }

    @Test func cancelStopsAtOnceKeepsThePartialTextAndThePlayerTurn() async throws {
        let daemon = try Daemon()
        // A second a word: the requests below must all be answered while the turn is still being
        // written, and in a parallel test run on two cores they have taken several seconds.
        let adventure = try await startAdventure(daemon, delayMs: 1000, maxOutputTokens: 800)
        let aid = adventure["id"]!
        daemon.send(body: #"{"jsonrpc":"2.0","id":"slow","method":"story/act","params":{"adventureId":"\#(aid.stringValue!)","action":"do","text":"walk to the ferry"}}"#)
        // Wait for a few words, then cancel.
        for _ in 0..<2 {
            _ = try await daemon.receive { $0["method"] == "story/chunk" }
        }
        let busy = try await daemon.request("story/continue", ["adventureId": aid])
        #expect(busy["error"]?["code"] == .int(-31002), "one generation per adventure")
        let undo = try await daemon.request("story/undo", ["adventureId": aid])
        #expect(undo["error"]?["code"] == .int(-31002), "history is not rewritten under a turn being generated")
        let opening = try await daemon.call("turn/list", ["adventureId": aid])["turns"]?.arrayValue?.first
        let deletion = try await daemon.request("turn/delete", ["id": opening?["id"] ?? nil])
        #expect(deletion["error"]?["code"] == .int(-31002))
        let other = try await daemon.call("scenario/list")
        #expect(other["total"] != nil, "other requests are answered meanwhile")
        try daemon.notify("$/cancelRequest", ["id": "slow"])
        let response = try await daemon.response(to: "slow", timeout: .seconds(5))
        #expect(response["error"]?["code"] == .int(-32800))
        let partial = response["error"]?["data"]?["aiTurn"]?["text"]?.stringValue ?? ""
        #expect(!partial.isEmpty)
        #expect(response["error"]?["data"]?["playerTurn"]?["text"] == "walk to the ferry")
        let turns = try await daemon.call("turn/list", ["adventureId": aid])
        #expect(turns["turnCount"] == 3)
        #expect(turns["turns"]?.arrayValue?.last?["text"]?.stringValue == partial)
        #expect(turns["turns"]?.arrayValue?.last?["usage"]?["outputTokens"] != nil)
    }

    /// A model that cannot be used is a -31003, but the player's words are stored first and kept. (An
    /// unknown provider no longer gets this far: settings/update refuses it.)
    @Test func aModelThatCannotBeUsedKeepsThePlayerTurn() async throws {
        let daemon = try Daemon(unsetting: ["ANTHROPIC_API_KEY"] + (1...64).map { "ANTHROPIC_API_KEY_\($0)" })
        let adventure = try await startAdventure(daemon)
        _ = try await daemon.call("settings/update", ["changes": ["model": "anthropic/claude-keyless"]])
        let response = try await daemon.request("story/act", ["adventureId": adventure["id"]!, "action": "do", "text": "ring the bell"])
        #expect(response["error"]?["code"] == .int(-31003))
        #expect(response["error"]?["data"]?["kind"] == "auth")
        #expect(response["error"]?["data"]?["playerTurn"]?["text"] == "ring the bell")
        #expect(response["error"]?["data"]?["aiTurn"] == .null)
        let turns = try await daemon.call("turn/list", ["adventureId": adventure["id"]!])
        #expect(turns["turnCount"] == 2)
        #expect(turns["turns"]?.arrayValue?.last?["text"] == "ring the bell")
    }

    /// A cancel written right behind the request may reach the daemon before the generation begins;
    /// the answer still carries what was stored.
    @Test func aCancelRightBehindTheRequestStillReportsTheTurns() async throws {
        let daemon = try Daemon()
        let adventure = try await startAdventure(daemon, delayMs: 40, maxOutputTokens: 800)
        let aid = adventure["id"]!.stringValue!
        for round in 0..<10 {
            daemon.send(body: #"{"jsonrpc":"2.0","id":"c\#(round)","method":"story/act","params":{"adventureId":"\#(aid)","action":"do","text":"wait \#(round)"}}"#)
            try daemon.notify("$/cancelRequest", ["id": .string("c\(round)")])
            let response = try await daemon.response(to: .string("c\(round)"), timeout: .seconds(5))
            #expect(response["error"]?["code"] == .int(-32800))
            #expect(response["error"]?["data"]?["playerTurn"]?["text"] == .string("wait \(round)"), "round \(round): \(response)")
            #expect(response["error"]?["data"]?["aiTurn"] != nil)
        }
    }

    @Test func twoAdventuresGenerateAtOnceWhileAThirdRequestIsAnswered() async throws {
        let daemon = try Daemon()
        let first = try await startAdventure(daemon, delayMs: 10)
        let scenario = try await daemon.call("scenario/list", ["query": "Harbor"])
        let second = try await daemon.call("adventure/start", ["scenarioId": scenario["scenarios"]!.arrayValue![0]["id"]!])
        for (id, adventure) in [("g1", first), ("g2", second)] {
            daemon.send(body: #"{"jsonrpc":"2.0","id":"\#(id)","method":"story/continue","params":{"adventureId":"\#(adventure["id"]!.stringValue!)"}}"#)
        }
        // Both stream at once: chunks of each arrive before either finishes.
        _ = try await daemon.receive { $0["params"]?["requestId"] == "g1" }
        _ = try await daemon.receive { $0["params"]?["requestId"] == "g2" }
        let list = try await daemon.call("adventure/list")
        #expect(list["total"] == 2)
        let r1 = try await daemon.response(to: "g1", timeout: .seconds(30))
        let r2 = try await daemon.response(to: "g2", timeout: .seconds(30))
        #expect(r1["result"]?["aiTurn"] != nil && r2["result"]?["aiTurn"] != nil)
    }

    /// kill -9 while a turn streams: the player's turn is there and the database is intact.
    @Test func killMidStreamKeepsThePlayerTurn() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("story.sqlite").path
        let daemon = try Daemon(database: path)
        // Slow words, so the kill lands mid-stream however long a loaded machine takes to deliver the
        // first chunk; the test never waits for the rest.
        let adventure = try await startAdventure(daemon, delayMs: 1000, maxOutputTokens: 800)
        let aid = adventure["id"]!.stringValue!
        daemon.send(body: #"{"jsonrpc":"2.0","id":"k","method":"story/act","params":{"adventureId":"\#(aid)","action":"say","text":"Mira, wait!"}}"#)
        _ = try await daemon.receive { $0["method"] == "story/chunk" }
        daemon.kill()
        let store = try AppDatabase.open(path: path)
        #expect(try store.integrityCheck() == "ok")
        let turns = try store.turns(adventureId: aid, limit: nil, beforeIndex: nil).turns
        #expect(turns.count == 2)
        #expect(turns.last?.text == "Mira, wait!")
        #expect(turns.last?.role == .player)
    }
}
