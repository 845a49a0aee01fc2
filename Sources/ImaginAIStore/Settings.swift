import FoundationEssentials
import GRDB
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Settings

    /// The user's settings: `Settings.defaults` overlaid with what has been changed. One row per setting
    /// (JSON value), so a setting added later simply starts at its default.
    public func settings() throws -> Settings {
        try read { db in try fetchSettings(db) }
    }

    /// Stores exactly the given values (the server validates ranges) and returns the whole settings.
    public func updateSettings(_ changes: SettingsChanges) throws -> Settings {
        try writer.write { db in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func store<T: Encodable>(_ key: SettingKey, _ value: T?) throws {
                guard let value else { return }
                let json = String(decoding: try encoder.encode(value), as: UTF8.self)
                try SettingRecord(key: key.rawValue, value: json).upsert(db)
            }
            try store(.model, changes.model)
            try store(.responseHandling, changes.responseHandling)
            try store(.allowThinking, changes.allowThinking)
            try store(.maxOutputTokens, changes.maxOutputTokens)
            try store(.baseSystemInstruction, changes.baseSystemInstruction)
            try store(.scanDepth, changes.scanDepth)
            try store(.recursionDepth, changes.recursionDepth)
            try store(.storytellerDelayMs, changes.storytellerDelayMs)
            try store(.storytellerSeed, changes.storytellerSeed)
            try store(.autoSummary, changes.autoSummary)
            try store(.summaryEveryTurns, changes.summaryEveryTurns)
            switch changes.contextTokens {
            case .none: break
            // No row is the default: the model's whole window.
            case .some(.none): try SettingRecord.deleteOne(db, key: SettingKey.contextTokens.rawValue)
            case .some(.some(let tokens)): try store(.contextTokens, tokens)
            }
            return try fetchSettings(db)
        }
    }

    enum SettingKey: String {
        case model, responseHandling, allowThinking, maxOutputTokens, baseSystemInstruction
        case scanDepth, recursionDepth, storytellerDelayMs, storytellerSeed, contextTokens
        case autoSummary, summaryEveryTurns
    }

    func fetchSettings(_ db: Database) throws -> Settings {
        var stored: [String: String] = [:]
        for record in try SettingRecord.fetchAll(db) { stored[record.key] = record.value }
        let decoder = JSONDecoder()
        // A value that no longer decodes (hand-edited, older format) falls back to the default.
        func value<T: Decodable>(_ key: SettingKey, _ fallback: T) -> T {
            guard let json = stored[key.rawValue],
                  let decoded = try? decoder.decode(T.self, from: Data(json.utf8))
            else { return fallback }
            return decoded
        }
        let defaults = Settings.defaults
        return Settings(
            model: value(.model, defaults.model),
            responseHandling: value(.responseHandling, defaults.responseHandling),
            allowThinking: value(.allowThinking, defaults.allowThinking),
            maxOutputTokens: value(.maxOutputTokens, defaults.maxOutputTokens),
            baseSystemInstruction: value(.baseSystemInstruction, defaults.baseSystemInstruction),
            scanDepth: value(.scanDepth, defaults.scanDepth),
            recursionDepth: value(.recursionDepth, defaults.recursionDepth),
            storytellerDelayMs: value(.storytellerDelayMs, defaults.storytellerDelayMs),
            storytellerSeed: value(.storytellerSeed, defaults.storytellerSeed),
            contextTokens: value(.contextTokens, defaults.contextTokens),
            autoSummary: value(.autoSummary, defaults.autoSummary),
            summaryEveryTurns: value(.summaryEveryTurns, defaults.summaryEveryTurns)
        )
    }
}
