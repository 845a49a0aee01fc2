import ImaginAIProtocol
import Foundation
import JSONRPC

/// `Protocol/openrpc.json`, loaded once, as the end-to-end tests check real responses against it.
struct ProtocolContract: Sendable {
    let validator: JSONSchemaValidator

    static func load() throws -> ProtocolContract {
        ProtocolContract(validator: JSONSchemaValidator(document: try JSONSchemaValidator.loadProtocolDocument()))
    }

    func violations(result: JSONValue, method: String) -> [String] {
        validator.validateResult(result, forMethod: method)
    }

    /// Every method the document lists, notifications included.
    var methodNames: Set<String> {
        Set(validator.document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
    }
}
