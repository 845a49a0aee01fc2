import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The web page lives in a separate executable, imaginai-web, so that `imaginai serve` never loads an
/// HTTP server: this command only finds it and becomes it (exec), so Ctrl-C and the exit status are
/// imaginai-web's own and no process sits in between.
struct Web: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the play interface as a web page on 127.0.0.1 and open it in the browser.",
        discussion: """
            Prints one line, `ImaginAI web: http://127.0.0.1:PORT/?token=TOKEN`: that address (with its token) is \
            the only way in. Each browser tab gets its own `imaginai serve` on the same database.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Port on 127.0.0.1; 0 lets the system choose a free one.")
    var port: Int = 8787

    @Flag(help: "Print the address but do not open a browser.")
    var noOpen = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (0: any free port)") }
    }

    func run() throws {
        let ownPath = Self.executablePath()
        let ownFolder = URL(fileURLWithPath: ownPath).deletingLastPathComponent().path
        guard let webPath = Self.findWebExecutable(besides: ownFolder) else {
            throw ValidationError(
                "imaginai-web is not beside \(ownPath) nor on PATH. Build it with `swift build --product imaginai-web` (it lands in the same folder as imaginai), or install both with scripts/install.")
        }
        // The daemon resolves a relative path against its own working directory, which is ours: pass it on as is.
        var arguments = [webPath, "--db", database.resolvedPath, "--port", String(port), "--serve", ownPath]
        if !noOpen { arguments.append("--open") }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(webPath, argv)
        let problem = String(cString: strerror(errno))
        argv.forEach { free($0) }
        throw ValidationError("cannot start \(webPath): \(problem)")
    }

    static func findWebExecutable(besides folder: String) -> String? {
        let pathFolders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return ([folder] + pathFolders).map { $0 + "/imaginai-web" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func executablePath() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
