import ImaginAIProtocol
import Foundation
import JSONRPC
import Testing

/// 10,000 requests written without waiting for any answer: every one is answered exactly once with its
/// own id, and the daemon's memory stays bounded because it stops reading while `maxPendingRequests` are
/// unanswered (PROTOCOL.md, Limits) instead of queueing all of them.
@Suite(.timeLimit(.minutes(2)))
struct FloodTests {
    static let count = 10_000
    static let rssLimitKiB = 200 * 1024

    @Test func tenThousandPipelinedRequestsAreAllAnsweredOnceWithBoundedMemory() async throws {
        let daemon = try Daemon()
        _ = try await daemon.initialize()
        let scenario = try await daemon.call("scenario/create", ["scenario": ["name": "Flooded"]])
        let scenarioID = scenario["id"]!.stringValue!

        // Reads and small writes, interleaved; string ids so no later request of the test reuses one.
        var stream: [UInt8] = []
        for index in 1...Self.count {
            let id = "\"f\(index)\""
            let body: String
            switch index % 4 {
            case 0: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"card/create","params":{"scenarioId":"\#(scenarioID)","card":{"name":"Card \#(index)","keys":["k\#(index)"]}}}"#
            case 1: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"scenario/list","params":{"limit":5}}"#
            case 2: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"settings/get"}"#
            default: body = #"{"jsonrpc":"2.0","id":\#(id),"method":"models/list"}"#
            }
            stream += Framing.frame(Array(body.utf8))
        }
        // The test reads the flood's answers itself; switched back on before the last request below.
        daemon.forwardsOutput = false
        let started = ContinuousClock.now
        // The write blocks whenever the daemon stops reading (back-pressure): it gets a thread of its own.
        let frames = stream
        let writer = Thread { daemon.sendRaw(frames) }
        writer.start()

        let pid = daemon.process.processIdentifier
        var peakSampledKiB = 0
        var answered: [String: Int] = [:]
        var errors: [String] = []
        var parser = FrameParser(maxBodyBytes: .max)
        var consumed = 0
        let deadline = ContinuousClock.now + .seconds(90)
        while answered.values.reduce(0, +) < Self.count && ContinuousClock.now < deadline {
            // Only the new output, five times a second: copying all of it at every poll cost seconds of
            // CPU that the suites running beside this one (timing-sensitive story tests) need.
            try await Task.sleep(for: .milliseconds(200))
            peakSampledKiB = max(peakSampledKiB, Self.status(pid, "VmRSS") ?? 0)
            let output = daemon.stdoutBytes(from: consumed)
            parser.append(output)
            consumed += output.count
            while case .message(let body)? = parser.next() {
                // The few earlier responses (initialize, scenario/create) have integer ids: skipped.
                guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(body)),
                      let id = reply.id, id.hasPrefix("f") else { continue }
                answered[id, default: 0] += 1
                if let error = reply.error { errors.append("\(id): \(error.code) \(error.message)") }
            }
        }
        let elapsed = ContinuousClock.now - started
        let highWaterKiB = Self.status(pid, "VmHWM") ?? 0
        print("flood: \(answered.count) of \(Self.count) answered in \(elapsed); RSS sampled peak \(peakSampledKiB / 1024) MiB, VmHWM \(highWaterKiB / 1024) MiB")

        #expect(answered.count == Self.count, "every request answered")
        #expect(answered.values.allSatisfy { $0 == 1 }, "each exactly once: \(answered.filter { $0.value != 1 }.prefix(5))")
        let unexpected = Set(answered.keys).subtracting((1...Self.count).map { "f\($0)" })
        #expect(unexpected.isEmpty, "only the ids that were sent: \(unexpected.prefix(5))")
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        #expect(highWaterKiB > 0 && highWaterKiB < Self.rssLimitKiB, "VmHWM \(highWaterKiB) KiB")

        // Every write landed, and the daemon still answers.
        daemon.forwardsOutput = true
        let after = try await daemon.call("scenario/get", ["id": .string(scenarioID)])
        #expect(after["cards"]?.arrayValue?.count == Self.count / 4)
    }

    /// Just what the count needs: decoding a whole `JSONValue` per response would dominate the test.
    struct Reply: Decodable {
        struct Failure: Decodable { var code: Int; var message: String }
        var id: String?
        var error: Failure?
    }

    /// A field of /proc/PID/status in KiB (`VmRSS:    12345 kB`).
    static func status(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}
