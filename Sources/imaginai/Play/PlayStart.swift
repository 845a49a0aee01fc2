import Foundation
import ImaginAIProtocol
import JSONRPC

/// Finds the adventure to play, only through the protocol.
struct PlayStart {
    let client: DaemonClient
    let console: Console

    static let sampleScenarioName = "The Keeper of Morrow Rock"

    func adventure(id: String) async throws -> Adventure {
        try await client.call(AdventureGetRequest(id: id))
    }

    /// A new adventure in the scenario with this id, or else this name (case-insensitive).
    func startScenario(named choice: String) async throws -> Adventure {
        let scenarios = try await allScenarios()
        let wanted = choice.lowercased()
        let found = scenarios.first { $0.id == choice }
            ?? scenarios.first { $0.name.lowercased() == wanted }
            ?? Self.unique(scenarios.filter { $0.name.lowercased().contains(wanted) })
        guard let scenario = found else {
            let names = scenarios.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw CommandLineError("no scenario with id or name \"\(choice)\"; there are: \(names.isEmpty ? "none" : names)")
        }
        return try await start(scenario)
    }

    /// With no choice: the adventure played last, or on a fresh database one in the sample scenario.
    func defaultAdventure() async throws -> Adventure {
        let recent = try await client.call(AdventureListRequest(limit: 1))
        if let latest = recent.adventures.first {
            return try await adventure(id: latest.id)
        }
        let scenarios = try await allScenarios()
        guard let scenario = scenarios.first(where: { $0.name == Self.sampleScenarioName }) ?? scenarios.first else {
            throw CommandLineError("there are no scenarios to play; import one with 'imaginai import FILE'")
        }
        return try await start(scenario)
    }

    /// The terminal menu: resume an adventure, start one in a scenario, or import a scenario file.
    /// Enter picks the first entry, which is what `defaultAdventure` would have chosen.
    func menu(input: any LineSource) async throws -> Adventure? {
        while true {
            let adventures = try await client.call(AdventureListRequest(limit: 9)).adventures
            var scenarios = try await allScenarios()
            if let sample = scenarios.firstIndex(where: { $0.name == Self.sampleScenarioName }) {
                scenarios.insert(scenarios.remove(at: sample), at: 0)
            }
            var number = 0
            if !adventures.isEmpty {
                console.line("Continue an adventure:", .heading)
                for summary in adventures {
                    number += 1
                    console.line("  \(number)) \(summary.name) — \(PlaySession.count(summary.turnCount, "turn")), last played \(summary.lastPlayedAt.prefix(16).replacingOccurrences(of: "T", with: " "))")
                }
            }
            console.line("Start a new adventure:", .heading)
            for scenario in scenarios {
                number += 1
                console.line("  \(number)) \(scenario.name)")
            }
            console.line("  i) import a scenario file", .note)
            console.line("  q) quit", .note)
            guard let answer = await input.readLine(prompt: "Choice [1]: ")?.trimmingCharacters(in: .whitespaces) else { return nil }
            switch answer.lowercased() {
            case "q", "/quit": return nil
            case "i":
                guard let path = await input.readLine(prompt: "File path: ")?.trimmingCharacters(in: .whitespaces) else { return nil }
                do {
                    return try await start(try await importScenario(path: path))
                } catch {
                    console.line(PlaySession.describe(error), .error)
                    continue
                }
            default:
                let choice = answer.isEmpty ? 1 : Int(answer) ?? 0
                if choice >= 1 && choice <= adventures.count {
                    return try await adventure(id: adventures[choice - 1].id)
                }
                if choice > adventures.count && choice <= number {
                    return try await start(scenarios[choice - adventures.count - 1])
                }
                console.line("Type a number from the list, i or q.", .error)
            }
        }
    }

    private func importScenario(path: String) async throws -> ScenarioSummary {
        let expanded = (path as NSString).expandingTildeInPath
        let text: String
        do {
            text = try String(contentsOfFile: expanded, encoding: .utf8)
        } catch {
            throw CommandLineError("cannot read \(expanded): \(error.localizedDescription)")
        }
        let scenario = try await client.call(ScenarioImportRequest(data: .string(text), fileName: expanded))
        console.line("Imported \"\(scenario.name)\" with \(PlaySession.count(scenario.cards.count, "card")).", .note)
        return ScenarioSummary(
            id: scenario.id, name: scenario.name, playerDescription: scenario.playerDescription, tags: scenario.tags,
            visibility: scenario.visibility, cardCount: scenario.cards.count, createdAt: scenario.createdAt, updatedAt: scenario.updatedAt)
    }

    private func start(_ scenario: ScenarioSummary) async throws -> Adventure {
        try await client.call(AdventureStartRequest(scenarioId: scenario.id))
    }

    private func allScenarios() async throws -> [ScenarioSummary] {
        var scenarios: [ScenarioSummary] = []
        while true {
            let page = try await client.call(ScenarioListRequest(limit: 500, offset: scenarios.count))
            scenarios += page.scenarios
            if page.scenarios.isEmpty || scenarios.count >= page.total { return scenarios }
        }
    }

    private static func unique<T>(_ items: [T]) -> T? {
        items.count == 1 ? items[0] : nil
    }
}
