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
        do {
            var out = JSONOutput()
            out.value(object)
            let data = Data(out.bytes)
            return try JSONCoding.makeDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw invalidParams(error, in: object)
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
