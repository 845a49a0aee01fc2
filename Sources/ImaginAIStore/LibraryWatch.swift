import Foundation
import ImaginAIProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells a callback, on a thread of its own, what other processes commit to the database file.
///
/// On Linux the thread sleeps in `poll` on an inotify watch of the file's folder and wakes when a
/// process commits (each ImaginAI process touches the -wal file after its commits; see `commitSignal`):
/// an idle daemon runs no code at all. Elsewhere, and on Linux when inotify cannot be used (its limits
/// reached), it looks at the change log every `pollMilliseconds` instead.
public final class LibraryWatch: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Woken by file events: nothing runs while nothing changes.
        case fileEvents
        /// Looks every `pollMilliseconds`, for the reason given.
        case polling(reason: String)
        /// An in-memory database: no other process can change it.
        case inert
    }

    public enum Event: Sendable {
        /// Other processes' changes, in commit order, coalesced per row.
        case changes([LibraryChangedNotification])
        /// Some changes were pruned from the log before they could be read (this process was stopped
        /// for longer than the log keeps them): what they were is unknown.
        case missedChanges
        /// The log could not be read; the next wake tries again.
        case failed(String)
    }

    /// How often the log is looked at without file events.
    public static let pollMilliseconds: Int32 = 100

    public let mode: Mode
    private let stopSignal: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    private init(mode: Mode, stopSignal: Int32) {
        self.mode = mode
        self.stopSignal = stopSignal
    }

    /// Starts watching `database` from its current newest change: `onEvent` is called on the watch's
    /// thread, one call at a time. Changes committed before this returns are not reported.
    /// `fileEvents: false` looks every `pollMilliseconds` even where file events work (for tests).
    static func start(_ database: AppDatabase, fileEvents: Bool = true, onEvent: @escaping @Sendable (Event) -> Void) throws -> LibraryWatch {
        let path = database.path
        if path == ":memory:" || path.isEmpty { return LibraryWatch(mode: .inert, stopSignal: -1) }
        let start = try database.latestChangeSeq()
        var stopPipe: [Int32] = [-1, -1]
        guard pipe(&stopPipe) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        _ = fcntl(stopPipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(stopPipe[1], F_SETFD, FD_CLOEXEC)
        let events = fileEvents ? FileEvents.open(watching: path) : FileEvents(descriptor: -1, problem: "file events not wanted", names: [])
        let mode: Mode = events.descriptor >= 0 ? .fileEvents : .polling(reason: events.problem)
        let watch = LibraryWatch(mode: mode, stopSignal: stopPipe[1])
        let thread = Thread { [finished = watch.finished, stopWait = stopPipe[0]] in
            var last = start
            defer {
                if events.descriptor >= 0 { close(events.descriptor) }
                close(stopWait)
                finished.signal()
            }
            func look() {
                do {
                    let found = try database.changesFromOtherProcesses(after: last)
                    last = found.latest
                    if found.gap { onEvent(.missedChanges) }
                    if found.changes.contains(where: { $0.kind == .turn }) {
                        // Another process changed turns the recall index holds: its term counts are stale.
                        database.forgetRecallTermCounts()
                    }
                    if !found.changes.isEmpty { onEvent(.changes(found.changes)) }
                } catch {
                    onEvent(.failed("\(error)"))
                }
            }
            while true {
                var descriptors = [pollfd(fd: stopWait, events: Int16(POLLIN), revents: 0)]
                if events.descriptor >= 0 { descriptors.append(pollfd(fd: events.descriptor, events: Int16(POLLIN), revents: 0)) }
                let ready = poll(&descriptors, nfds_t(descriptors.count), events.descriptor >= 0 ? -1 : LibraryWatch.pollMilliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    onEvent(.failed("poll: \(String(cString: strerror(errno)))"))
                    return
                }
                if descriptors[0].revents != 0 { return }
                if events.descriptor < 0 {
                    look()
                } else if descriptors[1].revents != 0, events.drain() {
                    look()
                }
            }
        }
        thread.name = "imaginai-library-watch"
        thread.start()
        return watch
    }

    /// Ends the watch and waits for its thread: no `onEvent` call starts after this returns. Not to be
    /// called from `onEvent` itself.
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first, mode != .inert else { return }
        var byte: UInt8 = 1
        _ = write(stopSignal, &byte, 1)
        finished.wait()
        close(stopSignal)
    }

    deinit {
        stop()
    }
}

extension AppDatabase {
    /// Starts a `LibraryWatch` on this database (see there).
    public func watchOtherProcesses(onEvent: @escaping @Sendable (LibraryWatch.Event) -> Void) throws -> LibraryWatch {
        try LibraryWatch.start(self, onEvent: onEvent)
    }

    /// A watch that looks every `LibraryWatch.pollMilliseconds`, as on systems without file events.
    func pollOtherProcesses(onEvent: @escaping @Sendable (LibraryWatch.Event) -> Void) throws -> LibraryWatch {
        try LibraryWatch.start(self, fileEvents: false, onEvent: onEvent)
    }

    /// Drops recall's kept term counts, after another process changed turns.
    func forgetRecallTermCounts() {
        termCounts.withLock { $0 = RecallTermCounts() }
    }
}

/// The inotify watch of the database's folder, for the database file and its -wal file.
private struct FileEvents: Sendable {
    /// -1 when file events cannot be used (see `problem`).
    let descriptor: Int32
    let problem: String
    let names: Set<[UInt8]>

    static func open(watching path: String) -> FileEvents {
        // Where the file really is: SQLite puts the -wal file beside the file a symbolic link points to.
        let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let base = url.lastPathComponent
        let names: Set<[UInt8]> = [Array(base.utf8), Array((base + "-wal").utf8)]
        #if os(Linux)
        let descriptor = inotify_init1(Int32(O_CLOEXEC | O_NONBLOCK))
        guard descriptor >= 0 else {
            return FileEvents(descriptor: -1, problem: "inotify_init1: \(String(cString: strerror(errno)))", names: names)
        }
        // The folder, not the files: the -wal file comes and goes with the last connection to the file.
        // Attribute changes are each writer's commit signal; a file created or moved into place is
        // a database or log replaced under us.
        let mask = UInt32(IN_ATTRIB) | UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)
        guard inotify_add_watch(descriptor, url.deletingLastPathComponent().path, mask) >= 0 else {
            let problem = "inotify_add_watch: \(String(cString: strerror(errno)))"
            close(descriptor)
            return FileEvents(descriptor: -1, problem: problem, names: names)
        }
        return FileEvents(descriptor: descriptor, problem: "", names: names)
        #else
        return FileEvents(descriptor: -1, problem: "file events are used on Linux only", names: names)
        #endif
    }

    /// Reads every pending event; true when one concerns the database (or events were lost).
    func drain() -> Bool {
        #if os(Linux)
        var relevant = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return relevant }
            // struct inotify_event: int wd; uint32 mask, cookie, len; char name[len] (NUL padded).
            var offset = 0
            while offset + 16 <= count {
                let mask = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) }
                let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) })
                let name = buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || names.contains(Array(name)) { relevant = true }
                offset += 16 + length
            }
        }
        #else
        return false
        #endif
    }
}
