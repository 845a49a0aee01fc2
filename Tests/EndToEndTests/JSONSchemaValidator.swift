import ImaginAIProtocol
import Foundation
import JSONRPC

/// Checks JSON values against the schemas of `Protocol/openrpc.json`, so end-to-end tests can hold real
/// responses to the written contract.
///
/// It implements exactly the JSON Schema (draft-07) subset that document uses: `type` (a name or an array
/// of names), `properties`, `required`, `additionalProperties` (boolean or schema), `items` (one schema),
/// `enum`, `minimum`, `maximum`, `minLength`, `pattern`, `$ref` (JSON pointers into the document, like
/// `#/components/schemas/Card`), `oneOf`, `anyOf`, and `description` (ignored). Boolean schemas work too.
/// Any other keyword is reported as a violation rather than silently ignored, so the document cannot
/// drift beyond what is checked (`Protocol/check_examples.py` enforces the same list).
struct JSONSchemaValidator {
    static let supportedKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "minimum", "maximum",
        "minLength", "pattern", "$ref", "oneOf", "anyOf", "description",
    ]

    /// The whole OpenRPC document; `$ref`s are resolved against it.
    let document: JSONValue

    init(document: JSONValue) {
        self.document = document
    }

    // MARK: Validation

    /// Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms.
    func validate(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [String] {
        validate(value, against: schema, path: path, depth: 0)
    }

    private func validate(_ value: JSONValue, against schema: JSONValue, path: String, depth: Int) -> [String] {
        if depth > 64 {
            return ["\(path): schema nesting too deep (a $ref cycle?)"]
        }
        switch schema {
        case .bool(true):
            return []
        case .bool(false):
            return ["\(path): no value is allowed here"]
        case .object:
            break
        default:
            return ["\(path): a schema must be an object or a boolean, got \(schema.typeName)"]
        }
        guard let keywords = schema.objectValue else { return [] }
        var violations: [String] = []

        for keyword in keywords.keys.sorted() where !Self.supportedKeywords.contains(keyword) {
            violations.append("\(path): schema uses unsupported keyword \(keyword)")
        }

        if let reference = keywords["$ref"] {
            guard let pointer = reference.stringValue, let target = resolve(pointer) else {
                return violations + ["\(path): unresolvable $ref \(Self.render(reference))"]
            }
            violations += validate(value, against: target, path: path, depth: depth + 1)
        }

        if let type = keywords["type"] {
            let names: [String]
            switch type {
            case .string(let name): names = [name]
            case .array(let items): names = items.compactMap(\.stringValue)
            default: names = []
            }
            if !names.contains(where: { Self.value(value, hasType: $0) }) {
                let expected = names.count == 1 ? names[0] : names.joined(separator: " or ")
                violations.append("\(path): expected \(expected), got \(Self.describe(value))")
                // The remaining keywords would only repeat the same mistake in other words.
                return violations
            }
        }

        if let allowed = keywords["enum"]?.arrayValue, !allowed.contains(where: { Self.equal($0, value) }) {
            violations.append(
                "\(path): \(Self.render(value)) is not one of \(allowed.map(Self.render).joined(separator: ", "))")
        }

        if let number = Self.number(value) {
            if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum {
                violations.append("\(path): \(Self.render(value)) is less than the minimum \(Self.format(minimum))")
            }
            if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum {
                violations.append("\(path): \(Self.render(value)) is more than the maximum \(Self.format(maximum))")
            }
        }

        if case .string(let text) = value {
            if let minLength = keywords["minLength"]?.intValue, text.unicodeScalars.count < minLength {
                violations.append("\(path): \(Self.render(value)) is shorter than \(minLength) character(s)")
            }
            if let pattern = keywords["pattern"]?.stringValue {
                if let expression = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if expression.firstMatch(in: text, range: range) == nil {
                        violations.append("\(path): \(Self.render(value)) does not match the pattern \(pattern)")
                    }
                } else {
                    violations.append("\(path): schema pattern \(pattern) is not a valid regular expression")
                }
            }
        }

        if case .object(let members) = value {
            let properties = keywords["properties"]?.objectValue ?? [:]
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                violations.append("\(path): missing required property \(name)")
            }
            for name in members.keys.sorted() {
                let member = members[name]!
                let memberPath = Self.append(name, to: path)
                if let propertySchema = properties[name] {
                    violations += validate(member, against: propertySchema, path: memberPath, depth: depth + 1)
                } else if let additional = keywords["additionalProperties"] {
                    if additional == .bool(false) {
                        violations.append("\(path): unexpected property \(name)")
                    } else {
                        violations += validate(member, against: additional, path: memberPath, depth: depth + 1)
                    }
                }
            }
        }

        if case .array(let elements) = value, let itemSchema = keywords["items"] {
            for (index, element) in elements.enumerated() {
                violations += validate(element, against: itemSchema, path: "\(path)[\(index)]", depth: depth + 1)
            }
        }

        if let alternatives = keywords["oneOf"]?.arrayValue {
            let outcomes = alternatives.map { validate(value, against: $0, path: path, depth: depth + 1) }
            let matching = outcomes.enumerated().filter { $0.element.isEmpty }.map(\.offset)
            if matching.isEmpty {
                violations.append("\(path): matches none of the oneOf alternatives (\(Self.summarise(outcomes)))")
            } else if matching.count > 1 {
                violations.append("\(path): matches oneOf alternatives \(matching.map(String.init).joined(separator: " and ")), but must match exactly one")
            }
        }

        if let alternatives = keywords["anyOf"]?.arrayValue {
            let outcomes = alternatives.map { validate(value, against: $0, path: path, depth: depth + 1) }
            if !outcomes.contains(where: \.isEmpty) {
                violations.append("\(path): matches none of the anyOf alternatives (\(Self.summarise(outcomes)))")
            }
        }

        return violations
    }

    // MARK: The document

    /// The schema a JSON pointer like `#/components/schemas/Card` names, or nil.
    func resolve(_ pointer: String) -> JSONValue? {
        guard pointer.hasPrefix("#") else { return nil }
        var node = document
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let members):
                guard let next = members[key] else { return nil }
                node = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                node = items[index]
            default:
                return nil
            }
        }
        return node
    }

    /// Every `$ref` in the document that names nothing, with where it is.
    func unresolvedReferences() -> [String] {
        var missing: [String] = []
        func walk(_ node: JSONValue, _ path: String) {
            switch node {
            case .object(let members):
                if let reference = members["$ref"] {
                    if reference.stringValue.flatMap(resolve) == nil {
                        missing.append("\(path): \(Self.render(reference))")
                    }
                }
                for (key, member) in members { walk(member, Self.append(key, to: path)) }
            case .array(let items):
                for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
            default:
                break
            }
        }
        walk(document, "$")
        return missing.sorted()
    }

    /// Every method object, requests and notifications alike.
    var methods: [JSONValue] {
        document["methods"]?.arrayValue ?? []
    }

    var methodNames: [String] {
        methods.compactMap { $0["name"]?.stringValue }
    }

    func method(named name: String) -> JSONValue? {
        methods.first { $0["name"]?.stringValue == name }
    }

    func isNotification(_ name: String) -> Bool {
        method(named: name)?["x-notification"] == .bool(true)
    }

    /// The schema of a method's result (`{"type": "null"}` for `shutdown` and for notifications).
    func resultSchema(forMethod name: String) -> JSONValue? {
        method(named: name)?["result"]?["schema"]
    }

    /// One object schema for a method's by-name params: its param descriptors as properties, the required
    /// ones required, nothing else allowed, and `x-exactlyOneOf` (card owner ids) as a `oneOf`.
    func paramsSchema(forMethod name: String) -> JSONValue? {
        guard let method = method(named: name), let params = method["params"]?.arrayValue else { return nil }
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for param in params {
            guard let paramName = param["name"]?.stringValue else { continue }
            properties[paramName] = param["schema"] ?? .bool(true)
            if param["required"] == .bool(true) { required.append(.string(paramName)) }
        }
        var schema: [String: JSONValue] = [
            "type": .string("object"),
            "properties": .object(properties),
            "required": .array(required),
            "additionalProperties": .bool(false),
        ]
        if let exactlyOne = method["x-exactlyOneOf"]?.arrayValue?.compactMap(\.stringValue), !exactlyOne.isEmpty {
            schema["oneOf"] = .array(exactlyOne.map { owner in
                .object([
                    "properties": .object([owner: .object(["type": .string("string")])]),
                    "required": .array([.string(owner)]),
                ])
            })
        }
        return .object(schema)
    }

    /// Violations of a method's result schema by a response's `result`.
    func validateResult(_ result: JSONValue, forMethod name: String) -> [String] {
        guard let schema = resultSchema(forMethod: name) else { return ["no method \(name) in the document"] }
        return validate(result, against: schema, path: "result")
    }

    /// Violations of a method's params schema by a request's `params`; absent (nil) or null params count
    /// as `{}`, as the server reads them.
    func validateParams(_ params: JSONValue?, forMethod name: String) -> [String] {
        guard let schema = paramsSchema(forMethod: name) else { return ["no method \(name) in the document"] }
        let given = (params == nil || params == .null) ? JSONValue.object([:]) : params!
        return validate(given, against: schema, path: "params")
    }

    /// Loads `Protocol/openrpc.json` of this checkout (the repository root is three levels above this file).
    static func loadProtocolDocument(filePath: String = #filePath) throws -> JSONValue {
        let root = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Protocol/openrpc.json"))
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    // MARK: Helpers

    private static func value(_ value: JSONValue, hasType name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("number", .int), ("number", .double), ("integer", .int):
            return true
        case ("integer", .double(let number)):
            return number.rounded() == number && number.isFinite
        default:
            return false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    /// JSON equality: numbers compare by value (1 equals 1.0), objects ignore key order.
    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default:
            if let x = number(a), let y = number(b) { return x == y }
            return a == b
        }
    }

    private static func append(_ key: String, to path: String) -> String {
        let plain = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !key.isEmpty
        return plain ? "\(path).\(key)" : "\(path)[\(render(.string(key)))]"
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .int, .double: return "number \(render(value))"
        case .string: return "string \(render(value))"
        case .bool: return "boolean \(render(value))"
        default: return value.typeName
        }
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private static func summarise(_ outcomes: [[String]]) -> String {
        outcomes.enumerated().map { "\($0.offset): \($0.element.first ?? "ok")" }.joined(separator: "; ")
    }

    /// Compact JSON for messages, clipped so a long text does not flood the report.
    static func render(_ value: JSONValue) -> String {
        let encoder = JSONCoding.makeEncoder()
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            return value.typeName
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}
