import ArgumentParser
import Foundation
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Started by `imaginai web`, which resolves the database and names itself as the daemon; it can be
/// run alone with the same options.
@main
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imaginai-web",
        abstract: "Serve the ImaginAI web page on 127.0.0.1, one `imaginai serve` daemon per browser tab.")

    @Option(help: "Database file passed to each daemon.", completion: .file())
    var db: String

    @Option(help: "Port on 127.0.0.1; 0 lets the system choose a free one.")
    var port: Int = 8787

    @Option(help: "The `imaginai` executable whose `serve` each socket runs. Default: the one beside imaginai-web.", completion: .file())
    var serve: String?

    @Option(help: "Folder of the page's files. Default: $IMAGINAI_WEB_PAGE, else ../lib/imaginai/web beside this executable (installed), else clients/web/page in the source checkout it was built from.", completion: .directory)
    var pageDir: String?

    @Flag(help: "Open the address in the browser (xdg-open) once listening.")
    var open = false

    @Option(help: "Largest JSON-RPC message accepted from the page, in bytes (the daemon's own limit).")
    var maxMessageBytes: Int = 16 << 20

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535 (0: any free port)") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
    }

    func run() async throws {
        // stdout carries exactly one line, the address; everything else is the log, on stderr.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "imaginai-web")
        let executableFolder = URL(fileURLWithPath: Self.executablePath()).deletingLastPathComponent().path
        let servePath = serve ?? executableFolder + "/imaginai"
        guard FileManager.default.isExecutableFile(atPath: servePath) else {
            throw ValidationError("no imaginai executable at \(servePath); build it (`swift build --product imaginai`) or pass --serve PATH")
        }
        let pageFolder = try Self.pageFolder(explicit: pageDir, executableFolder: executableFolder)
        logger.info("page files from \(pageFolder); daemons: \(servePath) serve --db \(db)")
        // A socket whose page went away must not kill the server with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)

        let token = AccessGuard.newToken()
        let server = WebServer(
            token: token, requestedPort: port, page: PageFiles(folder: pageFolder), servePath: servePath,
            databasePath: db, maxMessageBytes: maxMessageBytes, logger: logger)
        let open = open
        do {
            try await serve(server, token: token, open: open, logger: logger)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            // Not through ArgumentParser's error printing: that adds the usage, and this is no usage mistake.
            FileHandle.standardError.write(Data(
                "imaginai web: port \(port) on 127.0.0.1 is already in use (another imaginai web?). Choose another with --port N, or --port 0 for any free one.\n".utf8))
            throw ExitCode(1)
        }
    }

    private func serve(_ server: WebServer, token: String, open: Bool, logger: Logger) async throws {
        try await server.run { boundPort in
            let address = "http://127.0.0.1:\(boundPort)/?token=\(token)"
            // Unbuffered: whoever started us waits for this line on a pipe.
            FileHandle.standardOutput.write(Data("ImaginAI web: \(address)\n".utf8))
            if open { Self.openInBrowser(address, logger: logger) }
        }
    }

    static func pageFolder(explicit: String?, executableFolder: String) throws -> String {
        var isDirectory: ObjCBool = false
        if let chosen = explicit ?? ProcessInfo.processInfo.environment["IMAGINAI_WEB_PAGE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.fileExists(atPath: chosen, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("page folder \(chosen) (from --page-dir or IMAGINAI_WEB_PAGE) is not a folder")
            }
            return chosen
        }
        let candidates = [
            URL(fileURLWithPath: executableFolder).appendingPathComponent("../lib/imaginai/web").standardizedFileURL.path,
            // A build run from its checkout: this file is Sources/imaginai-web/WebCommand.swift.
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../clients/web/page").standardizedFileURL.path,
        ]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate + "/index.html") {
            return candidate
        }
        throw ValidationError("no page files found (looked in \(candidates.joined(separator: " and "))); pass --page-dir or set IMAGINAI_WEB_PAGE to the clients/web/page folder")
    }

    static func executablePath() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// A browser that does not open is not a failure: the address is on the line above.
    static func openInBrowser(_ address: String, logger: Logger) {
        let opener = Process()
        opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        opener.arguments = ["xdg-open", address]
        opener.standardOutput = FileHandle.nullDevice
        opener.standardError = FileHandle.nullDevice
        opener.terminationHandler = { process in
            if process.terminationStatus != 0 {
                logger.notice("could not open a browser (xdg-open exited with \(process.terminationStatus)); open the address above yourself")
            }
        }
        do { try opener.run() } catch {
            logger.notice("could not open a browser (\(error)); open the address above yourself")
        }
    }
}
