/// Ends a model's answer where the model starts writing the prompt's own lines instead of story: a line
/// whose first visible character is `>` (a player action, as `ActionFormatter` writes them) or `[` (a
/// card or the author's note, as the prompt writes them). Those lines and everything after them are the
/// model playing the player's part or echoing its instructions, never the story.
///
/// It reads the answer as it streams and holds back only what could still turn out to be the start of
/// such a line: the line break(s) and blanks since the last visible character. Everything else passes
/// at once, so what it returns can be sent to the client as it arrives and never needs taking back.
/// All the characters it looks at are ASCII, which never occur inside a multi-byte UTF-8 sequence, so it
/// works on bytes and cuts only between whole characters.
public struct StoryCutter: Sendable {
    /// Stop sequences for providers that take them (a line break before the marker: a provider cannot
    /// express "at the start of the answer" or "after blanks", which the cutter itself covers).
    public static let stopSequences = ["\n>", "\n["]

    /// Whether the answer has been cut: everything fed from then on is dropped.
    public private(set) var isCut = false
    /// Whether the next visible character starts a line (true before the first one).
    private var atLineStart = true
    /// Line breaks and blanks held back since the last visible character, while at a line start.
    private var held: [UInt8] = []

    public init() {}

    /// The part of `piece` that can be shown now; empty once the answer is cut, or while it is held back.
    public mutating func feed(_ piece: String) -> String {
        if isCut { return "" }
        // Mid-line with no line break in the piece (most pieces): nothing can start a marker.
        if !atLineStart && !piece.utf8.contains(where: { $0 == Self.newline || $0 == Self.carriageReturn }) {
            return piece
        }
        return feedBytes(piece)
    }

    /// What is still held back when the answer ends without a cut (only line breaks and blanks).
    public mutating func finish() -> String {
        defer { held = [] }
        return isCut ? "" : String(decoding: held, as: UTF8.self)
    }

    private mutating func feedBytes(_ piece: String) -> String {
        let bytes = piece.utf8
        var output: [UInt8] = []
        // Start of what this piece has not yet passed on or held.
        var pending = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if atLineStart {
                switch byte {
                case Self.newline, Self.carriageReturn, Self.space, Self.tab:
                    break
                case Self.actionMarker, Self.bracket:
                    isCut = true
                    held = []
                    return String(decoding: output, as: UTF8.self)
                default:
                    // A visible character: what was held back was only white space after all.
                    output += held
                    held = []
                    atLineStart = false
                }
            } else if byte == Self.newline || byte == Self.carriageReturn {
                output += bytes[pending..<index]
                pending = index
                atLineStart = true
            }
            index = bytes.index(after: index)
        }
        if atLineStart {
            held += bytes[pending...]
        } else {
            output += bytes[pending...]
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let actionMarker = UInt8(ascii: ">")
    private static let bracket = UInt8(ascii: "[")
}
