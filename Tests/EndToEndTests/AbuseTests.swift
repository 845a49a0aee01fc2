import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// Well-framed but wrong requests for every method the daemon lists, against the real daemon: each must
/// get the documented error (right code, `data.field` naming the field) and the daemon must keep
/// answering normally. Random choices come from a seeded generator: the seed is printed, fixed by
/// default so CI is reproducible, and IMAGINAI_ABUSE_SEED replays or varies a run.
@Suite(.timeLimit(.minutes(2)))
struct AbuseTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["IMAGINAI_ABUSE_SEED"] ?? "") ?? 20261201

    struct Param { var name: String; var required: Bool; var type: String?; var choices: [JSONValue] = [] }
    struct Method { var name: String; var params: [Param]; var errors: Set<Int> }

    /// Methods and their params from openrpc.json; `type` is the JSON type the schema demands (nil when
    /// any value is allowed), and `errors` the codes the document lists for the method.
    static func methods() throws -> [Method] {
        let document = try JSONSchemaValidator.loadProtocolDocument()
        let errorCodes = (document["components"]?["errors"]?.objectValue ?? [:]).compactMapValues { $0["code"]?.intValue }
        return (document["methods"]?.arrayValue ?? []).compactMap { method -> Method? in
            guard method["x-notification"] != .bool(true), let name = method["name"]?.stringValue else { return nil }
            let params = (method["params"]?.arrayValue ?? []).map { param in
                Param(
                    name: param["name"]?.stringValue ?? "", required: param["required"]?.boolValue ?? false,
                    type: jsonType(param["schema"] ?? .null, document), choices: enumValues(param["schema"] ?? .null, document))
            }
            let errors = (method["errors"]?.arrayValue ?? []).compactMap { error -> Int? in
                guard let ref = error["$ref"]?.stringValue else { return error["code"]?.intValue.map(Int.init) }
                return errorCodes[String(ref.split(separator: "/").last ?? "")].map(Int.init)
            }
            return Method(name: name, params: params, errors: Set(errors))
        }
    }

    static func jsonType(_ schema: JSONValue, _ document: JSONValue) -> String? {
        if let type = schema["type"]?.stringValue { return type }
        if let ref = schema["$ref"]?.stringValue {
            let target = document["components"]?["schemas"]?[String(ref.split(separator: "/").last ?? "")] ?? .null
            return jsonType(target, document) ?? (target["properties"] != nil ? "object" : nil)
        }
        if let choices = schema["oneOf"]?.arrayValue ?? schema["anyOf"]?.arrayValue {
            let types = Set(choices.compactMap { jsonType($0, document) }).subtracting(["null"])
            return types.count == 1 ? types.first : nil
        }
        if schema["enum"]?.arrayValue?.allSatisfy({ $0.stringValue != nil }) == true { return "string" }
        return nil
    }

    static func enumValues(_ schema: JSONValue, _ document: JSONValue) -> [JSONValue] {
        if let values = schema["enum"]?.arrayValue { return values }
        if let ref = schema["$ref"]?.stringValue {
            return enumValues(document["components"]?["schemas"]?[String(ref.split(separator: "/").last ?? "")] ?? .null, document)
        }
        return (schema["oneOf"]?.arrayValue ?? schema["anyOf"]?.arrayValue ?? []).flatMap { enumValues($0, document) }
    }

    /// A value of some JSON type other than `type` (integer and number count as one).
    static func wrongValue(for type: String, _ random: inout SplitMix64) -> JSONValue {
        let candidates: [(String, JSONValue)] = [
            ("string", "not-a-\(type)"), ("integer", .int(Int64.random(in: -5...5, using: &random))),
            ("number", .double(0.5)), ("boolean", .bool(Bool.random(using: &random))),
            ("array", [1, "two"]), ("object", ["nested": true]),
        ]
        let numeric: Set<String> = ["integer", "number"]
        return candidates.filter { $0.0 != type && !(numeric.contains($0.0) && numeric.contains(type)) }
            .randomElement(using: &random)!.1
    }

    /// A valid value of `type`, for the params a case does not break.
    static func validValue(for param: Param) -> JSONValue {
        if let first = param.choices.first { return first }
        switch param.type {
        case "string": return param.name.lowercased().hasSuffix("id") ? "xyz_unknown" : "valid"
        case "integer", "number": return 1
        case "boolean": return true
        case "array": return []
        default: return [:]
        }
    }

    static func randomJSON(_ random: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: -1_000_000...1_000_000, using: &random))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &random))
        case 4: return .string(String((0..<Int.random(in: 0...12, using: &random)).map { _ in "aé\u{0}\"\\☃x".randomElement(using: &random)! }))
        case 5: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in randomJSON(&random, depth: depth + 1) })
        default:
            return .object(Dictionary((0..<Int.random(in: 0...3, using: &random)).map { i in ("k\(i)", randomJSON(&random, depth: depth + 1)) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    static func body(id: JSONValue, method: String, params: JSONValue?) -> String {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { message["params"] = params }
        return String(decoding: try! JSONCoding.encode(JSONValue.object(message)), as: UTF8.self)
    }

    @Test func everyMethodAnswersWrongRequestsWithTheDocumentedError() async throws {
        print("AbuseTests seed: \(Self.seed) (set IMAGINAI_ABUSE_SEED to change it)")
        var random = SplitMix64(state: Self.seed)
        let daemon = try Daemon(arguments: ["serve", "--db", ":memory:", "--max-message-bytes", "65536"])
        let initialize = try await daemon.initialize()
        let methods = try Self.methods()
        let listed = Set(initialize["capabilities"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(Set(methods.map(\.name)) == listed, "openrpc.json and initialize list the same methods")
        var next = 0
        func send(_ method: String, _ params: JSONValue?) async throws -> JSONValue {
            next += 1
            let id = JSONValue.string("abuse-\(next)")
            daemon.send(body: Self.body(id: id, method: method, params: params))
            return try await daemon.response(to: id)
        }
        var checked = 0
        for method in methods where !["initialize", "shutdown"].contains(method.name) {
            let valid = JSONValue.object(Dictionary(uniqueKeysWithValues: method.params.filter(\.required).map { ($0.name, Self.validValue(for: $0)) }))

            // Wrong type for each field, the others valid: -32602 naming exactly that field.
            for param in method.params {
                guard let type = param.type else { continue }
                var params = valid.objectValue!
                params[param.name] = Self.wrongValue(for: type, &random)
                let error = try await send(method.name, .object(params))["error"]
                #expect(error?["code"] == -32602, "\(method.name) with a wrong \(param.name) (\(params[param.name]!)): \(error ?? .null)")
                #expect(error?["data"]?["field"] == .string(param.name), "\(method.name).\(param.name): \(error ?? .null)")
                checked += 1
            }
            // Each required field missing: -32602 naming it.
            for param in method.params where param.required {
                var params = valid.objectValue!
                params[param.name] = nil
                let error = try await send(method.name, .object(params))["error"]
                #expect(error?["code"] == -32602 && error?["data"]?["field"] == .string(param.name), "\(method.name) without \(param.name): \(error ?? .null)")
                checked += 1
            }
            // Params that are not an object: -32602 (an array) or -32600 (a scalar, per Messages).
            let array = try await send(method.name, [1, 2])["error"]?["code"]
            #expect(array == -32602, "\(method.name) with array params")
            let scalar = try await send(method.name, .string("params"))["error"]?["code"]
            #expect(scalar == -32600, "\(method.name) with string params")
            // Random params (a random object, sometimes with the valid fields mixed in): never a crash,
            // and every error is one the document lists for the method; -32602 names a field when it can.
            for _ in 0..<8 {
                var params = Bool.random(using: &random) ? valid.objectValue! : [:]
                if case .object(let extra) = Self.randomJSON(&random) { params.merge(extra) { a, _ in a } }
                for param in method.params where Int.random(in: 0..<4, using: &random) == 0 {
                    params[param.name] = Self.randomJSON(&random)
                }
                let response = try await send(method.name, .object(params))
                if let error = response["error"], let code = error["code"]?.intValue {
                    #expect(method.errors.contains(Int(code)),
                            "\(method.name) \(JSONValue.object(params)) answered \(error), not a documented error")
                    if code == -32602, let field = error["data"]?["field"] {
                        #expect(field.stringValue?.isEmpty == false, "\(method.name): empty data.field")
                    }
                }
                checked += 1
            }
            // Unknown ids: every method whose only required param is a string id answers -31001.
            let required = method.params.filter(\.required)
            if required.count == 1, required[0].type == "string", required[0].name.lowercased().hasSuffix("id") {
                let error = try await send(method.name, [required[0].name: "xyz_\(UInt32.random(in: 0...UInt32.max, using: &random))"])["error"]
                #expect(error?["code"] == -31001, "\(method.name) with an unknown id: \(error ?? .null)")
                checked += 1
            }
        }
        print("AbuseTests: \(checked) wrong requests over \(methods.count) methods")

        // Envelopes: ids of every JSON type. Integers and strings are echoed; null is allowed by
        // JSON-RPC and echoed; a float is read as a number and echoed; bool, object and array are -32600
        // with id null (PROTOCOL.md, Messages).
        let ids: [(JSONValue, JSONValue, Int64?)] = [
            (7, 7, nil), ("seven", "seven", nil), (.double(7.5), .double(7.5), nil),
            (true, .null, -32600), (["a": 1], .null, -32600), ([1], .null, -32600),
        ]
        for (id, echoed, code) in ids {
            daemon.send(body: Self.body(id: id, method: "settings/get", params: nil))
            let response = try await daemon.response(to: echoed)
            #expect(response["error"]?["code"]?.intValue == code, "id \(id): \(response)")
        }
        // A duplicate id of a request still running: -32600 for the second, a normal answer for the first.
        let big = JSONValue.array((0..<2000).map { _ in ["name": "card", "keys": ["k"]] })
        daemon.send(body: Self.body(id: "dup", method: "scenario/create", params: ["scenario": ["name": "Dup", "cards": big]]))
        daemon.send(body: Self.body(id: "dup", method: "settings/get", params: nil))
        let first = try await daemon.response(to: "dup")
        let second = try await daemon.response(to: "dup")
        let codes = [first, second].map { $0["error"]?["code"]?.intValue }
        #expect(codes.contains(nil) && codes.contains(-32600), "one answer and one -32600: \(codes)")

        // Bodies: bad JSON, invalid UTF-8, NUL bytes outside strings, NUL inside strings (valid), deep
        // nesting, an oversized body.
        daemon.send(body: #"{"jsonrpc":"2.0","id":"bad","method":"#)
        #expect(try await daemon.response(to: .null)["error"]?["code"] == -32700)
        daemon.sendRaw(Framing.frame([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]))
        #expect(try await daemon.response(to: .null)["error"]?["code"] == -32700)
        daemon.sendRaw(Framing.frame(Array(#"{"jsonrpc":"2.0","id":"nul","method":"settings/get"}"#.utf8) + [0]))
        #expect(try await daemon.response(to: .null)["error"]?["code"] == -32700)
        // NUL inside a string: valid JSON, but text cannot hold it (SQLite would cut it short): -32602.
        let nul = try await send("scenario/create", ["scenario": ["name": "A\u{0}B"]])
        #expect(nul["error"]?["code"] == -32602 && nul["error"]?["data"]?["field"] == "scenario.name", "\(nul)")
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        daemon.send(body: #"{"jsonrpc":"2.0","id":"deep","method":"scenario/import","params":{"data":\#(deep)}}"#)
        let deepError = try await daemon.response(to: .null)["error"]
        #expect(deepError?["code"] == -31004, "\(deepError ?? .null)")
        daemon.send(body: Self.body(id: "huge", method: "scenario/create", params: ["scenario": ["name": .string(String(repeating: "x", count: 70_000))]]))
        #expect(try await daemon.response(to: .null)["error"]?["code"] == -31004)

        // Still serving normally after all of that.
        let list = try await daemon.call("scenario/list")
        #expect(list["total"]?.intValue ?? 0 >= 1)
    }
}

/// The string limits of PROTOCOL.md (Limits) through the real daemon: one over is -31004 with
/// `data: {field, limit}`, exactly at the limit is accepted.
@Suite(.timeLimit(.minutes(1)))
struct StringLimitTests {
    @Test func namesAndTextsOverTheirLimitAreTooLarge() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        func tooLarge(_ method: String, _ params: JSONValue) async throws -> JSONValue? {
            let error = try await daemon.request(method, params)["error"]
            #expect(error?["code"] == -31004, "\(method): \(error ?? .null)")
            return error?["data"]
        }
        let name = String(repeating: "é", count: 1_000)
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": .string(name)]])
        #expect(scenario["name"]?.stringValue == name, "1,000 code points is a valid name")
        let id = scenario["id"]!
        #expect(try await tooLarge("scenario/create", ["scenario": ["name": .string(name + "x")]]) == ["field": "scenario.name", "limit": 1_000])
        #expect(try await tooLarge("card/create", ["scenarioId": id, "card": ["name": .string(name + "x")]])?["field"] == "card.name")

        let text = String(repeating: "t", count: 100_000)
        _ = try await daemon.call("card/create", ["scenarioId": id, "card": ["name": "Lamp", "description": .string(text)]])
        #expect(try await tooLarge("card/create", ["scenarioId": id, "card": ["name": "Lamp", "description": .string(text + "t")]]) == ["field": "card.description", "limit": 100_000])
        #expect(try await tooLarge("scenario/update", ["id": id, "changes": ["plotEssentials": .string(text + "t")]])?["field"] == "changes.plotEssentials")

        _ = try await daemon.call("scenario/update", ["id": id, "changes": ["openingScene": "Dawn."]])
        let adventure = try await daemon.call("adventure/start", ["scenarioId": id])
        let adventureId = adventure["id"]!
        #expect(try await tooLarge("story/act", ["adventureId": adventureId, "action": "do", "text": .string(text + "t")]) == ["field": "text", "limit": 100_000])
        let turns = try await daemon.call("turn/list", ["adventureId": adventureId])
        let turn = try #require(turns["turns"]?.arrayValue?.first?["id"], "the opening scene is a turn")
        #expect(try await tooLarge("turn/edit", ["id": turn, "text": .string(text + "t")])?["field"] == "text")
        #expect(try await daemon.call("scenario/get", ["id": id])["cards"]?.arrayValue?.count == 1, "nothing over a limit was stored")
    }
}
