/// The offline storyteller's summary rewrite: no model, only sentences taken from the story. From each
/// turn since the last rewrite it keeps what carries the most: the player's action in the second person,
/// the first sentence of each answer (where a scene usually states what happens) and any later sentence
/// that names a card (a person, place or thing the story keeps track of). The old summary comes first;
/// when the whole is over `limit` characters the oldest sentences go, so the summary stays the story's
/// most recent part, never cut inside a sentence.
public enum ExtractiveSummary {
    public static let defaultLimit = 1_200

    public static func rewrite(previous: String, turns: [PromptTurn], names: [String], limit: Int = defaultLimit) -> String {
        var sentences = split(previous)
        let lowercasedNames = names.map { $0.lowercased() }.filter { !$0.isEmpty }
        for turn in turns {
            switch turn.speaker {
            case .player(let kind):
                var action = ActionFormatter.format(kind ?? .do, turn.text)
                if action.hasPrefix("> ") { action.removeFirst(2) }
                if !action.isEmpty { sentences.append(action) }
            case .ai:
                let said = split(turn.text)
                guard let first = said.first else { continue }
                sentences.append(first)
                for sentence in said.dropFirst() {
                    let lowered = sentence.lowercased()
                    if lowercasedNames.contains(where: { lowered.contains($0) }) { sentences.append(sentence) }
                }
            }
        }
        // The newest sentences are kept; a single sentence over the limit is kept alone rather than cut.
        var kept: [String] = []
        var length = 0
        for sentence in sentences.reversed() {
            let added = sentence.count + (kept.isEmpty ? 0 : 1)
            if length + added > limit, !kept.isEmpty { break }
            kept.append(sentence)
            length += added
        }
        return kept.reversed().joined(separator: " ")
    }

    /// Sentences end at `.`, `!`, `?` or `…`, with any closing quotes or brackets that follow, before
    /// whitespace; lines are sentences too (a heading or a line of verse ends without a stop).
    static func split(_ text: String) -> [String] {
        let enders: Set<Character> = [".", "!", "?", "…"]
        let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]", "»"]
        var sentences: [String] = []
        var current = ""
        var ended = false
        func finish() {
            let trimmed = current.trimmingWhitespace()
            if !trimmed.isEmpty { sentences.append(trimmed) }
            current = ""
            ended = false
        }
        for character in text {
            if character.isNewline {
                finish()
                continue
            }
            if ended, character.isWhitespace {
                finish()
                continue
            }
            current.append(character)
            if enders.contains(character) {
                ended = true
            } else if ended, !closers.contains(character) {
                ended = false
            }
        }
        finish()
        return sentences
    }
}
