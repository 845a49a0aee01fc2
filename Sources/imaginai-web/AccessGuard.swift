import Foundation
import Hummingbird

/// Who may talk to the bridge. The server listens on loopback, but any web page the user opens can
/// reach loopback too, so three checks stand between a page and the user's stories:
/// - the token printed with the address (a page elsewhere cannot know it), as the `token` query
///   parameter or the `imaginai_token` cookie set from it;
/// - the Host header, which must name our own address: a page served from a hostile domain that
///   re-resolves to 127.0.0.1 (DNS rebinding) still sends its own host name;
/// - for the WebSocket, the Origin header, which a browser always sends and no page can forge: a
///   cross-site page could otherwise open the socket with the cookie attached.
struct AccessGuard: Sendable {
    static let cookieName = "imaginai_token"

    let token: String
    let port: Int

    enum Verdict: Equatable {
        case allowed
        case forbidden(String)
        case unauthorized(String)
    }

    var allowedHosts: [String] { ["127.0.0.1:\(port)", "localhost:\(port)"] }
    var allowedOrigins: [String] { allowedHosts.map { "http://" + $0 } }

    /// The Host check comes first: a rebinding page must learn nothing, not even whether it has the token.
    func check(_ request: Request, isWebSocket: Bool) -> Verdict {
        // HTTPTypes carries the Host header as the authority.
        let host = request.head.authority
        guard let host, allowedHosts.contains(host.lowercased()) else {
            return .forbidden(
                "Host \(request.head.authority.map { "'\($0)'" } ?? "(none)") is not this server; open http://127.0.0.1:\(port)/ as printed.")
        }
        guard presentedToken(request).map(isToken) == true else {
            return .unauthorized(
                "Missing or wrong token. Open the address `imaginai web` printed (it ends in ?token=...); the page then keeps the token in a cookie.")
        }
        if isWebSocket {
            guard let origin = request.headers[.origin], allowedOrigins.contains(origin.lowercased()) else {
                return .forbidden(
                    "WebSocket Origin \(request.headers[.origin].map { "'\($0)'" } ?? "(none)") is not allowed; only \(allowedOrigins.joined(separator: " or ")) may open /rpc.")
            }
        }
        return .allowed
    }

    /// The query parameter wins: it is what a fresh address carries, and an old cookie from an earlier
    /// run (another token) must not shadow it.
    func presentedToken(_ request: Request) -> String? {
        if let fromQuery = request.uri.queryParameters["token"] { return String(fromQuery) }
        return request.cookies[Self.cookieName]?.value
    }

    /// Constant time in the presented token's content, so the response time tells nothing of how many
    /// leading characters were right.
    func isToken(_ presented: String) -> Bool {
        let expected = Array(token.utf8)
        let given = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: expected.count ^ given.count)
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }

    /// 32 bytes from the system's cryptographic generator (getrandom on Linux), as 64 hex digits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
