import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOHTTPTypes
import Synchronization

/// HummingbirdWebSocket answers every declined upgrade with an empty 400 and no way to say why. The
/// WebSocket route notes its refusal here, by connection, and `RefusedUpgradeAnswer`, in the HTTP
/// pipeline a declined upgrade falls back to, turns that 400 into the 401 or 403 (with its reason) that
/// the same request gets without the upgrade headers.
final class UpgradeRefusals: Sendable {
    static let shared = UpgradeRefusals()
    private let byConnection = Mutex<[ObjectIdentifier: (status: HTTPResponse.Status, reason: String)]>([:])

    func note(_ verdict: AccessGuard.Verdict, on channel: any Channel) {
        let key = ObjectIdentifier(channel)
        byConnection.withLock { refusals in
            switch verdict {
            case .allowed: refusals[key] = nil
            case .forbidden(let reason): refusals[key] = (.forbidden, reason)
            case .unauthorized(let reason): refusals[key] = (.unauthorized, reason)
            }
        }
    }

    func take(for channel: any Channel) -> (status: HTTPResponse.Status, reason: String)? {
        byConnection.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

final class RefusedUpgradeAnswer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
            let refusal = UpgradeRefusals.shared.take(for: context.channel)
        else {
            context.write(data, promise: promise)
            return
        }
        let body = ByteBuffer(string: refusal.reason + "\n")
        head.status = refusal.status
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.contentType] = "text/plain; charset=utf-8"
        for field in WebServer.securityHeaders { head.headerFields[field.name] = field.value }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: promise)
    }

    /// A refusal nobody answered (the connection went first) must not stay behind.
    func handlerRemoved(context: ChannelHandlerContext) {
        _ = UpgradeRefusals.shared.take(for: context.channel)
    }
}

/// BasicWebSocketRequestContext plus the connection, so that a refusal can be noted against it.
struct BridgeRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
