import Foundation
import ImaginAIProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reading half of a transport: a dedicated thread doing blocking reads of a descriptor and
/// splitting them into frames. Both ends use it, the daemon on stdin and clients on a child's stdout.
/// A thread, not a dispatch source or an async sequence: each frame then reaches its handler with no
/// hand-over at all, and the end of input is seen reliably.
public enum FrameReader {
    /// Starts the thread. `onEvent` runs on it for each event, told whether more input is already
    /// buffered behind it (perhaps only part of a message), and returns false to stop reading;
    /// `onDrained` runs each time every complete message read so far has been handled, before the
    /// thread blocks to read again;
    /// `onEnd` runs on it last, with the parser (to tell a clean end from a truncated message).
    public static func start(
        descriptor: Int32, name: String, maxBodyBytes: Int, chunkSize: Int = 64 << 10,
        onBytes: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil,
        onEvent: @escaping (_ event: FrameParser.Event, _ more: Bool) -> Bool,
        onDrained: @escaping () -> Void = {},
        onEnd: @escaping (FrameParser) -> Void
    ) {
        start(
            descriptor: descriptor, name: name, maxBodyBytes: maxBodyBytes, chunkSize: chunkSize, onBytes: onBytes,
            onInput: { parser in
                while let event = parser.next() {
                    if !onEvent(event, parser.hasBufferedInput) { return false }
                }
                return true
            },
            onDrained: onDrained, onEnd: onEnd)
    }

    /// Like the other `start`, but `onInput` takes the events itself from the parser, after each read:
    /// all of them, and returns true to read on; or returns false to stop. It may take several in one
    /// go (the daemon answers buffered reads in one transaction).
    public static func start(
        descriptor: Int32, name: String, maxBodyBytes: Int, chunkSize: Int = 64 << 10,
        onBytes: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil,
        onInput: @escaping (_ parser: inout FrameParser) -> Bool,
        onDrained: @escaping () -> Void = {},
        onEnd: @escaping (FrameParser) -> Void
    ) {
        nonisolated(unsafe) let onInput = onInput
        nonisolated(unsafe) let onEnd = onEnd
        nonisolated(unsafe) let onDrained = onDrained
        let thread = Thread {
            var parser = FrameParser(maxBodyBytes: maxBodyBytes)
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            reading: while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, chunkSize) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                onBytes?(buffer[0..<count])
                parser.append(buffer[0..<count])
                if !onInput(&parser) { break reading }
                onDrained()
            }
            onEnd(parser)
        }
        thread.name = name
        thread.start()
    }
}
