import Foundation
import ImaginAIProtocol
import JSONRPC
import Testing

/// Recall through the real daemon over its pipes, with the offline storyteller: a fact stated early and
/// pushed out of a small context window comes back in the `memories` section when the player asks about
/// it, and stops coming back once it is edited away or deleted.
@Suite(.timeLimit(.minutes(3)))
struct RecallTests {
    static let contract = MethodTests.contract
    static func question(_ adventureId: JSONValue) -> JSONValue {
        ["adventureId": adventureId, "action": "say", "text": "What was the password again?"]
    }
    static let actions = [
        "walk north along the lane", "look at the old wall", "listen to the wind", "open the wooden gate",
        "follow the stream", "climb the low hill", "rest under the oak", "search the empty cart",
    ]

    /// A 60-turn adventure (turn 0 the opening scene) whose turn 2 says the password.
    func playSixtyTurns(_ daemon: Daemon) async throws -> (adventureId: JSONValue, turns: [JSONValue]) {
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": ["storytellerDelayMs": 0, "maxOutputTokens": 120, "contextTokens": 1024]])
        let scenario = try await daemon.call("scenario/create", ["scenario": [
            "name": "Gate", "openingScene": "You stand before a walled town at dusk. A guard leans on his spear.",
        ]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        let aid = adventure["id"]!
        var turns: [JSONValue] = []
        for step in 0..<30 {
            let result = try await daemon.call("story/act", ["adventureId": aid, "action": "do", "text": .string(Self.actions[step % Self.actions.count])])
            turns += [result["playerTurn"]!, result["aiTurn"]!]
        }
        // The storyteller's answer at turn 2 becomes the fact, as a player fixing a turn would write it.
        let fact = try await daemon.call("turn/edit", ["id": turns[1]["id"]!, "text": "The guard whispers: the password is heliotrope."])
        #expect(fact["index"] == 2)
        let all = try await daemon.call("turn/list", ["adventureId": aid])
        #expect(all["turnCount"] == 61)
        return (aid, all["turns"]!.arrayValue!)
    }

    func preview(_ daemon: Daemon, _ adventureId: JSONValue) async throws -> (recalled: [JSONValue], memories: String?, result: JSONValue) {
        let result = try await daemon.call("story/preview", Self.question(adventureId))
        #expect(Self.contract.violations(result: result, method: "story/preview").isEmpty, "\(result)")
        let sections = result["sections"]!.arrayValue!
        let memories = sections.first { $0["name"] == "memories" }
        return (result["recalledTurns"]!.arrayValue!, memories?["text"]?.stringValue, result)
    }

    @Test func aFactFromTurnTwoIsRecalledWhenAskedUntilItIsEditedAwayOrDeleted() async throws {
        let daemon = try Daemon()
        let (aid, turns) = try await playSixtyTurns(daemon)
        let factId = turns[2]["id"]!

        let asked = try await preview(daemon, aid)
        #expect(asked.recalled.contains(factId), "\(asked.result)")
        #expect(asked.memories?.contains("[Turn 2] The guard whispers: the password is heliotrope.") == true)
        // Turn 2 is out of the history, the memories come right before it, and both count in the budget.
        let included = asked.result["includedTurns"]!.arrayValue!.compactMap(\.intValue)
        #expect(!included.contains(2) && !included.isEmpty)
        let names = asked.result["sections"]!.arrayValue!.compactMap { $0["name"]?.stringValue }
        let memoriesAt = try #require(names.firstIndex(of: "memories"))
        #expect(names[memoriesAt + 1] == "history")
        #expect(asked.result["budgetTokens"] == .int(1024 - 120))
        #expect((asked.result["totalTokens"]?.intValue ?? .max) <= 1024 - 120)

        // A copy carries its memory: its own turn 2 is recalled, by its own id.
        let copy = try await daemon.call("adventure/duplicate", ["id": aid])
        let copiedTurns = try await daemon.call("turn/list", ["adventureId": copy["id"]!])["turns"]!.arrayValue!
        let inCopy = try await preview(daemon, copy["id"]!)
        #expect(inCopy.recalled.contains(copiedTurns[2]["id"]!) && !inCopy.recalled.contains(factId))
        #expect(inCopy.memories?.contains("heliotrope") == true)

        // Undo and redo of the newest exchange leave the older memory as it was.
        _ = try await daemon.call("story/undo", ["adventureId": aid])
        #expect(try await preview(daemon, aid).recalled.contains(factId))
        _ = try await daemon.call("story/redo", ["adventureId": aid])
        let redone = try await preview(daemon, aid)
        #expect(redone.recalled.contains(factId))
        #expect(redone.result["includedTurns"]!.arrayValue!.last == 60)

        // Edited so that it no longer says it: not recalled. Said again: recalled again.
        _ = try await daemon.call("turn/edit", ["id": factId, "text": "The guard says nothing and looks away."])
        let edited = try await preview(daemon, aid)
        #expect(!edited.recalled.contains(factId))
        #expect(edited.memories?.contains("heliotrope") != true)
        _ = try await daemon.call("turn/edit", ["id": factId, "text": "The guard whispers: the password is heliotrope."])
        #expect(try await preview(daemon, aid).recalled.contains(factId))

        // Deleted: never recalled again; the copy still remembers.
        _ = try await daemon.call("turn/delete", ["id": factId])
        let deleted = try await preview(daemon, aid)
        #expect(!deleted.recalled.contains(factId))
        #expect(deleted.memories?.contains("heliotrope") != true)
        #expect(try await preview(daemon, copy["id"]!).memories?.contains("heliotrope") == true)

        // The generated answer's usage counts the memories section.
        let answer = try await daemon.call("story/act", Self.question(copy["id"]!))
        #expect((answer["usage"]?["sections"]?["memories"]?.intValue ?? 0) > 0, "\(answer)")
        // The offline storyteller answers the question with what it was told long ago.
        #expect(answer["aiTurn"]?["text"]?.stringValue?.contains("the password is heliotrope") == true, "\(answer)")
    }

    @Test func contextTokensCapsTheBudgetAndNullGivesTheModelsWindowBack() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let defaults = try await daemon.call("settings/get")
        #expect(defaults["contextTokens"] == .null)
        let capped = try await daemon.call("settings/update", ["changes": ["contextTokens": 2048, "maxOutputTokens": 200]])
        #expect(capped["contextTokens"] == 2048)
        let scenarios = try await daemon.call("scenario/list")
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenarios["scenarios"]!.arrayValue![0]["id"]!])
        let small = try await daemon.call("story/preview", ["adventureId": adventure["id"]!])
        #expect(small["budgetTokens"] == .int(2048 - 200))
        // Above the model's window (8192 for the offline storyteller) the cap changes nothing.
        _ = try await daemon.call("settings/update", ["changes": ["contextTokens": 1_000_000]])
        #expect(try await daemon.call("story/preview", ["adventureId": adventure["id"]!])["budgetTokens"] == .int(8192 - 200))
        let cleared = try await daemon.call("settings/update", ["changes": ["contextTokens": .null]])
        #expect(cleared["contextTokens"] == .null)
        #expect(try await daemon.call("story/preview", ["adventureId": adventure["id"]!])["budgetTokens"] == .int(8192 - 200))

        for bad: JSONValue in [100, 3_000_000, "big"] {
            let response = try await daemon.request("settings/update", ["changes": ["contextTokens": bad]])
            #expect(response["error"]?["code"] == -32602, "\(response)")
            #expect(response["error"]?["data"]?["field"] == "changes.contextTokens", "\(response)")
        }
        // Null still means nothing for the other settings.
        let nullScan = try await daemon.request("settings/update", ["changes": ["scanDepth": .null]])
        #expect(nullScan["error"]?["code"] == -32602)
    }
}
