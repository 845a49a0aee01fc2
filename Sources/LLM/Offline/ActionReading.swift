import Foundation
import ImaginAICore

/// What the player's action asks of the story: its kind (read from the action line at the end of the
/// story text), the action in the second person ("You open the logbook"), and the words it is about.
struct ActionReading {
    enum Kind { case doing, saying, story }

    var kind: Kind?
    /// A `do` action as the story's own words: "You look around the lamp room".
    var phrase: [String] = []
    /// What the action is about, most telling first: phrases of one or two words the material has.
    var terms: [[String]] = []
    var speech = ""

    init(request: GenerationRequest, model: TrigramModel) {
        let lastLine = Self.lastLine(of: request.story)
        // A retry has no action of its own: it answers the action line the story ends with, if any.
        var fromLine: String?
        if lastLine.hasPrefix("> You say") {
            fromLine = String(lastLine.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: " \"“”"))
        } else if lastLine.hasPrefix("> ") {
            fromLine = String(lastLine.dropFirst(2))
        }
        guard let text = (request.action ?? fromLine)?.trimmingWhitespace(), !text.isEmpty else { return }
        var words: [String]
        if lastLine.hasPrefix("> You say") {
            kind = .saying
            speech = text
            words = TrigramModel.tokenize(text)
        } else if lastLine.hasPrefix(">") {
            kind = .doing
            var line = ActionFormatter.format(.do, text)
            if line.hasPrefix("> ") { line.removeFirst(2) }
            phrase = TrigramModel.tokenize(line).map { Self.secondPerson[$0.lowercased()] ?? $0 }
            while let last = phrase.last, last.first?.isLetter != true { phrase.removeLast() }
            if phrase.first?.lowercased() == "you" { phrase[0] = "You" }
            // The verb says what is done, not what to: "open the logbook" is about the logbook.
            words = Array(phrase.dropFirst(2))
        } else {
            kind = .story
            words = TrigramModel.tokenize(text)
        }
        let content = words.map { $0.first?.isLetter == true && $0.count >= 3 && !TrigramModel.commonWords.contains($0.lowercased()) && !Self.minor.contains($0.lowercased()) ? $0 : nil }
        // Objects come last in English: "the lamp room", then "room", then "lamp".
        for index in content.indices.reversed() where index > 0 {
            if let first = content[index - 1], let second = content[index], model.contains(phrase: [first, second]) {
                terms.append([first, second])
            }
        }
        for word in content.reversed().compactMap({ $0 }) where model.contains(phrase: [word]) {
            terms.append([word])
        }
    }

    /// The story's last line that is neither blank nor the author's note, trimmed; "" if none. Read from
    /// the end, so a long story costs no more than a short one.
    static func lastLine(of story: String) -> String {
        var end = story.endIndex
        while end > story.startIndex {
            var start = end
            while start > story.startIndex, !story[story.index(before: start)].isNewline {
                start = story.index(before: start)
            }
            let trimmed = story[start..<end].trimmingWhitespace()
            if !trimmed.isEmpty && !trimmed.hasPrefix("[Author's note") { return trimmed }
            guard start > story.startIndex else { break }
            end = story.index(before: start)
        }
        return ""
    }

    static let secondPerson: [String: String] = [
        "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
        "i'm": "you're", "i’m": "you’re", "i've": "you've", "i'll": "you'll", "i'd": "you'd",
    ]
    static let minor: Set<String> = ["the", "and", "you", "your", "yours", "are", "for", "but", "not", "its", "her", "his", "him", "she", "they", "all", "any", "can", "now", "out", "off", "how", "who", "why", "yes"]

    /// A reply to something said aloud: a character the story has brought up reacts, or no one answers.
    func reply(cards: [StoryMaterial.Card], mentioned: [String], random: inout SeededRandom) -> [String] {
        let characters = cards.filter(\.isCharacter)
        let spoken = TrigramModel.tokenize(speech).map { $0.lowercased() }
        let addressed = characters.first { card in TrigramModel.tokenize(card.name).contains { spoken.contains($0.lowercased()) } }
        let listener = addressed
            ?? mentioned.lazy.compactMap { name in characters.first { $0.name == name } }.first
            ?? characters.first
        guard let listener else {
            let lines = [
                "No one answers.",
                "Nothing answers but the echo of your own voice.",
                "Your words hang in the air, and no one answers them.",
                "For a long moment there is no answer at all.",
            ]
            return TrigramModel.tokenize(lines.randomElement(using: &random)!)
        }
        let (subject, possessive) = switch listener.pronoun {
        case "she": ("she", "her")
        case "he": ("he", "his")
        case "it": ("it", "its")
        default: ("they", "their")
        }
        let verbEnding = subject == "they" ? "" : "s"
        let lines = [
            "\(listener.name) shake\(verbEnding) \(possessive) head.",
            "\(listener.name) look\(verbEnding) at you for a long moment and say\(verbEnding) nothing.",
            "\(listener.name) do\(subject == "they" ? "" : "es") not answer at once.",
            "\(listener.name) hear\(verbEnding) you, but \(subject) \(subject == "they" ? "do" : "does") not turn.",
        ]
        return TrigramModel.tokenize(lines.randomElement(using: &random)!)
    }
}
