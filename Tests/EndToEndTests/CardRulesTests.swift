import Foundation
import ImaginAIProtocol
import Testing

/// The World Info rules of a card travel through the real daemon: stored, returned, changed field by
/// field, copied with the card, and refused with a precise error when out of range.
@Suite(.timeLimit(.minutes(3)))
struct CardRulesTests {
    static let contract = try! ProtocolContract.load()

    /// A card with every rule away from its default.
    static let everyRule: JSONValue = [
        "type": "lore", "name": "Mirel's secret", "description": "  Mirel feeds the lamp.\n\n", "keys": ["Mirel"],
        "secondaryKeys": ["lamp", " light "], "selectiveLogic": "notAll", "constant": true, "enabled": false,
        "order": 250, "probability": 35, "scanDepth": 7, "excludeRecursion": true, "preventRecursion": true,
        "sticky": 3, "cooldown": 2, "delay": 5, "group": "secrets", "position": "atDepth", "depth": 1,
        "notes": " Reveal in act three.\n",
    ]

    func call(_ daemon: Daemon, _ method: String, _ params: JSONValue) async throws -> JSONValue {
        let result = try await daemon.call(method, params)
        let violations = Self.contract.violations(result: result, method: method)
        #expect(violations.isEmpty, "\(method) result breaks its schema: \(violations)")
        return result
    }

    func newScenario(_ daemon: Daemon) async throws -> String {
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Rules"]])
        return scenario["id"]!.stringValue!
    }

    /// The card's fields as sent, with keys trimmed as the daemon stores them.
    func expectEveryRule(_ card: JSONValue?, _ place: String) {
        guard case .object(let sent) = Self.everyRule else { return }
        for (field, value) in sent where field != "secondaryKeys" {
            #expect(card?[field] == value, "\(place): \(field)")
        }
        #expect(card?["secondaryKeys"] == ["lamp", "light"], "\(place): secondary keys are trimmed like keys")
    }

    @Test func everyRuleIsStoredAndComesBackWherever() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenarioId = try await newScenario(daemon)

        let created = try await call(daemon, "card/create", ["scenarioId": .string(scenarioId), "card": Self.everyRule])
        expectEveryRule(created, "card/create")
        let fetched = try await call(daemon, "scenario/get", ["id": .string(scenarioId)])
        expectEveryRule(fetched["cards"]?.arrayValue?.first, "scenario/get")

        let duplicate = try await call(daemon, "card/duplicate", ["id": created["id"]!])
        #expect(duplicate["name"] == "Mirel's secret (copy)")
        #expect(duplicate["notes"] == created["notes"] && duplicate["group"] == created["group"])

        let copy = try await call(daemon, "scenario/duplicate", ["id": .string(scenarioId)])
        expectEveryRule(copy["cards"]?.arrayValue?.first, "scenario/duplicate")

        let adventure = try await call(daemon, "adventure/start", ["scenarioId": .string(scenarioId)])
        expectEveryRule(adventure["cards"]?.arrayValue?.first, "adventure/start")
        let adventureCopy = try await call(daemon, "adventure/duplicate", ["id": adventure["id"]!])
        expectEveryRule(adventureCopy["cards"]?.arrayValue?.first, "adventure/duplicate")

        // A scenario/update card list that names the card keeps what the draft says, rules included.
        let replaced = try await call(daemon, "scenario/update", ["id": .string(scenarioId), "changes": ["cards": [
            ["id": created["id"]!, "name": "Mirel's secret", "keys": ["Mirel"], "sticky": 9, "group": .null],
        ]]])
        #expect(replaced["cards"]?.arrayValue?.first?["id"] == created["id"])
        #expect(replaced["cards"]?.arrayValue?.first?["sticky"] == 9)
        #expect(replaced["cards"]?.arrayValue?.first?["group"] == .null, "a draft's absent or null rule takes its default")
        #expect(replaced["cards"]?.arrayValue?.first?["constant"] == false)
    }

    @Test func aPlainCardHasEveryRuleAtItsDefault() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenarioId = try await newScenario(daemon)
        let card = try await call(daemon, "card/create", ["scenarioId": .string(scenarioId), "card": ["name": "Plain"]])
        let defaults: [String: JSONValue] = [
            "secondaryKeys": [], "selectiveLogic": "andAny", "constant": false, "enabled": true, "order": 100,
            "probability": 100, "scanDepth": .null, "excludeRecursion": false, "preventRecursion": false, "sticky": 0,
            "cooldown": 0, "delay": 0, "group": .null, "position": "beforeHistory", "depth": 4, "notes": "",
        ]
        for (field, value) in defaults {
            #expect(card[field] == value, "\(field)")
        }
    }

    @Test func anUpdateChangesOnlyTheRulesItNamesAndNullClearsOnlyScanDepthAndGroup() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenarioId = try await newScenario(daemon)
        let card = try await call(daemon, "card/create", ["scenarioId": .string(scenarioId), "card": Self.everyRule])
        let id = card["id"]!

        let changed = try await call(daemon, "card/update", ["id": id, "changes": ["probability": 80, "selectiveLogic": 3]])
        #expect(changed["probability"] == 80)
        #expect(changed["selectiveLogic"] == "andAll", "SillyTavern's 3 is AND_ALL")
        for field in ["description", "notes", "group", "scanDepth", "sticky", "position", "secondaryKeys", "constant"] {
            #expect(changed[field] == card[field], "\(field) was not named and stays")
        }

        let cleared = try await call(daemon, "card/update", ["id": id, "changes": ["group": .null, "scanDepth": .null]])
        #expect(cleared["group"] == .null)
        #expect(cleared["scanDepth"] == .null)
        #expect(cleared["order"] == 250)

        for field in ["sticky", "enabled", "notes", "secondaryKeys", "selectiveLogic", "position", "order"] {
            let response = try await daemon.request("card/update", ["id": id, "changes": [field: .null]])
            #expect(response["error"]?["code"] == .int(-32602), "null \(field)")
            #expect(response["error"]?["data"]?["field"] == .string("changes.\(field)"))
        }
        let after = try await call(daemon, "scenario/get", ["id": .string(scenarioId)])
        #expect(after["cards"]?.arrayValue?.first == cleared, "a refused change stores nothing")
    }

    @Test func outOfRangeAndUnknownRulesAreRefusedNamingTheField() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenarioId = try await newScenario(daemon)
        let owner: JSONValue = .string(scenarioId)
        let cases: [(JSONValue, String, String)] = [
            (["name": "x", "probability": 101], "card.probability", "between 0 and 100"),
            (["name": "x", "probability": -1], "card.probability", "between 0 and 100"),
            (["name": "x", "sticky": -2], "card.sticky", "between 0"),
            (["name": "x", "cooldown": 10_001], "card.cooldown", "10000"),
            (["name": "x", "delay": -1], "card.delay", "between 0"),
            (["name": "x", "depth": -1], "card.depth", "between 0"),
            (["name": "x", "scanDepth": 101], "card.scanDepth", "between 0 and 100"),
            (["name": "x", "selectiveLogic": "either"], "card.selectiveLogic", "andAny, andAll, notAny or notAll"),
            (["name": "x", "selectiveLogic": 4], "card.selectiveLogic", "0-3"),
            (["name": "x", "position": "top"], "card.position", "beforeHistory, afterHistory or atDepth"),
            (["name": "x", "constant": "yes"], "card.constant", "Bool"),
            (["name": "x", "secondaryKeys": "a, b"], "card.secondaryKeys", "must be an array"),
        ]
        for (draft, field, words) in cases {
            let response = try await daemon.request("card/create", ["scenarioId": owner, "card": draft])
            #expect(response["error"]?["code"] == .int(-32602), "\(draft)")
            #expect(response["error"]?["data"]?["field"] == .string(field), "\(draft): \(response)")
            let message = response["error"]?["message"]?.stringValue ?? ""
            #expect(message.localizedCaseInsensitiveContains(words), "\(draft): \(message)")
        }
        let inList = try await daemon.request("scenario/create", ["scenario": ["name": "y", "cards": [["name": "a"], ["name": "b", "probability": 200]]]])
        #expect(inList["error"]?["data"]?["field"] == "scenario.cards[1].probability")
        let changes = try await daemon.request("settings/update", ["changes": ["recursionDepth": 11]])
        #expect(changes["error"]?["data"]?["field"] == "changes.recursionDepth")

        let scenario = try await daemon.call("scenario/get", ["id": owner])
        #expect(scenario["cards"] == [], "nothing refused was stored")
    }

    @Test func recursionDepthIsASettingWithDefaultTwo() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        #expect(try await call(daemon, "settings/get", .null)["recursionDepth"] == 2)
        #expect(try await call(daemon, "settings/update", ["changes": ["recursionDepth": 0]])["recursionDepth"] == 0)
        #expect(try await call(daemon, "settings/get", .null)["recursionDepth"] == 0)
    }
}
