/// Something another process (another daemon on the same database, `imaginai import` and the other
/// commands) committed to the shared database. Sent only for other processes' changes: a daemon's own
/// changes are already in its responses.
public struct LibraryChangedNotification: NotificationType, Hashable {
    public static let method = "library/changed"

    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        case scenario, adventure, card, turn, settings
    }

    public enum Change: String, Codable, Hashable, Sendable, CaseIterable {
        case created, updated, deleted
    }

    public var kind: Kind
    /// The row's id; "settings" for the settings, which change as a whole.
    public var id: String
    public var change: Change
    /// A scenario's card: its scenario. An adventure: the scenario it was started from, while that exists.
    public var scenarioId: String?
    /// An adventure's card or a turn: its adventure.
    public var adventureId: String?

    public init(kind: Kind, id: String, change: Change, scenarioId: String? = nil, adventureId: String? = nil) {
        self.kind = kind
        self.id = id
        self.change = change
        self.scenarioId = scenarioId
        self.adventureId = adventureId
    }
}
