import ImaginAIProtocol
import Dispatch
import Foundation
import JSONRPC
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Command line: `imaginai-bench [--quick] [--daemon PATH] [--output FILE]` plus per-measure counts.
struct Options {
    var quick = false
    var daemon: String?
    var output: String?
    var coldRuns = 20
    var roundTrips = 5000
    var warmup = 500
    var pipelined = 10_000
    var scenarios = 10_000
    var batch = 250
    /// Measures to run (`--only`); empty runs them all.
    var only: Set<String> = []
    static let measures = ["cold", "roundtrip", "memory", "import", "story", "provider", "long-adventure", "recall", "sync"]
    /// Whole-run limit: the watchdog kills the children and exits after this many seconds.
    var budget: Double = 900
    /// Seconds to wait for an `initialize` response before calling the start failed.
    var initializeTimeout: Double = 30

    static let usage = """
        USAGE: imaginai-bench [--quick] [--daemon PATH] [--output FILE]
                              [--cold-runs N] [--round-trips N] [--pipelined N] [--scenarios N]
                              [--only LIST]

        Measures the imaginai daemon beside /bin/cat baselines and prints a markdown table.

          --quick            Fewer iterations (CI smoke run, well under 30 s)
          --daemon PATH      The imaginai binary (default: 'imaginai' next to this executable)
          --output FILE      Also write the report to FILE
          --cold-runs N      Cold starts to time (default 20; quick 5)
          --round-trips N    Sequential scenario/get requests to time (default 5000; quick 300)
          --pipelined N      Pipelined scenario/get requests (default 10000; quick 1000)
          --scenarios N      Scenarios created for the RSS measure (default 10000; quick 500)
          --only LIST        Run only these measures, comma-separated: cold, roundtrip, memory,
                             import, story (scans, assembly, chunk overheads), provider (stream
                             overhead per chunk, daemon CPU while streaming), long-adventure
                             (story/act on a 100,000-turn adventure), recall (recall and
                             assembly at 100,000 turns, index size, insert cost, first open
                             after the migration), sync (library/changed between two daemons:
                             latency, a big burst, idle CPU); e.g. `--only roundtrip`
          -h, --help         Show this help
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var explicit: [String: Int] = [:]
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw BenchError("\(flag) needs a value") }
            return arguments[index]
        }
        func count(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else { throw BenchError("\(flag) needs a positive whole number, not '\(text)'") }
            return number
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--quick": options.quick = true
            case "--daemon": options.daemon = try value(argument)
            case "--output": options.output = try value(argument)
            case "--only":
                let names = try value(argument).split(separator: ",").map(String.init)
                if let unknown = names.first(where: { !measures.contains($0) }) {
                    throw BenchError("--only: unknown measure '\(unknown)'; choose from \(measures.joined(separator: ", "))")
                }
                options.only.formUnion(names)
            case "--cold-runs", "--round-trips", "--pipelined", "--scenarios":
                explicit[argument] = try count(argument)
            case "-h", "--help":
                FileHandle.standardOutput.write(Data((usage + "\n").utf8))
                exit(0)
            default:
                throw BenchError("unknown argument '\(argument)'\n\n\(usage)")
            }
            index += 1
        }
        if options.quick {
            options.coldRuns = 5
            options.roundTrips = 300
            options.warmup = 50
            options.pipelined = 1000
            options.scenarios = 500
            options.budget = 60
            options.initializeTimeout = 5
        }
        if let n = explicit["--cold-runs"] { options.coldRuns = n }
        if let n = explicit["--round-trips"] { options.roundTrips = n; options.warmup = min(options.warmup, max(10, n / 10)) }
        if let n = explicit["--pipelined"] { options.pipelined = n }
        if let n = explicit["--scenarios"] { options.scenarios = n }
        return options
    }
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data("imaginai-bench: \(message)\n".utf8))
}

@main
enum Bench {
    static func main() {
        let options: Options
        do {
            options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            progress("\(error)")
            exit(64)
        }

        let daemon = options.daemon ?? SystemInfo.executableDirectory() + "/imaginai"
        guard FileManager.default.isExecutableFile(atPath: daemon) else {
            progress("no daemon binary at \(daemon): build it (swift build -c release) or pass --daemon PATH")
            exit(66)
        }
        guard let cat = ["/bin/cat", "/usr/bin/cat"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            progress("no cat binary for the baseline")
            exit(69)
        }

        let temp = FileManager.default.temporaryDirectory
            .appendingPathComponent("imaginai-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do {
            try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        } catch {
            progress("cannot create \(temp): \(error)")
            exit(73)
        }
        installCleanup(temp: temp, budget: options.budget)
        // A child that dies must turn into a failed write, not kill the bench.
        signal(SIGPIPE, SIG_IGN)

        var bench = Runner(options: options, daemon: daemon, cat: cat, temp: temp)
        bench.run()

        ChildRegistry.shared.killAll()
        try? FileManager.default.removeItem(atPath: temp)

        let report = bench.report()
        FileHandle.standardOutput.write(Data(report.utf8))
        if let output = options.output {
            do {
                try report.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                progress("could not write \(output): \(error)")
                exit(74)
            }
        }
        exit(bench.failures == 0 ? 0 : 1)
    }

    /// On SIGINT/SIGTERM/SIGHUP, or when the whole run overruns its budget: kill our children (by pid),
    /// remove the temp directory, and exit.
    static func installCleanup(temp: String, budget: Double) {
        let queue = DispatchQueue(label: "imaginai-bench.cleanup")
        @Sendable func abandon(_ why: String, code: Int32) -> Never {
            ChildRegistry.shared.killAll()
            try? FileManager.default.removeItem(atPath: temp)
            progress("\(why); children killed, \(temp) removed")
            exit(code)
        }
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { abandon("interrupted by signal \(number)", code: 128 + number) }
            source.resume()
            Sources.keep(source)
        }
        let watchdog = DispatchSource.makeTimerSource(queue: queue)
        watchdog.schedule(deadline: .now() + budget)
        watchdog.setEventHandler { abandon("the run exceeded its \(Int(budget)) s budget", code: 124) }
        watchdog.resume()
        Sources.keep(watchdog)
    }
}

/// Keeps dispatch sources alive for the life of the process.
enum Sources {
    nonisolated(unsafe) private static var kept: [any DispatchSourceProtocol] = []
    static func keep(_ source: any DispatchSourceProtocol) { kept.append(source) }
}
