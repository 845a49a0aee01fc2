import Foundation

enum DatabaseLocation {
    /// `--db`, else `IMAGINAI_DB`, else the XDG data directory (`~/.local/share` when unset).
    static func resolve(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["IMAGINAI_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        return dataFolder(environment: environment) + "/imaginai.sqlite"
    }

    /// `$XDG_DATA_HOME/imaginai` (`~/.local/share/imaginai` when unset): the default database's folder,
    /// where `play` also keeps its line history and the daemon's log.
    static func dataFolder(environment: [String: String]) -> String {
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            dataHome = home + "/.local/share"
        }
        return dataHome + "/imaginai"
    }
}
