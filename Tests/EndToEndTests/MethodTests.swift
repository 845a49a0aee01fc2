import ImaginAIProtocol
import Foundation
import ImaginAIStore
import JSONRPC
import Testing

/// Drives every method through the real daemon and checks each result against `Protocol/openrpc.json`.
@Suite(.timeLimit(.minutes(3)))
struct MethodTests {
    static let contract = try! ProtocolContract.load()

    /// Calls a method and checks its result against the documented result schema.
    func call(_ daemon: Daemon, _ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let result = try await daemon.call(method, params)
        let violations = Self.contract.violations(result: result, method: method)
        #expect(violations.isEmpty, "\(method) result breaks its schema: \(violations)")
        return result
    }

    @Test func scenarioLifecycle() async throws {
        let daemon = try Daemon()
        _ = try await call(daemon, "initialize", ["clientInfo": ["name": "t"]])

        let sample = try await call(daemon, "scenario/list")
        #expect(sample["total"] == 1, "a fresh database holds the built-in sample")

        let created = try await call(daemon, "scenario/create", ["scenario": [
            "name": "The Glass Orchard", "instructions": "Be eerie.", "openingScene": "You wake under glass trees.",
            "tags": [" Horror", "horror ", "Glassfruit", ""], "visibility": "unlisted",
            "cards": [["type": "character", "name": "Ann", "keys": ["  Ann ", "", "the gardener"]]],
        ]])
        let id = created["id"]!
        #expect(created["tags"] == ["Horror", "Glassfruit"])
        let card = created["cards"]!.arrayValue![0]
        #expect(card["keys"] == ["Ann", "the gardener"])
        #expect(card["description"] == "")

        let fetched = try await call(daemon, "scenario/get", ["id": id])
        #expect(fetched == created)

        let updated = try await call(daemon, "scenario/update", ["id": id, "changes": ["authorsNotes": "Slow dread.", "name": "Orchard"]])
        #expect(updated["authorsNotes"] == "Slow dread.")
        #expect(updated["instructions"] == "Be eerie.", "fields not named stay as they were")
        #expect(updated["updatedAt"]!.stringValue! >= created["updatedAt"]!.stringValue!)

        let replaced = try await call(daemon, "scenario/update", ["id": id, "changes": ["cards": [
            ["id": card["id"]!, "name": "Ann", "type": "character", "keys": ["Ann"]],
            ["name": "Glass key", "type": "item", "keys": ["glass key"]],
        ]]])
        #expect(replaced["cards"]?.arrayValue?.count == 2)
        #expect(replaced["cards"]?.arrayValue?[0]["id"] == card["id"], "a card named by id keeps its id")

        let listed = try await call(daemon, "scenario/list", ["query": "orch"])
        #expect(listed["total"] == 1)
        #expect(listed["scenarios"]?.arrayValue?.first?["cardCount"] == 2)
        #expect(try await call(daemon, "scenario/list", ["tag": "GLASSFRUIT"])["total"] == 1)
        #expect(try await call(daemon, "scenario/list", ["tag": "glass"])["total"] == 0)
        let page = try await call(daemon, "scenario/list", ["limit": 1, "offset": 1])
        #expect(page["scenarios"]?.arrayValue?.count == 1)
        #expect(page["total"] == 2)

        let copy = try await call(daemon, "scenario/duplicate", ["id": id, "name": "Orchard II"])
        #expect(copy["id"] != id)
        #expect(copy["name"] == "Orchard II")
        let copyCardIDs = Set(copy["cards"]!.arrayValue!.map { $0["id"]! })
        #expect(copyCardIDs.isDisjoint(with: Set(replaced["cards"]!.arrayValue!.map { $0["id"]! })))

        let deleted = try await call(daemon, "scenario/delete", ["id": id])
        #expect(deleted["deleted"] == id)
        #expect(try await daemon.request("scenario/get", ["id": id])["error"]?["code"] == .int(-31001))
    }

    @Test func cardMethodsOnScenariosAndAdventures() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await call(daemon, "scenario/create", ["scenario": ["name": "Cards"]])
        let sid = scenario["id"]!
        let card = try await call(daemon, "card/create", ["scenarioId": sid, "card": ["name": "Zoë", "type": "character", "keys": ["Zoë", " the smith "]]])
        #expect(card["keys"] == ["Zoë", "the smith"])
        let changed = try await call(daemon, "card/update", ["id": card["id"]!, "changes": ["description": "A smith of Ærø."]])
        #expect(changed["description"] == "A smith of Ærø.")
        #expect(changed["name"] == "Zoë")
        let twin = try await call(daemon, "card/duplicate", ["id": card["id"]!])
        #expect(twin["id"] != card["id"])
        #expect(twin["description"] == "A smith of Ærø.")
        #expect(try await call(daemon, "scenario/get", ["id": sid])["cards"]?.arrayValue?.count == 2)
        _ = try await call(daemon, "card/delete", ["id": twin["id"]!])

        let adventure = try await call(daemon, "adventure/start", ["scenarioId": sid])
        let advCard = try await call(daemon, "card/create", ["adventureId": adventure["id"]!, "card": ["name": "Only here"]])
        #expect(advCard["type"] == "other")
        #expect(try await call(daemon, "adventure/get", ["id": adventure["id"]!])["cards"]?.arrayValue?.count == 2)
        #expect(try await call(daemon, "scenario/get", ["id": sid])["cards"]?.arrayValue?.count == 1, "adventure cards never touch the scenario")
        let both = try await daemon.request("card/create", ["scenarioId": sid, "adventureId": adventure["id"]!, "card": ["name": "x"]])
        #expect(both["error"]?["code"] == .int(-32602))
    }

    @Test func adventuresAreIndependentCopies() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await call(daemon, "scenario/create", ["scenario": [
            "name": "Harbor", "instructions": "Original.", "openingScene": "Gulls cry over the harbor.",
            "playerDescription": "A sailor.", "tags": ["sea"], "cards": [["name": "Harbor master", "keys": ["master"]]],
        ]])
        let sid = scenario["id"]!
        let adventure = try await call(daemon, "adventure/start", ["scenarioId": sid, "name": "First voyage"])
        let aid = adventure["id"]!
        #expect(adventure["scenarioId"] == sid)
        #expect(adventure["scenarioName"] == "Harbor")
        #expect(adventure["turnCount"] == 1)
        #expect(adventure["cards"]?.arrayValue?.first?["id"] != scenario["cards"]?.arrayValue?.first?["id"])

        _ = try await call(daemon, "scenario/update", ["id": sid, "changes": ["instructions": "Changed."]])
        #expect(try await call(daemon, "adventure/get", ["id": aid])["instructions"] == "Original.")
        let advUpdated = try await call(daemon, "adventure/update", ["id": aid, "changes": ["plotEssentials": "Storm coming.", "name": "Voyage"]])
        #expect(advUpdated["plotEssentials"] == "Storm coming.")
        #expect(try await call(daemon, "scenario/get", ["id": sid])["plotEssentials"] == "")

        let turns = try await call(daemon, "turn/list", ["adventureId": aid])
        let opening = turns["turns"]!.arrayValue![0]
        #expect(opening["role"] == "ai")
        #expect(opening["action"] == .null)
        #expect(opening["text"] == "Gulls cry over the harbor.")
        #expect(opening["index"] == 0)

        let listed = try await call(daemon, "adventure/list")
        #expect(listed["adventures"]?.arrayValue?.first?["id"] == aid)
        #expect(listed["adventures"]?.arrayValue?.first?["excerpt"] == "Gulls cry over the harbor.")

        _ = try await call(daemon, "scenario/delete", ["id": sid])
        let orphan = try await call(daemon, "adventure/get", ["id": aid])
        #expect(orphan["scenarioId"] == .null)
        #expect(orphan["instructions"] == "Original.")

        let edited = try await call(daemon, "turn/edit", ["id": opening["id"]!, "text": "Gulls scream."])
        #expect(edited["text"] == "Gulls scream.")
        let copy = try await call(daemon, "adventure/duplicate", ["id": aid])
        #expect(copy["turnCount"] == 1)
        let copiedTurns = try await call(daemon, "turn/list", ["adventureId": copy["id"]!])
        #expect(copiedTurns["turns"]?.arrayValue?.first?["text"] == "Gulls scream.")
        #expect(copiedTurns["turns"]?.arrayValue?.first?["id"] != opening["id"])

        _ = try await call(daemon, "turn/delete", ["id": opening["id"]!])
        #expect(try await call(daemon, "adventure/get", ["id": aid])["turnCount"] == 0)
        let restarted = try await call(daemon, "adventure/restart", ["id": aid])
        #expect(restarted["turnCount"] == 1)
        let again = try await call(daemon, "turn/list", ["adventureId": aid])
        #expect(again["turns"]?.arrayValue?.first?["text"] == "Gulls cry over the harbor.")
        _ = try await call(daemon, "adventure/delete", ["id": copy["id"]!])
        #expect(try await daemon.request("adventure/get", ["id": copy["id"]!])["error"]?["code"] == .int(-31001))
    }

    @Test func turnPagingAndForks() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("turns.sqlite").path
        // Turns are written through the store (story generation comes with the story methods).
        let store = try AppDatabase.open(path: path)
        let scenario = try store.createScenario(.init(name: "Paging", openingScene: "Turn zero."))
        let adventure = try store.startAdventure(scenarioId: scenario.id, name: nil)
        for index in 1..<10 {
            _ = try store.appendTurn(adventureId: adventure.id, role: index % 2 == 1 ? .player : .ai, action: index % 2 == 1 ? .do : nil, text: "Turn \(index).")
        }
        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let aid = JSONValue.string(adventure.id)

        let newest = try await call(daemon, "turn/list", ["adventureId": aid, "limit": 3])
        #expect(newest["turns"]?.arrayValue?.map { $0["index"]! } == [7, 8, 9])
        #expect(newest["turnCount"] == 10)
        let older = try await call(daemon, "turn/list", ["adventureId": aid, "limit": 3, "beforeIndex": 7])
        #expect(older["turns"]?.arrayValue?.map { $0["index"]! } == [4, 5, 6])
        let all = try await call(daemon, "turn/list", ["adventureId": aid])
        #expect(all["turns"]?.arrayValue?.count == 10)

        let fifth = all["turns"]!.arrayValue![5]
        _ = try await call(daemon, "turn/delete", ["id": fifth["id"]!])
        let after = try await call(daemon, "turn/list", ["adventureId": aid])
        #expect(after["turns"]?.arrayValue?.map { $0["index"]! } == (0..<9).map { JSONValue.int(Int64($0)) })
        #expect(after["turns"]?.arrayValue?[5]["text"] == "Turn 6.")

        let fork = try await call(daemon, "adventure/duplicate", ["id": aid, "name": "Fork", "upToTurn": after["turns"]!.arrayValue![3]["id"]!])
        #expect(fork["turnCount"] == 4)
        #expect(fork["name"] == "Fork")
        let forkTurns = try await call(daemon, "turn/list", ["adventureId": fork["id"]!])
        #expect(forkTurns["turns"]?.arrayValue?.last?["text"] == "Turn 3.")
        let badFork = try await daemon.request("adventure/duplicate", ["id": aid, "upToTurn": forkTurns["turns"]!.arrayValue![0]["id"]!])
        #expect(badFork["error"]?["data"]?["kind"] == "turn")
    }

    @Test func settingsPersistAcrossRestarts() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("settings.sqlite").path
        do {
            let daemon = try Daemon(database: path)
            _ = try await daemon.initialize()
            let defaults = try await call(daemon, "settings/get")
            #expect(defaults["model"] == "offline/storyteller")
            #expect(defaults["maxOutputTokens"] == 200)
            let changed = try await call(daemon, "settings/update", ["changes": ["maxOutputTokens": 800, "responseHandling": "summarize", "allowThinking": true]])
            #expect(changed["maxOutputTokens"] == 800)
            #expect(changed["model"] == "offline/storyteller")
            _ = try await daemon.request("shutdown")
            try daemon.notify("exit")
            _ = try await daemon.waitForExit()
        }
        let reopened = try Daemon(database: path)
        _ = try await reopened.initialize()
        let settings = try await call(reopened, "settings/get", .null)
        #expect(settings["maxOutputTokens"] == 800)
        #expect(settings["responseHandling"] == "summarize")
        #expect(settings["allowThinking"] == true)
    }

    @Test func everyDocumentedMethodIsServedAndEveryServedMethodIsDocumented() async throws {
        let daemon = try Daemon()
        let result = try await daemon.initialize()
        let served = Set(result["capabilities"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let clientNotifications: Set<String> = ["initialized", "exit", "$/cancelRequest"]
        #expect(served.union(clientNotifications) == Self.contract.methodNames)
        let documentedNotifications = Self.contract.validator.document["x-notifications"]?.arrayValue ?? []
        #expect(result["capabilities"]?["notifications"]?.arrayValue?.count == documentedNotifications.count)
    }
}
