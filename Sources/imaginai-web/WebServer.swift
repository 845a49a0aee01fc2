import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import Synchronization

/// The HTTP side: the token-to-cookie redirect, the page's files, and `/rpc` upgraded to a WebSocket
/// whose text frames are JSON-RPC messages for a daemon of its own.
struct WebServer: Sendable {
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    /// Not among HTTPTypes' predefined names.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    let token: String
    let requestedPort: Int
    let page: PageFiles
    let servePath: String
    let databasePath: String
    let maxMessageBytes: Int
    let logger: Logger
    /// Known once the socket is bound (`--port 0` lets the system choose); 0 until then.
    let boundPort = BoundPort()

    /// A fresh guard per request: the port in it is the bound one.
    var access: AccessGuard { AccessGuard(token: token, port: boundPort.value) }

    func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let webSocketRouter = Router(context: BridgeRequestContext.self)
        webSocketRouter.ws("/rpc") { request, context in
            let verdict = access.check(request, isWebSocket: true)
            UpgradeRefusals.shared.note(verdict, on: context.channel)
            return verdict == .allowed ? .upgrade([:]) : .dontUpgrade
        } onUpgrade: { inbound, outbound, _ in
            await bridge(inbound: inbound, outbound: outbound)
        }
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in respond(to: request) },
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                configuration: .init(
                    http1: .init(additionalChannelHandlers: [RefusedUpgradeAnswer()]),
                    // A page on loopback answers a close at once; one that does not (a frozen tab) must not
                    // hold up Ctrl-C for the default 15 seconds.
                    ws: .init(maxFrameSize: maxMessageBytes, closeTimeout: .seconds(1)))),
            configuration: .init(address: .hostname("127.0.0.1", port: requestedPort), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? requestedPort
                boundPort.value = port
                onListening(port)
            },
            logger: logger)
        try await app.runService()
    }

    // MARK: HTTP

    func respond(to request: Request) -> Response {
        let path = request.uri.path
        switch access.check(request, isWebSocket: path == "/rpc") {
        case .forbidden(let reason): return textResponse(.forbidden, reason)
        case .unauthorized(let reason): return textResponse(.unauthorized, reason)
        case .allowed: break
        }
        guard request.method == .get || request.method == .head else {
            var response = textResponse(.methodNotAllowed, "Only GET is served here; JSON-RPC goes over the WebSocket at /rpc.")
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        if path == "/rpc" {
            var response = textResponse(.upgradeRequired, "/rpc is a WebSocket: connect with `new WebSocket(\"ws://\" + location.host + \"/rpc\")`.")
            response.headers[.upgrade] = "websocket"
            return response
        }
        // The address as printed: keep the token in a cookie the page's scripts cannot read, and take it
        // out of the address bar (and so out of history and anything the user copies).
        if path == "/", let presented = request.uri.queryParameters["token"], access.isToken(String(presented)) {
            var response = Response(status: .seeOther, headers: securityHeaders())
            response.headers[.location] = "/"
            response.headers[.setCookie] = "\(AccessGuard.cookieName)=\(token); HttpOnly; SameSite=Strict; Path=/"
            return response
        }
        switch page.lookup(path: path) {
        case .notFound(let message):
            return textResponse(.notFound, message)
        case .file(let data, let contentType):
            var headers = securityHeaders()
            headers[.contentType] = contentType
            let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: data))
            var response = Response(status: .ok, headers: headers, body: body)
            if request.method == .head { response.headers[.contentLength] = String(data.count) }
            return response
        }
    }

    /// On every answer. `no-store`: the page changes while it is being written, and nothing here is
    /// worth keeping on disk.
    func securityHeaders() -> HTTPFields { Self.securityHeaders }

    static let securityHeaders: HTTPFields = {
        [
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            Self.referrerPolicy: "no-referrer",
            .cacheControl: "no-store",
        ]
    }()

    func textResponse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = "text/plain; charset=utf-8"
        let text = message.hasSuffix("\n") ? message : message + "\n"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: WebSocket

    func bridge(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let daemon: DaemonBridge
        do {
            daemon = try DaemonBridge(servePath: servePath, databasePath: databasePath, maxMessageBytes: maxMessageBytes, logger: logger)
        } catch {
            logger.error("cannot start the daemon \(servePath): \(error)")
            try? await outbound.close(.unexpectedServerError, reason: Self.closeReason("cannot start imaginai serve: \(error)"))
            return
        }
        logger.info("socket opened: daemon \(daemon.pid) on \(databasePath)")
        // Ctrl-C (graceful shutdown) ends the bridge too: the server would otherwise wait for every page
        // to answer its close.
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await forwardDaemonMessages(daemon, to: outbound) }
                group.addTask { await forwardSocketMessages(inbound, to: daemon, answeringOn: outbound) }
                // Either side ending ends the bridge: a closed socket stops the daemon below, a dead
                // daemon has closed the socket.
                await group.next()
                group.cancelAll()
            }
        }
        let status = await daemon.stop()
        logger.info("socket closed: daemon \(daemon.pid) ended with status \(status)")
    }

    private func forwardDaemonMessages(_ daemon: DaemonBridge, to outbound: WebSocketOutboundWriter) async {
        for await message in daemon.messages {
            do { try await outbound.write(.text(message)) } catch { return }
        }
        if Task.isCancelled { return }
        let status = await daemon.exitStatus(within: .seconds(1)).map { "status \($0)" } ?? "its output closed"
        logger.error("daemon \(daemon.pid) ended (\(status)) while its socket was open")
        try? await outbound.close(.unexpectedServerError, reason: Self.closeReason("imaginai serve ended (\(status)); see imaginai-web's log"))
    }

    private func forwardSocketMessages(_ inbound: WebSocketInboundStream, to daemon: DaemonBridge, answeringOn outbound: WebSocketOutboundWriter) async {
        do {
            for try await message in inbound.messages(maxSize: maxMessageBytes) {
                switch message {
                case .text(let text):
                    daemon.send(text)
                case .binary(let bytes):
                    // Not a request anyone can match an answer to, but an answer still tells the page why
                    // nothing happened.
                    let error = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"imaginai-web takes JSON-RPC messages in text frames only; a binary frame of \#(bytes.readableBytes) bytes was dropped"}}"#
                    try await outbound.write(.text(error))
                }
            }
        } catch {
            // The library closes the socket itself (1009 for a message over the limit); this says why in the log.
            logger.warning("socket for daemon \(daemon.pid) failed: \(error) (messages are limited to \(maxMessageBytes) bytes)")
            try? await outbound.close(.messageTooLarge, reason: Self.closeReason("message over \(maxMessageBytes) bytes or malformed frame"))
        }
    }

    /// A close frame's reason is at most 123 bytes of UTF-8.
    static func closeReason(_ text: String) -> String {
        var reason = text
        while reason.utf8.count > 123 { reason.removeLast() }
        return reason
    }
}

final class BoundPort: Sendable {
    private let storage = Atomic<Int>(0)
    var value: Int {
        get { storage.load(ordering: .acquiring) }
        set { storage.store(newValue, ordering: .releasing) }
    }
}
