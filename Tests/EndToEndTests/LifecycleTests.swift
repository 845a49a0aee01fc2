import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

@Suite(.timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test func initializeShutdownExitEndsWithCodeZero() async throws {
        let daemon = try Daemon()
        let result = try await daemon.initialize()
        #expect(result["serverInfo"]?["name"] == "imaginai")
        #expect(result["protocolVersion"]?.stringValue?.isEmpty == false)
        let methods = result["capabilities"]?["methods"]?.arrayValue ?? []
        #expect(methods.contains("scenario/import") && methods.contains("shutdown"))
        #expect(result["capabilities"]?["limits"]?["maxMessageBytes"] == .int(16 << 20))

        let shutdown = try await daemon.request("shutdown")
        // The key must be present with a null value: some clients hang on a missing "result".
        #expect(shutdown.objectValue?.keys.contains("result") == true)
        #expect(shutdown["result"] == .null)
        let late = try await daemon.request("scenario/list")
        #expect(late["error"]?["code"] == .int(-32600))
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test func exitWithoutShutdownEndsWithCodeOne() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        try daemon.notify("exit")
        #expect(try await daemon.waitForExit() == 1)
    }

    @Test func endOfInputFinishesInFlightWorkThenExits() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("db.sqlite").path
        let daemon = try Daemon(database: path)
        _ = try await daemon.initialize()
        // Pipelined writes immediately followed by end of input: every one must be committed.
        for index in 0..<20 {
            daemon.send(body: #"{"jsonrpc":"2.0","id":\#(1000 + index),"method":"scenario/create","params":{"scenario":{"name":"Pipelined \#(index)"}}}"#)
        }
        daemon.closeInput()
        #expect(try await daemon.waitForExit() == 1)
        let check = try Daemon(database: path)
        _ = try await check.initialize()
        let list = try await check.call("scenario/list", ["query": "Pipelined", "limit": 100])
        #expect(list["total"] == 20)
    }

    @Test func requestsBeforeInitializeGetServerNotInitialized() async throws {
        let daemon = try Daemon()
        let early = try await daemon.request("scenario/list")
        #expect(early["error"]?["code"] == .int(-32002))
        _ = try await daemon.initialize()
        let again = try await daemon.request("initialize")
        #expect(again["error"]?["code"] == .int(-32600))
    }

    @Test func idsAreEchoedUnchangedWhateverTheirType() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        for id in [#""abc-1""#, "42", "0", #""""#, "-7", "9007199254740991"] {
            daemon.send(body: #"{"jsonrpc":"2.0","id":\#(id),"method":"settings/get"}"#)
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(id.utf8))
            let response = try await daemon.response(to: expected)
            #expect(response["result"]?["model"] != nil, "id \(id)")
        }
        // Params absent, null and {} are all accepted by a method that takes none.
        for params in ["", #","params":null"#, #","params":{}"#] {
            daemon.send(body: #"{"jsonrpc":"2.0","id":"p","method":"settings/get"\#(params)}"#)
            #expect(try await daemon.response(to: "p")["result"] != nil)
        }
    }

    @Test func stdoutCarriesOnlyFramesEvenWithDebugLogging() async throws {
        let daemon = try Daemon(arguments: ["serve", "--db", ":memory:", "--log-level", "debug"])
        _ = try await daemon.initialize()
        _ = try await daemon.call("scenario/list")
        _ = try await daemon.request("no/such")
        _ = try await daemon.request("shutdown")
        try daemon.notify("exit")
        _ = try await daemon.waitForExit()
        var parser = FrameParser()
        parser.append(daemon.stdoutBytes)
        var messages = 0
        while let event = parser.next() {
            guard case .message(let body) = event else { Issue.record("stdout had a non-frame: \(event)"); return }
            #expect(String(decoding: body.prefix(1), as: UTF8.self) == "{")
            messages += 1
        }
        #expect(parser.isIdle)
        #expect(messages == 4)
        #expect(daemon.stderr.contains("serving on stdio"))
        // Exactly the one header, spelled exactly so.
        #expect(String(decoding: daemon.stdoutBytes.prefix(16), as: UTF8.self) == "Content-Length: ")
    }

    @Test func versionFlagPrintsTheVersion() async throws {
        let daemon = try Daemon(arguments: ["--version"])
        #expect(try await daemon.waitForExit() == 0)
        #expect(String(decoding: daemon.stdoutBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
