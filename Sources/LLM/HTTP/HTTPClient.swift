import CCurl
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How long a provider may take. The idle timeout catches a hung connection or a stalled stream;
/// the deadline bounds a stream that trickles forever.
public struct HTTPTimeouts: Sendable, Equatable {
    public var idle: Duration
    public var deadline: Duration

    public init(idle: Duration = .seconds(60), deadline: Duration = .seconds(600)) {
        self.idle = idle
        self.deadline = deadline
    }
}

/// Why an HTTP exchange ended without a complete response.
public enum HTTPTransportError: Error, Sendable, Equatable {
    /// Nothing arrived for the idle timeout, or the deadline passed.
    case timeout(idle: Bool)
    /// The connection could not be made or broke; the text is libcurl's description, which never
    /// contains request headers.
    case network(String)
}

/// One HTTP request as the providers build it.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    /// Sent as given; a provider sets each name once.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: [UInt8] = []) {
        self.init(method: method, url: url.absoluteString, headers: headers, body: body)
    }
}

/// Receives one response on the HTTP client's thread: `head` once, before the first `body`, then the
/// body in pieces as they arrive. Parsing and decoding happen right here, so decoded events reach the
/// consumer with a single hand-over between threads.
protocol HTTPResponseConsumer: AnyObject, Sendable {
    func head(status: Int, headers: [String: String])
    /// Throwing ends the transfer (and closes its connection); `HTTPClient.perform` throws the error.
    func body(_ bytes: UnsafeRawBufferPointer) throws
}

/// Streams HTTP responses with libcurl's multi interface, driven by one thread per process that sleeps
/// in `curl_multi_poll` until a socket is ready, a timeout falls due or a request arrives (which wakes
/// it with `curl_multi_wakeup`). libcurl is opened on the first request, so a session that never asks
/// a provider never loads it, TLS or the thread. One multi handle for the process keeps connections
/// alive between turns; TLS uses the system CAs, HTTP/2 is used where offered, and libcurl honours
/// `http_proxy`, `https_proxy` and `no_proxy` from the environment.
enum HTTPClient {
    /// Sends `request` and feeds the response to `consumer`; returns when the response is complete.
    /// Throws `HTTPTransportError`, the consumer's error, or `CancellationError` when the calling task
    /// is cancelled (the transfer is then removed and its connection closed at once).
    static func perform(_ request: HTTPRequest, timeouts: HTTPTimeouts, consumer: any HTTPResponseConsumer) async throws {
        let loop = try CurlLoop.shared.get()
        let transfer = Transfer(request: request, timeouts: timeouts, consumer: consumer)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}

/// One request in flight. Everything but `cancelled` is touched only by the loop's thread once the
/// transfer is submitted (the continuation is set before).
private final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let timeouts: HTTPTimeouts
    let consumer: any HTTPResponseConsumer
    var continuation: CheckedContinuation<Void, any Error>?
    let cancelled = Atomic<Bool>(false)

    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    var started = ContinuousClock.now
    var lastActivity = ContinuousClock.now
    var status = 0
    var headers: [String: String] = [:]
    var headDelivered = false
    var failure: (any Error)?

    init(request: HTTPRequest, timeouts: HTTPTimeouts, consumer: any HTTPResponseConsumer) {
        self.request = request
        self.timeouts = timeouts
        self.consumer = consumer
        errorText[0] = 0
    }

    deinit { errorText.deallocate() }

    /// One header line. A status line starts a new block: interim responses (`100 Continue`) and a
    /// proxy's answer to CONNECT come before the real one, whose block is the one that counts.
    func header(_ line: UnsafeRawBufferPointer) {
        lastActivity = .now
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            let fields = text.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            headers = [:]
        } else if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
    }

    /// Returns false to make libcurl abort the transfer.
    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lastActivity = .now
        deliverHead()
        do {
            try consumer.body(bytes)
            return true
        } catch {
            failure = error
            return false
        }
    }

    func deliverHead() {
        guard !headDelivered, status != 0 else { return }
        headDelivered = true
        consumer.head(status: status, headers: headers)
    }

    /// When the idle timeout or the deadline falls due.
    var due: ContinuousClock.Instant { min(lastActivity + timeouts.idle, started + timeouts.deadline) }
}

/// The process's one multi handle and the thread that drives it.
private final class CurlLoop: @unchecked Sendable {
    /// Opened on first use; a failure to load libcurl is kept and reported to every request.
    static let shared: Result<CurlLoop, HTTPTransportError> = {
        var reason = [CChar](repeating: 0, count: 512)
        guard ccurl_load(&reason, reason.count) == 0 else {
            return .failure(.network(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        guard let multi = ccurl_multi_init() else { return .failure(.network("libcurl could not create a multi handle")) }
        let loop = CurlLoop(multi: multi)
        loop.start()
        return .success(loop)
    }()

    private let multi: UnsafeMutableRawPointer
    /// Requests handed over by other threads; the loop takes them after each wake-up.
    private let inbox = Mutex<(added: [Transfer], cancelled: [Transfer])>(([], []))
    // Loop thread only.
    private var running: [UnsafeMutableRawPointer: Transfer] = [:]

    private init(multi: UnsafeMutableRawPointer) {
        self.multi = multi
    }

    func submit(_ transfer: Transfer) {
        inbox.withLock { $0.added.append(transfer) }
        _ = ccurl_multi_wakeup(multi)
    }

    func cancel(_ transfer: Transfer) {
        // The flag covers a cancellation that overtakes the submission; the inbox entry one that
        // arrives while the transfer runs.
        transfer.cancelled.store(true, ordering: .releasing)
        inbox.withLock { $0.cancelled.append(transfer) }
        _ = ccurl_multi_wakeup(multi)
    }

    private func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<CurlLoop>.fromOpaque(context!).takeRetainedValue()
            ccurl_name_thread("imaginai-http")
            loop.run()
        }, context)
        precondition(created == 0, "could not start the HTTP thread (error \(created))")
        pthread_detach(thread)
    }

    private func run() -> Never {
        var active: Int32 = 0
        var descriptors: Int32 = 0
        while true {
            let (added, cancelled) = inbox.withLock { inbox in
                defer { inbox = ([], []) }
                return inbox
            }
            for transfer in added {
                if transfer.cancelled.load(ordering: .acquiring) {
                    transfer.continuation?.resume(throwing: CancellationError())
                    transfer.continuation = nil
                } else {
                    begin(transfer)
                }
            }
            for transfer in cancelled {
                if let easy = transfer.easy, running[easy] === transfer { end(transfer, CancellationError()) }
            }
            _ = ccurl_multi_perform(multi, &active)
            var easy: UnsafeMutableRawPointer?
            var code = CURLE_OK
            while ccurl_multi_next_done(multi, &easy, &code) != 0 {
                guard let easy, let transfer = running[easy] else { continue }
                complete(transfer, code)
            }
            let now = ContinuousClock.now
            // Without transfers the loop sleeps until a request wakes it; the long bound only keeps
            // the arithmetic in range.
            var wait = Duration.seconds(3600)
            for transfer in running.values {
                let due = transfer.due
                if now >= due {
                    let deadline = transfer.started + transfer.timeouts.deadline
                    end(transfer, HTTPTransportError.timeout(idle: now < deadline))
                } else {
                    wait = min(wait, due - now)
                }
            }
            // Rounded up, so the wake-up comes after the due time rather than a spin just before it.
            let milliseconds = Int32(clamping: (wait.components.seconds * 1000) + (wait.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            _ = ccurl_multi_poll(multi, milliseconds, &descriptors)
        }
    }

    private func begin(_ transfer: Transfer) {
        guard let easy = ccurl_easy_init() else {
            transfer.continuation?.resume(throwing: HTTPTransportError.network("libcurl could not create a request"))
            transfer.continuation = nil
            return
        }
        transfer.easy = easy
        let request = transfer.request
        _ = request.url.withCString { ccurl_easy_setopt_pointer(easy, CURLOPT_URL, $0) }
        switch request.method {
        case "GET":
            _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            setBody(easy, request.body)
        default:
            _ = request.method.withCString { ccurl_easy_setopt_pointer(easy, CURLOPT_CUSTOMREQUEST, $0) }
            if !request.body.isEmpty { setBody(easy, request.body) }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            list = ccurl_slist_append(list, "\(name): \(value)")
        }
        // libcurl would otherwise ask for `100 Continue` before a large body and wait up to a second
        // for a server that never sends one.
        list = ccurl_slist_append(list, "Expect:")
        transfer.headerList = list
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, list)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_USERAGENT, "imaginai")
        // Timeouts are the loop's (so they keep their meaning: idle versus deadline); signals are
        // no way to time out a resolver on a thread.
        _ = ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        // A provider has no business sending us elsewhere, and a redirect would carry the key with it.
        _ = ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, transfer.errorText)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let length = size * count
            Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().header(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        _ = ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let length = size * count
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.body(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        transfer.started = .now
        transfer.lastActivity = transfer.started
        running[easy] = transfer
        let added = ccurl_multi_add_handle(multi, easy)
        if added != CURLM_OK { end(transfer, HTTPTransportError.network("libcurl refused the request (multi error \(added.rawValue))")) }
    }

    private func setBody(_ easy: UnsafeMutableRawPointer, _ body: [UInt8]) {
        _ = ccurl_easy_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
        _ = body.withUnsafeBytes { ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)) }
    }

    /// A transfer libcurl finished, well or not.
    private func complete(_ transfer: Transfer, _ code: CURLcode) {
        if let failure = transfer.failure {
            end(transfer, failure)
        } else if code == CURLE_OK {
            transfer.deliverHead()
            end(transfer, nil)
        } else {
            let detail = String(cString: transfer.errorText)
            end(transfer, HTTPTransportError.network(detail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : detail))
        }
    }

    /// Removes the transfer from the multi handle and resumes its caller. Removing an unfinished
    /// HTTP/1 transfer closes its connection; a finished one leaves the connection in the cache.
    private func end(_ transfer: Transfer, _ error: (any Error)?) {
        if let easy = transfer.easy {
            _ = ccurl_multi_remove_handle(multi, easy)
            ccurl_easy_cleanup(easy)
            running[easy] = nil
            transfer.easy = nil
        }
        ccurl_slist_free_all(transfer.headerList)
        transfer.headerList = nil
        if let error {
            transfer.continuation?.resume(throwing: error)
        } else {
            transfer.continuation?.resume()
        }
        transfer.continuation = nil
    }
}
