import Foundation

/// A value that writes its own JSON, byte for byte what `JSONCoding.encode` makes of it (sorted keys,
/// unescaped slashes), without the generic encoder's boxing, key sorting and dictionary building. The
/// hot response types (a scenario with its cards) conform; the connection uses it when it can.
public protocol JSONWritable {
    func writeJSON(to out: inout JSONOutput)
}

/// An output buffer of JSON text, with the same escaping as Foundation's `JSONEncoder` with
/// `.withoutEscapingSlashes`: `"` and `\` escaped, `\b \f \n \r \t` short, other controls `\u00XX`,
/// everything else (including non-ASCII) as UTF-8.
public struct JSONOutput {
    public var bytes: [UInt8]

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Text that is already JSON: punctuation and quoted keys, e.g. `{"id":`.
    @inlinable
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(validUTF8: $0) }
    }

    /// Writes `bytes` as a JSON string and returns true if they are all ASCII without NUL (text any
    /// reader takes as it is); otherwise writes nothing and returns false. One pass: the check rides on
    /// the escaping scan.
    public mutating func plainASCIIString(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let mark = bytes.count
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        var index = 0
        let count = utf8.count
        let high: UInt64 = 0x8080_8080_8080_8080
        while index < count {
            if index + 8 <= count {
                let word = UnsafeRawPointer(utf8.baseAddress! + index).loadUnaligned(as: UInt64.self)
                if word & high == 0 && !Self.needsEscape(word) {
                    index += 8
                    continue
                }
            }
            let byte = utf8[index]
            if byte == 0 || byte >= 0x80 {
                bytes.removeSubrange(mark...)
                return false
            }
            index += 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            let position = index - 1
            if start < position { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<position])) }
            start = index
            escape(byte)
        }
        if start < count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        bytes.append(UInt8(ascii: "\""))
        return true
    }

    /// The escape for one byte below 0x20, `"` or `\`.
    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
        case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                      hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }

    /// A string given as its UTF-8 bytes, which must be valid UTF-8 (the caller checked: e.g. stored
    /// text that is all ASCII, written without making a String of it).
    public mutating func string(validUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        var index = 0
        let count = utf8.count
        let raw = UnsafeRawBufferPointer(utf8)
        while index < count {
            // Eight bytes at a time while none needs escaping: the common case is plain text, and
            // writing strings was the daemon's largest own cost in the request-path profile.
            if index + 8 <= count, !Self.needsEscape(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = utf8[index]
            index += 1
            let position = index - 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if start < position { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<position])) }
            start = position + 1
            escape(byte)
        }
        if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of eight bytes is below 0x20, `"` or `\\` (the classic has-zero-byte bit trick:
    /// exact, no false positives, so a clean word is skipped whole).
    @inline(__always)
    public static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        // `& ~word` keeps bytes >= 0x80 (UTF-8 beyond ASCII) out of the below-0x20 test.
        let control = (word &- ones &* 0x20) & ~word & highs
        return control != 0 || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    public mutating func string(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    public mutating func int(_ value: Int?) {
        if let value { int64(Int64(value)) } else { raw("null") }
    }

    public mutating func int<Integer: BinaryInteger>(_ value: Integer) {
        if let value = Int64(exactly: value) {
            int64(value)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// Digits written backwards into a stack buffer: `String(value)` took the generic radix conversion
    /// and a heap string per number, a tenth of the HTTP thread's work per streamed chunk (`seq`, the
    /// request id, the frame's length).
    private mutating func int64(_ value: Int64) {
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    public mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func array<Element: JSONWritable>(_ values: [Element]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            value.writeJSON(to: &self)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Any JSON value, object keys sorted by their UTF-8 bytes as `JSONEncoder`'s `.sortedKeys` does.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): bool(flag)
        case .int(let number): int(number)
        case .double(let number):
            // Rare on our wire; Foundation's number formatting is the reference, so ask it.
            bytes.append(contentsOf: (try? JSONCoding.makeEncoder().encode(number)) ?? Data("null".utf8))
        case .string(let text): string(text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                self.value(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

extension JSONValue: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) { out.value(self) }
}

extension JSONCoding {
    /// The JSON of a value: the hand-written writer when the type has one, else `JSONEncoder`.
    public static func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            // Room for a scenario with its cards at once: growing 1 KiB → 16 KiB took four copies.
            var out = JSONOutput(capacity: 16 << 10)
            writable.writeJSON(to: &out)
            return out.bytes
        }
        return Array(try encode(value))
    }
}
