import FoundationEssentials
import ImaginAIFormats
import ImaginAIProtocol
import ImaginAIStore
import LLM

/// Turns the errors of the layers below into the documented JSON-RPC errors.
enum ErrorMapping {
    /// With `database`, SQLite errors about its file (a full disk, a damaged page, a file that can no
    /// longer be written) become -31005 naming that file.
    static func responseError(for error: any Error, database: AppDatabase? = nil) -> ResponseError? {
        if let problem = database?.storageProblem(for: error) ?? (error as? StorageProblem) {
            return .storage(problem.message, path: problem.path, reason: problem.reason.rawValue)
        }
        switch error {
        case let error as StoreError:
            switch error {
            case .notFound(let kind, let id): return .notFound(kind: kind, id: id)
            case .conflict(let message): return .conflict(message)
            case .invalid(let field, let message): return .invalidParams("Invalid params: \(message)", field: field)
            case .tooLarge(let field, let limit, let message): return .tooLarge("Too large: \(message)", field: field, limit: limit)
            }
        case let error as ProviderError:
            return error.responseError()
        case let error as FormatError:
            var response = ResponseError.invalidParams(error.message, field: error.field)
            if let line = error.line, let column = error.column {
                response.data = .object(["field": .string(error.field), "line": .int(Int64(line)), "column": .int(Int64(column))])
            }
            return response
        default:
            return nil
        }
    }
}
