/// Finds where text stops being JSON, so a person can be sent to the line and column to fix.
///
/// Foundation's decoder says what went wrong but, for most problems (an unclosed string, a file cut
/// short), not where. This scan only runs after the decoder has refused the text, so it favours plain
/// messages over speed; it keeps its own stack instead of recursing so deep nesting cannot overflow.
public enum JSONSyntax {
    public struct Problem: Sendable, Equatable {
        /// UTF-8 byte offset into the text.
        public var offset: Int
        /// 1-based, counting lines ended by "\n".
        public var line: Int
        /// 1-based, counting characters (Unicode scalars) from the start of the line.
        public var column: Int
        public var reason: String
    }

    /// The first syntax error of `text`, or nil when it is one well-formed JSON value.
    public static func firstProblem(in text: String) -> Problem? {
        let bytes = Array(text.utf8)
        guard let (offset, reason) = scan(bytes) else { return nil }
        let (line, column) = position(of: offset, in: bytes)
        return Problem(offset: offset, line: line, column: column, reason: reason)
    }

    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // Continuation bytes belong to the character already counted.
                column += 1
            }
        }
        return (line, column)
    }

    private enum Expectation {
        case value, valueOrClose, key, keyOrClose, colon, commaOrClose, end
    }

    private static func scan(_ bytes: [UInt8]) -> (Int, String)? {
        var index = 0
        var open: [UInt8] = []
        var expectation = Expectation.value
        func afterValue() -> Expectation { open.isEmpty ? .end : .commaOrClose }

        while true {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            guard index < bytes.count else {
                if expectation == .end { return nil }
                if open.isEmpty { return (index, "the text ends where a value was expected") }
                let what = open.last == UInt8(ascii: "{") ? "an object ('{')" : "an array ('[')"
                return (index, "the text ends before \(what) opened earlier is closed; is the file cut short?")
            }
            let byte = bytes[index]
            switch expectation {
            case .value, .valueOrClose:
                if expectation == .valueOrClose, byte == UInt8(ascii: "]") {
                    open.removeLast()
                    index += 1
                    expectation = afterValue()
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"):
                    open.append(byte)
                    index += 1
                    expectation = .keyOrClose
                case UInt8(ascii: "["):
                    open.append(byte)
                    index += 1
                    expectation = .valueOrClose
                case UInt8(ascii: "\""):
                    if let problem = skipString(bytes, &index) { return problem }
                    expectation = afterValue()
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let problem = skipNumber(bytes, &index) { return problem }
                    expectation = afterValue()
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word = byte == UInt8(ascii: "t") ? "true" : byte == UInt8(ascii: "f") ? "false" : "null"
                    guard bytes[index...].starts(with: word.utf8) else { return (index, "expected a value but found \(found(bytes, index))") }
                    index += word.utf8.count
                    expectation = afterValue()
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    return (index, "expected a value but found \(found(bytes, index)); is there a comma too many before it?")
                default:
                    return (index, "expected a value (a string in double quotes, a number, an object, an array, true, false or null) but found \(found(bytes, index))")
                }
            case .key, .keyOrClose:
                if expectation == .keyOrClose, byte == UInt8(ascii: "}") {
                    open.removeLast()
                    index += 1
                    expectation = afterValue()
                } else if byte == UInt8(ascii: "\"") {
                    if let problem = skipString(bytes, &index) { return problem }
                    expectation = .colon
                } else if byte == UInt8(ascii: "}") {
                    return (index, "expected a field name but found '}'; is there a comma too many before it?")
                } else {
                    return (index, "expected a field name in double quotes but found \(found(bytes, index))")
                }
            case .colon:
                guard byte == UInt8(ascii: ":") else { return (index, "expected ':' after the field name but found \(found(bytes, index))") }
                index += 1
                expectation = .value
            case .commaOrClose:
                let inObject = open.last == UInt8(ascii: "{")
                if byte == UInt8(ascii: ",") {
                    index += 1
                    expectation = inObject ? .key : .value
                } else if byte == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    open.removeLast()
                    index += 1
                    expectation = afterValue()
                } else {
                    return (index, "expected ',' or '\(inObject ? "}" : "]")' but found \(found(bytes, index)); is a comma missing?")
                }
            case .end:
                return (index, "more text follows the end of the JSON value: found \(found(bytes, index))")
            }
        }
    }

    /// `index` is at the opening quote; on success it is just past the closing one.
    private static func skipString(_ bytes: [UInt8], _ index: inout Int) -> (Int, String)? {
        let start = index
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return nil
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else {
                    index += 1
                    continue
                }
                let escaped = bytes[index + 1]
                if escaped == UInt8(ascii: "u") {
                    let digits = bytes[(index + 2)..<min(index + 6, bytes.count)]
                    guard digits.count == 4, digits.allSatisfy(isHexDigit) else {
                        return (index, "'\\u' in a string must be followed by four hexadecimal digits")
                    }
                    index += 6
                } else if Array(#""\/bfnrt"#.utf8).contains(escaped) {
                    index += 2
                } else {
                    return (index, "'\\\(Character(Unicode.Scalar(escaped)))' is not an escape JSON knows; write '\\\\' for a backslash")
                }
            case 0x00..<0x20:
                return (index, byte == 0x0A
                    ? "a line break inside a string; is its closing quote missing, or should it be written '\\n'?"
                    : "a control character inside a string; write it as an escape such as '\\t'")
            default:
                index += 1
            }
        }
        return (index, "the text ends inside the string that starts at line \(position(of: start, in: bytes).line), column \(position(of: start, in: bytes).column); is the file cut short?")
    }

    private static func skipNumber(_ bytes: [UInt8], _ index: inout Int) -> (Int, String)? {
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let whole = digits()
        guard whole > 0 else { return (index, "a number needs digits after '-'") }
        if leadingZero, whole > 1 { return (start, "a number cannot start with 0 unless it is 0 (found \(found(bytes, start)))") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return (index, "a number needs digits after its decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return (index, "a number needs digits in its exponent") }
        }
        return nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    /// The text at `index`, quoted, short enough for one line.
    private static func found(_ bytes: [UInt8], _ index: Int) -> String {
        var end = index
        var characters = 0
        while end < bytes.count, characters < 12, bytes[end] != 0x0A {
            end += 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            characters += 1
        }
        let text = String(decoding: bytes[index..<end], as: UTF8.self)
        return "'\(text)\(end < bytes.count && bytes[end] != 0x0A ? "…" : "")'"
    }
}
