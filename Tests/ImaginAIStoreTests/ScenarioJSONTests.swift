import Foundation
import GRDB
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// `scenarioJSON(id:)` writes straight from the rows what encoding `scenario(id:)` gives: every test
/// compares the two byte for byte, on text that takes the direct path and on text that must not.
@Suite struct ScenarioJSONTests {
    func expectSame(_ db: AppDatabase, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let direct = try db.scenarioJSON(id: id)
        let encoded = try JSONCoding.encodeBytes(try db.scenario(id: id))
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: encoded, as: UTF8.self),
                sourceLocation: sourceLocation)
        #expect(direct == encoded, sourceLocation: sourceLocation)
    }

    @Test func plainScenariosMatchTheEncoder() throws {
        let db = try emptyDB()
        try expectSame(db, try db.createScenario(sampleDraft(cards: 20)).id)
        try expectSame(db, try db.createScenario(ScenarioDraft(name: "No cards")).id)
    }

    @Test func escapesAndNonASCIIMatchTheEncoder() throws {
        let db = try emptyDB()
        let tricky = "Quote \" backslash \\ slash / newline \n tab \t bell \u{07} Zoë 🐉 \u{1F}"
        let draft = ScenarioDraft(
            // ASCII with escapes (written in place), and non-ASCII found after a run of ASCII (the
            // in-place attempt is undone).
            name: tricky, instructions: "naïve", plotEssentials: "Tab\t quote\" back\\slash \u{01} slash/ end\u{7F}",
            authorsNotes: "\r\n", openingScene: String(repeating: "long ascii text ", count: 200),
            playerDescription: String(repeating: "x", count: 21) + "é tail",
            tags: ["a/b", "quo\"te", "émoji 🐉", "back\\slash"], visibility: .public,
            cards: [
                CardDraft(type: "ty\"pe", name: tricky, description: "plain", keys: ["\"", "ü", "a,b", "[x]"]),
                CardDraft(name: "No keys", description: "", keys: []),
                CardDraft(name: "Every rule", keys: ["k"], rules: Self.everyRule(tricky)),
            ])
        try expectSame(db, try db.createScenario(draft).id)
    }

    /// Every rule away from its default, texts tricky.
    static func everyRule(_ text: String) -> CardRules {
        var rules = CardRules()
        (rules.secondaryKeys, rules.selectiveLogic, rules.constant, rules.enabled) = ([text, "ü"], .andAll, true, false)
        (rules.order, rules.probability, rules.scanDepth, rules.excludeRecursion) = (-5, 0, 0, true)
        (rules.preventRecursion, rules.sticky, rules.cooldown, rules.delay) = (true, 10_000, 2, 3)
        (rules.group, rules.position, rules.depth, rules.notes) = (text, .afterHistory, 0, "  " + text + "\n")
        return rules
    }

    @Test func storedTextTheDirectPathMustNotCopyMatchesTheEncoder() throws {
        let db = try emptyDB()
        let scenario = try db.createScenario(sampleDraft(cards: 2))
        try db.writer.write { db in
            // Invalid UTF-8 (repaired), an embedded NUL (GRDB's String ends there), and JSON lists in
            // another spelling than GRDB's.
            try db.execute(sql: """
                UPDATE scenario SET name = CAST(x'4aff4b' AS TEXT), instructions = 'before' || char(0) || 'after',
                    tags = '[ "spaced" ]' WHERE id = ?
                """, arguments: [scenario.id])
            try db.execute(sql: #"UPDATE card SET keys = '["a\/b","\u00e9"]', description = CAST(x'c3' AS TEXT) WHERE scenarioId = ?"#,
                           arguments: [scenario.id])
        }
        try expectSame(db, scenario.id)
    }

    @Test func unknownScenarioIsNotFound() throws {
        let db = try emptyDB()
        let error = storeError { _ = try db.scenarioJSON(id: "scn_missing") }
        #expect(error == storeError { _ = try db.scenario(id: "scn_missing") })
        #expect(error != nil)
    }
}
