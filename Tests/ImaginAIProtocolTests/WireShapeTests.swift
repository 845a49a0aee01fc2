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
