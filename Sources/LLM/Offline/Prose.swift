import ImaginAICore

/// Reading prose as sentences: where one ends, what words it has, and a key that tells two sentences
/// are the same whatever their spacing, case or punctuation.
public enum Prose {
    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "mt", "vs", "etc", "e.g", "i.e", "no", "jr", "sr", "prof", "capt", "lt", "sgt", "gen", "col"]

    /// The sentences of `text`, trimmed. A sentence ends at `.`, `!`, `?` or `…` (with any closing
    /// quotes or brackets after it) followed by white space, and at a line break. A full stop inside
    /// double quotes that goes on with a lowercase word ("…," she says) does not end it.
    public static func sentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        let characters = Array(text)
        var index = 0
        func flush() {
            let sentence = current.trimmingWhitespace()
            if !sentence.isEmpty { result.append(sentence) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            if character.isNewline {
                flush()
                index += 1
                continue
            }
            current.append(character)
            index += 1
            guard ".!?…".contains(character) else { continue }
            // Closing marks belong to the sentence they close.
            while index < characters.count, "\"”’')]*_".contains(characters[index]) {
                current.append(characters[index])
                index += 1
            }
            guard index == characters.count || characters[index].isWhitespace else { continue }
            if character == ".", let last = current.dropLast().split(whereSeparator: { $0 == " " }).last,
               abbreviations.contains(last.lowercased().trimming(".")) {
                continue
            }
            // Look past spaces: a lowercase word goes on with the same sentence ("Wait!" she says).
            var next = index
            while next < characters.count, characters[next] == " " { next += 1 }
            if next < characters.count, characters[next].isLowercase { continue }
            flush()
        }
        flush()
        return result
    }

    /// The words of `text`, lowercased, letters, digits and inner apostrophes or hyphens only.
    public static func words(_ text: String) -> [String] {
        casedWords(text).map { $0.lowercased() }
    }

    /// The words of `text` as written (see `words`).
    static func casedWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || ((character == "'" || character == "’" || character == "-") && !current.isEmpty) {
                current.append(character == "’" ? "'" : character)
            } else if !current.isEmpty {
                words.append(current.trimming("'-"))
                current = ""
            }
        }
        if !current.isEmpty { words.append(current.trimming("'-")) }
        return words.filter { !$0.isEmpty }
    }

    /// Two sentences with the same key are the same sentence: words only, lowercased.
    public static func key(_ sentence: String) -> String {
        words(sentence).joined(separator: " ")
    }

    /// The UTF-8 offsets where `needle` starts in `haystack`, compared byte for byte (both are
    /// lowercased by the caller where case should not matter). Much faster than a search by
    /// characters, which matters on the story in view, read every turn.
    static func offsets(of needle: String, in haystack: String, wholeWords: Bool = false) -> [Int] {
        var haystack = haystack
        var needle = needle
        return haystack.withUTF8 { text in
            needle.withUTF8 { word in
                guard !word.isEmpty, text.count >= word.count else { return [] }
                var found: [Int] = []
                let first = word[0]
                var index = 0
                let last = text.count - word.count
                while index <= last {
                    if text[index] == first {
                        var matches = true
                        for offset in 1..<word.count where text[index + offset] != word[offset] {
                            matches = false
                            break
                        }
                        if matches && (!wholeWords || (isBoundary(text, index - 1) && isBoundary(text, index + word.count))) {
                            found.append(index)
                        }
                    }
                    index += 1
                }
                return found
            }
        }
    }

    /// Whether the byte at `index` (or the text's edge) does not continue a word. Bytes of multi-byte
    /// characters count as letters.
    private static func isBoundary(_ text: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        guard index >= 0 && index < text.count else { return true }
        let byte = text[index]
        let isWordByte = byte >= 0x80 || (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        return !isWordByte
    }

    /// Whether `haystack` holds `needle`, byte for byte.
    static func contains(_ needle: String, in haystack: String, wholeWords: Bool = false) -> Bool {
        !offsets(of: needle, in: haystack, wholeWords: wholeWords).isEmpty
    }

    /// Whether the double quotes of `text` pair up: straight ones come in even numbers, curly ones open
    /// before they close.
    public static func quotesBalanced(_ text: String) -> Bool {
        var straight = 0
        var curlyDepth = 0
        for character in text {
            switch character {
            case "\"": straight += 1
            case "“": curlyDepth += 1
            case "”":
                curlyDepth -= 1
                if curlyDepth < 0 { return false }
            default: break
            }
        }
        return straight % 2 == 0 && curlyDepth == 0
    }

    /// Whether the sentence has a finite verb of its own or inside its quotes (see `Lexicon.hasFiniteVerb`).
    public static func hasVerb(_ sentence: String) -> Bool {
        Lexicon.hasFiniteVerb(words(sentence))
    }
}

extension StringProtocol {
    /// Without the given characters at either end.
    func trimming(_ set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }

    /// The first letter in upper case.
    var capitalizedFirst: String {
        guard let first else { return "" }
        return first.uppercased() + dropFirst()
    }
}
