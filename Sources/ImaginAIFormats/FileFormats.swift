import Foundation
import ImaginAIProtocol

/// The card-file formats ImaginAI reads; the raw value is the name used on the wire.
public enum CardFileFormat: String, CaseIterable, Sendable {
    case imaginai
    case aidungeon
    case aidungeonWorldInfo = "aidungeon-worldinfo"
    case sillytavern
    case characterCard = "charcard"
    case novelai
    case koboldai
    case agnai
}

/// The scenario-file formats ImaginAI reads. Besides its own and the prototype's, any card format can be
/// imported as a scenario holding those cards; character cards and KoboldAI stories also fill text fields.
public enum ScenarioFileFormat: String, CaseIterable, Sendable {
    case imaginai
    case seed
    case aidungeon
    case aidungeonWorldInfo = "aidungeon-worldinfo"
    case sillytavern
    case characterCard = "charcard"
    case novelai
    case koboldai
    case agnai

    var cardFormat: CardFileFormat? {
        switch self {
        case .imaginai, .seed: return nil
        case .aidungeon: return .aidungeon
        case .aidungeonWorldInfo: return .aidungeonWorldInfo
        case .sillytavern: return .sillytavern
        case .characterCard: return .characterCard
        case .novelai: return .novelai
        case .koboldai: return .koboldai
        case .agnai: return .agnai
        }
    }
}

/// Why a file could not be read; `field` is where in the request params the problem is (`data`, `format`).
public struct FormatError: Error, Equatable, Sendable {
    public var message: String
    public var field: String
    /// Where text that is not JSON stops being JSON (1-based line and column), so a person can go there.
    public var line: Int?
    public var column: Int?
    /// What kind of mistake, so a client can say what to do about it without parsing `message`.
    public var kind: Kind

    public enum Kind: Sendable, Equatable {
        case empty, notJSON, unknownFormat, other
    }

    public init(_ message: String, field: String = "data", kind: Kind = .other, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.field = field
        self.kind = kind
        self.line = line
        self.column = column
    }
}

enum FileInput {
    /// `data` is either the parsed JSON or a string holding the file's text.
    static func json(_ data: JSONValue) throws(FormatError) -> JSONValue {
        guard case .string(let text) = data else { return data }
        let trimmed = text.drop { $0 == "\u{FEFF}" }
        if trimmed.allSatisfy(\.isWhitespace) {
            throw FormatError("Invalid params: 'data' is empty: it holds no JSON at all", kind: .empty)
        }
        do {
            return try JSONCoding.makeDecoder().decode(JSONValue.self, from: Data(trimmed.utf8))
        } catch {
            // The decoder seldom says where; the scan does, and the decoder's words stand when it finds nothing.
            guard let problem = JSONSyntax.firstProblem(in: String(trimmed)) else {
                throw FormatError("Invalid params: 'data' is a string but not JSON text (\(describe(error)))", kind: .notJSON)
            }
            throw FormatError(
                "Invalid params: 'data' is a string but not JSON text: at line \(problem.line), column \(problem.column), \(problem.reason)",
                kind: .notJSON, line: problem.line, column: problem.column)
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
    }
}

extension JSONValue {
    /// A string field, or "" when absent or not a string.
    func text(_ key: String) -> String {
        self[key]?.stringValue ?? ""
    }

    /// Keys written as an array of strings or as one comma-separated string.
    func keyList(_ key: String) -> [String] {
        Self.keyList(self[key])
    }

    static func keyList(_ value: JSONValue?) -> [String] {
        switch value {
        case .string(let list)?: return list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        case .array(let items)?: return items.compactMap(\.stringValue)
        default: return []
        }
    }

    func isTrue(_ key: String) -> Bool { self[key]?.boolValue == true }
    func isFalse(_ key: String) -> Bool { self[key]?.boolValue == false }
}
