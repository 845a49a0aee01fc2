import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// The card rules (SillyTavern World Info options) through the real daemon: cards made with
/// `card/create`, turns played with the offline storyteller, and `story/preview` saying what fired.
///
/// Keys the storyteller would never write itself ("xyzzy", "zorkmid") and `scanDepth` 0 (the action
/// alone) keep the generated prose from firing a card by accident.
@Suite(.timeLimit(.minutes(3)))
struct WorldInfoTests {
    static let contract = MethodTests.contract

    /// An adventure with only its opening scene (turn 0) and no cards.
    func start(_ daemon: Daemon, settings: JSONValue = [:]) async throws -> JSONValue {
        _ = try await daemon.initialize()
        var changes: [String: JSONValue] = ["storytellerDelayMs": 0, "maxOutputTokens": 60]
        if case .object(let extra) = settings { changes.merge(extra) { $1 } }
        _ = try await daemon.call("settings/update", ["changes": .object(changes)])
        let scenario = try await daemon.call("scenario/create", ["scenario": [
            "name": "Grey room", "openingScene": "You wake in a grey room. Rain taps on the window.",
        ]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        return adventure["id"]!
    }

    @discardableResult
    func card(_ daemon: Daemon, _ adventureId: JSONValue, _ fields: [String: JSONValue]) async throws -> String {
        let card = try await daemon.call("card/create", ["adventureId": adventureId, "card": .object(fields)])
        return try #require(card["id"]?.stringValue)
    }

    func preview(_ daemon: Daemon, _ adventureId: JSONValue, _ text: String? = nil) async throws -> JSONValue {
        var params: [String: JSONValue] = ["adventureId": adventureId]
        if let text { params["action"] = "do"; params["text"] = .string(text) }
        let result = try await daemon.call("story/preview", .object(params))
        #expect(Self.contract.violations(result: result, method: "story/preview").isEmpty, "\(result)")
        return result
    }

    /// name → the firedCards entry.
    func fired(_ preview: JSONValue) -> [String: JSONValue] {
        Dictionary((preview["firedCards"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    func firedNames(_ preview: JSONValue) -> [String] {
        (preview["firedCards"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    func section(_ preview: JSONValue, _ name: String) -> String? {
        preview["sections"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["text"]?.stringValue
    }

    func act(_ daemon: Daemon, _ adventureId: JSONValue, _ text: String) async throws -> JSONValue {
        try await daemon.call("story/act", ["adventureId": adventureId, "action": "do", "text": .string(text)])
    }

    @Test func recursionFollowsCardTextsAsDeepAsTheSetting() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        let ada = try await card(daemon, aid, ["name": "Ada", "keys": ["xyzzy"], "description": "Ada works for the plugh guild."])
        let guild = try await card(daemon, aid, ["name": "Guild", "keys": ["plugh"], "description": "The guild answers to the frotz council."])
        try await card(daemon, aid, ["name": "Council", "keys": ["frotz"], "description": "Nine old women."])

        let deep = try await preview(daemon, aid, "xyzzy")
        #expect(firedNames(deep) == ["Ada", "Guild", "Council"])
        let byName = fired(deep)
        #expect(byName["Ada"]?["trigger"] == "story")
        #expect(byName["Ada"]?["firedBy"] == .null)
        #expect(byName["Guild"]?["trigger"] == "card")
        #expect(byName["Guild"]?["key"] == "plugh")
        #expect(byName["Guild"]?["firedBy"] == .string(ada))
        #expect(byName["Council"]?["firedBy"] == .string(guild))
        #expect(deep["firedCards"]?.arrayValue?.allSatisfy { $0["included"] == true && $0["leftOut"] == .null } == true)
        #expect(section(deep, "cards")?.contains("[Council (other): Nine old women.]") == true)

        _ = try await daemon.call("settings/update", ["changes": ["recursionDepth": 1]])
        #expect(firedNames(try await preview(daemon, aid, "xyzzy")) == ["Ada", "Guild"])
        _ = try await daemon.call("settings/update", ["changes": ["recursionDepth": 0]])
        #expect(firedNames(try await preview(daemon, aid, "xyzzy")) == ["Ada"])
    }

    @Test func secondaryKeysConstantDisabledAndGroups() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        try await card(daemon, aid, ["name": "Ann", "keys": ["xyzzy"], "secondaryKeys": ["garden", "roses"], "selectiveLogic": "andAll"])
        try await card(daemon, aid, ["name": "Fog", "constant": true, "description": "Fog everywhere."])
        try await card(daemon, aid, ["name": "Off", "keys": ["xyzzy"], "enabled": false])
        try await card(daemon, aid, ["name": "Rain", "keys": ["plugh"], "group": "weather", "order": 10])
        try await card(daemon, aid, ["name": "Snow", "keys": ["frotz"], "group": "weather", "order": 20])

        let some = try await preview(daemon, aid, "xyzzy in the garden")
        #expect(firedNames(some) == ["Fog"], "Ann needs both secondary keys; Off is disabled")
        #expect(fired(some)["Fog"]?["trigger"] == "constant")
        #expect(fired(some)["Fog"]?["key"] == .null)

        let all = try await preview(daemon, aid, "xyzzy in the garden of roses, snow: frotz, rain: plugh")
        let byName = fired(all)
        #expect(Set(byName.keys) == ["Ann", "Fog", "Rain", "Snow"])
        #expect(byName["Ann"]?["included"] == true)
        #expect(byName["Snow"]?["included"] == true)
        #expect(byName["Rain"]?["included"] == false)
        #expect(byName["Rain"]?["leftOut"] == "group")
    }

    @Test func aStickyCardStaysForItsTurnsThenCoolsDown() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        try await card(daemon, aid, [
            "name": "Lamp", "keys": ["xyzzy"], "description": "A brass lamp, lit.", "scanDepth": 0, "sticky": 2, "cooldown": 2,
        ])
        // Turns: 0 opening; act → player 1, ai 2: Lamp is activated for the ai turn at 2.
        let first = try await act(daemon, aid, "rub the xyzzy")
        #expect((first["usage"]?["sections"]?["cards"]?.intValue ?? 0) > 0)

        // Sticky for answers at 3 and 4, with no key anywhere near.
        let carried = try await preview(daemon, aid, "wait")
        #expect(fired(carried)["Lamp"]?["trigger"] == "sticky")
        #expect(fired(carried)["Lamp"]?["key"] == .null)
        #expect(section(carried, "cards") == "[Lamp (other): A brass lamp, lit.]")
        #expect(fired(try await preview(daemon, aid))["Lamp"]?["trigger"] == "sticky", "a continue (answer at 3) too")
        let second = try await act(daemon, aid, "wait")  // player 3, ai 4
        #expect((second["usage"]?["sections"]?["cards"]?.intValue ?? 0) > 0, "the answer at 4 had the lamp")

        // Answers at 5 and 6 are in the cooldown: named, it still does not fire.
        #expect(firedNames(try await preview(daemon, aid)) == [])
        #expect(firedNames(try await preview(daemon, aid, "xyzzy")) == [])
        let third = try await act(daemon, aid, "wait")  // player 5, ai 6
        #expect((third["usage"]?["sections"]?["cards"]?.intValue ?? -1) == 0)

        // At 8 it fires again from its key, and only from its key.
        #expect(fired(try await preview(daemon, aid, "xyzzy"))["Lamp"]?["trigger"] == "story")
        #expect(firedNames(try await preview(daemon, aid, "wait")) == [])
    }

    @Test func undoTakesAStickyActivationAwayAndRedoBringsItBack() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        try await card(daemon, aid, ["name": "Lamp", "keys": ["xyzzy"], "scanDepth": 0, "sticky": 4])
        _ = try await act(daemon, aid, "rub the xyzzy")
        #expect(fired(try await preview(daemon, aid, "wait"))["Lamp"]?["trigger"] == "sticky")
        _ = try await daemon.call("story/undo", ["adventureId": aid])
        #expect(firedNames(try await preview(daemon, aid, "wait")) == [], "the activating turn is gone")
        _ = try await daemon.call("story/redo", ["adventureId": aid])
        #expect(fired(try await preview(daemon, aid, "wait"))["Lamp"]?["trigger"] == "sticky", "redo restores the activation")
    }

    @Test func aRetryReplacesTheActivationsOfTheTurnItRewrites() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        // Scan depth 0: a retry's prompt has no action (the player's words are history), so the lamp
        // does not fire for it, and the retried turn no longer holds an activation.
        try await card(daemon, aid, ["name": "Lamp", "keys": ["xyzzy"], "scanDepth": 0, "sticky": 4])
        _ = try await act(daemon, aid, "rub the xyzzy")
        #expect(fired(try await preview(daemon, aid, "wait"))["Lamp"]?["trigger"] == "sticky")
        let retried = try await daemon.call("story/retry", ["adventureId": aid])
        #expect(retried["usage"]?["sections"]?["cards"] == 0)
        #expect(firedNames(try await preview(daemon, aid, "wait")) == [])
    }

    @Test func delayWaitsForTheStoryToBeLongEnough() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        try await card(daemon, aid, ["name": "Owl", "keys": ["xyzzy"], "scanDepth": 0, "delay": 4])
        #expect(firedNames(try await preview(daemon, aid, "xyzzy")) == [], "the answer would be turn 2")
        _ = try await act(daemon, aid, "wait")
        #expect(firedNames(try await preview(daemon, aid, "xyzzy")) == ["Owl"], "the answer would be turn 4")
    }

    @Test func probabilityRollsTheSameForTheSameTurnAndRetryVersion() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        // Scan depth 1: the act's action and the retry's newest history turn are both the player's words.
        let coin = try await card(daemon, aid, ["name": "Coin", "keys": ["zorkmid"], "description": "A bent silver piece.", "scanDepth": 1, "probability": 50])
        func play() async throws -> [Bool] {
            var included: [Bool] = []
            let first = try await act(daemon, aid, "flip the zorkmid")
            included.append((first["usage"]?["sections"]?["cards"]?.intValue ?? 0) > 0)
            for _ in 0..<5 {
                let retry = try await daemon.call("story/retry", ["adventureId": aid])
                included.append((retry["usage"]?["sections"]?["cards"]?.intValue ?? 0) > 0)
            }
            return included
        }
        let played = try await play()
        // The preview for the same answer (turn 2, first version) rolls as the first act did.
        _ = try await daemon.call("story/undo", ["adventureId": aid])
        let previewed = try await preview(daemon, aid, "flip the zorkmid")
        let entry = try #require(fired(previewed)["Coin"])
        #expect(entry["cardId"] == .string(coin))
        #expect(entry["included"] == .bool(played[0]))
        #expect(entry["leftOut"] == (played[0] ? .null : "probability"))
        // Played again from the same point, every version rolls as before.
        #expect(try await play() == played)
    }

    @Test func cardsAfterTheHistoryAndAtADepthSitWhereTheySay() async throws {
        let daemon = try Daemon()
        let aid = try await start(daemon)
        try await card(daemon, aid, ["name": "Tide", "keys": ["xyzzy"], "description": "The tide is out.", "position": "afterHistory"])
        try await card(daemon, aid, ["name": "Gull", "keys": ["xyzzy"], "description": "A gull watches.", "position": "atDepth", "depth": 1])
        _ = try await act(daemon, aid, "wait")
        let last = try await act(daemon, aid, "listen")
        let newest = try #require(last["aiTurn"]?["text"]?.stringValue)

        let prompt = try await preview(daemon, aid, "xyzzy")
        let names = prompt["sections"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.suffix(3) == ["history", "cardsAfterHistory", "action"])
        #expect(section(prompt, "cardsAfterHistory") == "[Tide (other): The tide is out.]")
        #expect(section(prompt, "cards") == nil)
        let history = try #require(section(prompt, "history"))
        #expect(history.hasSuffix("[Gull (other): A gull watches.]\n\n" + newest), "one turn before the end")

        let played = try await act(daemon, aid, "xyzzy")
        let tokens = try #require(played["usage"]?["sections"])
        #expect((tokens["cardsAfterHistory"]?.intValue ?? 0) > 0)
        #expect(tokens["cards"] == 0)
        #expect(Self.contract.violations(result: played, method: "story/act").isEmpty)
    }
}
