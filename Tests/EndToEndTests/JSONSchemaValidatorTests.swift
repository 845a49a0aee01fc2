import Foundation
import ImaginAIProtocol
import JSONRPC
import Testing

/// Parses JSON text for a test; a typo in a test's JSON fails loudly.
private func json(_ text: String) -> JSONValue {
    do {
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    } catch {
        Issue.record("test JSON does not parse: \(error)\n\(text)")
        return .null
    }
}

/// The wire form of a value, exactly as the server encodes it.
private func wire<T: Encodable>(_ value: T) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: JSONCoding.encode(value))
}

private let protocolDocument: JSONValue = {
    do {
        return try JSONSchemaValidator.loadProtocolDocument()
    } catch {
        Issue.record("cannot load Protocol/openrpc.json: \(error)")
        return .object([:])
    }
}()

/// A validator over a small hand-written document, so the keyword tests do not depend on openrpc.json.
private let miniDocument = json("""
    {"components": {"schemas": {
      "Stamp": {"type": "string", "pattern": "^\\\\d{4}-\\\\d{2}-\\\\d{2}T\\\\d{2}:\\\\d{2}:\\\\d{2}\\\\.\\\\d{3}Z$"},
      "Thing": {"type": "object", "properties": {
          "id": {"type": "string", "minLength": 1},
          "kind": {"type": "string", "enum": ["a", "b"]},
          "count": {"type": "integer", "minimum": 0, "maximum": 10},
          "owner": {"type": ["string", "null"]},
          "tags": {"type": "array", "items": {"type": "string"}},
          "at": {"$ref": "#/components/schemas/Stamp"}
        },
        "required": ["id", "kind", "owner"], "additionalProperties": false}
    }}}
    """)

private let validThing = json("""
    {"id": "thg_1", "kind": "a", "count": 3, "owner": null, "tags": ["x"], "at": "2026-11-28T17:46:22.123Z"}
    """)

private func thingViolations(_ value: JSONValue) -> [String] {
    let validator = JSONSchemaValidator(document: miniDocument)
    return validator.validate(value, against: json(##"{"$ref": "#/components/schemas/Thing"}"##))
}

private func changing(_ value: JSONValue, _ key: String, to member: JSONValue?) -> JSONValue {
    guard case .object(var members) = value else { return value }
    members[key] = member
    return .object(members)
}

@Suite struct JSONSchemaValidatorKeywordTests {
    @Test func acceptsAValidValue() {
        #expect(thingViolations(validThing) == [])
        #expect(thingViolations(json(#"{"id": "t", "kind": "b", "owner": "someone"}"#)) == [])
    }

    @Test func catchesAWrongType() {
        let violations = thingViolations(changing(validThing, "count", to: .string("3")))
        #expect(violations == [#"$.count: expected integer, got string "3""#])
        #expect(thingViolations(.array([])) == ["$: expected object, got array"])
        #expect(thingViolations(changing(validThing, "tags", to: json(#"["x", 2]"#))) == ["$.tags[1]: expected string, got number 2"])
    }

    @Test func integerMeansAWholeNumber() {
        #expect(thingViolations(changing(validThing, "count", to: .double(1.5))).count == 1)
        #expect(thingViolations(changing(validThing, "count", to: .double(2))) == [])
    }

    @Test func catchesAMissingRequiredProperty() {
        #expect(thingViolations(changing(validThing, "kind", to: nil)) == ["$: missing required property kind"])
        // Present-but-null is not missing: explicit nulls are how the wire spells "no scenario".
        #expect(thingViolations(changing(validThing, "owner", to: nil)) == ["$: missing required property owner"])
    }

    @Test func catchesAnExtraProperty() {
        #expect(thingViolations(changing(validThing, "stray", to: .bool(true))) == ["$: unexpected property stray"])
    }

    @Test func additionalPropertiesMayBeASchema() {
        let validator = JSONSchemaValidator(document: miniDocument)
        let schema = json(#"{"type": "object", "additionalProperties": {"type": "integer"}}"#)
        #expect(validator.validate(json(#"{"a": 1, "b": 2}"#), against: schema) == [])
        #expect(validator.validate(json(#"{"a": 1, "b": "2"}"#), against: schema) == [#"$.b: expected integer, got string "2""#])
    }

    @Test func catchesAnEnumMiss() {
        let violations = thingViolations(changing(validThing, "kind", to: .string("c")))
        #expect(violations == [#"$.kind: "c" is not one of "a", "b""#])
    }

    @Test func catchesAPatternMiss() {
        for stamp in ["2026-11-28T17:46:22Z", "2026-11-28 17:46:22.123Z", "2026-11-28T17:46:22.123+01:00", ""] {
            let violations = thingViolations(changing(validThing, "at", to: .string(stamp)))
            #expect(violations.count == 1, "\(stamp)")
            #expect(violations.first?.contains("does not match the pattern") == true)
        }
    }

    @Test func catchesMinimumMaximumAndMinLength() {
        #expect(thingViolations(changing(validThing, "count", to: .int(-1))) == ["$.count: -1 is less than the minimum 0"])
        #expect(thingViolations(changing(validThing, "count", to: .int(11))) == ["$.count: 11 is more than the maximum 10"])
        #expect(thingViolations(changing(validThing, "count", to: .int(0))) == [])
        #expect(thingViolations(changing(validThing, "count", to: .int(10))) == [])
        #expect(thingViolations(changing(validThing, "id", to: .string(""))) == [#"$.id: "" is shorter than 1 character(s)"#])
    }

    @Test func followsReferencesAndReportsBrokenOnes() {
        let validator = JSONSchemaValidator(document: miniDocument)
        #expect(validator.resolve("#/components/schemas/Stamp") != nil)
        #expect(validator.resolve("#/components/schemas/Nope") == nil)
        #expect(validator.validate(.string("x"), against: json(##"{"$ref": "#/components/schemas/Stamp"}"##)).count == 1)
        #expect(validator.validate(.string("x"), against: json(##"{"$ref": "#/components/schemas/Nope"}"##))
            == [##"$: unresolvable $ref "#/components/schemas/Nope""##])
        #expect(validator.unresolvedReferences() == [])
        let broken = JSONSchemaValidator(document: json(##"{"a": {"b": {"$ref": "#/missing"}}}"##))
        #expect(broken.unresolvedReferences() == [##"$.a.b: "#/missing""##])
    }

    @Test func typeArraysAllowNull() {
        #expect(thingViolations(changing(validThing, "owner", to: .string("o"))) == [])
        #expect(thingViolations(changing(validThing, "owner", to: .null)) == [])
        #expect(thingViolations(changing(validThing, "owner", to: .int(5))) == ["$.owner: expected string or null, got number 5"])
        let validator = JSONSchemaValidator(document: miniDocument)
        let action = json(#"{"type": ["string", "null"], "enum": ["do", "say", "story", null]}"#)
        #expect(validator.validate(.null, against: action) == [])
        #expect(validator.validate(.string("say"), against: action) == [])
        #expect(validator.validate(.string("shout"), against: action).count == 1)
    }

    @Test func oneOfNeedsExactlyOneMatch() {
        let validator = JSONSchemaValidator(document: miniDocument)
        let schema = json("""
            {"type": "object", "oneOf": [
              {"properties": {"scenarioId": {"type": "string"}}, "required": ["scenarioId"]},
              {"properties": {"adventureId": {"type": "string"}}, "required": ["adventureId"]}]}
            """)
        #expect(validator.validate(json(#"{"scenarioId": "scn_1"}"#), against: schema) == [])
        #expect(validator.validate(json(#"{"adventureId": "adv_1", "scenarioId": null}"#), against: schema) == [])
        let neither = validator.validate(json("{}"), against: schema)
        #expect(neither.count == 1 && neither[0].contains("matches none of the oneOf"))
        let both = validator.validate(json(#"{"scenarioId": "scn_1", "adventureId": "adv_1"}"#), against: schema)
        #expect(both == ["$: matches oneOf alternatives 0 and 1, but must match exactly one"])
    }

    @Test func anyOfNeedsAtLeastOneMatch() {
        let validator = JSONSchemaValidator(document: miniDocument)
        let schema = json(#"{"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}"#)
        #expect(validator.validate(.string("x"), against: schema) == [])
        #expect(validator.validate(.int(7), against: schema) == [])
        #expect(validator.validate(.int(3), against: schema).count == 1)
    }

    @Test func booleanSchemasAndUnsupportedKeywords() {
        let validator = JSONSchemaValidator(document: miniDocument)
        #expect(validator.validate(.int(1), against: .bool(true)) == [])
        #expect(validator.validate(.int(1), against: .bool(false)) == ["$: no value is allowed here"])
        #expect(validator.validate(.int(1), against: json(#"{"description": "anything"}"#)) == [])
        #expect(validator.validate(.int(1), against: json(#"{"const": 1}"#)) == ["$: schema uses unsupported keyword const"])
    }

    @Test func pathsNameNestedMembers() {
        let validator = JSONSchemaValidator(document: miniDocument)
        let schema = json("""
            {"type": "object", "properties": {"cards": {"type": "array", "items": {"type": "object",
             "properties": {"keys": {"type": "array", "items": {"type": "string"}}}}}}}
            """)
        let value = json(#"{"cards": [{"keys": []}, {"keys": []}, {"keys": "a, b"}]}"#)
        #expect(validator.validate(value, against: schema, path: "params") == [#"params.cards[2].keys: expected array, got string "a, b""#])
    }
}

@Suite struct JSONSchemaValidatorDocumentTests {
    let validator = JSONSchemaValidator(document: protocolDocument)

    static let requests: Set<String> = [
        "initialize", "shutdown",
        "scenario/list", "scenario/get", "scenario/create", "scenario/update", "scenario/delete",
        "scenario/duplicate", "scenario/export", "scenario/import",
        "card/create", "card/update", "card/delete", "card/duplicate", "cards/export", "cards/import",
        "adventure/start", "adventure/list", "adventure/get", "adventure/update", "adventure/summaryVersions",
        "adventure/duplicate", "adventure/delete", "adventure/restart",
        "turn/list", "turn/edit", "turn/delete",
        "settings/get", "settings/update",
        "story/act", "story/continue", "story/retry", "story/undo", "story/redo", "story/preview",
        "turn/versions", "turn/useVersion", "usage/get", "models/list",
    ]
    static let notifications: Set<String> = ["initialized", "exit", "$/cancelRequest"]

    @Test func everyReferenceResolves() {
        #expect(validator.unresolvedReferences() == [])
        #expect(protocolDocument["openrpc"] == .string("1.2.6"))
        #expect(protocolDocument["info"]?["version"] == .string("1.0"))
        #expect(protocolDocument["x-notifications"]?.arrayValue != nil)
    }

    @Test func listsExactlyTheMethodsAndNotifications() {
        let names = validator.methodNames
        #expect(names.count == Set(names).count, "a method is listed twice")
        #expect(Set(names) == Self.requests.union(Self.notifications))
        for name in names {
            #expect(validator.isNotification(name) == Self.notifications.contains(name), "\(name)")
        }
    }

    @Test func everyMethodHasParamsResultAndErrors() {
        for method in validator.methods {
            let name = method["name"]?.stringValue ?? "?"
            #expect(method["paramStructure"] == .string("by-name"), "\(name)")
            #expect(method["params"]?.arrayValue != nil, "\(name) has no params")
            #expect(validator.resultSchema(forMethod: name) != nil, "\(name) has no result schema")
            #expect(validator.paramsSchema(forMethod: name) != nil, "\(name)")
            if !validator.isNotification(name) {
                #expect(method["errors"]?.arrayValue?.isEmpty == false, "\(name) lists no errors")
            }
        }
    }

    @Test func everySchemaUsesOnlySupportedKeywords() {
        var unsupported: [String] = []
        func walk(_ schema: JSONValue, _ path: String) {
            guard let keywords = schema.objectValue else { return }
            for key in keywords.keys where !JSONSchemaValidator.supportedKeywords.contains(key) {
                unsupported.append("\(path).\(key)")
            }
            for (name, sub) in keywords["properties"]?.objectValue ?? [:] { walk(sub, "\(path).\(name)") }
            if let items = keywords["items"] { walk(items, "\(path).items") }
            if let additional = keywords["additionalProperties"] { walk(additional, "\(path).additionalProperties") }
            for (index, sub) in (keywords["oneOf"]?.arrayValue ?? []).enumerated() { walk(sub, "\(path).oneOf[\(index)]") }
            for (index, sub) in (keywords["anyOf"]?.arrayValue ?? []).enumerated() { walk(sub, "\(path).anyOf[\(index)]") }
        }
        for (name, schema) in protocolDocument["components"]?["schemas"]?.objectValue ?? [:] { walk(schema, name) }
        for method in validator.methods {
            let name = method["name"]?.stringValue ?? "?"
            for param in method["params"]?.arrayValue ?? [] { walk(param["schema"] ?? .null, "\(name).\(param["name"]?.stringValue ?? "?")") }
            walk(validator.resultSchema(forMethod: name) ?? .null, "\(name).result")
        }
        #expect(unsupported == [])
    }

    @Test func paramsFollowTheServersRules() {
        for name in ["shutdown", "settings/get", "scenario/list", "adventure/list", "initialize", "initialized", "exit"] {
            #expect(validator.validateParams(nil, forMethod: name) == [], "\(name) without params")
            #expect(validator.validateParams(.null, forMethod: name) == [], "\(name) with null params")
            #expect(validator.validateParams(.object([:]), forMethod: name) == [], "\(name) with {}")
        }
        #expect(validator.validateParams(json(#"{"id": "scn_1"}"#), forMethod: "scenario/get") == [])
        #expect(validator.validateParams(nil, forMethod: "scenario/get") == ["params: missing required property id"])
        let card = #""card": {"name": "Mirel"}"#
        #expect(validator.validateParams(json(#"{"scenarioId": "scn_1", \#(card)}"#), forMethod: "card/create") == [])
        #expect(validator.validateParams(json(#"{"adventureId": "adv_1", \#(card)}"#), forMethod: "card/create") == [])
        #expect(validator.validateParams(json("{\(card)}"), forMethod: "card/create").count == 1)
        #expect(validator.validateParams(json(#"{"scenarioId": "scn_1", "adventureId": "adv_1", \#(card)}"#), forMethod: "card/create").count == 1)
        #expect(validator.validateParams(json(#"{"changes": {"maxOutputTokens": 801}}"#), forMethod: "settings/update")
            == ["params.changes.maxOutputTokens: 801 is more than the maximum 800"])
        #expect(validator.validateParams(json(#"{"changes": {"name": null}, "id": "scn_1"}"#), forMethod: "scenario/update").count == 1)
        #expect(validator.validateParams(json(#"{"scenario": {"name": ""}}"#), forMethod: "scenario/create").count == 1)
        #expect(validator.validateParams(json(#"{"id": 17}"#), forMethod: "$/cancelRequest") == [])
        #expect(validator.validateParams(json(#"{"id": "17"}"#), forMethod: "$/cancelRequest") == [])
    }

    @Test func resultSchemasCatchWrongResponses() {
        #expect(validator.validateResult(.null, forMethod: "shutdown") == [])
        #expect(validator.validateResult(.object([:]), forMethod: "shutdown").count == 1)
        #expect(validator.validateResult(json(#"{"deleted": "scn_1"}"#), forMethod: "scenario/delete") == [])
        #expect(validator.validateResult(json(#"{"deleted": "scn_1", "ok": true}"#), forMethod: "card/delete")
            == ["result: unexpected property ok"])
        let turn = json("""
            {"id": "trn_1", "index": 0, "role": "ai", "text": "Fog.", "createdAt": "2026-11-28T17:46:22.123Z", "usage": null}
            """)
        #expect(validator.validateResult(turn, forMethod: "turn/edit") == ["result: missing required property action"])
        #expect(validator.validateResult(changing(turn, "action", to: .null), forMethod: "turn/edit") == [])
    }
}

/// The schemas must describe exactly what the Swift wire types encode: every field present (explicit
/// nulls included), nothing extra, the right types.
@Suite struct JSONSchemaValidatorWireTypeTests {
    let validator = JSONSchemaValidator(document: protocolDocument)
    let stamp = "2026-11-28T17:46:22.123Z"

    private func check<T: Encodable>(_ value: T, method: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoded = try wire(value)
        #expect(validator.validateResult(encoded, forMethod: method) == [], sourceLocation: sourceLocation)
    }

    private func component(_ name: String) -> JSONValue {
        .object(["$ref": .string("#/components/schemas/\(name)")])
    }

    var card: Card { Card(id: "crd_1", type: "character", name: "Mirel", description: "The keeper.", keys: ["Mirel", "keeper"]) }

    var scenario: Scenario {
        Scenario(
            id: "scn_1", name: "Lantern", instructions: "i", plotEssentials: "p", authorsNotes: "a",
            openingScene: "o", playerDescription: "d", tags: ["mystery"], visibility: .unlisted,
            cards: [card], createdAt: stamp, updatedAt: stamp)
    }

    var adventure: Adventure {
        Adventure(
            id: "adv_1", scenarioId: nil, scenarioName: "Lantern", name: "Night one", instructions: "",
            plotEssentials: "", authorsNotes: "", openingScene: "", playerDescription: "", tags: [],
            cards: [card], createdAt: stamp, updatedAt: stamp, lastPlayedAt: stamp, turnCount: 1)
    }

    @Test func resultsEncodeToTheirSchemas() throws {
        try check(scenario, method: "scenario/get")
        try check(adventure, method: "adventure/get")
        var attached = adventure
        attached.scenarioId = "scn_1"
        try check(attached, method: "adventure/start")
        try check(card, method: "card/update")
        try check(DeleteResult(deleted: "scn_1"), method: "scenario/delete")
        try check(VoidResponse(), method: "shutdown")
        try check(Settings.defaults, method: "settings/get")
        try check(
            SummaryVersionsResult(versions: [
                SummaryVersion(version: 0, text: "You found the key.", createdAt: stamp, source: .user, current: false),
                SummaryVersion(version: 1, text: "You found the key. Mara waits.", createdAt: stamp, source: .auto, current: true),
            ]), method: "adventure/summaryVersions")
        try check(ExportResult(format: "seed", data: .object(["name": .string("Lantern")])), method: "scenario/export")
        try check(ExportResult(format: "aidungeon", data: .array([])), method: "cards/export")
        try check(
            ScenarioListResult(scenarios: [
                ScenarioSummary(id: "scn_1", name: "Lantern", playerDescription: "", tags: [], visibility: .private,
                                cardCount: 0, createdAt: stamp, updatedAt: stamp),
            ], total: 1), method: "scenario/list")
        try check(
            AdventureListResult(adventures: [
                AdventureSummary(id: "adv_1", scenarioId: nil, scenarioName: "Lantern", name: "Night one",
                                 createdAt: stamp, updatedAt: stamp, lastPlayedAt: stamp, turnCount: 0, excerpt: ""),
            ], total: 1), method: "adventure/list")
        try check(
            TurnListResult(turns: [
                Turn(id: "trn_0", index: 0, role: .ai, action: nil, text: "Fog.", createdAt: stamp),
                Turn(id: "trn_1", index: 1, role: .player, action: .say, text: "Hello?", createdAt: stamp),
            ], turnCount: 2), method: "turn/list")
        try check(
            CardsImportResult(cards: [card], imported: 1, skipped: [SkippedEntry(index: 1, reason: "no text")], format: "sillytavern"),
            method: "cards/import")
        try check(
            InitializeResult(
                serverInfo: ServerInfo(name: "imaginai", version: "0.1.0"), protocolVersion: "1.0",
                capabilities: ServerCapabilities(
                    methods: JSONSchemaValidatorDocumentTests.requests.sorted(), notifications: ["story/chunk"],
                    scenarioImportFormats: ["auto", "imaginai", "seed", "aidungeon", "sillytavern"],
                    scenarioExportFormats: ["imaginai", "seed"],
                    cardImportFormats: ["auto", "imaginai", "aidungeon", "aidungeon-worldinfo", "sillytavern", "charcard", "novelai", "koboldai", "agnai"],
                    cardExportFormats: ["imaginai", "aidungeon", "sillytavern"],
                    limits: ServerLimits(maxMessageBytes: 16 << 20, maxListLimit: 500))),
            method: "initialize")

        // Story generation.
        let usage = TurnUsage(
            promptTokens: 812, outputTokens: 64, thinkingTokens: 0, source: .estimate,
            sections: SectionTokens(system: 60, instructions: 5, plotEssentials: 7, authorsNotes: 6, cards: 30, history: 700, cardsAfterHistory: 12, action: 4),
            model: "offline/storyteller", latencyMs: 1200, firstChunkMs: nil)
        var streamed = usage
        streamed.firstChunkMs = 40
        streamed.source = .api
        let player = Turn(id: "trn_1", index: 1, role: .player, action: .do, text: "Open the door.", createdAt: stamp)
        let ai = Turn(id: "trn_2", index: 2, role: .ai, action: nil, text: "It creaks.", createdAt: stamp, usage: streamed)
        try check(StoryResult(playerTurn: player, aiTurn: ai, usage: streamed, finishReason: .stop, trimmed: false), method: "story/act")
        try check(StoryResult(playerTurn: nil, aiTurn: ai, usage: usage, finishReason: .length, trimmed: true), method: "story/continue")
        try check(StoryResult(playerTurn: nil, aiTurn: ai, usage: usage, finishReason: .stop, trimmed: false), method: "story/retry")
        try check(UndoResult(removed: [player, ai], turnCount: 1), method: "story/undo")
        try check(RedoResult(restored: [player, ai], turnCount: 3), method: "story/redo")
        try check(
            PreviewResult(
                model: "offline/storyteller",
                sections: [
                    PreviewSection(name: "system", text: "Narrate.", tokens: 2),
                    PreviewSection(name: "cardsAfterHistory", text: "[Mirel]", tokens: 2),
                ],
                firedCards: [
                    FiredCardInfo(cardId: "crd_1", name: "Mirel", trigger: .story, key: "Mirel", included: false, leftOut: .budget),
                    FiredCardInfo(cardId: "crd_2", name: "Lamp", trigger: .card, key: "lamp", firedBy: "crd_1", included: true),
                    FiredCardInfo(cardId: "crd_3", name: "Fog", trigger: .constant, key: nil, included: false, leftOut: .probability),
                    FiredCardInfo(cardId: "crd_4", name: "Bell", trigger: .sticky, key: nil, included: false, leftOut: .group),
                ],
                includedTurns: [0, 1], droppedTurns: [], olderTurnsOmitted: 0, totalTokens: 2, budgetTokens: 7992),
            method: "story/preview")
        try check(TurnVersionsResult(versions: [TurnVersion(version: 0, text: "a", createdAt: stamp, current: true)]), method: "turn/versions")
        try check(ai, method: "turn/useVersion")
        try check(
            UsageResult(
                totals: UsageTotals(promptTokens: 812, outputTokens: 64, thinkingTokens: 0, turns: 1),
                turns: [TurnUsageEntry(turnId: "trn_2", index: 2, usage: usage)]),
            method: "usage/get")
        try check(
            ModelsListResult(models: [
                ModelInfo(id: "offline/storyteller", name: "Offline", contextTokens: 8192, maxOutputTokens: 800, supportsThinking: false, available: true),
                ModelInfo(id: "openai/gpt", name: "GPT", contextTokens: 128_000, maxOutputTokens: 4096, supportsThinking: true, available: false, reason: "no key"),
            ]),
            method: "models/list")
        let chunk = try wire(StoryChunkNotification(requestId: .int(7), adventureId: "adv_1", seq: 0, text: " The"))
        #expect(validator.validate(chunk, against: component("StoryChunk")) == [])
    }

    @Test func explicitNullsAreRequiredByTheSchemas() throws {
        // Dropping scenarioId (instead of sending null) must be caught.
        guard case .object(var members) = try wire(adventure) else { Issue.record("not an object"); return }
        members["scenarioId"] = nil
        #expect(validator.validateResult(.object(members), forMethod: "adventure/get") == ["result: missing required property scenarioId"])
    }

    @Test func requestsEncodeToTheirParamsSchemas() throws {
        let params: [(String, JSONValue)] = try [
            ("initialize", wire(InitializeRequest(clientInfo: ClientInfo(name: "test", version: "1"), initializationOptions: .object([:])))),
            ("$/cancelRequest", wire(CancelRequestNotification(id: .int(3)))),
            ("scenario/list", wire(ScenarioListRequest(query: "lantern", tag: "mystery", limit: 500, offset: 0))),
            ("scenario/get", wire(ScenarioGetRequest(id: "scn_1"))),
            ("scenario/create", wire(ScenarioCreateRequest(scenario: ScenarioDraft(
                name: "Lantern", instructions: "i", plotEssentials: "p", authorsNotes: "a", openingScene: "o",
                playerDescription: "d", tags: ["t"], visibility: .public,
                cards: [CardDraft(id: "crd_1", type: "item", name: "Ledger", description: "d", keys: ["k"])])))),
            ("scenario/update", wire(ScenarioUpdateRequest(id: "scn_1", changes: ScenarioChanges(
                name: "n", instructions: "i", plotEssentials: "p", authorsNotes: "a", openingScene: "o",
                playerDescription: "d", tags: [], visibility: .private, cards: [CardDraft(name: "c")])))),
            ("scenario/delete", wire(ScenarioDeleteRequest(id: "scn_1"))),
            ("scenario/duplicate", wire(ScenarioDuplicateRequest(id: "scn_1", name: "Copy"))),
            ("scenario/export", wire(ScenarioExportRequest(id: "scn_1", format: "seed"))),
            ("scenario/import", wire(ScenarioImportRequest(data: .string("{}"), format: "auto", fileName: "my-cards.json"))),
            ("card/create", wire(CardCreateRequest(adventureId: "adv_1", card: CardDraft(name: "c")))),
            ("card/update", wire(CardUpdateRequest(id: "crd_1", changes: CardChanges(type: "t", name: "n", description: "d", keys: ["k"])))),
            ("card/delete", wire(CardDeleteRequest(id: "crd_1"))),
            ("card/duplicate", wire(CardDuplicateRequest(id: "crd_1"))),
            ("cards/export", wire(CardsExportRequest(scenarioId: "scn_1", format: "sillytavern"))),
            ("cards/import", wire(CardsImportRequest(scenarioId: "scn_1", data: .array([]), format: "aidungeon", mode: .replace))),
            ("adventure/start", wire(AdventureStartRequest(scenarioId: "scn_1", name: "Night"))),
            ("adventure/list", wire(AdventureListRequest(limit: 1, offset: 2))),
            ("adventure/get", wire(AdventureGetRequest(id: "adv_1"))),
            ("adventure/update", wire(AdventureUpdateRequest(id: "adv_1", changes: AdventureChanges(
                name: "n", instructions: "i", plotEssentials: "p", authorsNotes: "a", openingScene: "o",
                playerDescription: "d", tags: ["t"], summary: "s")))),
            ("adventure/summaryVersions", wire(AdventureSummaryVersionsRequest(adventureId: "adv_1"))),
            ("adventure/duplicate", wire(AdventureDuplicateRequest(id: "adv_1", name: "Fork", upToTurn: "trn_1"))),
            ("adventure/delete", wire(AdventureDeleteRequest(id: "adv_1"))),
            ("adventure/restart", wire(AdventureRestartRequest(id: "adv_1"))),
            ("turn/list", wire(TurnListRequest(adventureId: "adv_1", limit: 20, beforeIndex: 40))),
            ("turn/edit", wire(TurnEditRequest(id: "trn_1", text: "t"))),
            ("turn/delete", wire(TurnDeleteRequest(id: "trn_1"))),
            ("settings/update", wire(SettingsUpdateRequest(changes: SettingsChanges(
                model: "offline/storyteller", responseHandling: .summarize, allowThinking: true,
                maxOutputTokens: 50, baseSystemInstruction: "b", scanDepth: 0, storytellerDelayMs: 5000, storytellerSeed: -3,
                autoSummary: true, summaryEveryTurns: 2)))),
            ("story/act", wire(StoryActRequest(adventureId: "adv_1", action: .say, text: "Hello?"))),
            ("story/continue", wire(StoryContinueRequest(adventureId: "adv_1"))),
            ("story/retry", wire(StoryRetryRequest(adventureId: "adv_1"))),
            ("story/undo", wire(StoryUndoRequest(adventureId: "adv_1"))),
            ("story/redo", wire(StoryRedoRequest(adventureId: "adv_1"))),
            ("story/preview", wire(StoryPreviewRequest(adventureId: "adv_1", action: .story, text: "Night falls."))),
            ("turn/versions", wire(TurnVersionsRequest(id: "trn_1"))),
            ("turn/useVersion", wire(TurnUseVersionRequest(id: "trn_1", version: 2))),
            ("usage/get", wire(UsageGetRequest(adventureId: "adv_1"))),
        ]
        for (method, encoded) in params {
            #expect(validator.validateParams(encoded, forMethod: method) == [], "\(method)")
        }
        #expect(Set(params.map(\.0)).union(["shutdown", "settings/get", "models/list", "initialized", "exit"]) == Set(validator.methodNames))
    }

    @Test func componentSchemasMatchTheirTypes() throws {
        #expect(validator.validate(try wire(CardDraft(name: "n")), against: component("CardDraft")) == [])
        #expect(validator.validate(try wire(ScenarioDraft(name: "n")), against: component("ScenarioDraft")) == [])
        #expect(validator.validate(try wire(ScenarioChanges()), against: component("ScenarioChanges")) == [])
        #expect(validator.validate(try wire(SettingsChanges(maxOutputTokens: 800)), against: component("SettingsChanges")) == [])
        #expect(validator.validate(try wire(Visibility.unlisted), against: component("Visibility")) == [])
        for value in Visibility.allCases {
            #expect(validator.validate(try wire(value), against: component("Visibility")) == [])
        }
    }
}

/// Every example exchange in Protocol/PROTOCOL.md holds to the schemas (the Swift twin of
/// Protocol/check_examples.py, so `swift test` catches a drifting example without Python).
@Suite struct JSONSchemaValidatorExampleTests {
    @Test func examplesValidate() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let markdown = try String(contentsOf: root.appendingPathComponent("Protocol/PROTOCOL.md"), encoding: .utf8)
        let validator = JSONSchemaValidator(document: protocolDocument)
        let blocks = markdown.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        var lastRequest: JSONValue?
        var responses = 0
        let serverNotifications = protocolDocument["x-notifications"]?.arrayValue ?? []
        func paramsSchema(of notification: JSONValue) -> JSONValue {
            let params = notification["params"]?.arrayValue ?? []
            return .object([
                "type": .string("object"),
                "properties": .object(Dictionary(uniqueKeysWithValues: params.map { ($0["name"]?.stringValue ?? "?", $0["schema"] ?? .bool(true)) })),
                "required": .array(params.filter { $0["required"] == .bool(true) }.compactMap { $0["name"] }),
                "additionalProperties": .bool(false),
            ])
        }
        for block in blocks {
            let message = json(block)
            if let method = message["method"]?.stringValue, validator.method(named: method) == nil,
               let notification = serverNotifications.first(where: { $0["name"]?.stringValue == method }) {
                // A notification the server sends (story/chunk): it arrives between a request and its
                // response, so the request stays pending.
                #expect(message["id"] == nil, "\(method) is a notification")
                #expect(validator.validate(message["params"] ?? .null, against: paramsSchema(of: notification)) == [], "\(method)")
                continue
            }
            if let method = message["method"]?.stringValue {
                #expect(validator.method(named: method) != nil, "unknown method \(method)")
                if message["id"] == nil {
                    #expect(validator.validateParams(message["params"], forMethod: method) == [], "\(method)")
                    lastRequest = nil
                } else {
                    lastRequest = message
                }
                continue
            }
            guard let request = lastRequest, let method = request["method"]?.stringValue else {
                Issue.record("a response without a request before it: \(block)")
                continue
            }
            lastRequest = nil
            responses += 1
            #expect(message["id"] == request["id"], "\(method): id not echoed")
            let paramsViolations = validator.validateParams(request["params"], forMethod: method)
            if let result = message["result"] {
                #expect(validator.validateResult(result, forMethod: method) == [], "\(method)")
                #expect(paramsViolations == [], "\(method)")
            } else if message["error"]?["code"] == .int(-32602), message["error"]?["data"]?["line"] == nil {
                // An import's text that is not JSON (answered with its line) is a string no schema can see into.
                #expect(!paramsViolations.isEmpty, "\(method): the example answers -32602 but its params validate")
            } else if message["error"]?["code"] == .int(-32602) {
                #expect(paramsViolations == [], "\(method)")
            } else {
                #expect(paramsViolations == [], "\(method)")
            }
        }
        #expect(responses >= 28)
    }
}
