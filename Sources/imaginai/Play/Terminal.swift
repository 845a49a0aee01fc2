import ImaginAIProtocol
import Foundation
import JSONRPC
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the player sees. Writes go straight to fd 1 (unbuffered, so streamed words appear at once, and
/// without `fflush(stdout)`, which Swift 6 rejects as unsafe), under one lock because story chunks are
/// printed from the daemon reader thread while the session prints from its task.
final class Console: Sendable {
    enum Style {
        case story, player, note, error, heading
    }

    /// Colours only for a terminal: piped transcripts stay plain text.
    let colours: Bool
    /// Stdin is a terminal: menus and a prompt; otherwise a script is read and actions are echoed.
    let interactive: Bool
    private let atLineStart = Mutex(true)

    init(colours: Bool = isatty(1) == 1, interactive: Bool = isatty(0) == 1) {
        self.colours = colours
        self.interactive = interactive
    }

    /// Text as it comes, no newline added (streamed story chunks, the prompt).
    func write(_ text: String, _ style: Style = .story) {
        let text = Self.printable(text)
        guard !text.isEmpty else { return }
        atLineStart.withLock { atStart in
            writeAll(1, Array(styled(text, style).utf8))
            atStart = text.hasSuffix("\n")
        }
    }

    /// A whole line, starting on a fresh line if streamed text left the cursor mid-line; at a terminal,
    /// wrapped between words like the story (a note or a player's line is no easier to read cut mid-word).
    /// `columns`: the text is laid out in columns, and continued rows keep to them (see `WordWrap`).
    func line(_ text: String = "", _ style: Style = .story, columns: Bool = false) {
        let text = wrapped(text, hangs: columns)
        atLineStart.withLock { atStart in
            var out = atStart ? "" : "\n"
            out += styled(text, style) + "\n"
            writeAll(1, Array(out.utf8))
            atStart = true
        }
    }

    func endLine() {
        atLineStart.withLock { atStart in
            if !atStart { writeAll(1, [10]) }
            atStart = true
        }
    }

    /// Text a model or a file wrote, without the control characters that would act on the terminal
    /// (an escape sequence in a story could clear the screen or retitle the window): newlines and tabs stay.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: text.unicodeScalars.filter { !isControl($0) })
        return String(kept)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
    }

    /// Wrapping for story text printed from `column`: at the terminal's width, or none when stdout is not
    /// a terminal, so a script's transcript keeps the text exactly as it was written.
    func wordWrap(column: Int = 0) -> WordWrap {
        colours ? WordWrap(columns: terminalColumns(), column: column) : WordWrap(width: nil)
    }

    /// `text` printed whole from `column`, wrapped as `wordWrap` says.
    func wrapped(_ text: String, column: Int = 0, hangs: Bool = false) -> String {
        WordWrap.wrap(Self.printable(text), columns: colours ? terminalColumns() : nil, column: column, hangs: hangs)
    }

    /// Terminal control output (the line editor's drawing): the cursor ends at the start of a line.
    func raw(_ text: String) {
        atLineStart.withLock { atStart in
            writeAll(1, Array(text.utf8))
            atStart = true
        }
    }

    /// Takes back the last `rows` rows printed (the cursor being on the last of them) so they can be
    /// printed again; false when some of them have scrolled out of sight, where they cannot be reached.
    func eraseRows(_ rows: Int) -> Bool {
        guard colours, rows <= terminalRows() - 1 else { return false }
        atLineStart.withLock { atStart in
            let up = rows > 1 ? "\u{1B}[\(rows - 1)A" : ""
            writeAll(1, Array((up + "\r\u{1B}[J").utf8))
            atStart = true
        }
        return true
    }

    func styled(_ text: String, _ style: Style) -> String {
        guard colours else { return text }
        let code: String
        switch style {
        case .story: return text
        case .player: code = "1;36"
        case .note: code = "2"
        case .error: code = "31"
        case .heading: code = "1"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// Lines of stdin, read on a thread of their own so a blocking read never holds a concurrency thread.
/// Ends at end of file; a last line without a newline still counts.
func standardInputLines() -> AsyncStream<String> {
    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
    let thread = Thread {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: 10) {
                var line = Array(pending[..<newline])
                if line.last == 13 { line.removeLast() }
                continuation.yield(String(decoding: line, as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
        continuation.finish()
    }
    thread.start()
    return stream
}

/// The write end of the self-pipe the SIGINT handler signals through; a C signal handler can capture
/// nothing and may only call async-signal-safe functions such as write(2).
nonisolated(unsafe) private var interruptPipe: Int32 = -1

enum Interrupts {
    /// Calls `handler` on a thread of its own for every SIGINT (Ctrl-C) instead of ending the process.
    static func install(_ handler: @escaping @Sendable () -> Void) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        interruptPipe = descriptors[1]
        let readEnd = descriptors[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                handler()
            }
        }
        thread.start()
        signal(SIGINT) { _ in
            var byte: UInt8 = 3
            _ = write(interruptPipe, &byte, 1)
        }
    }
}
