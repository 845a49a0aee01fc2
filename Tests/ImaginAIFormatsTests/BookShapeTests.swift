import Foundation
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

// Shapes of real files that are not among the published fixtures, written here from each tool's format.

@Test func anAIDungeonExportOfNoCardsImportsBackAsNothing() throws {
    for format in [nil, CardFileFormat.aidungeon] {
        let result = try CardFiles.read(.string("[]"), format: format)
        #expect(result.format == .aidungeon)
        #expect(result.cards.isEmpty && result.skipped.isEmpty)
    }
    // The round trip it comes from: a scenario without cards exports `[]`.
    #expect(try CardFiles.write([], format: .aidungeon) == .array([]))
}

/// A NovelAI `.story` file, trimmed to the parts ImaginAI reads and the neighbours that give it its shape:
/// `{storyContainerVersion, metadata, content: {storyContentVersion, settings, story, context,
/// lorebook: {lorebookVersion, entries, settings, categories}, …}}`. The lorebook inside `content` has the
/// same shape as a `.lorebook` file.
let novelAIStory = #"""
{
  "storyContainerVersion": 1,
  "metadata": {"storyMetadataVersion": 1, "id": "5d7c0b3e-0f6b-4c3a-9f0e-2f1a9d3c8b21", "title": "The Lantern of Grey Harrow",
               "description": "", "textPreview": "The fog came in", "isTA": false, "favorite": false, "tags": [],
               "createdAt": 1733479200000, "lastUpdatedAt": 1733482800000, "isModified": false, "hasDocument": true},
  "content": {
    "storyContentVersion": 6,
    "settings": {"parameters": {"temperature": 1.0, "max_length": 40}, "preset": "", "model": "kayra-v1"},
    "story": {"version": 2, "step": 3, "datablocks": [], "currentBlock": 2, "fragments": [{"data": "The fog came in", "origin": "prompt"}]},
    "context": [{"text": "Mirel keeps the lantern.", "contextConfig": {"prefix": "", "suffix": "\n", "tokenBudget": 2048}},
                {"text": "", "contextConfig": {"prefix": "", "suffix": "\n", "tokenBudget": 2048}}],
    "lorebook": {
      "lorebookVersion": 5,
      "entries": [
        {"text": "\n Mirel Vantas, the last lantern keeper.\n", "contextConfig": {"prefix": "", "suffix": "\n", "tokenBudget": 1},
         "lastUpdatedAt": 1733482800000, "displayName": "Mirel", "id": "a1", "keys": ["Mirel", "lantern keeper"],
         "searchRange": 1000, "enabled": true, "forceActivation": false, "keyRelative": false, "nonStoryActivatable": false,
         "category": "c1", "loreBiasGroups": []},
        {"text": "The harbour town under the fog.", "displayName": "Grey Harrow", "id": "a2", "keys": ["Grey Harrow", "harbour"],
         "enabled": true, "category": ""},
        {"text": "An old draft.", "displayName": "Draft", "id": "a3", "keys": ["draft"], "enabled": false, "category": ""}
      ],
      "settings": {"orderByKeyLocations": false},
      "categories": [{"name": "Characters", "id": "c1", "enabled": true, "createSubcontext": false, "subcontextSettings": {}, "useCategoryDefaults": false, "categoryDefaults": {}, "categoryBiasGroups": []}]
    },
    "storyContextConfig": {"prefix": "", "suffix": "", "tokenBudget": 2048},
    "ephemeralContext": [],
    "contextDefaults": {"ephemeralDefaults": [], "loreDefaults": []},
    "settingsDirty": false,
    "didGenerate": true,
    "phraseBiasGroups": [],
    "bannedSequenceGroups": []
  }
}
"""#

@Test func aNovelAIStoryFileIsReadFromItsLorebook() throws {
    for format in [nil, CardFileFormat.novelai] {
        let result = try CardFiles.read(.string(novelAIStory), format: format)
        #expect(result.format == .novelai)
        #expect(result.cards.map(\.name) == ["Mirel", "Grey Harrow", "Draft"])
        #expect(result.cards.map(\.type) == ["characters", "lore", "lore"], "the category comes from the story's lorebook")
        #expect(result.cards.map(\.rules.enabled) == [true, true, false], "a disabled entry is kept, disabled")
        #expect(result.cards.first?.description == "\n Mirel Vantas, the last lantern keeper.\n")
        #expect(result.cards.first?.keys == ["Mirel", "lantern keeper"])
        #expect(result.skipped.isEmpty)
        #expect(result.origins.first == CardOrigin(name: "content.lorebook.entries[0].displayName", description: "content.lorebook.entries[0].text", entry: "content.lorebook.entries[0]"))
    }
}

@Test func aNovelAIStoryWithoutALorebookIsNotACardFile() {
    let story: JSONValue = ["storyContainerVersion": 1, "content": ["storyContentVersion": 6]]
    #expect(CardFiles.detect(story) == nil)
    #expect(throws: FormatError.self) { try CardFiles.read(story, format: .novelai) }
}

/// A character book saved on its own, with the fields the Character Card V3 spec gives a book and its entries.
let lorebookV3: JSONValue = [
    "spec": "lorebook_v3",
    "data": [
        "name": "Grey Harrow", "description": "The harbour town's people and places.", "scan_depth": 4,
        "token_budget": 512, "recursive_scanning": false, "extensions": [:],
        "entries": [
            ["keys": ["Mirel", "lantern keeper"], "content": "Mirel Vantas, the last lantern keeper.  ", "extensions": [:],
             "enabled": true, "insertion_order": 100, "use_regex": false, "name": "Mirel", "comment": ""],
            ["keys": ["harbour"], "content": "Fog most mornings.", "extensions": [:], "enabled": false, "insertion_order": 50, "use_regex": false],
        ],
    ],
]

@Test func aStandaloneLorebookV3IsReadAsACharacterBook() throws {
    for format in [nil, CardFileFormat.characterCard] {
        let result = try CardFiles.read(lorebookV3, format: format)
        #expect(result.format == .characterCard)
        #expect(result.cards.map(\.name) == ["Mirel", "Harbour"])
        #expect(result.cards.first?.description == "Mirel Vantas, the last lantern keeper.  ")
        #expect(result.cards.map(\.rules.enabled) == [true, false], "a disabled entry is kept, disabled")
        #expect(result.cards.map(\.rules.order) == [100, 50])
        #expect(result.skipped.isEmpty)
        #expect(result.origins.first?.description == "data.entries[0].content")
    }
    let empty = try CardFiles.read(["spec": "lorebook_v3", "data": ["name": "Empty", "entries": []]], format: nil)
    #expect(empty.format == .characterCard && empty.cards.isEmpty)
}

@Test func aBareBookWithAnEntryArrayIsReadWithKeysOrKey() throws {
    let book: JSONValue = [
        "name": "Grey Harrow",
        "entries": [
            ["keys": ["Mirel"], "content": "The lantern keeper.", "comment": "Mirel"],
            ["key": ["harbour", "docks"], "content": "Fog most mornings.", "comment": "Harbour"],
            ["key": "bell, tower", "content": "It rings at the tide.", "comment": "Bell tower"],
        ],
    ]
    for format in [nil, CardFileFormat.characterCard] {
        let result = try CardFiles.read(book, format: format)
        #expect(result.format == .characterCard)
        #expect(result.cards.map(\.name) == ["Mirel", "Harbour", "Bell tower"])
        #expect(result.cards.map(\.keys) == [["Mirel"], ["harbour", "docks"], ["bell", "tower"]])
        #expect(result.origins.map(\.description) == ["entries[0].content", "entries[1].content", "entries[2].content"])
    }
}

@Test func aBareEntryArrayThatIsNoBookIsNotTakenForOne() {
    // An Agnai memory book and entries without text and keys keep their own reading or none.
    let agnai: JSONValue = ["kind": "memory", "name": "Book", "entries": [["name": "Mirel", "entry": "Keeper.", "keywords": ["Mirel"], "content": "x", "keys": ["y"]]]]
    #expect(CardFiles.detect(agnai) == .agnai)
    #expect(CardFiles.detect(["name": "Nothing", "entries": []]) == nil)
    #expect(CardFiles.detect(["name": "Notes", "entries": [["title": "a"]]]) == nil)
}

@Test func aStandaloneBookImportedAsAScenarioHasNoInventedCharacter() throws {
    let imported = try ScenarioFiles.read(lorebookV3, format: nil)
    #expect(imported.format == .characterCard)
    #expect(imported.scenario.cards.map(\.name) == ["Mirel", "Harbour"], "the book's name is not a character")
    #expect(imported.scenario.plotEssentials.isEmpty)
    #expect(imported.scenario.name == "Grey Harrow", "named from data.name")
    #expect(imported.scenario.playerDescription == "The harbour town's people and places.")
    let bare = try ScenarioFiles.read(["name": "Harrow", "entries": [["keys": ["Mirel"], "content": "Keeper."]]], format: nil)
    #expect(bare.scenario.name == "Harrow")
}
