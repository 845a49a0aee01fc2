import Foundation
import ImaginAIProtocol
import LLM
import Testing

/// Issue 13's check on the offline storyteller, through the real daemon: 200 turns in the sample
/// scenario and in two imported card packs find no sentence without a verb, no unbalanced quote, no
/// sentence repeated within 20 turns, the action's object in every answer to a `do`, and a retry that
/// answers differently.
@Suite(.timeLimit(.minutes(5)))
struct StorytellerProseTests {
    /// One step of a script: an action (with the word its answer must mention), a continue or a retry.
    enum Step {
        case act(kind: String, text: String, mentions: String?)
        case `continue`, retry
    }

    static func `do`(_ text: String, _ object: String? = nil) -> Step { .act(kind: "do", text: text, mentions: object) }
    static func say(_ text: String) -> Step { .act(kind: "say", text: text, mentions: nil) }
    static func story(_ text: String) -> Step { .act(kind: "story", text: text, mentions: nil) }

    static let morrowScript: [Step] = [
        `do`("look around"), `do`("light the lamp in the tower", "lamp"), say("Is anyone here?"),
        `do`("open the door", "door"), `do`("read the ledger", "ledger"), `do`("go to the lamp room", "lamp room"),
        `do`("wind the clockwork", "clockwork"), .retry, `do`("take the ledger", "ledger"), say("Ottoline, where are you?"),
        `do`("listen"), .continue, `do`("examine the lens", "lens"), story("The bell rings again, closer now."),
        `do`("climb down to the keeper's room", "keeper's room"), `do`("drop the ledger", "ledger"), `do`("I open my trunk", "trunk"),
        say("Who rang that bell?"), `do`("walk to the Drowned Stair", "Drowned Stair"), `do`("search the rocks", "rocks"),
        .retry, `do`("shut the door", "door"), `do`("go to Gullwick", "Gullwick"), say("Hello?"), `do`("wait"),
    ]

    static let eldoriaScript: [Step] = [
        `do`("look around"), `do`("walk into the forest", "forest"), say("Is anyone there?"), `do`("search the glade", "glade"),
        `do`("pick up a stick", "stick"), .continue, `do`("listen for beasts"), say("What are the Shadowfangs?"),
        `do`("light a fire", "fire"), .retry, `do`("examine the old tree", "tree"), story("A howl rises somewhere in the dark."),
        `do`("hide behind the rocks", "rocks"), `do`("use my magic", "magic"), `do`("go back to the glade", "glade"), `do`("rest"),
    ]

    static let cityScript: [Step] = [
        `do`("look around"), say("Hello?"), `do`("open the door", "door"), `do`("walk to the Citadel", "Citadel"),
        `do`("hide from the Civil Protection officer", "officer"), `do`("take the rations", "rations"), .continue,
        `do`("examine the scanner", "scanner"), .retry, story("A Combine dropship passes overhead."), say("Who goes there?"),
        `do`("climb onto the roof", "roof"), `do`("search the crates", "crates"), `do`("drop the rations", "rations"), `do`("wait"),
        `do`("run to the Wastelands", "Wastelands"),
    ]

    struct Finding: CustomStringConvertible {
        var turn: Int
        var problem: String
        var text: String
        var description: String { "turn \(turn): \(problem): \(text)" }
    }

    /// Plays `turns` steps of `script` (round and round) and returns what the checks found.
    func play(_ daemon: Daemon, adventureId: JSONValue, script: [Step], turns: Int) async throws -> (findings: [Finding], told: Int, retries: Int) {
        var findings: [Finding] = []
        // The newest answers' sentences, newest last; an answer's sentences must not be in the last 20.
        var recent: [Set<String>] = []
        var previousAnswer = ""
        var told = 0
        var retries = 0
        for step in 0..<turns {
            let result: JSONValue
            var mentions: String?
            switch script[step % script.count] {
            case .act(let kind, let text, let object):
                result = try await daemon.call("story/act", ["adventureId": adventureId, "action": .string(kind), "text": .string(text)])
                mentions = object
            case .continue:
                result = try await daemon.call("story/continue", ["adventureId": adventureId])
            case .retry:
                result = try await daemon.call("story/retry", ["adventureId": adventureId])
                recent.removeLast()
                retries += 1
            }
            let text = result["aiTurn"]?["text"]?.stringValue ?? ""
            func found(_ problem: String, _ detail: String? = nil) { findings.append(Finding(turn: step, problem: problem, text: detail ?? text)) }
            if text.isEmpty { found("empty answer") }
            if case .retry = script[step % script.count], text == previousAnswer { found("retry gave the same answer") }
            if !Prose.quotesBalanced(text) { found("unbalanced quotes") }
            let sentences = Prose.sentences(text)
            told += sentences.count
            for sentence in sentences where !Prose.hasVerb(sentence) { found("no verb", sentence) }
            let keys = Set(sentences.map(Prose.key))
            if keys.count != sentences.count { found("a sentence twice in one answer") }
            for sentence in sentences where recent.suffix(20).contains(where: { $0.contains(Prose.key(sentence)) }) {
                found("repeated within 20 turns", sentence)
            }
            if let mentions, !text.lowercased().contains(mentions.lowercased()) { found("does not mention \(mentions)") }
            recent.append(keys)
            previousAnswer = text
        }
        return (findings, told, retries)
    }

    func setUp() async throws -> Daemon {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        _ = try await daemon.call("settings/update", ["changes": ["storytellerDelayMs": 0]])
        return daemon
    }

    func report(_ name: String, _ outcome: (findings: [Finding], told: Int, retries: Int)) {
        #expect(outcome.findings.isEmpty, "\(name): \(outcome.findings.count) findings in \(outcome.told) sentences:\n\(outcome.findings.prefix(20).map(\.description).joined(separator: "\n"))")
        #expect(outcome.told >= 200 * 3, "\(name): only \(outcome.told) sentences in 200 turns")
    }

    @Test func twoHundredTurnsOfTheSampleScenario() async throws {
        let daemon = try await setUp()
        let scenarios = try await daemon.call("scenario/list")
        let sample = try #require(scenarios["scenarios"]?.arrayValue?.first { $0["name"] == "The Keeper of Morrow Rock" })
        let adventure = try await daemon.call("adventure/start", ["scenarioId": sample["id"]!])
        report("sample", try await play(daemon, adventureId: adventure["id"]!, script: Self.morrowScript, turns: 200))
    }

    /// A card pack imported into an empty scenario: no opening scene, no plot, only cards.
    func playImported(_ file: String, script: [Step]) async throws {
        let daemon = try await setUp()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": .string(file)]])
        let data = try String(contentsOf: Fixtures.formats.appendingPathComponent(file), encoding: .utf8)
        let imported = try await daemon.call("cards/import", ["scenarioId": scenario["id"]!, "data": .string(data)])
        #expect((imported["imported"]?.intValue ?? 0) > 0)
        let adventure = try await daemon.call("adventure/start", ["scenarioId": scenario["id"]!])
        report(file, try await play(daemon, adventureId: adventure["id"]!, script: script, turns: 200))
    }

    @Test func twoHundredTurnsOfAnImportedSillyTavernWorld() async throws {
        try await playImported("sillytavern-world-eldoria-2024.json", script: Self.eldoriaScript)
    }

    @Test func twoHundredTurnsOfImportedKoboldAIWorldInfo() async throws {
        try await playImported("koboldai-story-worldinfo-half-life-2.json", script: Self.cityScript)
    }
}
