import FoundationEssentials
import Synchronization

/// Random, prefixed identifiers: `scn_`, `card_`, `adv_`, `turn_` followed by 20 characters of lowercase
/// Crockford base32 (100 random bits from the system's cryptographic generator).
enum Identifier {
    static let scenario = "scn"
    static let card = "card"
    static let adventure = "adv"
    static let turn = "turn"

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var high = rng.next() as UInt64
        var low = rng.next() as UInt64
        var bytes = [UInt8]()
        bytes.reserveCapacity(prefix.utf8.count + 21)
        bytes.append(contentsOf: prefix.utf8)
        bytes.append(UInt8(ascii: "_"))
        // 12 characters from one word, 8 from the other: 100 bits in all.
        for _ in 0..<12 {
            bytes.append(alphabet[Int(high & 31)])
            high >>= 5
        }
        for _ in 0..<8 {
            bytes.append(alphabet[Int(low & 31)])
            low >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// ISO 8601 UTC timestamps with milliseconds, fixed width (`2026-11-28T17:46:22.123Z`), so that they
/// sort as text. Pure arithmetic: thread-safe and allocation-light.
enum Timestamp {
    /// Formats milliseconds since 1970-01-01T00:00:00Z (years 0...9999).
    static func format(millisecondsSince1970 ms: Int64) -> String {
        let (days, msOfDay) = floorDivMod(ms, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = msOfDay / 1000
        let millis = Int(msOfDay % 1000)
        let hour = Int(seconds / 3600), minute = Int(seconds / 60 % 60), second = Int(seconds % 60)

        var out = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ at: Int, _ width: Int) {
            var v = value
            for i in stride(from: at + width - 1, through: at, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(Int(year), 0, 4); out[4] = UInt8(ascii: "-")
        put(month, 5, 2); out[7] = UInt8(ascii: "-")
        put(day, 8, 2); out[10] = UInt8(ascii: "T")
        put(hour, 11, 2); out[13] = UInt8(ascii: ":")
        put(minute, 14, 2); out[16] = UInt8(ascii: ":")
        put(second, 17, 2); out[19] = UInt8(ascii: ".")
        put(millis, 20, 3); out[23] = UInt8(ascii: "Z")
        return String(decoding: out, as: UTF8.self)
    }

    static func format(_ date: Date) -> String {
        format(millisecondsSince1970: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Howard Hinnant's days-to-civil algorithm.
    private static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), Int(m), Int(d))
    }
}

/// The store's clock: wall-clock milliseconds, but never the same or an earlier value twice within the
/// process, so that "updatedAt desc" reflects the order of writes even when they land in one millisecond.
final class StoreClock: Sendable {
    static let shared = StoreClock()

    private let last = Mutex<Int64>(0)

    func nowMilliseconds() -> Int64 {
        let wall = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return last.withLock { last in
            last = max(wall, last + 1)
            return last
        }
    }

    func now() -> String {
        Timestamp.format(millisecondsSince1970: nowMilliseconds())
    }
}
