public enum ServerVersion {
    public static let name = "imaginai"
    public static let version = "0.1.0"
    /// Bumped when a method, field or error changes incompatibly.
    public static let protocolVersion = "1.0"
}
