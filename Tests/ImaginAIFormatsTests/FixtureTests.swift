import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

/// The real files people published (see shared/fixtures/formats/SOURCES.md). Missing fixtures fail the
/// tests rather than skip them.
enum Fixture {
    static let directory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["IMAGINAI_FIXTURES"] {
            return URL(fileURLWithPath: explicit)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/formats")
    }()

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text(name).utf8))
    }

    static let seedScenario = directory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("seed/prototype-scenario-export.json")
}

struct PublishedFile: Sendable, CustomStringConvertible {
    var name: String
    var format: CardFileFormat
    var cards: Int
    var skipped: Int
    var description: String { name }
}

@Test(arguments: [
    PublishedFile(name: "aidungeon-story-cards-destiny-ecos-de-la-oscuridad.json", format: .aidungeon, cards: 50, skipped: 0),
    PublishedFile(name: "aidungeon-story-cards-7-sins-tyrants.json", format: .aidungeon, cards: 324, skipped: 0),
    PublishedFile(name: "aidungeon-legacy-worldinfo-skyrim-factions.json", format: .aidungeonWorldInfo, cards: 4, skipped: 0),
    PublishedFile(name: "aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json", format: .aidungeonWorldInfo, cards: 6, skipped: 0),
    PublishedFile(name: "sillytavern-world-eldoria-2023.json", format: .sillytavern, cards: 4, skipped: 0),
    PublishedFile(name: "sillytavern-world-eldoria-2024.json", format: .sillytavern, cards: 4, skipped: 0),
    PublishedFile(name: "sillytavern-world-harry-potter-canon-chub.json", format: .sillytavern, cards: 1, skipped: 0),
    PublishedFile(name: "sillytavern-world-honkai-impact-rpg-chub.json", format: .sillytavern, cards: 34, skipped: 0),
    PublishedFile(name: "charcard-v3-world-narrator-st-export.json", format: .characterCard, cards: 5, skipped: 0),
    PublishedFile(name: "charcard-v3-honkai-star-rail-rpg-minimal-book.json", format: .characterCard, cards: 81, skipped: 0),
    PublishedFile(name: "novelai-lorebook-v6-alexandria-categories.lorebook", format: .novelai, cards: 2, skipped: 1),
    PublishedFile(name: "novelai-lorebook-v4-new-story-blank-export.lorebook", format: .novelai, cards: 0, skipped: 1),
    PublishedFile(name: "koboldai-story-worldinfo-half-life-2.json", format: .koboldai, cards: 25, skipped: 0),
    PublishedFile(name: "agnai-memorybook-hogwarts-legacy-chub.json", format: .agnai, cards: 4, skipped: 0),
])
func everyPublishedFileIsDetectedAndEveryEntryAccountedFor(file: PublishedFile) throws {
    let text = try Fixture.text(file.name)
    let result = try CardFiles.read(.string(text), format: nil)
    #expect(result.format == file.format)
    #expect(result.cards.count == file.cards)
    #expect(result.skipped.count == file.skipped)
    for skipped in result.skipped { #expect(!skipped.reason.isEmpty) }
    for card in result.cards {
        #expect(!card.name.isEmpty && !card.name.contains("\n"))
        #expect(!card.keys.isEmpty || card.rules.constant, "only an always-on card may have no keys")
        #expect(card.keys.allSatisfy { !$0.isEmpty && $0 == $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(!card.description.isEmpty)
    }
    // Naming the format explicitly reads the same file the same way.
    let named = try CardFiles.read(try Fixture.json(file.name), format: file.format)
    #expect(named.cards == result.cards)
}

@Test func destinyCardsKeepSpanishTextAndTrimTitles() throws {
    let cards = try CardFiles.read(.string(try Fixture.text("aidungeon-story-cards-destiny-ecos-de-la-oscuridad.json")), format: nil).cards
    #expect(cards.contains { $0.name == "Espectros" })
    #expect(cards.contains { $0.name == "Cuervo" })
    #expect(cards.contains { $0.description.contains("ó") && $0.description.contains("ñ") || $0.description.contains("á") })
    #expect(cards.filter { $0.name == "Vex" }.count == 2, "duplicate titles are both kept")
    #expect(Set(cards.map(\.type)).isSuperset(of: ["character", "location", "Creature"]))
}

@Test func sevenSinsFoldsNewlinesInTitlesAndSplitsBothCommaStyles() throws {
    let cards = try CardFiles.read(.string(try Fixture.text("aidungeon-story-cards-7-sins-tyrants.json")), format: .aidungeon).cards
    #expect(cards.contains { $0.name == "Edit to enable Auto-Cards" })
    let greed = try #require(cards.first { $0.keys.contains("Greed") && $0.keys.contains("Seven Sins") })
    #expect(greed.keys.contains("7 Sins"))
}

@Test func eldoria2023DerivesNamesFromKeys() throws {
    let cards = try CardFiles.read(try Fixture.json("sillytavern-world-eldoria-2023.json"), format: nil).cards
    #expect(cards.map(\.name).first == "Eldoria")
    let modern = try CardFiles.read(try Fixture.json("sillytavern-world-eldoria-2024.json"), format: nil).cards
    #expect(modern.map(\.name).first == "eldoria", "a comment is the name as written")
}

@Test func honkaiKeepsTheDisabledTokyoEntryDisabled() throws {
    let result = try CardFiles.read(try Fixture.json("sillytavern-world-honkai-impact-rpg-chub.json"), format: nil)
    #expect(result.skipped.isEmpty)
    #expect(result.cards.filter { !$0.rules.enabled }.map(\.keys) == [["Tokyo"]])
    #expect(result.cards.filter(\.rules.constant).count == 1)
}

@Test func harryPotterDropsTheEmptyKey() throws {
    let card = try #require(try CardFiles.read(try Fixture.json("sillytavern-world-harry-potter-canon-chub.json"), format: nil).cards.first)
    #expect(card.keys.count == 48)
}

@Test func ewijsonKeysBecomeRegexKeysWithoutEmptyAlternatives() throws {
    let cards = try CardFiles.read(try Fixture.json("aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json"), format: nil).cards
    let keys = cards.flatMap(\.keys)
    #expect(keys.allSatisfy { $0.hasPrefix("/") && $0.hasSuffix("/i") && !$0.contains("#[") })
    #expect(!keys.contains { $0.contains("|)") })
    #expect(keys.contains { $0.contains("gray fox") })
}

@Test func characterCardPrefersDataAndKeepsKeylessConstantEntriesAsCards() throws {
    let narrator = try ScenarioFiles.read(try Fixture.json("charcard-v3-world-narrator-st-export.json"), format: nil)
    #expect(narrator.format == .characterCard)
    #expect(narrator.scenario.name == "World_Narrator")
    #expect(!narrator.scenario.openingScene.isEmpty)
    #expect(!narrator.scenario.plotEssentials.contains("Time and Date"), "the root mirror's extra block is not read")
    let rail = try ScenarioFiles.read(.string(try Fixture.text("charcard-v3-honkai-star-rail-rpg-minimal-book.json")), format: nil)
    #expect(rail.skipped.isEmpty)
    #expect(rail.scenario.cards.count == 82, "81 book entries and the character itself")
    let keyless = rail.scenario.cards.filter(\.keys.isEmpty)
    #expect(keyless.count == 4 && keyless.allSatisfy(\.rules.constant), "the four keyless entries are always-on cards")
    #expect(rail.scenario.cards.filter(\.rules.constant).count == 11)
    #expect(!rail.scenario.plotEssentials.contains(keyless[0].description), "not copied into plot essentials as well")
}

@Test func koboldStoryFillsTheTextFields() throws {
    let story = try ScenarioFiles.read(try Fixture.json("koboldai-story-worldinfo-half-life-2.json"), format: nil)
    #expect(story.format == .koboldai)
    #expect(story.scenario.openingScene.hasPrefix("You are ${}"))
    #expect(story.scenario.cards.count == 25)
    #expect(story.scenario.cards.first?.keys == ["Civil Protection", "Metro cop", "CP", "Officer", "Cop"])
}
