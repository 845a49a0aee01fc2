import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `imaginai web` end to end: the real executables, the real page folder, hand-written HTTP and
/// WebSocket bytes (so the hostile cases can be written too).
@Suite(.serialized)
struct WebBridgeTests {
    let folder: URL
    let server: WebServerProcess

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("imaginai-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        server = try WebServerProcess(database: folder.appendingPathComponent("library.sqlite").path)
    }

    var origin: String { "http://127.0.0.1:\(server.port)" }

    func openSocket() throws -> WebSocketClient {
        let socket = try WebSocketClient(port: server.port, cookieToken: server.token, origin: origin)
        #expect(socket.handshake.status == 101, "upgrade refused: \(socket.refusal ?? "")")
        return socket
    }

    // MARK: Address and token

    @Test func printsOneAddressLineAndNothingElseOnStdout() throws {
        #expect(server.addressLine == "ImaginAI web: http://127.0.0.1:\(server.port)/?token=\(server.token)")
    }

    @Test func everyPathNeedsTheToken() throws {
        for path in ["/", "/index.html", "/rpc.js", "/style.css", "/rpc", "/no-such-file"] {
            let missing = try httpGet(port: server.port, path)
            #expect(missing.status == 401, "\(path) without a token")
            #expect(missing.body.contains("token"))
            #expect(!missing.body.contains("<html"), "\(path) served page content without a token")
            let wrong = try httpGet(port: server.port, path, headers: ["Cookie": "imaginai_token=\(String(server.token.reversed()))"])
            #expect(wrong.status == 401, "\(path) with a wrong cookie")
        }
        let wrongQuery = try httpGet(port: server.port, "/?token=\(server.token.dropLast())")
        #expect(wrongQuery.status == 401)
        let socket = try WebSocketClient(port: server.port, cookieToken: nil, origin: origin)
        #expect(socket.handshake.status == 401)
        #expect(socket.refusal?.contains("token") == true)
        let wrongSocket = try WebSocketClient(port: server.port, cookieToken: "0" + server.token.dropFirst(), origin: origin)
        #expect(wrongSocket.handshake.status == 401)
        #expect(server.childPIDs().isEmpty)
    }

    @Test func theAddressSetsAStrictCookieAndRedirectsToTheBareRoot() throws {
        let first = try httpGet(port: server.port, "/?token=\(server.token)")
        #expect(first.status == 303)
        #expect(first.head["location"] == "/")
        #expect(first.head["set-cookie"] == "imaginai_token=\(server.token); HttpOnly; SameSite=Strict; Path=/")
        let page = try httpGet(port: server.port, "/", headers: ["Cookie": "imaginai_token=\(server.token)"])
        #expect(page.status == 200)
        #expect(page.head["content-type"] == "text/html; charset=utf-8")
        #expect(page.body.contains("<script type=\"module\""))
        #expect(
            page.head["content-security-policy"]
                == "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
        #expect(page.head["x-content-type-options"] == "nosniff")
        #expect(page.head["referrer-policy"] == "no-referrer")
        #expect(page.head["cache-control"] == "no-store")
    }

    @Test func pageFilesComeWithTheirContentTypes() throws {
        let cookie = ["Cookie": "imaginai_token=\(server.token)"]
        let script = try httpGet(port: server.port, "/rpc.js", headers: cookie)
        #expect(script.status == 200)
        #expect(script.head["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.body.contains("export"))
        let style = try httpGet(port: server.port, "/style.css", headers: cookie)
        #expect(style.head["content-type"] == "text/css; charset=utf-8")
        #expect(style.head["x-content-type-options"] == "nosniff")
        let head = try httpGet(port: server.port, "/rpc.js", headers: cookie, method: "HEAD")
        #expect(head.status == 200)
        #expect(head.head["content-length"] == String(script.body.utf8.count))
    }

    @Test func aMissingFileSaysWhatExists() throws {
        let missing = try httpGet(port: server.port, "/nope.js", headers: ["Cookie": "imaginai_token=\(server.token)"])
        #expect(missing.status == 404)
        #expect(missing.body.contains("Not found: /nope.js"))
        #expect(missing.body.contains("/index.html"))
        #expect(missing.body.contains("/rpc.js"))
        #expect(missing.body.contains("/rpc"))
    }

    @Test func noPathLeavesThePageFolder() throws {
        let cookie = ["Cookie": "imaginai_token=\(server.token)"]
        for path in [
            "/../Package.swift", "/../../../Package.swift", "/%2e%2e/%2e%2e/%2e%2e/Package.swift", "/%2E%2E%2F%2E%2E%2F%2E%2E%2FPackage.swift",
            "/.%2e/.%2e/.%2e/Package.swift", "/..%2f..%2f..%2fPackage.swift", "/%2e%2e%5c%2e%2e%5cPackage.swift", "//etc/passwd",
            "/%2fetc%2fpasswd", "/index.html%00.js", "/.git/config",
        ] {
            let result = try httpGet(port: server.port, path, headers: cookie)
            #expect(result.status == 404 || result.status == 400, "\(path) answered \(result.status)")
            #expect(!result.body.contains("PackageDescription") && !result.body.contains("root:"), "\(path) leaked a file")
        }
    }

    // MARK: Host and Origin

    @Test func aForeignHostIsRefusedEvenWithTheToken() throws {
        let cookie = ["Cookie": "imaginai_token=\(server.token)"]
        for host in ["evil.example:\(server.port)", "127.0.0.1:1", "evil.example", "127.0.0.1.evil.example:\(server.port)"] {
            let result = try httpGet(port: server.port, "/", host: host, headers: cookie)
            #expect(result.status == 403, "Host \(host)")
            let socket = try WebSocketClient(port: server.port, cookieToken: server.token, origin: origin, host: host)
            #expect(socket.handshake.status == 403, "WebSocket with Host \(host)")
            #expect(socket.refusal?.contains("Host") == true)
        }
        #expect(try httpGet(port: server.port, "/", host: "localhost:\(server.port)", headers: cookie).status == 200)
        #expect(server.childPIDs().isEmpty)
    }

    @Test func aWebSocketFromAnotherOriginIsRefused() throws {
        for foreign in ["http://evil.example", "http://127.0.0.1:\(server.port + 1)", "https://127.0.0.1:\(server.port)", "null"] {
            let socket = try WebSocketClient(port: server.port, cookieToken: server.token, origin: foreign)
            #expect(socket.handshake.status == 403, "Origin \(foreign)")
            #expect(socket.refusal?.contains("Origin") == true)
            #expect(socket.handshake["content-security-policy"] != nil)
            // Without the upgrade headers the same request gets the reason.
            let plain = try httpGet(port: server.port, "/rpc", headers: ["Cookie": "imaginai_token=\(server.token)", "Origin": foreign])
            #expect(plain.status == 403)
            #expect(plain.body.contains("Origin"))
        }
        let withoutOrigin = try WebSocketClient(port: server.port, cookieToken: server.token, origin: nil)
        #expect(withoutOrigin.handshake.status == 403)
        #expect(server.childPIDs().isEmpty)
        let fromLocalhost = try WebSocketClient(port: server.port, cookieToken: server.token, origin: "http://localhost:\(server.port)", host: "localhost:\(server.port)")
        #expect(fromLocalhost.handshake.status == 101)
        #expect(server.childPIDs().count <= 1)
    }

    // MARK: The bridge

    @Test func aStoryStreamsOverTheSocket() throws {
        let socket = try openSocket()
        let initialize = try socket.result("initialize", ["clientInfo": ["name": "web-bridge-test"]])
        #expect((initialize["serverInfo"] as? [String: Any])?["name"] as? String == "imaginai")
        let scenarios = try socket.result("scenario/list")
        let sample = try #require((scenarios["scenarios"] as? [[String: Any]])?.first?["id"] as? String)
        let adventure = try socket.result("adventure/start", ["scenarioId": sample])
        let adventureID = try #require(adventure["id"] as? String)
        let (response, before) = try socket.request("story/act", ["adventureId": adventureID, "action": "do", "text": "open the lighthouse door"])
        let result = try #require(response["result"] as? [String: Any])
        let chunks = before.filter { $0["method"] as? String == "story/chunk" }.compactMap { $0["params"] as? [String: Any] }
        #expect(chunks.count >= 2, "the story came in one piece: \(before)")
        #expect(chunks.map { $0["seq"] as? Int } == Array(0..<chunks.count).map { $0 })
        let streamed = chunks.compactMap { $0["text"] as? String }.joined()
        let stored = try #require((result["aiTurn"] as? [String: Any])?["text"] as? String)
        #expect(!streamed.isEmpty)
        #expect(stored.hasPrefix(streamed.trimmingCharacters(in: .whitespaces)) || streamed.contains(stored) || stored.contains(streamed.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func eachSocketHasItsOwnDaemonAndTheySeeEachOther() throws {
        let first = try openSocket()
        let second = try openSocket()
        _ = try first.result("initialize")
        _ = try second.result("initialize")
        let daemons = server.childPIDs()
        #expect(daemons.count == 2, "daemons: \(daemons)")
        let created = try first.result("scenario/create", ["scenario": ["name": "Made in the first tab"]])
        let id = try #require(created["id"] as? String)
        // The second daemon learns of the first one's commit through the shared file.
        while true {
            let message = try second.receiveJSON()
            guard message["method"] as? String == "library/changed" else { continue }
            let change = message["params"] as? [String: Any]
            if change?["id"] as? String == id {
                #expect(change?["kind"] as? String == "scenario")
                #expect(change?["change"] as? String == "created")
                break
            }
        }
    }

    @Test func closingTheSocketEndsItsDaemon() async throws {
        let socket = try openSocket()
        _ = try socket.result("initialize")
        let daemons = server.childPIDs()
        #expect(daemons.count == 1)
        try socket.sendClose()
        let started = ContinuousClock.now
        #expect(await eventually(timeout: .seconds(5)) { server.childPIDs().isEmpty }, "daemons left: \(server.childPIDs())")
        #expect(ContinuousClock.now - started < .seconds(1.5), "the daemon took \(ContinuousClock.now - started) to end")

        // Dropping the connection without a close frame ends it too.
        var dropped: WebSocketClient? = try openSocket()
        _ = try dropped?.result("initialize")
        #expect(server.childPIDs().count == 1)
        dropped = nil
        #expect(await eventually(timeout: .seconds(5)) { server.childPIDs().isEmpty })
    }

    @Test func ctrlCEndsTheServerAndItsDaemonsWhileASocketIsOpen() async throws {
        // This client never answers the server's close frame, like a frozen tab.
        let socket = try openSocket()
        _ = try socket.result("initialize")
        let daemons = server.childPIDs()
        #expect(daemons.count == 1)
        server.process.interrupt()
        #expect(await eventually(timeout: .seconds(5)) { !server.process.isRunning }, "imaginai web still runs after SIGINT")
        #expect(server.process.terminationStatus == 0)
        for daemon in daemons { #expect(kill(daemon, 0) != 0, "daemon \(daemon) outlived the server") }
    }

    @Test func aDaemonThatDiesClosesItsSocketWithAReason() async throws {
        let socket = try openSocket()
        _ = try socket.result("initialize")
        let daemon = try #require(server.childPIDs().first)
        kill(daemon, SIGKILL)
        var frame = try socket.receive()
        while case .text = frame { frame = try socket.receive() }
        guard case .close(let code, let reason) = frame else { Issue.record("expected a close frame, got \(frame)"); return }
        #expect(code == 1011)
        #expect(reason.contains("imaginai serve ended"))
        // The log comes through a pipe read on another thread: wait for the line to arrive.
        #expect(await eventually { server.log.text.contains("daemon \(daemon) ended") }, "log: \(server.log.text)")
    }

    @Test func aBinaryFrameIsAnsweredWithAJSONRPCError() throws {
        let socket = try openSocket()
        try socket.sendFrame(opcode: 0x2, Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#.utf8))
        let answer = try socket.receiveJSON()
        let error = try #require(answer["error"] as? [String: Any])
        #expect(error["code"] as? Int == -32600)
        #expect((error["message"] as? String)?.contains("text frames") == true)
        #expect(answer["id"] is NSNull)
        // The socket still works.
        _ = try socket.result("initialize")
    }

    @Test func aNonRequestTextIsTheDaemonsToAnswer() throws {
        let socket = try openSocket()
        try socket.send("this is not JSON")
        let answer = try socket.receiveJSON()
        #expect((answer["error"] as? [String: Any])?["code"] as? Int == -32700)
    }
}

/// imaginai-web run directly, for what `imaginai web` does not expose.
struct WebBridgeLimitTests {
    @Test func aMessageOverTheLimitClosesTheSocketWithAReason() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imaginai-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let server = try WebServerProcess(
            database: folder.appendingPathComponent("library.sqlite").path,
            direct: ["--serve", WebServerProcess.productsFolder.appendingPathComponent("imaginai").path, "--max-message-bytes", "2048"])
        defer { server.stop() }
        let socket = try WebSocketClient(port: server.port, cookieToken: server.token, origin: "http://127.0.0.1:\(server.port)")
        #expect(socket.handshake.status == 101)
        let padding = String(repeating: "x", count: 4096)
        try socket.send(#"{"jsonrpc":"2.0","id":1,"method":"scenario/list","params":{"query":"\#(padding)"}}"#)
        var frame = try socket.receive()
        while case .text = frame { frame = try socket.receive() }
        guard case .close(let code, _) = frame else { Issue.record("expected a close frame, got \(frame)"); return }
        #expect(code == 1009)
        #expect(server.process.isRunning, "the server must survive an oversized message")
    }

    @Test func aPortInUseIsNamedWithWhatToDo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imaginai-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let first = try WebServerProcess(database: folder.appendingPathComponent("library.sqlite").path)
        defer { first.stop() }
        let second = Process()
        second.executableURL = WebServerProcess.productsFolder.appendingPathComponent("imaginai")
        second.arguments = ["web", "--db", folder.appendingPathComponent("library.sqlite").path, "--port", String(first.port), "--no-open"]
        let output = Pipe()
        let errors = Pipe()
        second.standardOutput = output
        second.standardError = errors
        try second.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        #expect(printed.isEmpty, "nothing on stdout but the address line, and there is none")
        #expect(message.contains("port \(first.port) on 127.0.0.1 is already in use"))
        #expect(message.contains("--port 0"))
    }

    @Test func theImaginaiWebCommandSaysHowToBuildAMissingServer() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imaginai-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A copy of imaginai alone in a folder: no imaginai-web beside it, none on PATH.
        let lonely = folder.appendingPathComponent("imaginai")
        try FileManager.default.copyItem(at: WebServerProcess.productsFolder.appendingPathComponent("imaginai"), to: lonely)
        let process = Process()
        process.executableURL = lonely
        process.arguments = ["web", "--db", folder.appendingPathComponent("library.sqlite").path, "--no-open"]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("swift build --product imaginai-web"))
    }
}
