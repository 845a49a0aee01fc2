import Foundation
import ImaginAICore
import ImaginAIProtocol
import Testing
@testable import ImaginAIStore

// `turn.activatedCards`: what each generated turn's prompt activated, for the timed card effects.

@Test func activationsAreStoredWithTheTurnReadByRangeAndReplacedByARetry() throws {
    let db = try emptyDB()
    let scenario = try db.createScenario(sampleDraft())
    let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)  // turn 0
    _ = try db.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "a")  // 1
    _ = try db.appendAITurn(adventureId: adventure.id, text: "b", usage: sampleUsage, activatedCards: ["crd_1", "crd_2"])  // 2
    _ = try db.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "c")  // 3
    let latest = try db.appendAITurn(adventureId: adventure.id, text: "d", usage: sampleUsage)  // 4, none

    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<5) == [CardActivation(turnIndex: 2, cardIDs: ["crd_1", "crd_2"])])
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 3..<5) == [])
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 2..<2) == [])

    _ = try db.addTurnVersion(turnId: latest.id, text: "e", usage: sampleUsage, activatedCards: ["crd_3"])
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<5).map(\.turnIndex) == [2, 4])
    _ = try db.addTurnVersion(turnId: latest.id, text: "f", usage: sampleUsage, activatedCards: [])
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<5).map(\.turnIndex) == [2], "the retry's empty list replaces")

    // Undo takes the activation away with its turn; redo brings it back.
    _ = try db.undo(adventureId: adventure.id)  // 3, 4
    _ = try db.undo(adventureId: adventure.id)  // 1, 2
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<5) == [])
    _ = try db.redo(adventureId: adventure.id)
    #expect(try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<5) == [CardActivation(turnIndex: 2, cardIDs: ["crd_1", "crd_2"])])
}

@Test func choosingAVersionBringsBackWhatThatVersionsPromptActivated() throws {
    let db = try emptyDB()
    let scenario = try db.createScenario(sampleDraft())
    let adventure = try db.startAdventure(scenarioId: scenario.id, name: nil)  // turn 0
    _ = try db.appendPlayerTurn(adventureId: adventure.id, action: .do, text: "a")  // 1
    let answer = try db.appendAITurn(adventureId: adventure.id, text: "first", usage: sampleUsage, activatedCards: ["crd_first"])  // 2
    _ = try db.addTurnVersion(turnId: answer.id, text: "second", usage: sampleUsage, activatedCards: ["crd_second"])
    _ = try db.addTurnVersion(turnId: answer.id, text: "third", usage: sampleUsage, activatedCards: [])

    func activated() throws -> [[String]] { try db.cardActivations(adventureId: adventure.id, turnIndexes: 0..<3).map(\.cardIDs) }
    #expect(try activated() == [])
    _ = try db.useTurnVersion(turnId: answer.id, version: 0)
    #expect(try activated() == [["crd_first"]], "the original version's activations")
    _ = try db.useTurnVersion(turnId: answer.id, version: 1)
    #expect(try activated() == [["crd_second"]])
    _ = try db.useTurnVersion(turnId: answer.id, version: 2)
    #expect(try activated() == [])
}
