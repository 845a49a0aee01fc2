import Foundation
import ImaginAIProtocol
import Testing

// The writer skips eight clean bytes at a time; every escapable byte, at every offset within and across
// those words, must still come out exactly as JSONEncoder writes it.
@Test func writerEscapesLikeJSONEncoderAtEveryOffset() throws {
    let specials: [String] = ["\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{8}", "\u{C}", "\r", "é", "漢", "🙂", "/", "\u{7F}"]
    for special in specials {
        for length in 0..<20 {
            for position in 0...length {
                var text = String(repeating: "a", count: length)
                text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                var out = JSONOutput()
                out.string(text)
                let expected = Array(try JSONCoding.encode(text))
                #expect(out.bytes == expected, "\(special.debugDescription) at \(position) of \(length)")
            }
        }
    }
}

@Test func writerCleanWordTestFlagsOnlyBytesThatNeedEscaping() {
    for byte in UInt8.min...UInt8.max {
        for lane in 0..<8 {
            var word = Array(repeating: UInt8(ascii: "a"), count: 8)
            word[lane] = byte
            let value = word.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let escapable = byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
            #expect(JSONOutput.needsEscape(value) == escapable, "byte \(byte) in lane \(lane)")
        }
    }
}

@Test func writerIntegersMatchStringConversion() {
    let values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, 12_345, -987_654_321, .max, .min, .max - 1, .min + 1]
    for value in values {
        var out = JSONOutput()
        out.int(value)
        #expect(String(decoding: out.bytes, as: UTF8.self) == String(value))
        var small = JSONOutput()
        small.int(Int32(truncatingIfNeeded: value))
        #expect(String(decoding: small.bytes, as: UTF8.self) == String(Int32(truncatingIfNeeded: value)))
    }
    // Beyond Int64: the general conversion.
    var wide = JSONOutput()
    wide.int(UInt64.max)
    #expect(String(decoding: wide.bytes, as: UTF8.self) == "18446744073709551615")
}
