import ImaginAICore
import ImaginAIProtocol
import Testing
@testable import ImaginAIFormats

/// A KoboldAI story carried over from AI Dungeon: its world info keys are AI Dungeon's regexes with an
/// `#[attributes]` suffix, beside ordinary keys, written as KoboldAI saves a story.
enum KoboldAIStoryWithAIDungeonKeys {
    static let story: JSONValue = [
        "gamestarted": true,
        "prompt": "The lamps of Vell burn green tonight.",
        "memory": "You are a courier in the city of Vell.",
        "authorsnote": "Keep it tense.",
        "anotetemplate": "[Author's note: <|>]",
        "actions": ["You knock on the door."],
        "worldinfo": [
            ["key": "Mira|(|the )ferrywoman#[t=5]", "keysecondary": "", "content": "Mira rows the dead across the canal.",
             "comment": "", "folder": nil, "num": 0, "init": true, "selective": false, "constant": false, "uid": 101],
            ["key": "(the )?black (cat|dog)#[t=5l=2]", "keysecondary": "", "content": "A black animal follows you everywhere.",
             "comment": "", "folder": nil, "num": 1, "init": true, "selective": false, "constant": false, "uid": 102],
            ["key": "colou?r guild, Guildhall", "keysecondary": "", "content": "The dyers' guild rules the east bank.",
             "comment": "The Dyers", "folder": nil, "num": 2, "init": true, "selective": false, "constant": false, "uid": 103],
            ["key": "Old Tom", "keysecondary": "tom's boat", "content": "A fisherman who sees everything.",
             "comment": "", "folder": nil, "num": 3, "init": true, "selective": false, "constant": false, "uid": 104],
        ],
        "wifolders_d": [:], "wifolders_l": [],
    ]
}

@Test func koboldAIKeysInAIDungeonRegexSyntaxBecomeRegexKeysThatFire() throws {
    let result = try CardFiles.read(KoboldAIStoryWithAIDungeonKeys.story, format: nil)
    #expect(result.format == .koboldai)
    #expect(result.skipped.isEmpty)
    let cards = result.cards
    #expect(cards.map(\.name) == ["Mira", "The Black Cat", "The Dyers", "Old Tom"])
    #expect(cards[0].keys == ["/Mira|(the )?ferrywoman/i"])
    #expect(cards[1].keys == ["/(the )?black (cat|dog)/i"])
    #expect(cards.flatMap(\.keys).allSatisfy { !$0.contains("#[") })
    // Keys not in AI Dungeon's style are KoboldAI's plain keys, `?` included.
    #expect(cards[2].keys == ["colou?r guild", "Guildhall"])
    // Not selective: KoboldAI ignored the secondary key, so it is kept in the notes, not as a filter.
    #expect(cards[3].keys == ["Old Tom"])
    #expect(cards[3].rules.secondaryKeys.isEmpty)
    #expect(cards[3].rules.notes.contains("tom's boat"))
    #expect(result.warnings.contains { $0.index == 3 && $0.message.contains("tom's boat") })
    #expect(result.warnings.contains { $0.index == 1 && $0.message.contains("t=5, l=2") }, "the dropped attributes are named")

    let matcher = TriggerMatcher(cards: cards.map(\.keys))
    func fired(_ text: String) -> Set<Int> { Set(matcher.scan(text).map(\.card)) }
    #expect(fired("You hail the ferrywoman from the pier.") == [0])
    #expect(fired("A ferrywoman waits.") == [0], "the optional article stays optional")
    #expect(fired("MIRA waves.") == [0])
    #expect(fired("A black dog sniffs your boots.") == [1])
    #expect(fired("The black cat is gone.") == [1])
    #expect(fired("A grey dog barks.").isEmpty)
    #expect(fired("Lanterns, boats and a bridge.").isEmpty, "no key matches everywhere")
}

@Test func aKeyThatWouldMatchEverywhereLosesItsEmptyAlternativeAndABrokenOneIsNamed() throws {
    let story: JSONValue = [
        "worldinfo": [
            ["key": "(gray fox|)#[t=1]", "keysecondary": "", "content": "A thief.", "comment": ""],
            ["key": "(unclosed|group#[t=1]", "keysecondary": "", "content": "Never fires.", "comment": ""],
        ],
    ]
    let result = try CardFiles.read(story, format: .koboldai)
    #expect(result.cards.map(\.keys) == [["/(gray fox)/i"]])
    #expect(result.cards.map(\.name) == ["Gray Fox"])
    #expect(result.skipped.map(\.index) == [1])
    #expect(result.skipped.first?.reason.contains("(unclosed|group#[t=1] could not be used") == true)
}

/// The published EWIJSON book writes optional words as groups with an empty alternative; they stay optional.
@Test func ewijsonOptionalWordsStayOptional() throws {
    let cards = try CardFiles.read(try Fixture.json("aidungeon-legacy-worldinfo-skyrim-npcs-ewijson.json"), format: nil).cards
    #expect(cards.map(\.keys).contains(["/(grand( |-)?master )?armilion/i"]))
    let matcher = TriggerMatcher(cards: cards.map(\.keys))
    func fired(_ text: String) -> [String] { matcher.scan(text).map { cards[$0.card].name } }
    #expect(fired("You sleep at the Bloated Goat.").count == 1, "not only 'innkeeper of the bloated goat innkeeper'")
    #expect(fired("Armilion nods.").count == 1)
    #expect(fired("The Grand-Master Armilion nods.").count == 1)
    #expect(fired("Melanie waves.").count == 1)
    #expect(fired("A quiet road.").isEmpty)
}
