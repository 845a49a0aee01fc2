import Foundation
import JSONRPC
import ImaginAIProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `models/list` read with the optional `local` flag that models found on a server on this machine carry;
/// older daemons leave it out, which reads as not local.
struct ListedModelsRequest: RequestType {
    static let method = "models/list"
    struct Result: Codable, Sendable {
        var models: [ListedModel]
    }
    typealias Response = Result
}

struct ListedModel: Codable, Sendable {
    var id: String
    var name: String
    var contextTokens: Int
    var available: Bool
    var reason: String?
    var local: Bool?
}

/// The player's own editor ($VISUAL, else $EDITOR) on a temporary file holding a text.
struct ExternalEditor {
    let terminal: TerminalLines

    /// The edited text (one trailing newline, which editors add, taken off), or nil when it was left as
    /// it was. The file is removed only once its text has been read back.
    func edit(_ text: String, name: String) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let command = [environment["VISUAL"], environment["EDITOR"]].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw CommandLineError("this text is long: set $EDITOR (or $VISUAL) to edit it in your editor, or replace it with /edit N TEXT")
        }
        var template = Array((NSTemporaryDirectory() + "/imaginai-\(name)-XXXXXX.txt").utf8CString)
        let descriptor = mkstemps(&template, 4)
        guard descriptor >= 0 else { throw CommandLineError("cannot create a temporary file to edit in: \(String(cString: strerror(errno)))") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        writeAll(descriptor, Array((text + "\n").utf8))
        close(descriptor)
        // Through the shell, so an $EDITOR with arguments ("code --wait") works as it does elsewhere.
        let status = try terminal.runOnTerminal { try Self.run(["/bin/sh", "-c", "\(command) \"$1\"", "imaginai-edit", path]) }
        guard status == 0 else {
            throw CommandLineError("the editor (\(command)) exited with status \(status); the text is left in \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandLineError("cannot read the edited text back from \(path)")
        }
        var edited = String(decoding: data, as: UTF8.self)
        if edited.hasSuffix("\n") { edited.removeLast() }
        unlink(path)
        return edited == text ? nil : edited
    }

    /// Runs a program on our terminal and waits for it; SIGINT and SIGPIPE are its own (default) there.
    private static func run(_ arguments: [String]) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], nil, &attributes, cArguments, environ)
        guard spawned == 0 else { throw CommandLineError("cannot start the editor: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally: its status; killed by a signal: 128 + the signal, as shells report it.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
