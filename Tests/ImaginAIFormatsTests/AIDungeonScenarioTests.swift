import ImaginAIFormats
import ImaginAIProtocol
import Testing

/// AI Dungeon's scenario export: several scenarios in one array, each with its texts and world info.
struct AIDungeonScenarioTests {
    /// Shaped as AI Dungeon's scenario exporter writes it: legacy world info, story cards, tags, and an
    /// author's note under either spelling.
    static let export: JSONValue = [
        [
            "title": "The Drowned Bell", "description": "A coastal mystery.\n",
            "prompt": "  The bell rang again at midnight, though the tower fell into the sea years ago.\n",
            "memory": "You are Ida, the lighthouse keeper's daughter.", "authorsNote": "Slow, eerie prose.",
            "tags": ["mystery", "sea"],
            "worldInfo": [
                ["keys": "bell, tower", "entry": "The bell tower of Saint Aud sank in the storm of 1881."],
                ["keys": "Ida", "entry": "Ida is seventeen and cannot swim."],
            ],
        ],
        [
            "title": "Ashfall", "prompt": "Grey snow that is not snow falls on the market.",
            "memory": "The volcano woke three days ago.", "authorNote": "Keep it tense.",
            "storyCards": [["keys": "Mount Hesk", "value": "A volcano asleep for four hundred years.", "type": "location", "title": "Mount Hesk"]],
        ],
        ["title": "", "prompt": "You wake up in a field.", "memory": "", "worldInfo": []],
    ]

    @Test func eachElementBecomesAScenarioWithItsTextsAndCards() throws {
        #expect(AIDungeonScenarios.matches(Self.export))
        let scenarios = try ScenarioFiles.readAll(Self.export, format: nil, fileName: "/tmp/my_scenarios.json")
        #expect(scenarios.map(\.scenario.name) == ["The Drowned Bell", "Ashfall", "my scenarios"])
        #expect(scenarios.allSatisfy { $0.format == .aidungeon })

        let bell = scenarios[0].scenario
        #expect(bell.openingScene == "  The bell rang again at midnight, though the tower fell into the sea years ago.\n", "kept as written")
        #expect(bell.plotEssentials == "You are Ida, the lighthouse keeper's daughter.")
        #expect(bell.authorsNotes == "Slow, eerie prose.")
        #expect(bell.playerDescription == "A coastal mystery.\n")
        #expect(bell.tags == ["mystery", "sea"])
        #expect(bell.cards.map(\.keys) == [["bell", "tower"], ["Ida"]])
        #expect(bell.cards.map(\.description) == ["The bell tower of Saint Aud sank in the storm of 1881.", "Ida is seventeen and cannot swim."])
        #expect(scenarios[0].origins.fields["openingScene"] == .at("[0].prompt"))
        #expect(scenarios[0].origins.cards[1].description == "[0].worldInfo[1].entry")

        let ash = scenarios[1].scenario
        #expect(ash.authorsNotes == "Keep it tense.")
        #expect(ash.cards.map(\.name) == ["Mount Hesk"])
        #expect(ash.cards.first?.type == "location")
        #expect(scenarios[1].origins.fields["authorsNotes"] == .at("[1].authorNote"))
        #expect(scenarios[2].scenario.cards.isEmpty)
    }

    @Test func oneScenarioObjectIsReadTheSameWay() throws {
        let single = try #require(Self.export.arrayValue?[1])
        let scenarios = try ScenarioFiles.readAll(single, format: .aidungeon)
        #expect(scenarios.map(\.scenario.name) == ["Ashfall"])
        #expect(scenarios[0].origins.fields["openingScene"] == .at("prompt"))
    }

    @Test func storyCardsAreNotMistakenForScenarios() throws {
        let cards: JSONValue = [["title": "Ann", "keys": "Ann", "value": "A gardener.", "type": "character"]]
        #expect(!AIDungeonScenarios.matches(cards))
        let read = try ScenarioFiles.readAll(cards, format: nil)
        #expect(read.count == 1)
        #expect(read[0].scenario.cards.map(\.name) == ["Ann"])
    }

    /// A KoboldAI story has a prompt and memory too; it stays a KoboldAI story.
    @Test func aKoboldAIStoryIsNotTakenForAScenario() throws {
        let story: JSONValue = [
            "gamestarted": true, "prompt": "It begins.", "memory": "Remember.", "authorsnote": "Terse.", "actions": [],
            "worldinfo": [["key": "Kleiner", "keysecondary": "", "content": "A scientist.", "comment": "Kleiner", "constant": false]],
        ]
        #expect(!AIDungeonScenarios.matches(story))
        let read = try ScenarioFiles.readAll(story, format: nil)
        #expect(read.map(\.format) == [.koboldai])
    }

    @Test func aFileHoldingOneJSONStringIsNoScenario() {
        #expect(throws: FormatError("Invalid params: 'data' holds one JSON string, not a scenario or card file")) {
            try ScenarioFiles.readAll(.string(#""just text""#), format: nil)
        }
    }

    @Test func anElementThatIsNoObjectIsNamed() {
        let bad: JSONValue = [["title": "A", "prompt": "x", "memory": "y"], 7]
        #expect(throws: FormatError("Invalid params: 'data[1]' is a number, not a scenario object; every element of an AI Dungeon scenario export is one")) {
            try ScenarioFiles.readAll(bad, format: nil)
        }
    }
}
