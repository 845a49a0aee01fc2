import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

/// Every published file in the fixtures directory, found by listing it, so a fixture added later is
/// checked too.
let everyPublishedFixture: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixture.directory.path)) ?? []
    return names.filter { $0.hasSuffix(".json") || $0.hasSuffix(".lorebook") }.sorted()
}()

/// The value at an origin path (`entries.12.content`, `[3].value`, `data.character_book.entries[0].content`)
/// in JSON parsed by Foundation, independently of the importer's own JSON reading.
func value(at path: String, in root: Any) -> Any? {
    var current: Any? = root
    var token = ""
    func step() {
        guard !token.isEmpty else { return }
        if let object = current as? [String: Any] {
            current = object[token]
        } else if let array = current as? [Any], let index = Int(token), array.indices.contains(index) {
            current = array[index]
        } else {
            current = nil
        }
        token = ""
    }
    for character in path {
        if character == "." || character == "[" || character == "]" { step() } else { token.append(character) }
    }
    step()
    return current
}

@Test func theFixturesDirectoryIsFound() {
    #expect(everyPublishedFixture.count >= 14, "fixtures missing from \(Fixture.directory.path)")
}

@Test(arguments: everyPublishedFixture)
func everyImportedCardTextIsTheEntryTextByteForByte(file: String) throws {
    let data = try Data(contentsOf: Fixture.directory.appendingPathComponent(file))
    let parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    let result = try CardFiles.read(.string(try Fixture.text(file)), format: nil)
    #expect(result.origins.count == result.cards.count)
    for (card, origin) in zip(result.cards, result.origins) {
        let text = try #require(value(at: origin.description, in: parsed) as? String, "\(file): nothing at \(origin.description)")
        #expect(Array(card.description.utf8) == Array(text.utf8), "\(file): \(origin.description) changed on import")
    }
}

/// The fixtures hold texts that begin or end with white space (AI Dungeon, KoboldAI and SillyTavern files
/// from real users); without them the test above could not tell a trimming importer from a faithful one.
@Test func someFixtureTextsBeginOrEndWithWhiteSpaceAndKeepIt() throws {
    var kept = 0
    for file in everyPublishedFixture {
        for card in try CardFiles.read(.string(try Fixture.text(file)), format: nil).cards
        where card.description != card.description.trimmingCharacters(in: .whitespacesAndNewlines) {
            kept += 1
        }
    }
    #expect(kept >= 10)
}

@Test(arguments: [CardFileFormat.sillytavern, .characterCard, .novelai, .koboldai, .aidungeon, .aidungeonWorldInfo, .agnai])
func surroundingWhiteSpaceSurvivesEveryForeignFormat(format: CardFileFormat) throws {
    let text = "  \n\tMirel keeps the lantern.\n\n  Second paragraph, indented.  \n"
    let file: JSONValue
    switch format {
    case .sillytavern: file = ["entries": ["0": ["key": ["Mirel"], "content": .string(text), "comment": "Mirel"]]]
    case .characterCard: file = ["spec": "chara_card_v2", "data": ["name": "Narrator", "character_book": ["entries": [["keys": ["Mirel"], "content": .string(text)]]]]]
    case .novelai: file = ["lorebookVersion": 5, "entries": [["displayName": "Mirel", "keys": ["Mirel"], "text": .string(text)]]]
    case .koboldai: file = ["worldinfo": [["key": "Mirel", "content": .string(text), "comment": "Mirel"]]]
    case .aidungeon: file = [["title": "Mirel", "keys": "Mirel", "value": .string(text), "type": "character"]]
    case .aidungeonWorldInfo: file = [["keys": "Mirel", "entry": .string(text)]]
    case .agnai: file = ["kind": "memory", "entries": [["name": "Mirel", "keywords": ["Mirel"], "entry": .string(text)]]]
    case .imaginai: return
    }
    let result = try CardFiles.read(file, format: nil)
    #expect(result.format == format)
    #expect(result.cards.map(\.description) == [text])
    #expect(result.cards.first?.name == "Mirel")
}

@Test func aTextOfOnlyWhiteSpaceIsStillSkippedAsEmpty() throws {
    let result = try CardFiles.read(["entries": ["0": ["key": ["Mirel"], "content": " \n\t "]]], format: .sillytavern)
    #expect(result.cards.isEmpty)
    #expect(result.skipped.map(\.reason) == ["no text: the entry's content is empty"])
}

@Test func aNameTakenFromTheTextIsOneTrimmedLine() throws {
    // A regex key without a literal alternative cannot name the card, so its text does.
    let card = try #require(try CardFiles.read([["keys": "/.+/", "value": "\n  Numbers\nare counted here.", "title": ""]], format: .aidungeon).cards.first)
    #expect(card.name == "Numbers are counted here.")
    #expect(card.description == "\n  Numbers\nare counted here.")
}
