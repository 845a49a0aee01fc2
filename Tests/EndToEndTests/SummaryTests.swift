import Foundation
import ImaginAIProtocol
import JSONRPC
import ProviderTestSupport
import Synchronization
import Testing

/// The adventure's summary through the real daemon over its pipes: edited, sent as a prompt section,
/// versioned and taken back; rewritten automatically after every `summaryEveryTurns` turns, after the
/// answer and never delaying it; copied with the adventure.
@Suite(.timeLimit(.minutes(3)))
struct SummaryTests {
    static let contract = MethodTests.contract
    let story = StoryTests()

    func versions(_ daemon: Daemon, _ adventureId: JSONValue) async throws -> [JSONValue] {
        let result = try await daemon.call("adventure/summaryVersions", ["adventureId": adventureId])
        #expect(Self.contract.violations(result: result, method: "adventure/summaryVersions").isEmpty, "\(result)")
        return result["versions"]!.arrayValue!
    }

    /// Asks for the versions until `condition` holds of them; a rewrite runs in the background, so the
    /// test waits for its effect (with a generous deadline), never for a fixed time.
    func versions(
        _ daemon: Daemon, _ adventureId: JSONValue, within deadline: Duration = .seconds(30), until condition: ([JSONValue]) -> Bool
    ) async throws -> [JSONValue] {
        let end = ContinuousClock.now + deadline
        while true {
            let listed = try await versions(daemon, adventureId)
            if condition(listed) { return listed }
            guard ContinuousClock.now < end else {
                Issue.record("the summary versions never met the condition: \(listed)")
                return listed
            }
            await Task.yield()
        }
    }

    @Test func anEditedSummaryIsSentBeforeTheHistoryAndAnEarlierVersionTakesARewriteBack() async throws {
        let daemon = try Daemon()
        let adventure = try await story.startAdventure(daemon)
        let aid = adventure["id"]!
        #expect(adventure["summary"] == "")
        #expect(try await versions(daemon, aid).isEmpty)
        var preview = try await daemon.call("story/preview", ["adventureId": aid, "action": "do", "text": "wait"])
        #expect(!(preview["sections"]!.arrayValue!.contains { $0["name"] == "summary" }), "an empty summary sends no section")

        let first = "The ferry sank last winter; Mira Vell blames the fog."
        let updated = try await daemon.call("adventure/update", ["id": aid, "changes": ["summary": .string(first)]])
        #expect(updated["summary"] == .string(first))
        preview = try await daemon.call("story/preview", ["adventureId": aid, "action": "do", "text": "wait"])
        #expect(Self.contract.violations(result: preview, method: "story/preview").isEmpty, "\(preview)")
        let names = preview["sections"]!.arrayValue!.compactMap { $0["name"]?.stringValue }
        let summaryAt = try #require(names.firstIndex(of: "summary"), "\(names)")
        #expect(names[summaryAt + 1] == "history")
        let section = preview["sections"]!.arrayValue![summaryAt]
        #expect(section["text"] == .string("[Story so far: \(first)]"))
        #expect((section["tokens"]?.intValue ?? 0) > 0)

        // The section counts in what an answer used.
        let acted = try await daemon.call("story/act", ["adventureId": aid, "action": "do", "text": "look for the harbormaster"])
        #expect(acted["usage"]?["sections"]?["summary"] == section["tokens"])

        let second = "A bad rewrite that forgot the ferry."
        _ = try await daemon.call("adventure/update", ["id": aid, "changes": ["summary": .string(second)]])
        // Taking it back: the earlier text again, as a new version; nothing is lost.
        let earlier = try await versions(daemon, aid)[0]["text"]!
        let restored = try await daemon.call("adventure/update", ["id": aid, "changes": ["summary": earlier]])
        #expect(restored["summary"] == .string(first))
        let listed = try await versions(daemon, aid)
        #expect(listed.map { $0["text"]! } == [.string(first), .string(second), .string(first)])
        #expect(listed.map { $0["version"]! } == [0, 1, 2])
        #expect(listed.map { $0["source"]! } == ["user", "user", "user"])
        #expect(listed.map { $0["current"]! } == [false, false, true])
        #expect(try await daemon.call("adventure/get", ["id": aid])["summary"] == .string(first))

        // A copy has the summary and its versions; clearing the copy's leaves the original's alone.
        let copy = try await daemon.call("adventure/duplicate", ["id": aid])
        #expect(copy["summary"] == .string(first))
        #expect(try await versions(daemon, copy["id"]!).map { $0["text"]! } == listed.map { $0["text"]! })
        _ = try await daemon.call("adventure/update", ["id": copy["id"]!, "changes": ["summary": ""]])
        let copyPreview = try await daemon.call("story/preview", ["adventureId": copy["id"]!])
        #expect(!(copyPreview["sections"]!.arrayValue!.contains { $0["name"] == "summary" }))
        #expect(try await versions(daemon, aid).count == 3)
        #expect(try await versions(daemon, copy["id"]!).count == 4)
    }

    @Test func theOfflineStorytellerRewritesTheSummaryEveryTwoTurnsFromWhatHappened() async throws {
        let daemon = try Daemon()
        let adventure = try await story.startAdventure(daemon)
        let aid = adventure["id"]!
        let settings = try await daemon.call("settings/update", ["changes": ["autoSummary": true, "summaryEveryTurns": 2]])
        #expect(settings["autoSummary"] == true && settings["summaryEveryTurns"] == 2)
        _ = try await daemon.call("adventure/update", ["id": aid, "changes": ["summary": "You came to Kell looking for your brother."]])

        let actions = ["ask the harbormaster about the ferry", "walk to the end of the pier", "ring the old bell", "look at the dark water"]
        var answers: [String] = []
        for action in actions {
            let result = try await daemon.call("story/act", ["adventureId": aid, "action": "do", "text": .string(action)])
            answers.append(result["aiTurn"]!["text"]!.stringValue!)
        }
        let lastAction = "You look at the dark water."
        let listed = try await versions(daemon, aid) { listed in
            listed.last?["text"]?.stringValue?.contains(lastAction) == true
        }
        let auto = listed.filter { $0["source"] == "auto" }
        #expect(auto.count >= 2, "four answers two turns apart bring at least two rewrites: \(listed)")
        #expect(listed.first?["source"] == "user" && listed.last?["current"] == true)
        let summary = try #require(listed.last?["text"]?.stringValue)
        // Extractive: the old summary first, the player's actions as they read, sentences of the answers.
        #expect(summary.hasPrefix("You came to Kell looking for your brother."), "\(summary)")
        #expect(summary.contains("You ask the harbormaster about the ferry."), "\(summary)")
        #expect(answers.contains { summary.contains($0.prefix(24)) }, "no sentence of an answer in \(summary)")
        #expect(summary.count <= 1_200)
        #expect(try await daemon.call("adventure/get", ["id": aid])["summary"] == .string(summary))
        let preview = try await daemon.call("story/preview", ["adventureId": aid])
        #expect(preview["sections"]!.arrayValue!.contains { $0["name"] == "summary" && $0["text"] == .string("[Story so far: \(summary)]") })
    }

    /// A provider's model writes the rewrite. The fake provider holds the rewrite's request until the
    /// test lets it go: the answer, and a further answer, arrive while the rewrite is still pending.
    @Test func theRewriteStartsAfterTheAnswerAndNeverDelaysIt() async throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try FakeProviderServer { request in
            if request.path == "/v1/models" {
                return FakeResponse.complete(status: 200, body: #"{"object":"list","data":[{"id":"fake","object":"model"}]}"#)
            }
            if request.bodyText.contains("You keep the summary of an interactive story") {
                return [.run { gate.wait() }] + FakeResponse.stream(FakeResponse.openAIStream(["You met Mira Vell ", "at the quay."]))
            }
            return FakeResponse.stream(FakeResponse.openAIStream(["The fog ", "thickens."]))
        }
        defer { gate.signal() }
        let directory = try temporaryDirectory()
        let daemon = try Daemon(
            arguments: ["serve", "--db", directory.appendingPathComponent("story.sqlite").path],
            environment: ["OPENAI_BASE_URL": server.baseURL + "/v1", "OPENAI_API_KEY": "sk-test", "IMAGINAI_PROVIDER_BACKOFF_MS": "10"])
        let adventure = try await story.startAdventure(daemon)
        let aid = adventure["id"]!
        _ = try await daemon.call("settings/update", ["changes": ["model": "openai/fake", "autoSummary": true, "summaryEveryTurns": 2]])

        let first = try await daemon.call("story/act", ["adventureId": aid, "action": "say", "text": "Hello, Mira."])
        #expect(first["aiTurn"]?["text"] == "The fog thickens.")
        // The rewrite has been asked for and is held; the answer came anyway, and so does the next one.
        let deadline = ContinuousClock.now + .seconds(30)
        while !server.requests.contains(where: { $0.bodyText.contains("You keep the summary") }) {
            try #require(ContinuousClock.now < deadline, "the rewrite was never requested")
            await Task.yield()
        }
        let rewriteRequest = try #require(server.requests.first { $0.bodyText.contains("You keep the summary") })
        #expect(rewriteRequest.bodyText.contains("Hello, Mira."), "the rewrite reads the turns since: \(rewriteRequest.bodyText)")
        let second = try await daemon.call("story/act", ["adventureId": aid, "action": "do", "text": "wait"])
        #expect(second["aiTurn"]?["text"] == "The fog thickens.")
        #expect(try await versions(daemon, aid).isEmpty, "the rewrite is still held")

        gate.signal()
        let listed = try await versions(daemon, aid) { !$0.isEmpty }
        #expect(listed.first?["text"] == "You met Mira Vell at the quay.")
        #expect(listed.first?["source"] == "auto")
        // The second answer's rewrite waited for the first, which had read only up to the first answer,
        // and then found two more turns: it asks the model again.
        gate.signal()
        let settled = try await versions(daemon, aid) { $0.count == 2 }
        #expect(settled.map { $0["source"]! } == ["auto", "auto"])
        let requests = server.requests.filter { $0.bodyText.contains("You keep the summary") }
        #expect(requests.count == 2)
        #expect(requests.last?.bodyText.contains("You met Mira Vell at the quay.") == true, "the second rewrite starts from the first")
    }

    @Test func badRequestsAreRefusedWithErrorsThatSayWhy() async throws {
        let daemon = try Daemon()
        let adventure = try await story.startAdventure(daemon)
        let aid = adventure["id"]!
        let unknown = try await daemon.request("adventure/summaryVersions", ["adventureId": "adv_missing"])
        #expect(unknown["error"]?["code"] == -31001, "\(unknown)")
        #expect(unknown["error"]?["data"]?["id"] == "adv_missing")
        let missing = try await daemon.request("adventure/summaryVersions", ["id": aid])
        #expect(missing["error"]?["code"] == -32602, "\(missing)")
        let null = try await daemon.request("adventure/update", ["id": aid, "changes": ["summary": nil]])
        #expect(null["error"]?["code"] == -32602, "\(null)")
        let tooOften = try await daemon.request("settings/update", ["changes": ["summaryEveryTurns": 1]])
        #expect(tooOften["error"]?["code"] == -32602)
        #expect(tooOften["error"]?["data"]?["field"] == "changes.summaryEveryTurns", "\(tooOften)")
        let notABool = try await daemon.request("settings/update", ["changes": ["autoSummary": "yes"]])
        #expect(notABool["error"]?["code"] == -32602, "\(notABool)")
        #expect(try await versions(daemon, aid).isEmpty, "nothing refused was stored")
        let settings = try await daemon.call("settings/get")
        #expect(settings["autoSummary"] == false && settings["summaryEveryTurns"] == 10)
    }
}
