import Foundation

/// Which story cards the recent text mentions. Built once per card set (keep it while the cards are
/// unchanged) and then scans any text in one pass whose cost depends on the text, not on how many cards
/// or keys there are: plain keys go into one Aho-Corasick automaton over Unicode scalars.
///
/// Matching rules:
/// - case-insensitive and canonical-equivalence-insensitive ("Zoë" typed either way matches);
/// - whole words: a key that starts (ends) with a letter or digit must not have a letter or digit right
///   before (after) it, so "Ann" does not fire inside "Annual"; keys of several words ("black market")
///   match across any run of white space;
/// - scripts written without spaces (Chinese, Japanese, Thai, …) have no word boundaries to check, so
///   their keys match anywhere;
/// - a key written `/pattern/flags` is a regular expression (SillyTavern style; flag `i` ignores case).
///   Regex keys are scanned one by one, so their cost does grow with their number.
public final class TriggerMatcher: Sendable {
    /// A card that fired: which key fired it and where its latest mention ends (in Unicode scalars from
    /// the start of the scanned text), so the most recently mentioned card can come first.
    public struct Hit: Equatable, Sendable {
        public var card: Int
        public var key: String
        public var position: Int
    }

    private let automaton: Automaton
    /// For each plain pattern: the (card, key as written, boundary rule) that use it.
    private let owners: [[Owner]]
    private let regexKeys: [RegexKey]

    private struct Owner: Sendable {
        var card: Int
        var key: String
        var checkStart: Bool
        var checkEnd: Bool
        var length: Int
    }

    private struct RegexKey: @unchecked Sendable {
        // Regex is not Sendable; this one is never mutated after init and only read for matching.
        var card: Int
        var key: String
        var regex: Regex<AnyRegexOutput>
    }

    /// `cards[i]` are card i's keys. Invalid regex keys are ignored (see `invalidKeys`).
    public init(cards: [[String]]) {
        var builder = Automaton.Builder()
        var owners: [[Owner]] = []
        var regexKeys: [RegexKey] = []
        var patternIndex: [[UInt32]: Int] = [:]
        for (card, keys) in cards.enumerated() {
            for key in keys {
                if let regex = Self.regex(from: key) {
                    regexKeys.append(RegexKey(card: card, key: key, regex: regex))
                    continue
                }
                let scalars = Self.fold(key)
                guard let first = scalars.first, let last = scalars.last else { continue }
                let owner = Owner(
                    card: card, key: key,
                    checkStart: Self.needsBoundary(first), checkEnd: Self.needsBoundary(last),
                    length: scalars.count)
                if let existing = patternIndex[scalars] {
                    owners[existing].append(owner)
                } else {
                    let id = owners.count
                    patternIndex[scalars] = id
                    owners.append([owner])
                    builder.insert(scalars, pattern: Int32(id))
                }
            }
        }
        self.automaton = builder.build()
        self.owners = owners
        self.regexKeys = regexKeys
    }

    /// Keys that look like regular expressions but do not compile, so an editor can point at them.
    public static func invalidKeys(_ keys: [String]) -> [String] {
        keys.filter { isRegexKey($0) && regex(from: $0) == nil }
    }

    /// Every card mentioned in `text`, most recently mentioned first, each with the key of its latest mention.
    public func scan(_ text: String) -> [Hit] {
        latestMentions(in: [text])
            .map { Hit(card: $0.key, key: $0.value.key, position: $0.value.position) }
            .sorted { $0.position != $1.position ? $0.position > $1.position : $0.card < $1.card }
    }

    /// The latest mention of a card's keys within a text made of segments (turns, oldest first).
    struct Mention: Sendable {
        var key: String
        /// The segment it ends in: what decides whether it lies inside a window of the newest segments.
        var segment: Int
        /// Where it ends, in folded scalars from the start of the whole text; a larger value is more recent.
        var position: Int
    }

    /// The latest mention of each card (key list) in `segments`, read as one text with a line break
    /// between segments, in one pass. Each mention says which segment it ends in, so callers can judge
    /// windows of different depths from this single scan.
    func latestMentions(in segments: [String]) -> [Int: Mention] {
        var latest: [Int: Mention] = [:]
        func record(card: Int, key: String, segment: Int, position: Int) {
            if let existing = latest[card], existing.position >= position { return }
            latest[card] = Mention(key: key, segment: segment, position: position)
        }

        var scalars: [UInt32] = []
        scalars.reserveCapacity(segments.reduce(segments.count) { $0 + $1.utf8.count })
        // segmentStarts[i]: where segment i begins in `scalars`; the separator belongs to the segment
        // before it.
        var segmentStarts: [Int] = []
        segmentStarts.reserveCapacity(segments.count)
        for (index, segment) in segments.enumerated() {
            if index > 0 && scalars.last != 0x20 { scalars.append(0x20) }
            segmentStarts.append(scalars.count)
            Self.fold(segment, into: &scalars)
        }

        // Matches are reported in increasing end order, so the segment only ever moves forward.
        var segment = 0
        automaton.scan(scalars) { pattern, end in
            while segment + 1 < segmentStarts.count && segmentStarts[segment + 1] < end { segment += 1 }
            for owner in owners[Int(pattern)] {
                let start = end - owner.length
                if owner.checkStart && start > 0 && Self.isWordScalar(scalars[start - 1]) { continue }
                if owner.checkEnd && end < scalars.count && Self.isWordScalar(scalars[end]) { continue }
                record(card: owner.card, key: owner.key, segment: segment, position: end)
            }
        }

        if !regexKeys.isEmpty {
            // Regexes run on the text as written (only canonically composed), whose scalar offsets differ
            // from the folded text's: a match is placed by its segment exactly and within the segment by
            // its offset there, which is close enough to rank it against plain mentions.
            var normalizedStarts: [Int] = []
            var normalized = ""
            var offset = 0
            for (index, text) in segments.enumerated() {
                if index > 0 {
                    normalized += "\n"
                    offset += 1
                }
                normalizedStarts.append(offset)
                let composed = text.precomposedStringWithCanonicalMapping
                normalized += composed
                offset += composed.unicodeScalars.count
            }
            for key in regexKeys {
                guard let match = normalized.matches(of: key.regex).last else { continue }
                let end = normalized.unicodeScalars.distance(from: normalized.unicodeScalars.startIndex, to: match.range.upperBound)
                // The segment holding the match's last scalar.
                var segment = normalizedStarts.count - 1
                while segment > 0 && normalizedStarts[segment] >= end { segment -= 1 }
                let segmentEnd = segment + 1 < segmentStarts.count ? segmentStarts[segment + 1] : scalars.count
                let position = min(segmentStarts[segment] + end - normalizedStarts[segment], segmentEnd)
                record(card: key.card, key: key.key, segment: segment, position: position)
            }
        }
        return latest
    }

    // MARK: Text folding and word boundaries

    /// Canonical composition then lowercasing, as scalar values: both keys and text go through this, so
    /// comparing scalars compares what a reader would call the same letters.
    /// Runs of white space (line breaks included) become one space, so "black  market" split over a
    /// line still matches the key "black market".
    static func fold(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count)
        fold(text, into: &out)
        return out
    }

    /// Appends `text` folded; white space at its start joins a space already at the end of `out`.
    static func fold(_ text: String, into out: inout [UInt32]) {
        var inSpace = out.last == 0x20
        // ASCII, most of any English story, is its own canonical composition and lowercases byte by
        // byte: no Foundation normalisation or Unicode property lookups for it.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            for byte in text.utf8 {
                if byte == 0x20 || (0x09...0x0D).contains(byte) {
                    if !inSpace { out.append(0x20) }
                    inSpace = true
                } else {
                    out.append(UInt32((0x41...0x5A).contains(byte) ? byte | 0x20 : byte))
                    inSpace = false
                }
            }
            return
        }
        for scalar in text.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inSpace { out.append(0x20) }
                inSpace = true
            } else {
                out.append(scalar.value)
                inSpace = false
            }
        }
    }

    static func isWordScalar(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        if value < 0x80 {
            return (value >= 0x30 && value <= 0x39) || (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A) || value == 0x5F
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return properties.isAlphabetic
        }
    }

    /// A key edge needs a boundary check only if it is a word character of a script that separates
    /// words with spaces.
    static func needsBoundary(_ value: UInt32) -> Bool {
        isWordScalar(value) && !isUnspacedScript(value)
    }

    static func isUnspacedScript(_ value: UInt32) -> Bool {
        switch value {
        case 0x0E00...0x0EFF,  // Thai, Lao
             0x1000...0x109F,  // Myanmar
             0x1780...0x17FF,  // Khmer
             0x2E80...0x2FDF,  // CJK radicals
             0x3005...0x3007, 0x3040...0x30FF, 0x31F0...0x31FF,  // Japanese kana and marks
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF,  // Han
             0xFF66...0xFF9F,  // half-width katakana
             0x20000...0x3134F:  // Han extensions
            return true
        default:
            return false
        }
    }

    // MARK: Regex keys

    static func isRegexKey(_ key: String) -> Bool {
        guard key.count >= 3, key.hasPrefix("/") else { return false }
        guard let close = key.lastIndex(of: "/"), close != key.startIndex else { return false }
        return key[key.index(after: close)...].allSatisfy { "imsux".contains($0) }
    }

    static func regex(from key: String) -> Regex<AnyRegexOutput>? {
        guard isRegexKey(key), let close = key.lastIndex(of: "/") else { return nil }
        let pattern = String(key[key.index(after: key.startIndex)..<close])
        let flags = key[key.index(after: close)...]
        guard !pattern.isEmpty, var regex = try? Regex(pattern) else { return nil }
        if flags.contains("i") { regex = regex.ignoresCase() }
        if flags.contains("s") { regex = regex.dotMatchesNewlines() }
        if flags.contains("m") { regex = regex.anchorsMatchLineEndings() }
        // A pattern that matches the empty string would fire on every text: treat it as invalid.
        if (try? regex.wholeMatch(in: "")) != nil { return nil }
        return regex
    }
}
