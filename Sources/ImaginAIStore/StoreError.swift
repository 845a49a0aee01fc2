/// What the store reports; the server turns each into its JSON-RPC error.
public enum StoreError: Error, Equatable, Sendable {
    /// `kind` is the wire name of the thing: scenario, card, adventure, turn.
    case notFound(kind: String, id: String)
    case conflict(String)
    /// A value the store refuses; `field` is the path within the params (`changes.name`).
    case invalid(field: String, message: String)
}
