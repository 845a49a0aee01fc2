import ImaginAIProtocol
import Foundation

/// Decodes a request's params into its type and turns decoding failures into -32602 errors whose
/// `data.field` is the path of the offending value (`cards[2].keys`), which is what a client author needs.
public enum ParamsDecoding {
    public static func decode<T: Decodable>(_ type: T.Type, from params: JSONValue?) throws -> T {
        let object: JSONValue
        switch params {
        case nil, .null?: object = .object([:])
        case .object?: object = params!
        case .array?:
            throw ResponseError.invalidParams("Invalid params: params must be an object of named fields, not an array")
        case let other?:
            throw ResponseError.invalidParams("Invalid params: params must be an object, got \(other.typeName)")
        }
        if containsNUL(object), let field = firstStringWithNUL(in: object, at: "") {
            throw ResponseError.invalidParams(
                "Invalid params: '\(field)' contains a NUL character (U+0000), which text cannot hold", field: field)
        }
        // The common case in one pass over the tree the envelope parser built; anything the tree decoder
        // cannot vouch for (including every error) goes the `JSONDecoder` way below, which keeps its
        // values and its error messages exactly.
        if let decoded = try? TreeDecoder.decode(T.self, from: object) { return decoded }
        do {
            return try decodeObject(T.self, object)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               let field = unrepresentableNumber(T.self, in: object)
            {
                throw ResponseError.invalidParams(
                    "Invalid params: '\(field.path)' must be an integer in range, got \(field.value)", field: field.path)
            }
            throw invalidParams(error, in: object)
        }
    }

    /// Any value into a type, without the params rules or their diagnostics (a client reading a result).
    public static func decodeValue<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if let decoded = try? TreeDecoder.decode(T.self, from: value) { return decoded }
        var out = JSONOutput()
        out.value(value)
        return try JSONCoding.makeDecoder().decode(T.self, from: Data(out.bytes))
    }

    /// Whether any string holds U+0000: a walk that builds no paths, so a clean request pays only this.
    static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(0)
        case .array(let items): return items.contains(where: containsNUL)
        case .object(let fields): return fields.values.contains(where: containsNUL)
        default: return false
        }
    }

    /// The path of the first string value holding U+0000. SQLite hands text back up to its first NUL, so
    /// such a string would be stored cut short without a word: it is refused instead (found by the
    /// randomized protocol test, which sent a name "A\u{0}B" and got "A" back).
    static func firstStringWithNUL(in value: JSONValue, at path: String) -> String? {
        switch value {
        case .string(let text):
            return text.utf8.contains(0) ? path : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstStringWithNUL(in: item, at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let fields):
            for key in fields.keys.sorted() {
                if let found = firstStringWithNUL(in: fields[key]!, at: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    private static func decodeObject<T: Decodable>(_ type: T.Type, _ object: JSONValue) throws -> T {
        var out = JSONOutput()
        out.value(object)
        return try JSONCoding.makeDecoder().decode(T.self, from: Data(out.bytes))
    }

    /// Foundation's JSONDecoder reports a number that does not fit the field's type (1.5 or 1e300 for an
    /// integer) as "not valid JSON" with no coding path at all, which would leave `data.field` empty. The
    /// culprit is then one of the non-integral or out-of-range numbers in the params: the first whose
    /// replacement by 0 makes that error go away is the field to name.
    static func unrepresentableNumber<T: Decodable>(_ type: T.Type, in object: JSONValue) -> (path: String, value: String)? {
        for (path, value) in numbersNotFittingAnInteger(in: object, at: []) {
            let patched = replacing(at: path[...], in: object, with: .int(0))
            do {
                _ = try decodeObject(T.self, patched)
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {}
            let text = String(decoding: MessageEncoding.encodeValue(.double(value)), as: UTF8.self)
            return (self.path(path.map(PathKey.init)), text)
        }
        return nil
    }

    private enum PathComponent { case key(String), index(Int) }

    private struct PathKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ component: PathComponent) {
            switch component {
            case .key(let key): stringValue = key; intValue = nil
            case .index(let index): stringValue = "\(index)"; intValue = index
            }
        }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
    }

    private static func numbersNotFittingAnInteger(in value: JSONValue, at path: [PathComponent]) -> [([PathComponent], Double)] {
        switch value {
        case .double(let number) where number.rounded() != number || abs(number) >= 9.2e18:
            return [(path, number)]
        case .array(let items):
            return items.enumerated().flatMap { numbersNotFittingAnInteger(in: $1, at: path + [.index($0)]) }
        case .object(let fields):
            return fields.sorted { $0.key < $1.key }.flatMap { numbersNotFittingAnInteger(in: $1, at: path + [.key($0)]) }
        default:
            return []
        }
    }

    private static func replacing(at path: ArraySlice<PathComponent>, in value: JSONValue, with replacement: JSONValue) -> JSONValue {
        guard let first = path.first else { return replacement }
        switch (first, value) {
        case (.key(let key), .object(var fields)):
            fields[key] = fields[key].map { replacing(at: path.dropFirst(), in: $0, with: replacement) }
            return .object(fields)
        case (.index(let index), .array(var items)) where items.indices.contains(index):
            items[index] = replacing(at: path.dropFirst(), in: items[index], with: replacement)
            return .array(items)
        default:
            return value
        }
    }

    public static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    static func invalidParams(_ error: DecodingError, in params: JSONValue) -> ResponseError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalidParams("Invalid params: missing required field '\(field)'", field: field)
        case .typeMismatch(let expected, let context):
            let field = path(context.codingPath)
            let found = value(at: context.codingPath, in: params)?.typeName ?? "nothing"
            return .invalidParams("Invalid params: '\(field)' must be \(describe(expected)), got \(found)", field: field)
        case .valueNotFound(let expected, let context):
            let field = path(context.codingPath)
            return .invalidParams("Invalid params: '\(field)' must be \(describe(expected)), got null", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            // An empty path names nothing; better no `data.field` than one a client cannot act on.
            if field.isEmpty { return .invalidParams("Invalid params: \(context.debugDescription)") }
            return .invalidParams("Invalid params: '\(field)': \(context.debugDescription)", field: field)
        @unknown default:
            return .invalidParams("Invalid params: \(error)")
        }
    }

    static func value(at codingPath: [any CodingKey], in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        for key in codingPath {
            if let index = key.intValue, case .array(let items)? = current {
                current = items.indices.contains(index) ? items[index] : nil
            } else {
                current = current?[key.stringValue]
            }
        }
        return current
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is [String].Type: return "an array of strings"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a valid \(name)"
        }
    }
}
