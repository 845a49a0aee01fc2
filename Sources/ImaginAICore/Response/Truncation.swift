/// Cuts a response that ran into the length limit back to its last complete sentence, so the story never
/// ends mid-word. A sentence ends at `.`, `!`, `?` or `…` (also `...`), together with any closing quotes
/// or brackets right after it (`"Go."` keeps its quote).
public enum Truncation {
    /// The text up to and including its last complete sentence, or nil when it has none (then the text
    /// is better kept as it is than emptied).
    public static func toLastSentence(_ text: String) -> String? {
        let characters = Array(text)
        let terminators: Set<Character> = [".", "!", "?", "…", "。", "！", "？"]
        let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]", "»", "*", "」", "』"]
        var index = characters.count - 1
        while index >= 0 {
            if terminators.contains(characters[index]) {
                var end = index + 1
                while end < characters.count && (terminators.contains(characters[end]) || closers.contains(characters[end])) {
                    end += 1
                }
                // A terminator inside a word ("3.5", "e.g.x") is not a sentence end.
                // Full-width stops of unspaced scripts are followed by the next sentence directly.
                let fullWidth = "。！？".contains(characters[index])
                if end < characters.count && !characters[end].isWhitespace && !fullWidth { index -= 1; continue }
                let kept = String(characters[0..<end]).trimmingWhitespace()
                return kept.isEmpty ? nil : kept
            }
            index -= 1
        }
        return nil
    }
}
