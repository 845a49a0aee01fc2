import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanosecond samples and the figures the table shows.
struct Samples {
    var values: [Double] = []

    mutating func add(_ nanos: UInt64) { values.append(Double(nanos)) }

    /// Nearest-rank percentile (p in 0...1): a value that was actually observed, never interpolated.
    func percentile(_ p: Double) -> Double {
        precondition(!values.isEmpty && (0...1).contains(p), "a percentile is a fraction: 0.5, not 50")
        let sorted = values.sorted()
        let rank = Swift.max(1, Int((p * Double(sorted.count)).rounded(.up)))
        return sorted[Swift.min(rank, sorted.count) - 1]
    }

    var p50: Double { percentile(0.50) }
    var p99: Double { percentile(0.99) }
    var min: Double { values.min() ?? 0 }
}

enum Format {
    /// Milliseconds with a precision that suits the magnitude.
    static func ms(_ nanos: Double) -> String {
        let value = nanos / 1e6
        if value < 1 { return String(format: "%.3f ms", value) }
        if value < 100 { return String(format: "%.2f ms", value) }
        return String(format: "%.0f ms", value)
    }

    static func mib(kib: Int) -> String {
        String(format: "%.1f MiB", Double(kib) / 1024)
    }

    static func mib(bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// 12345.6 → "12,346".
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }

    static func rate(_ count: Int, nanos: UInt64, unit: String) -> String {
        let seconds = Double(nanos) / 1e9
        return "\(grouped(Double(count) / seconds)) \(unit)/s"
    }

    /// A failure message fit for a table cell.
    static func failure(_ error: any Error) -> String {
        let text = "\(error)".replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")
        return "failed: " + (text.count > 160 ? String(text.prefix(160)) + "…" : text)
    }
}

/// The environment the figures were taken in.
enum SystemInfo {
    /// Same shape as `date -u`: "Sat Nov 28 18:24:07 UTC 2026".
    static func date() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss 'UTC' yyyy"
        return formatter.string(from: Date())
    }

    /// Same as `uname -srm`.
    static func kernel() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        return "\(field(info.sysname)) \(field(info.release)) \(field(info.machine))"
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }

    /// The first three fields of /proc/loadavg: other work on the machine shows up in p99.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static var cores: String {
        let info = ProcessInfo.processInfo
        let active = info.activeProcessorCount
        return active == info.processorCount ? "\(active)" : "\(active) usable of \(info.processorCount)"
    }

    static var benchConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// The build configuration a SwiftPM products path implies (`.build/<triple>/release/imaginai`).
    static func configuration(ofBinary path: String) -> String {
        let directory = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().lastPathComponent
        switch directory {
        case "release": return "release"
        case "debug": return "debug"
        default: return "unknown configuration"
        }
    }

    /// The directory the running executable lives in (the build products dir when run from `.build`).
    static func executableDirectory() -> String {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return URL(fileURLWithPath: path).deletingLastPathComponent().path
        }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }
}

/// One row of the result table.
struct Row {
    var measure: String
    var imaginai: String
    var baseline: String
    var target: String
    /// Whether the target is met: "yes", "**no**", or "—" for rows without a target (or that failed).
    var met: String = "—"
}

/// The "met" cell for a figure against an upper limit (nil when the figure is missing).
func verdict(_ value: Double?, atMost limit: Double) -> String {
    guard let value else { return "—" }
    return value <= limit ? "yes" : "**no**"
}

/// The "met" cell for a figure against a lower limit.
func verdict(_ value: Double?, atLeast limit: Double) -> String {
    guard let value else { return "—" }
    return value >= limit ? "yes" : "**no**"
}

/// How many times `baseline` a figure is, when both were measured.
func ratio(_ value: Double?, to baseline: Double?) -> Double? {
    guard let value, let baseline, baseline > 0 else { return nil }
    return value / baseline
}

func markdownTable(_ rows: [Row]) -> String {
    var out = "| measure | imaginai | baseline | target | met |\n|---|---|---|---|---|\n"
    for row in rows {
        out += "| \(row.measure) | \(row.imaginai) | \(row.baseline) | \(row.target) | \(row.met) |\n"
    }
    return out
}
