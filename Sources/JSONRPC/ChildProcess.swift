import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process with its stdin and stdout (and optionally stderr) on pipes, started with
/// `posix_spawn`: what a client of `imaginai serve` talks to.
public final class ChildProcess: Sendable {
    /// Where the child's stderr goes.
    public enum ErrorOutput: Sendable {
        case inherit
        case discard
        /// Truncated and written to this file (a failing child can then be diagnosed).
        case file(String)
        /// A pipe; read it from `errorDescriptor`.
        case pipe
    }

    public let pid: pid_t
    /// Our end of the child's stdin.
    public let inputDescriptor: Int32
    /// Our end of the child's stdout.
    public let outputDescriptor: Int32
    /// Our end of the child's stderr with `.pipe`, else -1.
    public let errorDescriptor: Int32
    private let status = Mutex<Int32?>(nil)
    private let inputOpen = Mutex(true)

    /// `environment` replaces the whole environment when given (nil: this process's). With
    /// `ownProcessGroup` the child does not get the terminal's Ctrl-C; `defaultSignals` are reset to
    /// their default action in the child (a parent ignoring SIGPIPE must not pass that on).
    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        errorOutput: ErrorOutput = .inherit, ownProcessGroup: Bool = false, defaultSignals: [Int32] = [SIGPIPE]
    ) throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        var errors: [Int32] = [-1, -1]
        guard pipe(&input) == 0 else { throw ChildProcessError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&output) == 0 else {
            input.forEach { close($0) }
            throw ChildProcessError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        if case .pipe = errorOutput, pipe(&errors) != 0 {
            (input + output).forEach { close($0) }
            throw ChildProcessError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec keeps our ends out of this and any other child; dup2 clears the flag on the
        // copies that become the child's standard descriptors.
        for descriptor in input + output + errors where descriptor >= 0 { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }

        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        switch errorOutput {
        case .inherit: break
        case .discard: posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 2, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .pipe: posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        }
        #if os(Linux)
        // Only the three standard descriptors cross over. Anything else this process has open (a socket
        // another thread just accepted, without close-on-exec) would otherwise live on in the child: a
        // connection its owner closed would stay open, and the peer would wait for an end that never came.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        #endif
        var flags = POSIX_SPAWN_SETSIGDEF
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = environment ?? ProcessInfo.processInfo.environment
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0])
        close(output[1])
        if errors[1] >= 0 { close(errors[1]) }
        guard result == 0 else {
            close(input[1])
            close(output[0])
            if errors[0] >= 0 { close(errors[0]) }
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        inputDescriptor = input[1]
        outputDescriptor = output[0]
        errorDescriptor = errors[0]
    }

    /// Closes the child's stdin (its end of input); later writes fail quietly.
    public func closeInput() {
        let wasOpen = inputOpen.withLock { open in defer { open = false }; return open }
        if wasOpen { close(inputDescriptor) }
    }

    public var isInputOpen: Bool { inputOpen.withLock { $0 } }

    /// The exit status once the child has ended (reaping it), nil while it runs. A child killed by a
    /// signal reports 128 + the signal number, as a shell would.
    public var exitStatus: Int32? {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let signal = raw & 0x7F
            status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
            return status
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Blocks until the child has ended; returns its status as `exitStatus` does.
    @discardableResult
    public func waitForExit() -> Int32 {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            let signal = raw & 0x7F
            let value = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
            status = value
            return value
        }
    }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    deinit {
        closeInput()
        close(outputDescriptor)
        if errorDescriptor >= 0 { close(errorDescriptor) }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

#if os(Linux)
extension ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: the
    /// Glibc module does not declare it (it sits behind _GNU_SOURCE). Nil on an older glibc.
    fileprivate static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
#endif
