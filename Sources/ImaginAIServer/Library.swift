import FoundationEssentials
import ImaginAIFormats
import ImaginAIProtocol
import ImaginAIStore

/// The operations behind the protocol methods that do more than one store call, shared by the daemon's
/// handlers and the command line so both behave the same.
public struct Library: Sendable {
    public let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    public static let scenarioImportFormats = ["auto"] + ScenarioFileFormat.allCases.map(\.rawValue)
    public static let scenarioExportFormats = ScenarioFiles.exportFormats.map(\.rawValue)
    public static let cardImportFormats = ["auto"] + CardFileFormat.allCases.map(\.rawValue)
    public static let cardExportFormats = CardFiles.exportFormats.map(\.rawValue)

    /// `fileName` names the scenario when the file has no title of its own (see `ScenarioFiles.read`).
    /// Every scenario in the file (several for an AI Dungeon export holding several), all or none stored.
    public func importScenario(data: JSONValue, format: String?, fileName: String? = nil) throws -> ScenarioImportResult {
        let chosen = try Self.parseFormat(format, field: "format", allowed: Self.scenarioImportFormats, as: ScenarioFileFormat.self)
        try Validation.name(fileName, field: "fileName")
        let imported = try ScenarioFiles.readAll(data, format: chosen, fileName: fileName)
        for file in imported {
            // Named after the param the cards came in, not the draft field the store would name.
            try AppDatabase.requireRoom(count: file.scenario.cards.count, field: "data")
            try Validation.imported(file)
        }
        return ScenarioImportResult(
            scenarios: try database.createScenarios(imported.map(\.scenario)),
            skipped: imported.flatMap(\.skipped), warnings: imported.flatMap(\.warnings))
    }

    public func exportScenario(id: String, format: String?) throws -> ExportResult {
        let chosen = try Self.parseFormat(format ?? "imaginai", field: "format", allowed: Self.scenarioExportFormats, as: ScenarioFileFormat.self)
            ?? .imaginai
        let scenario = try database.scenario(id: id)
        return ExportResult(format: chosen.rawValue, data: try ScenarioFiles.write(scenario, format: chosen))
    }

    public func importCards(owner: AppDatabase.CardOwner, data: JSONValue, format: String?, mode: CardImportMode) throws -> CardsImportResult {
        let chosen = try Self.parseFormat(format, field: "format", allowed: Self.cardImportFormats, as: CardFileFormat.self)
        // Check the owner first so a missing owner is -31001, not a parse complaint about the file.
        _ = try database.cards(of: owner)
        let json = try ScenarioFiles.parsed(data)
        if AIDungeonScenarios.matches(json) {
            let count = json.arrayValue?.count ?? 1
            throw ResponseError.invalidParams(
                "Invalid params: 'data' is an AI Dungeon scenario export (\(count == 1 ? "1 scenario" : "\(count) scenarios") with prompt, memory and world info), "
                    + "not a card file; import it with scenario/import (on the command line: imaginai import FILE), which keeps every scenario's texts and cards",
                field: "data")
        }
        let imported = try CardFiles.read(json, format: chosen)
        try Validation.imported(imported.cards, origins: imported.origins)
        let cards = try database.importCards(owner: owner, drafts: imported.cards, mode: mode)
        return CardsImportResult(cards: cards, imported: imported.cards.count, skipped: imported.skipped, warnings: imported.warnings,
            format: imported.format.rawValue)
    }

    public func exportCards(owner: AppDatabase.CardOwner, format: String) throws -> ExportResult {
        guard let chosen = try Self.parseFormat(format, field: "format", allowed: Self.cardExportFormats, as: CardFileFormat.self) else {
            throw ResponseError.invalidParams("Invalid params: 'format' must be one of \(Self.cardExportFormats.joined(separator: ", "))", field: "format")
        }
        let cards = try database.cards(of: owner)
        return ExportResult(format: chosen.rawValue, data: try CardFiles.write(cards, format: chosen))
    }

    /// `nil` or "auto" means detect; anything else must be one of `allowed`.
    static func parseFormat<Format: RawRepresentable>(
        _ name: String?, field: String, allowed: [String], as type: Format.Type
    ) throws -> Format? where Format.RawValue == String {
        guard let name, name != "auto" else { return nil }
        guard allowed.contains(name), let format = Format(rawValue: name) else {
            throw ResponseError.invalidParams(
                "Invalid params: '\(field)' must be one of \(allowed.joined(separator: ", ")); got '\(name)'", field: field)
        }
        return format
    }
}
