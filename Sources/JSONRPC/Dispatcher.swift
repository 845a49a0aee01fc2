import ImaginAIProtocol

/// Method name → handler. The method selects the request type and its params decode straight into it
/// (the shape of sourcekit-lsp's message registry); the response is encoded once, to bytes.
public struct Dispatcher: Sendable {
    public typealias Handler = @Sendable (_ params: JSONValue?, _ context: RequestContext) async throws -> [UInt8]

    /// A handler, and whether it starts on the reader thread (see `register(method:immediate:handler:)`).
    public struct Entry: Sendable {
        public var handler: Handler
        public var immediate: Bool
    }

    private var handlers: [String: Entry] = [:]
    /// Answers every method without a handler of its own (see `registerFallback`).
    private var fallback: Entry?

    public init() {}

    /// With `immediate`, the handler starts on the reader thread as its message is read and runs there
    /// until it first suspends, instead of waiting for a pool thread to wake: for short reads that never
    /// suspend, the hand-over was most of their latency. The reader reads nothing else meanwhile, so only
    /// handlers that finish (or suspend) quickly may ask for it.
    public mutating func register(method: String, immediate: Bool = false, handler: @escaping Handler) {
        handlers[method] = Entry(handler: handler, immediate: immediate)
    }

    /// Registers a typed handler: params are decoded into `Request` (absent or null params decode as
    /// `{}`), and a decoding failure becomes -32602 naming the offending field.
    public mutating func register<Request: RequestType>(
        _ type: Request.Type, immediate: Bool = false,
        handler: @escaping @Sendable (Request, RequestContext) async throws -> Request.Response
    ) {
        register(method: Request.method, immediate: immediate) { params, context in
            let request: Request = try ParamsDecoding.decode(Request.self, from: params)
            let response = try await handler(request, context)
            return try JSONCoding.encodeBytes(response)
        }
    }

    /// For a server that answers every request the same way whatever its method (one whose storage is
    /// unusable answers each with the reason): unknown methods then reach this instead of -32601.
    public mutating func registerFallback(handler: @escaping Handler) {
        fallback = Entry(handler: handler, immediate: false)
    }

    public func entry(for method: String) -> Entry? { handlers[method] ?? fallback }

    public var methods: [String] { handlers.keys.sorted() }
}
