import Foundation

// ImaginAI's own error range, documented in Protocol/PROTOCOL.md. The standard JSON-RPC and LSP codes
// live with the transport.
extension ErrorCode {
    /// `data: {kind, id}` names what was looked for.
    public static let notFound = ErrorCode(-31001)
    /// The thing changed meanwhile, is busy, or the request contradicts its state.
    public static let conflict = ErrorCode(-31002)
    /// A language model provider failed (used by story generation).
    public static let providerFailure = ErrorCode(-31003)
    /// A message, field or collection is over its documented limit.
    public static let tooLarge = ErrorCode(-31004)
    /// The library file cannot be used, or this write could not be saved: `data: {path, reason}` with
    /// reason `corrupt`, `unwritable`, `newerSchema` or `diskFull`.
    public static let storage = ErrorCode(-31005)
}

extension ResponseError {
    public static func notFound(kind: String, id: String) -> ResponseError {
        ResponseError(
            code: .notFound,
            message: "No \(kind) with id \(id)",
            data: .object(["kind": .string(kind), "id": .string(id)])
        )
    }

    public static func conflict(_ message: String) -> ResponseError {
        ResponseError(code: .conflict, message: message)
    }

    /// `reason` is one of `corrupt`, `unwritable`, `newerSchema`, `diskFull`; `message` says what to do.
    public static func storage(_ message: String, path: String, reason: String) -> ResponseError {
        ResponseError(code: .storage, message: message, data: .object(["path": .string(path), "reason": .string(reason)]))
    }

    public static func tooLarge(_ message: String) -> ResponseError {
        ResponseError(code: .tooLarge, message: message)
    }

    /// A param over its documented limit: `data: {field, limit}` names the param and the limit.
    public static func tooLarge(_ message: String, field: String, limit: Int) -> ResponseError {
        ResponseError(code: .tooLarge, message: message, data: .object(["field": .string(field), "limit": .int(Int64(limit))]))
    }
}
