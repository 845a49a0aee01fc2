import Synchronization

/// A provider's keys and what the session has learned about each: a key that hit a rate limit
/// rests until its delay passes; a key the provider rejected is not used again this session.
/// Requests start on successive keys, spreading the load.
final class KeyPool: Sendable {
    enum Pick: Equatable {
        case key(Int, APIKey)
        /// Every usable key is resting; the soonest is free after this long.
        case coolingDown(Duration)
        /// Every key was rejected (or tried in this request).
        case exhausted
    }

    private struct Slot {
        var key: APIKey
        var restingUntil: ContinuousClock.Instant?
        var retired = false
    }

    private let state: Mutex<(slots: [Slot], next: Int)>

    init(keys: [APIKey]) {
        state = Mutex((keys.map { Slot(key: $0) }, 0))
    }

    var isEmpty: Bool { state.withLock { $0.slots.isEmpty } }

    func pick(excluding tried: Set<Int>, now: ContinuousClock.Instant = .now) -> Pick {
        state.withLock { state in
            let count = state.slots.count
            var soonest: Duration?
            for offset in 0..<count {
                let index = (state.next + offset) % count
                let slot = state.slots[index]
                if slot.retired || tried.contains(index) { continue }
                if let until = slot.restingUntil, until > now {
                    soonest = min(soonest ?? until - now, until - now)
                    continue
                }
                state.next = (index + 1) % count
                return .key(index, slot.key)
            }
            return soonest.map(Pick.coolingDown) ?? .exhausted
        }
    }

    func rest(_ index: Int, for delay: Duration, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.slots[index].restingUntil = now + delay }
    }

    func retire(_ index: Int) {
        state.withLock { $0.slots[index].retired = true }
    }
}
