import Foundation
import Testing
@testable import ImaginAIStore
import ImaginAIProtocol

@Suite struct SettingsTests {
    @Test func defaultsUntilChanged() throws {
        let db = try emptyDB()
        #expect(try db.settings() == Settings.defaults)
        #expect(try db.updateSettings(SettingsChanges()) == Settings.defaults)
    }

    @Test func partialChangesAreStoredExactly() throws {
        let db = try emptyDB()
        var expected = Settings.defaults
        expected.maxOutputTokens = 5000   // out of range: stored anyway, the server validates
        expected.model = "remote/some-model"
        #expect(try db.updateSettings(SettingsChanges(model: "remote/some-model", maxOutputTokens: 5000)) == expected)
        expected.responseHandling = .summarize
        expected.allowThinking = true
        expected.baseSystemInstruction = "Be terse. \"Quotes\" / slashes \n and ünïcödé."
        #expect(try db.updateSettings(SettingsChanges(
            responseHandling: .summarize, allowThinking: true,
            baseSystemInstruction: "Be terse. \"Quotes\" / slashes \n and ünïcödé.")) == expected)
        #expect(try db.settings() == expected)
        // Back to the default value explicitly.
        expected.allowThinking = false
        #expect(try db.updateSettings(SettingsChanges(allowThinking: false)) == expected)
    }

    @Test func undecodableStoredValueFallsBackToDefault() throws {
        let db = try emptyDB()
        _ = try db.updateSettings(SettingsChanges(model: "a/b"))
        try db.execute("INSERT INTO setting (key, value) VALUES ('maxOutputTokens', '\"lots\"')")
        try db.execute("INSERT INTO setting (key, value) VALUES ('someFutureSetting', '1')")
        let settings = try db.settings()
        #expect(settings.model == "a/b")
        #expect(settings.maxOutputTokens == Settings.defaults.maxOutputTokens)
    }
}
