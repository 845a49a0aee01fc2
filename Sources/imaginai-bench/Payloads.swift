import ImaginAIProtocol
import JSONRPC

/// Deterministic, realistic-looking story content: the sizes matter to the figures, the words do not.
enum Payloads {
    static let types = ["character", "location", "item", "faction", "lore"]

    static let names = [
        "Mira Thornwood", "The Sunken Library", "Emberglass Lantern", "The Ashen Court", "The Long Winter",
        "Captain Oren Vale", "Saltmarsh Crossing", "The Ninth Key", "Wardens of the Reach", "The Drowned Bell",
        "Sister Ilse", "Greywater Keep", "Cartographer's Compass", "The Lantern Guild", "The First Fire",
        "Tamsin Roe", "The Glass Orchard", "Ironwood Bow", "The Quiet Hand", "The Sundering",
    ]

    static let sentences = [
        "Weathered by years on the northern roads, they speak softly and rarely say more than they must.",
        "Locals avoid the place after dusk, claiming the fog carries voices that know your name.",
        "It hums faintly when held near running water, and its light turns blue in the presence of lies.",
        "Their banners are grey on black, and their envoys arrive unannounced with sealed letters.",
        "Old songs tell of a season when the rivers froze solid and the stars went out one by one.",
        "A debt owed to the harbour master keeps them from leaving the city, at least for now.",
        "Beneath the floor lies a second, older structure that no map records and no guide will enter.",
        "Anyone who carries it for long begins to dream of a door they have never seen.",
        "They keep a ledger of every favour granted, and they always collect, sooner or later.",
        "Scholars disagree on the dates, but all agree that the old capital burned in a single night.",
    ]

    /// About `length` characters of prose, varied by `seed`.
    static func description(seed: Int, length: Int = 300) -> String {
        var text = ""
        var index = seed
        while text.count < length {
            if !text.isEmpty { text += " " }
            text += sentences[index % sentences.count]
            index += 3
        }
        return String(text.prefix(length))
    }

    static func card(_ index: Int, seed: Int) -> JSONValue {
        let name = names[(index + seed) % names.count] + (index >= names.count ? " \(index / names.count + 1)" : "")
        let words = name.split(separator: " ").map { $0.lowercased() }
        let keys = [name.lowercased(), words.last ?? "key", "\(words.first ?? "key")-\(index)"]
        return .object([
            "name": .string(name),
            "type": .string(types[index % types.count]),
            "description": .string(description(seed: index + seed)),
            "keys": .array(keys.map { .string($0) }),
        ])
    }

    /// `scenario/create` params for a scenario with `cardCount` cards of ~300-character descriptions and
    /// 3 keys each, plus the short texts a real scenario has.
    static func scenarioCreateParams(name: String, cardCount: Int, seed: Int) -> JSONValue {
        .object(["scenario": .object([
            "name": .string(name),
            "instructions": .string("Write in second person, present tense. Keep replies under 200 words."),
            "plotEssentials": .string(description(seed: seed + 1, length: 200)),
            "authorsNotes": .string("Tone: melancholy, wry. Pacing: slow build."),
            "openingScene": .string(description(seed: seed + 2, length: 400)),
            "playerDescription": .string("A courier carrying a letter whose seal must not be broken."),
            "tags": .array([.string("fantasy"), .string("mystery"), .string("bench")]),
            "cards": .array((0..<cardCount).map { card($0, seed: seed) }),
        ])])
    }
}
