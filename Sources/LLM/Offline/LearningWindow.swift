import ImaginAICore

extension OfflineStoryteller {
    /// How much of the story so far the storyteller learns from, in estimated tokens, newest first.
    ///
    /// Building the trigram model costs time in proportion to its material, and composing with it a good
    /// deal more; the prompt's history alone can fill the whole 8k context once an adventure is a few
    /// dozen turns long, so without a bound every turn of a long adventure cost several times one of a
    /// new adventure. About a dozen recent exchanges keep the story on what just happened; the plot
    /// essentials and the triggered cards, always learnt whole, keep its world.
    public static let historyWindowTokens = 2_000

    /// The text the storyteller learns from: the plot essentials and the triggered cards as they are, then
    /// the newest paragraphs of `history` (the prompt's history section: turns separated by blank lines)
    /// while they fit `windowTokens`. The newest paragraph is always kept. Older paragraphs are not read,
    /// so the cost does not grow with the history.
    public static func learningMaterial(
        plotEssentials: String?, cards: String?, history: String?, windowTokens: Int = historyWindowTokens
    ) -> String {
        var parts = [plotEssentials, cards].compactMap { $0 }.filter { !$0.isEmpty }
        if let history, !history.isEmpty {
            parts.append(newestParagraphs(of: history, tokens: windowTokens))
        }
        return parts.joined(separator: "\n\n")
    }

    /// The tail of `text` made of whole paragraphs (split at blank lines, "\n\n") whose estimated tokens
    /// add up to at most `tokens`; at least the last paragraph. Scans backwards and stops at the first
    /// paragraph that does not fit.
    static func newestParagraphs(of text: String, tokens budget: Int) -> String {
        let bytes = text.utf8
        var used = 0
        var start = bytes.endIndex  // where the kept tail begins
        var end = bytes.endIndex  // the end of the paragraph being looked at
        var index = bytes.endIndex
        while index > bytes.startIndex {
            let previous = bytes.index(before: index)
            let isBreak = bytes[previous] == UInt8(ascii: "\n") && previous > bytes.startIndex
                && bytes[bytes.index(before: previous)] == UInt8(ascii: "\n")
            if isBreak || previous == bytes.startIndex {
                let paragraphStart = isBreak ? index : previous
                let cost = TokenEstimator.estimate(String(text[paragraphStart..<end]))
                if used + cost > budget && start != bytes.endIndex { break }
                used += cost
                start = paragraphStart
                if !isBreak { break }
                // Past the blank line: the next paragraph ends before it.
                end = bytes.index(before: previous)
                index = end
                continue
            }
            index = previous
        }
        return String(text[start...])
    }
}
