import ImaginAIProtocol
import Foundation
import ImaginAIProtocol

/// A `Decoder` that reads a request's params straight from the `JSONValue` tree the envelope parser
/// already built, so params are not written back to bytes and parsed again by `JSONDecoder`.
///
/// It is deliberately strict: it succeeds only where `JSONDecoder` would produce the very same value,
/// and throws `TreeDecoder.Unsure` on anything else (a non-integral or out-of-range number for an
/// integer, a type `JSONDecoder` treats specially, any mismatch). The caller then falls back to the
/// `JSONDecoder` path, which produces today's value or today's precise error. Its own errors never reach
/// a client, so they carry no paths and cost nothing to build.
struct TreeDecoder: Decoder {
    /// "Ask `JSONDecoder`": this decoder cannot vouch for the answer.
    struct Unsure: Error {}

    let value: JSONValue
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue) { self.value = value }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try TreeDecoder(value).decodeValue(T.self)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw Unsure() }
        return KeyedDecodingContainer(Keyed<Key>(members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw Unsure() }
        return Unkeyed(elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value) }

    /// `JSONDecoder` decodes these from other shapes than their own `init(from:)` would ask for, so
    /// they are left to it.
    static func isSpecial(_ type: Any.Type) -> Bool {
        type == Data.self || type == URL.self || type == Date.self || type == Decimal.self
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try Self.string(value) as! T
        case is Int.Type: return try Self.integer(value, Int.self) as! T
        case is Int64.Type: return try Self.integer(value, Int64.self) as! T
        case is Bool.Type: return try Self.bool(value) as! T
        case is Double.Type: return try Self.double(value) as! T
        case is JSONValue.Type: return value as! T
        default:
            if Self.isSpecial(type) { throw Unsure() }
            return try T(from: self)
        }
    }

    static func string(_ value: JSONValue) throws -> String {
        guard case .string(let text) = value else { throw Unsure() }
        return text
    }

    static func bool(_ value: JSONValue) throws -> Bool {
        guard case .bool(let flag) = value else { throw Unsure() }
        return flag
    }

    static func integer<I: FixedWidthInteger>(_ value: JSONValue, _ type: I.Type) throws -> I {
        guard case .int(let number) = value, let exact = I(exactly: number) else { throw Unsure() }
        return exact
    }

    static func double(_ value: JSONValue) throws -> Double {
        switch value {
        // Integers the parser read exactly; beyond 2^53 `JSONDecoder`'s rounding is its own business.
        case .int(let number) where number.magnitude <= 1 << 53: return Double(number)
        default: throw Unsure()
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        private func member(_ key: Key) throws -> JSONValue {
            guard let value = members[key.stringValue] else { throw Unsure() }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try TreeDecoder.bool(member(key)) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try TreeDecoder.string(member(key)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try TreeDecoder.double(member(key)) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw Unsure() }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try TreeDecoder.integer(member(key), Int.self) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try TreeDecoder.integer(member(key), Int8.self) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try TreeDecoder.integer(member(key), Int16.self) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try TreeDecoder.integer(member(key), Int32.self) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try TreeDecoder.integer(member(key), Int64.self) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try TreeDecoder.integer(member(key), UInt.self) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try TreeDecoder.integer(member(key), UInt8.self) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try TreeDecoder.integer(member(key), UInt16.self) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try TreeDecoder.integer(member(key), UInt32.self) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try TreeDecoder.integer(member(key), UInt64.self) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try TreeDecoder(member(key)).decodeValue(T.self)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(member(key)).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(member(key)).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder { throw Unsure() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw Unsure() }
    }

    private struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        var currentIndex = 0
        var codingPath: [any CodingKey] { [] }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(elements: [JSONValue]) { self.elements = elements }

        private mutating func next() throws -> JSONValue {
            guard currentIndex < elements.count else { throw Unsure() }
            defer { currentIndex += 1 }
            return elements[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard currentIndex < elements.count else { throw Unsure() }
            if elements[currentIndex] == .null { currentIndex += 1; return true }
            return false
        }
        mutating func decode(_ type: Bool.Type) throws -> Bool { try TreeDecoder.bool(next()) }
        mutating func decode(_ type: String.Type) throws -> String { try TreeDecoder.string(next()) }
        mutating func decode(_ type: Double.Type) throws -> Double { try TreeDecoder.double(next()) }
        mutating func decode(_ type: Float.Type) throws -> Float { throw Unsure() }
        mutating func decode(_ type: Int.Type) throws -> Int { try TreeDecoder.integer(next(), Int.self) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try TreeDecoder.integer(next(), Int8.self) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try TreeDecoder.integer(next(), Int16.self) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try TreeDecoder.integer(next(), Int32.self) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try TreeDecoder.integer(next(), Int64.self) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try TreeDecoder.integer(next(), UInt.self) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try TreeDecoder.integer(next(), UInt8.self) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try TreeDecoder.integer(next(), UInt16.self) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try TreeDecoder.integer(next(), UInt32.self) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try TreeDecoder.integer(next(), UInt64.self) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try TreeDecoder(next()).decodeValue(T.self) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(next()).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(next()).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder { throw Unsure() }
    }

    private struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { value == .null }
        func decode(_ type: Bool.Type) throws -> Bool { try TreeDecoder.bool(value) }
        func decode(_ type: String.Type) throws -> String { try TreeDecoder.string(value) }
        func decode(_ type: Double.Type) throws -> Double { try TreeDecoder.double(value) }
        func decode(_ type: Float.Type) throws -> Float { throw Unsure() }
        func decode(_ type: Int.Type) throws -> Int { try TreeDecoder.integer(value, Int.self) }
        func decode(_ type: Int8.Type) throws -> Int8 { try TreeDecoder.integer(value, Int8.self) }
        func decode(_ type: Int16.Type) throws -> Int16 { try TreeDecoder.integer(value, Int16.self) }
        func decode(_ type: Int32.Type) throws -> Int32 { try TreeDecoder.integer(value, Int32.self) }
        func decode(_ type: Int64.Type) throws -> Int64 { try TreeDecoder.integer(value, Int64.self) }
        func decode(_ type: UInt.Type) throws -> UInt { try TreeDecoder.integer(value, UInt.self) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try TreeDecoder.integer(value, UInt8.self) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try TreeDecoder.integer(value, UInt16.self) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try TreeDecoder.integer(value, UInt32.self) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try TreeDecoder.integer(value, UInt64.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try TreeDecoder(value).decodeValue(T.self) }
    }
}
