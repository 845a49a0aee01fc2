import Foundation
import JSONRPC
import Testing

@Suite struct ChildProcessTests {
    /// A descriptor this process holds without close-on-exec (as a socket another thread has just
    /// accepted may be) must not reach the child: a connection closed here would stay open there.
    @Test func aChildGetsOnlyTheStandardDescriptors() throws {
        var leaky: [Int32] = [0, 0]
        try #require(pipe(&leaky) == 0)
        defer { leaky.forEach { close($0) } }
        #expect(fcntl(leaky[0], F_GETFD) & FD_CLOEXEC == 0, "the test needs a descriptor without close-on-exec")

        // `ls` lists its own descriptors: 0, 1, 2 and the one it opened on /proc/self/fd to list them.
        let child = try ChildProcess(executable: "/bin/ls", arguments: ["/proc/self/fd"])
        child.closeInput()
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(child.outputDescriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            output += buffer[..<count]
        }
        #expect(child.waitForExit() == 0)
        let listed = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(listed.filter { $0 > 3 }.isEmpty, "the child inherited \(listed.filter { $0 > 3 }) (open here: \(leaky))")
        #expect(!listed.contains(leaky[0]) && !listed.contains(leaky[1]))
    }
}
