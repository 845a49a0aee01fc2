import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

/// A published file and the scenario name its import must get when the file's name is sent along:
/// its own title where it has one, else the file name tidied.
struct NamedFile: Sendable, CustomStringConvertible {
    var file: String
    var name: String
    /// Whether `name` is the file's own title (a file name sent along does not change it).
    var titled: Bool
    var description: String { file }
}

let publishedFileNames: [NamedFile] = [
    NamedFile(file: "sillytavern-world-harry-potter-canon-chub.json", name: "Harry Potter Canon Lorebook", titled: true),
    NamedFile(file: "sillytavern-world-honkai-impact-rpg-chub.json", name: "Honkai Impact RPG", titled: true),
    NamedFile(file: "sillytavern-world-eldoria-2023.json", name: "sillytavern world eldoria 2023", titled: false),
    NamedFile(file: "sillytavern-world-eldoria-2024.json", name: "sillytavern world eldoria 2024", titled: false),
    NamedFile(file: "charcard-v3-world-narrator-st-export.json", name: "World_Narrator", titled: true),
    NamedFile(file: "charcard-v3-honkai-star-rail-rpg-minimal-book.json", name: "Honkai: Star Rail RPG", titled: true),
    NamedFile(file: "agnai-memorybook-hogwarts-legacy-chub.json", name: "Hogwarts Legacy Lore", titled: true),
    NamedFile(file: "novelai-lorebook-v6-alexandria-categories.lorebook", name: "novelai lorebook v6 alexandria categories", titled: false),
    NamedFile(file: "novelai-lorebook-v4-new-story-blank-export.lorebook", name: "novelai lorebook v4 new story blank export", titled: false),
    NamedFile(file: "koboldai-story-worldinfo-half-life-2.json", name: "koboldai story worldinfo half life 2", titled: false),
    NamedFile(file: "aidungeon-story-cards-7-sins-tyrants.json", name: "aidungeon story cards 7 sins tyrants", titled: false),
    NamedFile(file: "aidungeon-story-cards-destiny-ecos-de-la-oscuridad.json", name: "aidungeon story cards destiny ecos de la oscuridad", titled: false),
    NamedFile(file: "aidungeon-legacy-worldinfo-skyrim-factions.json", name: "aidungeon legacy worldinfo skyrim factions", titled: false),
    NamedFile(file: "aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json", name: "aidungeon legacy worldinfo skyrim npcs ewijson", titled: false),
]

@Test(arguments: publishedFileNames)
func everyPublishedFileIsNamedFromItsTitleElseItsFileName(named: NamedFile) throws {
    let text = try Fixture.text(named.file)
    // Sent as a path, the way the command line and the editors know the file.
    let withFileName = try ScenarioFiles.read(.string(text), format: nil, fileName: "/home/player/Downloads/" + named.file)
    #expect(withFileName.scenario.name == named.name)

    let withoutFileName = try ScenarioFiles.read(.string(text), format: nil)
    #expect(!withoutFileName.scenario.name.hasPrefix("Imported"))
    if named.titled {
        #expect(withoutFileName.scenario.name == named.name)
        #expect(withoutFileName.origins.fields["name"] != .param("fileName"))
    } else {
        #expect(withFileName.origins.fields["name"] == .param("fileName"))
        #expect(withoutFileName.scenario.name != named.name)
    }
}

@Test func withoutTitleOrFileNameTheFirstCardsNameTheScenario() throws {
    let eldoria = try ScenarioFiles.read(.string(try Fixture.text("sillytavern-world-eldoria-2023.json")), format: nil)
    #expect(eldoria.scenario.name == "Eldoria, Shadowfang, Glade and 1 more")
    #expect(eldoria.origins.fields["name"] == .assembled(from: "the names of the first cards"))

    let sins = try ScenarioFiles.read(.string(try Fixture.text("aidungeon-story-cards-7-sins-tyrants.json")), format: nil)
    #expect(sins.scenario.name.hasSuffix(" and \(sins.scenario.cards.count - sins.scenario.name.components(separatedBy: ", ").count) more"))
    #expect(sins.scenario.name.count <= ScenarioNames.cardListLength + " and 999 more".count)

    // A blank NovelAI export has no title and no usable entry: nothing is left to name it by.
    let blank = try ScenarioFiles.read(.string(try Fixture.text("novelai-lorebook-v4-new-story-blank-export.lorebook")), format: nil)
    #expect(blank.scenario.cards.isEmpty)
    #expect(blank.scenario.name == "Untitled NovelAI lorebook")
}

@Test func prototypeAndImaginAINamesAreKeptExactlyAndOnlyABlankOneIsReplaced() throws {
    let seed = try ScenarioFiles.read(.string(try String(contentsOf: Fixture.seedScenario, encoding: .utf8)), format: nil, fileName: "export.json")
    #expect(seed.scenario.name.hasPrefix("Neon Static"))

    let untitled: JSONValue = ["name": "  ", "openingScene": "The rain again.", "cards": []]
    let named = try ScenarioFiles.read(untitled, format: .seed, fileName: "rainy_night.json")
    #expect(named.scenario.name == "rainy night")
    let unnamed = try ScenarioFiles.read(untitled, format: .seed)
    #expect(unnamed.scenario.name == "Untitled scenario")
}

@Test func aCharacterCardWithoutANameTakesItsBooksName() throws {
    let card: JSONValue = [
        "spec": "chara_card_v3",
        "data": ["name": "", "character_book": ["name": "The Sunken\nCity", "entries": [["keys": ["gate"], "content": "The gate is shut."]]]],
    ]
    let imported = try ScenarioFiles.read(card, format: nil, fileName: "city.json")
    #expect(imported.scenario.name == "The Sunken City")
    #expect(imported.origins.fields["name"] == .at("data.character_book.name"))
}

@Test func aSillyTavernWorldMadeFromACharactersBookKeepsTheBooksName() throws {
    let world: JSONValue = [
        "entries": ["0": ["key": ["gate"], "content": "The gate is shut.", "comment": "Gate"]],
        "originalData": ["name": "Sunken City Lore", "entries": []],
    ]
    let imported = try ScenarioFiles.read(world, format: nil, fileName: "world.json")
    #expect(imported.scenario.name == "Sunken City Lore")
    #expect(imported.origins.fields["name"] == .at("originalData.name"))
}

@Test(arguments: [
    ("my_cards-v2.json", "my cards v2"),
    ("/home/player/worlds/Eldoria.lorebook", "Eldoria"),
    (#"C:\Users\player\cards\sunken_city.json"#, "sunken city"),
    ("Half-Life 2 world.json", "Half-Life 2 world"),
    ("  spaced   out  .json", "spaced out"),
    ("story.v2.json", "story.v2"),
    ("no extension", "no extension"),
    ("Café_Noir.JSON", "Café Noir"),
])
func fileNamesAreTidied(fileName: String, name: String) {
    #expect(ScenarioNames.fromFileName(fileName) == name)
}

@Test(arguments: ["", "___.json", "/", "-.json"])
func fileNamesWithNothingReadableGiveNoName(fileName: String) {
    #expect(ScenarioNames.fromFileName(fileName) == nil)
}

@Test func aLongFirstCardNameIsShortenedAtAWord() {
    let long = String(repeating: "word ", count: 30)
    let name = ScenarioNames.fromCards([CardDraft(name: long), CardDraft(name: "Second")])
    #expect(name?.hasSuffix("… and 1 more") == true)
    #expect((name?.count ?? 0) <= ScenarioNames.cardListLength + " and 1 more".count)
}
