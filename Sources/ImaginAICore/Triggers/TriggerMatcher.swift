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
        var latest: [Int: Hit] = [:]
        func record(card: Int, key: String, position: Int) {
            if let existing = latest[card], existing.position >= position { return }
            latest[card] = Hit(card: card, key: key, position: position)
        }

        let scalars = Self.fold(text)
        automaton.scan(scalars) { pattern, end in
            for owner in owners[Int(pattern)] {
                let start = end - owner.length
                if owner.checkStart && start > 0 && Self.isWordScalar(scalars[start - 1]) { continue }
                if owner.checkEnd && end < scalars.count && Self.isWordScalar(scalars[end]) { continue }
                record(card: owner.card, key: owner.key, position: end)
            }
        }

        if !regexKeys.isEmpty {
            let normalized = text.precomposedStringWithCanonicalMapping
            for key in regexKeys {
                guard let match = normalized.matches(of: key.regex).last else { continue }
                let end = normalized.unicodeScalars.distance(from: normalized.unicodeScalars.startIndex, to: match.range.upperBound)
                record(card: key.card, key: key.key, position: end)
            }
        }
        return latest.values.sorted { $0.position != $1.position ? $0.position > $1.position : $0.card < $1.card }
    }

    // MARK: Text folding and word boundaries

    /// Canonical composition then lowercasing, as scalar values: both keys and text go through this, so
    /// comparing scalars compares what a reader would call the same letters.
    /// Runs of white space (line breaks included) become one space, so "black  market" split over a
    /// line still matches the key "black market".
    static func fold(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count)
        var inSpace = false
        for scalar in text.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inSpace { out.append(0x20) }
                inSpace = true
            } else {
                out.append(scalar.value)
                inSpace = false
            }
        }
        return out
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
