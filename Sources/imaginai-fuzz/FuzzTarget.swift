import Foundation
import ImaginAIProtocol
import JSONRPC

// One fuzz input drives the whole untrusted-input path of the daemon short of the database: the frame
// parser (fed in pieces, so split headers and bodies are exercised), the JSON-RPC envelope decoder and
// the typed params decoder of every request type. A crash, a trap or an ASan report is a finding; the
// invariants below are asserted with `preconditionFailure` so a wrong answer is a finding too.

/// Every request type the daemon registers, by method, so a fuzzed request is decoded exactly as the
/// server would decode it (and fuzzed params are also tried against every type).
let requestTypes: [String: any RequestType.Type] = {
    let types: [any RequestType.Type] = [
        InitializeRequest.self, ShutdownRequest.self,
        ScenarioListRequest.self, ScenarioGetRequest.self, ScenarioCreateRequest.self, ScenarioUpdateRequest.self,
        ScenarioDeleteRequest.self, ScenarioDuplicateRequest.self, ScenarioExportRequest.self, ScenarioImportRequest.self,
        CardCreateRequest.self, CardUpdateRequest.self, CardDeleteRequest.self, CardDuplicateRequest.self,
        CardsExportRequest.self, CardsImportRequest.self,
        AdventureStartRequest.self, AdventureListRequest.self, AdventureGetRequest.self, AdventureUpdateRequest.self,
        AdventureDuplicateRequest.self, AdventureDeleteRequest.self, AdventureRestartRequest.self,
        TurnListRequest.self, TurnEditRequest.self, TurnDeleteRequest.self,
        SettingsGetRequest.self, SettingsUpdateRequest.self,
        StoryActRequest.self, StoryContinueRequest.self, StoryRetryRequest.self, StoryUndoRequest.self,
        StoryRedoRequest.self, StoryPreviewRequest.self, TurnVersionsRequest.self, TurnUseVersionRequest.self,
        UsageGetRequest.self, ModelsListRequest.self,
    ]
    return Dictionary(uniqueKeysWithValues: types.map { ($0.method, $0) })
}()

/// Small limits so the fuzzer reaches the oversized and overlong-header paths with small inputs.
let maxBody = 4096
let maxHeader = 256

func fuzzOne(_ input: [UInt8]) {
    // The first byte picks how the rest is cut into reads (1...256 bytes each), as a pipe would.
    guard let first = input.first else { return }
    let bytes = input.dropFirst()
    let pieceSize = Int(first) + 1

    var parser = FrameParser(maxBodyBytes: maxBody, maxHeaderBytes: maxHeader)
    var index = bytes.startIndex
    var bodies: [[UInt8]] = []
    while index < bytes.endIndex {
        let end = min(index + pieceSize, bytes.endIndex)
        parser.append(bytes[index..<end])
        index = end
        while let event = parser.next() {
            switch event {
            case .message(let body):
                if body.count > maxBody { preconditionFailure("a \(body.count)-byte body passed a \(maxBody)-byte limit") }
                bodies.append(body)
            case .badHeader(let problem):
                if problem.isEmpty { preconditionFailure("a bad header without an explanation") }
            case .oversized(let length, let limit):
                if length <= limit { preconditionFailure("oversized reported for \(length) <= \(limit)") }
            }
        }
    }
    // The unframed input is a body too: the fuzzer then reaches JSON decoding without learning framing.
    bodies.append(Array(bytes))
    for body in bodies { decodeBody(body) }
}

func decodeBody(_ body: [UInt8]) {
    switch MessageDecoding.decode(body) {
    case .unreadable(let error):
        respond(.null, error)
    case .single(let message):
        decodeMessage(message)
    case .batch(let messages):
        for message in messages { decodeMessage(message) }
    case .tooDeep(let limit):
        if limit != MessageDecoding.defaultMaxDepth { preconditionFailure("tooDeep reported limit \(limit)") }
    }
}

func decodeMessage(_ message: IncomingMessage) {
    switch message {
    case .invalid(let id, let error):
        if error.code != .invalidRequest { preconditionFailure("an invalid message answered \(error.code.rawValue)") }
        respond(id, error)
    case .notification(let method, let params):
        decodeParams(params, as: nil, method: method)
    case .request(let id, let method, let params):
        switch id {
        case .int, .double, .string, .null: break
        default: preconditionFailure("a request accepted with id \(id)")
        }
        decodeParams(params, as: requestTypes[method], method: method, id: id)
    }
}

/// Request types in a fixed order, for picking one by a number the fuzzer controls.
let sortedTypes = requestTypes.sorted { $0.key < $1.key }.map(\.value)

/// Decodes params as the server would; errors must be -32602 and, when they name a field, that field
/// must be a non-empty path. Params of an unknown method (or of a notification) are decoded as the type
/// the method's byte sum picks: every type gets fuzzed params without the fuzzer guessing method names,
/// and at one decode per message rather than 38.
func decodeParams(_ params: JSONValue?, as type: (any RequestType.Type)?, method: String = "", id: RequestID = .null) {
    let picked = sortedTypes[method.utf8.reduce(0) { $0 &+ Int($1) } % sortedTypes.count]
    for type in [type ?? picked] {
        do {
            let request = try ParamsDecoding.decode(type, from: params)
            // A decoded request must encode again (the server logs and echoes parts of it).
            _ = try JSONCoding.encode(request)
        } catch let error as ResponseError {
            if error.code != .invalidParams { preconditionFailure("params decoding answered \(error.code.rawValue)") }
            if let field = error.data?["field"], field.stringValue?.isEmpty != false {
                // An empty path is allowed only for a problem with params as a whole (not an object).
                if case .object? = params { preconditionFailure("data.field \(field) names nothing for \(type.method)") }
            }
            respond(id, error)
        } catch {
            preconditionFailure("params decoding threw \(error), not a ResponseError")
        }
    }
}

/// Encodes the response the server would write: the error must always be encodable, and the frame must
/// parse back to the same body.
func respond(_ id: RequestID, _ error: ResponseError) {
    let body = MessageEncoding.errorResponse(id: id, error: error)
    var parser = FrameParser(maxBodyBytes: body.count, maxHeaderBytes: 64)
    parser.append(Framing.frame(body))
    guard parser.next() == .message(body), parser.isIdle else { preconditionFailure("a response frame did not round-trip") }
    guard case .single = MessageDecoding.decode(body) else { preconditionFailure("a response body is not JSON: \(body)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
// SwiftPM links every executable with `main` aliased to the module's entry point, so libFuzzer's own
// `main` cannot be used; this entry point hands the command line to libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
    }
}
#else
/// Without libFuzzer (the normal `swift build`) the target is a replayer: it runs the same function over
/// the files and directories given, so a crash input can be reproduced under a debugger or valgrind.
@main
enum Replay {
    static func main() {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("imaginai-fuzz: no such file \(argument)\n".utf8))
                exit(2)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { "\(argument)/\($0)" }
                : [argument]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                fuzzOne(Array(data))
                count += 1
            }
        }
        print("imaginai-fuzz: replayed \(count) inputs without a failure")
    }
}
#endif
