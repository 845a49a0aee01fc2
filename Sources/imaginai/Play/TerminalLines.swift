import Foundation
import JSONRPC
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the session's lines come from: a script on a pipe, or a player at a terminal.
protocol LineSource: AnyObject {
    /// The next line, or nil at the end of input. `prefill` starts the line with text to edit;
    /// `recordsHistory` is false for lines that are not commands or actions (a turn's text, a menu answer).
    func readLine(prompt: String, prefill: String, recordsHistory: Bool) async -> String?
}

extension LineSource {
    func readLine(prompt: String) async -> String? {
        await readLine(prompt: prompt, prefill: "", recordsHistory: false)
    }
}

/// A script on stdin, one line at a time, exactly as it was before the line editor: no prompt, no echo.
final class PipedLines: LineSource {
    private var lines: AsyncStream<String>.Iterator

    init() { lines = standardInputLines().makeAsyncIterator() }

    func readLine(prompt: String, prefill: String, recordsHistory: Bool) async -> String? {
        await lines.next()
    }
}

/// The terminal's settings before raw mode, for restoring them from anywhere, signal handlers included
/// (`tcsetattr` is async-signal-safe; a C signal handler can capture nothing).
nonisolated(unsafe) private var savedTerminal = termios()
nonisolated(unsafe) private var terminalIsRaw = false

enum RawMode {
    /// Bytes come as typed (no line buffering, no echo) and Ctrl-C, Ctrl-Z, Ctrl-S, Ctrl-V come as bytes
    /// rather than signals or flow control. Output processing stays on, so "\n" still starts a new line.
    static func enter() {
        guard !terminalIsRaw, tcgetattr(0, &savedTerminal) == 0 else { return }
        installRestoreOnExit
        var raw = savedTerminal
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        if tcsetattr(0, TCSAFLUSH, &raw) == 0 { terminalIsRaw = true }
    }

    static func restore() {
        guard terminalIsRaw else { return }
        _ = tcsetattr(0, TCSAFLUSH, &savedTerminal)
        terminalIsRaw = false
    }

    /// Once: the terminal is given back on a normal exit (`exit`, the end of `main`) and on the signals
    /// that end a process, crashes included; then the signal does what it did before (the Swift
    /// runtime's backtrace on a crash, the default end otherwise).
    private static let installRestoreOnExit: Void = {
        atexit { RawMode.restore() }
        for signal in [SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if terminalIsRaw { _ = tcsetattr(0, TCSAFLUSH, &savedTerminal) }
                _ = sigaction(number, &previousActions[Int(number)], nil)
                _ = raise(number)
            }
            sigemptyset(&action.sa_mask)
            _ = sigaction(signal, &action, &previousActions[Int(signal)])
        }
    }()
}

/// What each signal did before `RawMode` took it; allocated once, so the handler only reads memory.
nonisolated(unsafe) private let previousActions = {
    let actions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    actions.initialize(repeating: sigaction(), count: 65)
    return actions
}()

/// The number of columns of the terminal on stdout (80 when it cannot be told).
func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

func terminalRows() -> Int {
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return 24 }
    return Int(size.ws_row)
}

/// The player at a terminal: lines edited with `LineEditor`, history kept in `history`.
///
/// One thread reads stdin all the time, not only while a line is being edited: while the story is being
/// written it turns Ctrl-C into `onInterrupt` (raw mode sends no SIGINT) and keeps the rest as type-ahead
/// for the next prompt, unechoed, so nothing typed lands in the middle of the story.
final class TerminalLines: LineSource, @unchecked Sendable {
    private let console: Console
    private let historyFile: HistoryFile?
    private var history: [String]
    private var bytes: AsyncStream<[UInt8]>.Iterator
    /// Bytes read after the line that ended the last `readLine` (a paste of several lines).
    private var leftover: [UInt8] = []
    private let reader: StdinReader

    /// `isBusy` says whether a generation is running; `onInterrupt` is called (on the reader thread) for
    /// Ctrl-C while it is.
    init(console: Console, historyFile: HistoryFile?, isBusy: @escaping @Sendable () -> Bool, onInterrupt: @escaping @Sendable () -> Void) {
        self.console = console
        self.historyFile = historyFile
        history = historyFile?.load() ?? []
        reader = StdinReader(isBusy: isBusy, onInterrupt: onInterrupt)
        bytes = reader.stream.makeAsyncIterator()
    }

    func readLine(prompt: String, prefill: String, recordsHistory: Bool) async -> String? {
        RawMode.enter()
        var editor = LineEditor(history: recordsHistory ? history : [], prefill: prefill, recordsHistory: recordsHistory)
        console.endLine()
        draw(editor, prompt: prompt)
        while true {
            let chunk: [UInt8]
            if leftover.isEmpty {
                guard let next = await bytes.next() else {
                    console.raw("\r\n")
                    return nil
                }
                chunk = next
            } else {
                chunk = leftover
                leftover = []
            }
            var needsDraw = false
            for (offset, byte) in chunk.enumerated() {
                for action in editor.feed(CollectionOfOne(byte)) {
                    switch action {
                    case .redraw:
                        needsDraw = true
                    case .bell:
                        break
                    case .suspend:
                        // The terminal as the shell wants it while we are stopped; ours again on `fg`.
                        console.raw("\r\n")
                        RawMode.restore()
                        _ = kill(0, SIGTSTP)
                        RawMode.enter()
                        needsDraw = true
                    case .clearScreen:
                        console.raw("\u{1B}[H\u{1B}[2J")
                        needsDraw = true
                    case .interrupt(let dropped):
                        // The line is dropped, visibly: ^C after it, and a fresh prompt below.
                        console.raw("\r" + console.styled(prompt, .player) + dropped + "\u{1B}[K^C\r\n")
                        // Ctrl-C at an empty prompt used to leave; say what leaves now.
                        if dropped.isEmpty { console.raw(console.styled("(Ctrl-D or /quit leaves)", .note) + "\r\n") }
                        needsDraw = true
                    case .endOfInput:
                        console.raw("\r\n")
                        return nil
                    case .submit(let line):
                        // The line stays on screen as typed, whole (a long one was shown scrolled), on as
                        // many rows as it takes, wrapped between words; the rows below the prompt are cleared.
                        console.raw("\r" + console.styled(console.wrapped(prompt + line), .player) + "\u{1B}[J")
                        leftover = Array(chunk[(offset + 1)...])
                        if recordsHistory, editor.history.count > history.count {
                            history = editor.history
                            historyFile?.append(line)
                        }
                        console.raw("\r\n")
                        return line
                    }
                }
            }
            if needsDraw { draw(editor, prompt: prompt) }
        }
    }

    private func draw(_ editor: LineEditor, prompt: String) {
        let promptWidth = DisplayWidth.of(prompt)
        let (visible, cursorColumn) = editor.view(promptWidth: promptWidth, columns: terminalColumns())
        var out = "\r" + console.styled(prompt, .player) + visible + "\u{1B}[K\r"
        if cursorColumn > 0 { out += "\u{1B}[\(cursorColumn)C" }
        console.raw(out)
    }

    /// Runs an interactive program (an editor) on the terminal: raw mode and our reading stop meanwhile,
    /// and Ctrl-C in it is the program's, not ours.
    func runOnTerminal<T>(_ body: () throws -> T) rethrows -> T {
        let wasRaw = terminalIsRaw
        reader.pause()
        RawMode.restore()
        ExternalProgram.running.withLock { $0 = true }
        defer {
            ExternalProgram.running.withLock { $0 = false }
            if wasRaw { RawMode.enter() }
            reader.resume()
        }
        return try body()
    }
}

enum ExternalProgram {
    /// While true, SIGINT belongs to the program on the terminal and `play` ignores it.
    static let running = Mutex(false)
}

/// Reads stdin on a thread of its own (a blocking read never holds a concurrency thread), and can stop
/// reading for a while so a program run on the terminal gets every key.
private final class StdinReader: Sendable {
    let stream: AsyncStream<[UInt8]>
    private let paused = PausedFlag()
    private final class PausedFlag: Sendable {
        let value = Mutex(false)
        func withLock<T>(_ body: (inout Bool) -> T) -> T { value.withLock { body(&$0) } }
    }
    /// Wakes the reader from `poll` to notice `paused`; the reader answers on `acknowledge`.
    private let wake: (read: Int32, write: Int32)
    private let acknowledge: (read: Int32, write: Int32)

    init(isBusy: @escaping @Sendable () -> Bool, onInterrupt: @escaping @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        self.stream = stream
        wake = Self.makePipe()
        acknowledge = Self.makePipe()
        let wake = wake, acknowledge = acknowledge, paused = paused
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let isPaused = paused.withLock { $0 }
                var descriptors = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
                if !isPaused { descriptors.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
                if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                    if errno == EINTR { continue }
                    break
                }
                if descriptors[0].revents != 0 {
                    var byte: UInt8 = 0
                    _ = read(wake.read, &byte, 1)
                    if paused.withLock({ $0 }) { _ = write(acknowledge.write, &byte, 1) }
                    continue
                }
                guard descriptors.count > 1, descriptors[1].revents != 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count <= 0 { break }
                var chunk = Array(buffer[..<count])
                if isBusy(), chunk.contains(3) {
                    chunk.removeAll { $0 == 3 }
                    onInterrupt()
                }
                if !chunk.isEmpty { continuation.yield(chunk) }
            }
            continuation.finish()
            // The terminal is gone: a pause must not wait for a reader that no longer reads.
            close(acknowledge.write)
        }
        thread.start()
    }

    func pause() {
        paused.withLock { $0 = true }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        // Wait until the reader is no longer polling stdin, so the program gets even the first key.
        while read(acknowledge.read, &byte, 1) < 0 && errno == EINTR {}
    }

    func resume() {
        paused.withLock { $0 = false }
        var byte: UInt8 = 0
        _ = write(wake.write, &byte, 1)
    }

    private static func makePipe() -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        _ = pipe(&descriptors)
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }
}

/// The lines typed at `play`'s prompt, kept across sessions in the data folder: the player's own
/// actions and commands only (never the story, never a turn's text being edited), the newest `limit`.
struct HistoryFile {
    let path: String
    var limit = 500

    func load() -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        return Array(lines.suffix(limit))
    }

    /// Appends with O_APPEND (two sessions at once interleave whole lines); once the file holds twice
    /// the limit it is rewritten with the newest `limit` lines.
    func append(_ line: String) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        writeAll(descriptor, Array((line + "\n").utf8))
        close(descriptor)
        let all = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self).split(separator: "\n") } ?? []
        if all.count >= 2 * limit {
            let kept = all.suffix(limit).joined(separator: "\n") + "\n"
            let temporary = path + ".tmp"
            if FileManager.default.createFile(atPath: temporary, contents: Data(kept.utf8), attributes: [.posixPermissions: 0o600]) {
                _ = rename(temporary, path)
            }
        }
    }
}
