import Foundation
import Logging

/// Logs go to stderr or a file, never stdout: stdout belongs to the protocol.
enum LogSetup {
    static func makeLogger(level: Logger.Level, file: String?) throws -> Logger {
        let handle: FileHandle
        if let file {
            if !FileManager.default.fileExists(atPath: file) {
                _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            guard let opened = FileHandle(forWritingAtPath: file) else {
                throw CommandLineError("cannot open log file \(file)")
            }
            opened.seekToEndOfFile()
            handle = opened
        } else {
            handle = FileHandle.standardError
        }
        var logger = Logger(label: "imaginai") { label in LineLogHandler(label: label, handle: handle) }
        logger.logLevel = level
        return logger
    }
}

/// One line per record: time, level, message, metadata.
struct LineLogHandler: LogHandler {
    let label: String
    let handle: FileHandle
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let extra = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(Date().formatted(.iso8601)) \(event.level) \(event.message)\(extra)\n"
        handle.write(Data(line.utf8))
    }
}
