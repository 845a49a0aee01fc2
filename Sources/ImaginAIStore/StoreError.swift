/// What the store reports; the server turns each into its JSON-RPC error.
public enum StoreError: Error, Equatable, Sendable {
    /// `kind` is the wire name of the thing: scenario, card, adventure, turn.
    case notFound(kind: String, id: String)
    case conflict(String)
    /// A value the store refuses; `field` is the path within the params (`changes.name`).
    case invalid(field: String, message: String)
    /// A collection would grow past its documented limit (`StoreLimits`); `field` is the param to blame.
    case tooLarge(field: String, limit: Int, message: String)
}

/// Sizes the store refuses to grow past, documented in PROTOCOL.md (Limits). They keep every whole-list
/// operation (prompt assembly, trigger scans, exports, `scenario/get`) within a predictable cost.
public enum StoreLimits {
    /// Cards of one scenario or adventure: ten times the largest card books seen in the wild.
    public static let maxCardsPerOwner = 20_000
    /// Turns of one adventure, undone turns excluded.
    public static let maxTurnsPerAdventure = 100_000
}
