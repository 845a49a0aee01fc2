import Foundation
import Testing
@testable import ImaginAIProtocol

@Test func turnAlwaysSpellsOutNullAction() throws {
    let turn = Turn(id: "t1", index: 0, role: .ai, action: nil, text: "Rain.", createdAt: "2026-01-01T00:00:00.000Z")
    let json = String(decoding: try JSONCoding.encode(turn), as: UTF8.self)
    #expect(json == #"{"action":null,"createdAt":"2026-01-01T00:00:00.000Z","id":"t1","index":0,"role":"ai","text":"Rain.","usage":null}"#)
}

@Test func changesRejectNullButAcceptAbsence() throws {
    let absent = try JSONDecoder().decode(ScenarioChanges.self, from: Data(#"{"name":"X"}"#.utf8))
    #expect(absent.name == "X" && absent.tags == nil)
    #expect(throws: DecodingError.self) {
        try JSONDecoder().decode(ScenarioChanges.self, from: Data(#"{"name":null}"#.utf8))
    }
}

// The hand-written writers must give exactly the bytes JSONEncoder (sorted keys) gives.

private let awkward: [String] = [
    "", "plain", "quote \" backslash \\ slash / end", "tab\tnewline\nreturn\rbackspace\u{08}formfeed\u{0C}",
    String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7F}",
    "café ☕️ 𝄞 \u{2028}\u{2029} ﻿bom", "😀👩‍👩‍👧",
]

@Test func handWrittenScenarioMatchesJSONEncoder() throws {
    for (index, text) in awkward.enumerated() {
        var rules = CardRules()
        (rules.secondaryKeys, rules.selectiveLogic, rules.constant, rules.enabled) = ([text, "s"], .notAll, true, false)
        (rules.order, rules.probability, rules.scanDepth, rules.excludeRecursion) = (-index, 7, index, true)
        (rules.preventRecursion, rules.sticky, rules.cooldown, rules.delay) = (true, 1, 2, 3)
        (rules.group, rules.position, rules.depth, rules.notes) = (text, .atDepth, 0, text + "n")
        let cards = (0..<3).map {
            Card(id: "c\($0)\(text)", type: text, name: "N\(index)", description: text + "d", keys: [text, "k", ""],
                 rules: $0 == 1 ? rules : .default)
        }
        for cards in [cards, []] {
            let scenario = Scenario(
                id: "s\(index)", name: text, instructions: text, plotEssentials: "p" + text, authorsNotes: text + "a",
                openingScene: text, playerDescription: text, tags: index == 0 ? [] : [text, "t"], visibility: .unlisted,
                cards: cards, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: text)
            let reference = Array(try JSONCoding.encode(scenario))
            #expect(try JSONCoding.encodeBytes(scenario) == reference, "\(String(decoding: reference, as: UTF8.self))")
        }
    }
}

@Test func handWrittenJSONValueMatchesJSONEncoder() throws {
    var object: [String: JSONValue] = [:]
    for (index, text) in awkward.enumerated() {
        object[text] = .array([.string(text), .int(Int64(index) - 3), .bool(index % 2 == 0), .null])
    }
    for key in ["a", "B", "Z", "_", "10", "9", "é", "e", "aa", "a b", "~"] { object[key] = .object(["y": 1, "X": 2, "x": [3]]) }
    let values: [JSONValue] = [
        .object(object), .array([]), .object([:]), .int(Int64.min), .int(Int64.max), .double(1.5), .double(-0.25),
        .double(1e300), .double(0.1), .string("x/y"),
    ]
    for value in values {
        let reference = Array(try JSONCoding.encode(value))
        #expect(try JSONCoding.encodeBytes(value) == reference, "\(String(decoding: reference, as: UTF8.self))")
    }
}

@Test func handWrittenStoryChunkMatchesJSONEncoder() throws {
    for (index, text) in awkward.enumerated() {
        for requestId: JSONValue in [.int(Int64(index)), .string("r\(text)"), .int(-1)] {
            let chunk = StoryChunkNotification(requestId: requestId, adventureId: "adv_\(index)", seq: index * 1000, text: text)
            let reference = Array(try JSONCoding.encode(chunk))
            #expect(try JSONCoding.encodeBytes(chunk) == reference, "\(String(decoding: reference, as: UTF8.self))")
        }
    }
}

@Test func handWrittenImportResultsMatchJSONEncoder() throws {
    for (index, text) in awkward.enumerated() {
        var rules = CardRules()
        rules.group = index % 2 == 0 ? nil : text
        rules.scanDepth = index % 2 == 0 ? 3 : nil
        rules.notes = text
        let cards = (0..<2).map { Card(id: "c\($0)", type: text, name: "N\(index)", description: text, keys: [text], rules: rules) }
        let scenarios = (0..<2).map {
            Scenario(
                id: "s\($0)", name: text, instructions: text, plotEssentials: text, authorsNotes: text, openingScene: text,
                playerDescription: text, tags: [text], visibility: .public, cards: $0 == 0 ? cards : [],
                createdAt: "2026-01-01T00:00:00.000Z", updatedAt: text)
        }
        let skipped = [SkippedEntry(index: index, reason: text + "r")]
        let warnings = [ImportWarning(index: index + 1, message: text + "m"), ImportWarning(index: 0, message: "second")]
        let scenario = ScenarioImportResult(scenarios: scenarios, skipped: skipped, warnings: index == 0 ? [] : warnings)
        #expect(try JSONCoding.encodeBytes(scenario) == Array(try JSONCoding.encode(scenario)))
        let cardsResult = CardsImportResult(cards: cards, imported: 2, skipped: skipped, warnings: warnings, format: text)
        #expect(try JSONCoding.encodeBytes(cardsResult) == Array(try JSONCoding.encode(cardsResult)))
    }
}
