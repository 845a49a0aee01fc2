import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

/// An empty in-memory database (no sample), for tests that count rows.
func emptyDB() throws -> AppDatabase {
    try AppDatabase.inMemory(seedSample: false)
}

/// A scenario with three cards and an opening scene.
func sampleDraft(name: String = "Harbor", cards: Int = 3) -> ScenarioDraft {
    ScenarioDraft(
        name: name, instructions: "Be vivid.", plotEssentials: "The harbor is haunted.",
        authorsNotes: "Keep it tense.", openingScene: "You stand on the quay.",
        playerDescription: "A sailor.", tags: ["Mystery", " sea ", "mystery", ""], visibility: .unlisted,
        cards: (0..<cards).map { i in
            CardDraft(type: "character", name: "Card \(i)", description: "Desc \(i)", keys: ["k\(i)", " k\(i) ", ""])
        })
}

/// A unique path in a fresh temporary directory (removed by the caller with `removeTemporary`).
func temporaryPath(_ file: String = "store.sqlite") -> (directory: URL, path: String) {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("imaginai-store-tests-\(UUID().uuidString)")
    return (directory, directory.appendingPathComponent(file).path)
}

func removeTemporary(_ directory: URL) {
    try? FileManager.default.removeItem(at: directory)
}

/// Runs `body` and returns the StoreError it throws (nil if it throws nothing or something else).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return nil
    }
}
