import ImaginAIProtocol
import ImaginAIStore
import JSONRPC
import Logging

/// The daemon when its library file cannot be used (damaged, not a database, unreadable, a folder, or
/// written by a newer ImaginAI): it still speaks the protocol, so an editor shows the reason instead of
/// "server exited". Every request, `initialize` included, is answered with -31005 and the problem;
/// `shutdown` and `exit` work as usual. The file is never opened for writing.
public final class UnusableLibraryServer: Sendable {
    public let connection: Connection
    public let problem: StorageProblem

    public init(problem: StorageProblem, sink: any MessageSink, maxMessageBytes: Int = 16 << 20, logger: Logger) {
        self.problem = problem
        self.connection = Connection(
            sink: sink,
            configuration: .init(maxMessageBytes: maxMessageBytes, oversizeErrorCode: .tooLarge),
            log: { [logger] level, message in logger.log(level: level.swiftLogLevel, "\(message)") }
        )
        let error = ErrorMapping.responseError(for: problem)!
        connection.registerFallback { _, _ in throw error }
    }

    /// Serves a file descriptor (stdin) until it ends or `exit`; returns the process exit code.
    public func run(readingFrom descriptor: Int32) async -> Int32 {
        await connection.run(readingFrom: descriptor)
    }
}
