/// Clean-ups applied to what users type into list-like fields, wherever it comes from (editor, import).
public enum TextNormalization {
    /// Trigger keys: trimmed, empties dropped, exact repeats dropped, order kept.
    public static func keys(_ raw: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for key in raw {
            let trimmed = key.trimmingWhitespace()
            if trimmed.isEmpty || !seen.insert(trimmed).inserted { continue }
            result.append(trimmed)
        }
        return result
    }

    /// Tags: like keys, but repeats are found case-insensitively ("Noir" and "noir" are one tag).
    public static func tags(_ raw: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for tag in raw {
            let trimmed = tag.trimmingWhitespace()
            if trimmed.isEmpty || !seen.insert(trimmed.lowercased()).inserted { continue }
            result.append(trimmed)
        }
        return result
    }

    /// Splits the comma-separated lists older tools write ("a, b,c") into items.
    public static func splitCommaList(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first `limit` characters of `text` on one line, cut at a word boundary with an ellipsis.
    public static func excerpt(_ text: String, limit: Int = 160) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingWhitespace()
        guard oneLine.count > limit else { return oneLine }
        let prefix = oneLine.prefix(limit)
        let cut = prefix.lastIndex(of: " ").map { prefix[..<$0] } ?? prefix
        return cut.trimmingWhitespace() + "…"
    }
}

extension StringProtocol {
    /// Trims Unicode white space (including no-break spaces) from both ends.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
