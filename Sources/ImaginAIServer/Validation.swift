import Foundation
import ImaginAIProtocol
import ImaginAIStore

/// Checks the store cannot make because they depend on where a value sits in the params: each failure
/// is a -32602 naming that place.
enum Validation {
    static let maxListLimit = 500
    static let defaultListLimit = 50

    static func name(_ value: String?, field: String) throws {
        guard let value else { return }
        if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must not be empty", field: field)
        }
    }

    static func limit(_ value: Int?, field: String = "limit") throws -> Int {
        guard let value else { return defaultListLimit }
        guard (1...maxListLimit).contains(value) else {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must be between 1 and \(maxListLimit); got \(value)", field: field)
        }
        return value
    }

    static func optionalLimit(_ value: Int?, field: String = "limit") throws -> Int? {
        guard let value else { return nil }
        guard value >= 1 else {
            throw ResponseError.invalidParams("Invalid params: '\(field)' must be at least 1; got \(value)", field: field)
        }
        return value
    }

    static func offset(_ value: Int?) throws -> Int {
        guard let value else { return 0 }
        guard value >= 0 else {
            throw ResponseError.invalidParams("Invalid params: 'offset' must not be negative; got \(value)", field: "offset")
        }
        return value
    }

    static func cards(_ cards: [CardDraft]?, field: String) throws {
        for (index, card) in (cards ?? []).enumerated() {
            try name(card.name, field: "\(field)[\(index)].name")
        }
    }

    static func owner(scenarioId: String?, adventureId: String?) throws -> AppDatabase.CardOwner {
        switch (scenarioId, adventureId) {
        case (let scenario?, nil): return .scenario(scenario)
        case (nil, let adventure?): return .adventure(adventure)
        case (nil, nil):
            throw ResponseError.invalidParams("Invalid params: give 'scenarioId' or 'adventureId'", field: "scenarioId")
        case (_?, _?):
            throw ResponseError.invalidParams("Invalid params: give 'scenarioId' or 'adventureId', not both", field: "adventureId")
        }
    }

    static func settings(_ changes: SettingsChanges) throws {
        if let tokens = changes.maxOutputTokens, !Settings.maxOutputTokensRange.contains(tokens) {
            let range = Settings.maxOutputTokensRange
            throw ResponseError.invalidParams(
                "Invalid params: 'changes.maxOutputTokens' must be between \(range.lowerBound) and \(range.upperBound); got \(tokens)",
                field: "changes.maxOutputTokens")
        }
        try range(changes.scanDepth, Settings.scanDepthRange, field: "changes.scanDepth")
        try range(changes.storytellerDelayMs, Settings.storytellerDelayRange, field: "changes.storytellerDelayMs")
        if let model = changes.model {
            let parts = model.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ResponseError.invalidParams(
                    "Invalid params: 'changes.model' must look like 'provider/model' (e.g. offline/storyteller); got '\(model)'",
                    field: "changes.model")
            }
        }
    }

    private static func range(_ value: Int?, _ range: ClosedRange<Int>, field: String) throws {
        guard let value, !range.contains(value) else { return }
        throw ResponseError.invalidParams(
            "Invalid params: '\(field)' must be between \(range.lowerBound) and \(range.upperBound); got \(value)", field: field)
    }
}
