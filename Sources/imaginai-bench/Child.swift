import ImaginAIProtocol
import Foundation
import JSONRPC
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a measurement could not be taken. The message ends up in the table cell instead of a figure.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC): immune to wall-clock changes during the run.
func monotonicNanos() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// A point in monotonic time `seconds` from now.
func deadline(in seconds: Double) -> UInt64 {
    monotonicNanos() + UInt64(seconds * 1e9)
}

/// Every child the bench has started and not yet reaped, so an interrupt or the watchdog can kill them.
final class ChildRegistry: Sendable {
    static let shared = ChildRegistry()
    private let pids = Mutex<Set<Int32>>([])

    func add(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    func remove(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }

    /// SIGKILLs exactly the children this process started (by pid, never by name).
    func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}

/// Frames arriving from a child, handed from the reader thread to the measuring thread.
///
/// In the normal mode every body is queued for `next`. In counting mode (used for pipelined throughput,
/// where 10,000 responses of ~10 KB would otherwise be kept) bodies are only counted and checked.
final class Inbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    /// When the reader thread had each queued frame whole (monotonic ns), beside `queue`.
    private var arrivals: [UInt64] = []
    private var head = 0
    private var counting = false
    private var counted = 0
    private var failed = 0
    private var firstFailure: String?
    private var closed = false
    private var badFrames = 0

    /// Called on the reader thread for each complete frame.
    func deliver(_ body: [UInt8]) {
        condition.lock()
        if counting {
            counted += 1
            if !Inbox.looksLikeResult(body) {
                failed += 1
                if firstFailure == nil { firstFailure = String(decoding: body.prefix(300), as: UTF8.self) }
            }
        } else {
            queue.append(body)
            arrivals.append(monotonicNanos())
        }
        condition.signal()
        condition.unlock()
    }

    func noteBadFrame() {
        condition.lock()
        badFrames += 1
        condition.unlock()
    }

    /// Called on the reader thread when the child's stdout reaches end of file.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// The next queued body, waiting for it until `deadline` (monotonic ns).
    func next(until deadline: UInt64, what: @autoclosure () -> String) throws -> [UInt8] {
        try nextArrival(until: deadline, what: what()).body
    }

    /// The next queued body and when the reader thread had it whole: a time that, like a socket read
    /// timed where it returns, leaves out the hand-over from the reader to the thread that waits here.
    func nextArrival(until deadline: UInt64, what: @autoclosure () -> String) throws -> (body: [UInt8], arrived: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if closed { throw BenchError("child closed its output while waiting for \(what())") }
            try wait(until: deadline, what: what())
        }
        let next = (queue[head], arrivals[head])
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            arrivals.removeAll(keepingCapacity: true)
            head = 0
        }
        return next
    }

    func startCounting() {
        condition.lock()
        counting = true
        counted = 0
        failed = 0
        firstFailure = nil
        condition.unlock()
    }

    /// Waits until `expected` bodies have been counted, then leaves counting mode.
    /// Returns how many were not results (error responses), and the first of those.
    func finishCounting(expected: Int, until deadline: UInt64, what: @autoclosure () -> String) throws -> (failed: Int, first: String?) {
        condition.lock()
        defer {
            counting = false
            condition.unlock()
        }
        while counted < expected {
            if closed { throw BenchError("child closed its output after \(counted) of \(expected) \(what())") }
            try wait(until: deadline, what: "\(what()) (\(counted) of \(expected) received)")
        }
        return (failed, firstFailure)
    }

    /// Must be called with the lock held.
    private func wait(until deadline: UInt64, what: String) throws {
        let now = monotonicNanos()
        guard now < deadline else { throw BenchError("timed out waiting for \(what)") }
        let seconds = Double(deadline - now) / 1e9
        _ = condition.wait(until: Date(timeIntervalSinceNow: min(seconds, 1.0)))
    }

    /// The daemon writes success responses as `{"id":…,"jsonrpc":"2.0","result":…}` and errors as
    /// `{"error":…}`, so the prefix tells them apart without parsing 10 KB of JSON per response.
    /// `cat` echoes whatever we sent, and the bench's echo frames are built to start the same way.
    static func looksLikeResult(_ body: [UInt8]) -> Bool {
        body.starts(with: resultPrefix)
    }

    static let resultPrefix = Array(#"{"id":"#.utf8)
}

/// A child process with its stdin and stdout on pipes, through the shared client connection: every
/// frame it writes goes, unparsed, to `inbox` from the connection's reader thread. The daemon and the
/// cat baselines both go through here, so they are read by the same code.
final class Child {
    let name: String
    let connection: ClientConnection
    let inbox: Inbox
    let pid: Int32
    private(set) var exitStatus: Int32?

    /// Starts `executable`. `stderrPath` receives the child's stderr (so a failing daemon can be diagnosed);
    /// nil sends it to /dev/null.
    init(name: String, executable: String, arguments: [String], stderrPath: String?, environment: [String: String] = [:]) throws {
        self.name = name
        let inbox = Inbox()
        self.inbox = inbox
        do {
            connection = try ClientConnection(
                spawning: executable, arguments: arguments,
                environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
                errorOutput: stderrPath.map { .file($0) } ?? .discard,
                readerName: "bench-reader-\(name)",
                onUnmatched: { body in inbox.deliver(body) },
                onEnd: { inbox.close() })
        } catch {
            throw BenchError("could not start \(executable): \(error)")
        }
        pid = connection.child!.pid
        ChildRegistry.shared.add(pid)
    }

    /// Writes all of `bytes` to the child's stdin (blocking while the pipe is full). A child that has
    /// gone away shows as its output closing, which the next wait reports.
    func send(_ bytes: [UInt8]) throws {
        guard connection.child!.isInputOpen else { throw BenchError("writing to \(name) after its input was closed") }
        connection.sendRaw(bytes)
    }

    func closeInput() {
        connection.closeInput()
    }

    /// `/proc/PID/status` figures in KiB: VmRSS (resident now) and VmHWM (peak resident).
    func memory() -> (rssKiB: Int, hwmKiB: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss: Int?
        var hwm: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
            guard parts.count >= 2 else { continue }
            if parts[0] == "VmRSS" { rss = Int(parts[1]) }
            if parts[0] == "VmHWM" { hwm = Int(parts[1]) }
        }
        guard let rss, let hwm else { return nil }
        return (rss, hwm)
    }

    /// Closes stdin and waits up to `grace` seconds for the child to exit on its own, then SIGKILLs it.
    /// Also waits (briefly) for the reader thread to see end of file.
    func stop(grace: Double) {
        closeInput()
        if !waitForExit(seconds: grace) {
            kill(pid, SIGKILL)
            _ = waitForExit(seconds: 5)
        }
        if let status = connection.child!.exitStatus {
            exitStatus = status
            ChildRegistry.shared.remove(pid)
        }
        let end = deadline(in: 2)
        while !inbox.isClosed && monotonicNanos() < end { usleep(1000) }
    }

    private func waitForExit(seconds: Double) -> Bool {
        let end = deadline(in: seconds)
        while connection.child!.isRunning {
            if monotonicNanos() >= end { return false }
            usleep(500)
        }
        return true
    }

    deinit {
        if connection.child!.isRunning {
            kill(pid, SIGKILL)
        }
    }
}
