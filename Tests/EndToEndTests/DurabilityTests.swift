import ImaginAIProtocol
import Foundation
import ImaginAIStore
import JSONRPC
import Testing

@Suite(.timeLimit(.minutes(3)))
struct DurabilityTests {
    /// kill -9 while writes stream in: every write whose response arrived is on disk, and the file is intact.
    @Test func killDuringWritesLosesNothingAcknowledged() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("crash.sqlite").path
        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let cards = (0..<20).map { JSONValue.object(["name": .string("Card \($0)"), "keys": ["key \($0)"], "description": .string(String(repeating: "lore ", count: 50))]) }
        // Pipeline many writes, wait for some acknowledgements, then kill mid-stream.
        for index in 0..<200 {
            let params: JSONValue = ["scenario": ["name": .string("Crash \(index)"), "cards": .array(cards)]]
            daemon.send(body: String(decoding: try JSONCoding.encode(JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(index)), "method": "scenario/create", "params": params])), as: UTF8.self))
        }
        var acknowledged: [String] = []
        for index in 0..<30 {
            let response = try await daemon.response(to: .int(Int64(index)))
            if let name = response["result"]?["name"]?.stringValue { acknowledged.append(name) }
        }
        daemon.kill()
        #expect(acknowledged.count == 30)

        let store = try AppDatabase.open(path: path)
        #expect(try store.integrityCheck() == "ok")
        let stored = try store.listScenarios(query: "Crash", tag: nil, limit: 500, offset: 0)
        let names = Set(stored.scenarios.map(\.name))
        for name in acknowledged { #expect(names.contains(name), "\(name) was acknowledged but is missing") }
        // No half-written scenario: each stored one has all its cards.
        for summary in stored.scenarios { #expect(summary.cardCount == 20, "\(summary.name) has \(summary.cardCount) cards") }
    }

    /// Two daemons on one file: both write at once; neither sees "database is locked"; each sees the other's writes.
    @Test func twoDaemonsShareOneDatabase() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("shared.sqlite").path
        let first = try Daemon(database: path)
        let second = try Daemon(database: path)
        _ = try await first.initialize()
        _ = try await second.initialize()
        let perDaemon = 60
        for (label, daemon) in [("A", first), ("B", second)] {
            for index in 0..<perDaemon {
                daemon.send(body: #"{"jsonrpc":"2.0","id":"\#(label)\#(index)","method":"scenario/create","params":{"scenario":{"name":"Shared \#(label)\#(index)","cards":[{"name":"c"}]}}}"#)
            }
        }
        for (label, daemon) in [("A", first), ("B", second)] {
            for index in 0..<perDaemon {
                let response = try await daemon.response(to: .string("\(label)\(index)"), timeout: .seconds(60))
                #expect(response["error"] == nil, "\(label)\(index): \(response)")
            }
        }
        let seenByFirst = try await first.call("scenario/list", ["query": "Shared", "limit": 500])
        let seenBySecond = try await second.call("scenario/list", ["query": "Shared", "limit": 500])
        #expect(seenByFirst["total"] == .int(Int64(2 * perDaemon)))
        #expect(seenBySecond["total"] == .int(Int64(2 * perDaemon)))
        // Both opened a fresh file at once: the sample was seeded exactly once.
        let all = try await first.call("scenario/list", ["limit": 500])
        #expect(all["total"] == .int(Int64(2 * perDaemon + 1)))
    }

    @Test func databaseFileIsOwnerOnly() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("nested/dirs/private.sqlite").path
        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        #expect(permissions & 0o077 == 0, "permissions \(String(permissions, radix: 8))")
    }

    @Test func databaseLocationFollowsEnvironment() async throws {
        let directory = try temporaryDirectory()
        let daemon = try Daemon(arguments: ["serve"], environment: ["XDG_DATA_HOME": directory.path, "IMAGINAI_DB": ""])
        _ = try await daemon.initialize()
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("imaginai/imaginai.sqlite").path))
        let explicit = directory.appendingPathComponent("env.sqlite").path
        let second = try Daemon(arguments: ["serve"], environment: ["IMAGINAI_DB": explicit])
        _ = try await second.initialize()
        #expect(FileManager.default.fileExists(atPath: explicit))
    }
}
