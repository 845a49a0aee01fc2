import Foundation

/// An open set of JSON-RPC error codes: applications add their own as static members in an extension.
public struct ErrorCode: RawRepresentable, Codable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static let parseError = ErrorCode(-32700)
    public static let invalidRequest = ErrorCode(-32600)
    public static let methodNotFound = ErrorCode(-32601)
    public static let invalidParams = ErrorCode(-32602)
    public static let internalError = ErrorCode(-32603)
    /// LSP: a request arrived before `initialize`.
    public static let serverNotInitialized = ErrorCode(-32002)
    /// LSP: the request was cancelled by `$/cancelRequest`.
    public static let requestCancelled = ErrorCode(-32800)
}

/// The `error` member of a response. Throw it from a handler to answer with exactly this error.
public struct ResponseError: Error, Codable, Hashable, Sendable {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    public init(code: ErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static func invalidParams(_ message: String, field: String? = nil) -> ResponseError {
        ResponseError(
            code: .invalidParams,
            message: message,
            data: field.map { .object(["field": .string($0)]) }
        )
    }

    public static func invalidRequest(_ message: String) -> ResponseError {
        ResponseError(code: .invalidRequest, message: message)
    }

    public static func methodNotFound(_ method: String) -> ResponseError {
        ResponseError(code: .methodNotFound, message: "Method not found: \(method)")
    }

    public static func internalError(_ message: String) -> ResponseError {
        ResponseError(code: .internalError, message: message)
    }
}

/// A request type names its method and its response; params are the type itself.
public protocol RequestType: Codable, Sendable {
    associatedtype Response: Codable & Sendable
    static var method: String { get }
}

/// A notification type names its method; it never gets a response.
public protocol NotificationType: Codable, Sendable {
    static var method: String { get }
}

/// The result of a request whose answer is `null`.
public struct VoidResponse: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
