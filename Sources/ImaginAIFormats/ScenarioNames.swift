import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol

/// What an imported scenario is called when the file gives itself no title. Every import of a
/// lorebook used to be "Imported SillyTavern world", which tells a list of scenarios apart by nothing.
/// In order: the name of the file it came from (when the client sends it), the names of its first cards,
/// and only for a file with neither, "Untitled …".
enum ScenarioNames {
    /// `my_cards-v2.json` → "my cards v2": the last path component without its extension; in a name
    /// without spaces, underscores and hyphens stand for spaces. A name that already has spaces keeps them
    /// as written ("Half-Life 2 world.json" → "Half-Life 2 world"). Nil when nothing readable is left.
    static func fromFileName(_ fileName: String) -> String? {
        let base = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var stem = Substring(base)
        if let dot = base.lastIndex(of: "."), dot != base.startIndex {
            let fileExtension = base[base.index(after: dot)...]
            if (1...12).contains(fileExtension.count), fileExtension.allSatisfy({ $0.isLetter || $0.isNumber }) {
                stem = base[..<dot]
            }
        }
        let spaced = stem.contains(" ") ? String(stem) : String(stem.map { $0 == "_" || $0 == "-" ? " " : $0 })
        let name = CardEntries.foldedName(spaced)
        return name.isEmpty ? nil : name
    }

    static let cardListLength = 60

    /// "Eldoria, Shadowfang, Seraphina's Forest and 1 more": up to three distinct card names, as many as
    /// fit in about 60 characters (the first always, shortened at a word if it alone is longer).
    static func fromCards(_ cards: [CardDraft]) -> String? {
        var names: [String] = []
        for card in cards {
            let name = CardEntries.foldedName(card.name)
            guard !name.isEmpty, !names.contains(name) else { continue }
            if names.isEmpty {
                names.append(shortened(name, to: cardListLength))
            } else if names.count < 3, (names + [name]).joined(separator: ", ").count <= cardListLength {
                names.append(name)
            } else {
                break
            }
        }
        guard !names.isEmpty else { return nil }
        let rest = cards.count - names.count
        return rest > 0 ? names.joined(separator: ", ") + " and \(rest) more" : names.joined(separator: ", ")
    }

    static func untitled(_ format: ScenarioFileFormat) -> String {
        guard let cardFormat = format.cardFormat else { return "Untitled scenario" }
        return "Untitled " + CardFiles.describe(cardFormat).replacingOccurrences(of: "^(an?|the) ", with: "", options: .regularExpression)
    }

    private static func shortened(_ name: String, to limit: Int) -> String {
        guard name.count > limit else { return name }
        let cut = name.prefix(limit)
        let atWord = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return atWord.trimmingWhitespace() + "…"
    }
}

extension ScenarioImport {
    /// Gives the scenario a name when the file's reader found no title in it.
    mutating func nameUntitled(fileName: String?) {
        guard scenario.name.trimmingWhitespace().isEmpty else { return }
        if let fileName, let name = ScenarioNames.fromFileName(fileName) {
            scenario.name = name
            origins.fields["name"] = .param("fileName")
        } else if let name = ScenarioNames.fromCards(scenario.cards) {
            scenario.name = name
            origins.fields["name"] = .assembled(from: "the names of the first cards")
        } else {
            scenario.name = ScenarioNames.untitled(format)
            origins.fields["name"] = nil
        }
    }
}
