import ImaginAIProtocol

/// Method name → handler. The method selects the request type and its params decode straight into it
/// (the shape of sourcekit-lsp's message registry); the response is encoded once, to bytes.
public struct Dispatcher: Sendable {
    public typealias Handler = @Sendable (_ params: JSONValue?, _ context: RequestContext) async throws -> [UInt8]

    private var handlers: [String: Handler] = [:]

    public init() {}

    public mutating func register(method: String, handler: @escaping Handler) {
        handlers[method] = handler
    }

    /// Registers a typed handler: params are decoded into `Request` (absent or null params decode as
    /// `{}`), and a decoding failure becomes -32602 naming the offending field.
    public mutating func register<Request: RequestType>(
        _ type: Request.Type,
        handler: @escaping @Sendable (Request, RequestContext) async throws -> Request.Response
    ) {
        register(method: Request.method) { params, context in
            let request: Request = try ParamsDecoding.decode(Request.self, from: params)
            let response = try await handler(request, context)
            return try JSONCoding.encodeBytes(response)
        }
    }

    public func handler(for method: String) -> Handler? { handlers[method] }

    public var methods: [String] { handlers.keys.sorted() }
}
