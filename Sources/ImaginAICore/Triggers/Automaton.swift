/// Aho-Corasick over Unicode scalar values. Transitions live in one hash table keyed by (state, scalar)
/// rather than a table per state, so 30,000 keys cost memory in proportion to their characters.
struct Automaton: Sendable {
    private let transitions: [UInt64: Int32]
    private let failure: [Int32]
    /// The pattern ending exactly at a state, or -1.
    private let pattern: [Int32]
    /// The nearest state along the failure chain that ends a pattern, or -1: reporting every match is
    /// then a walk over matches only, never over the whole failure chain.
    private let outputLink: [Int32]

    @inline(__always)
    private static func edge(_ state: Int32, _ scalar: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: state)) << 32 | UInt64(scalar)
    }

    struct Builder {
        private var transitions: [UInt64: Int32] = [:]
        private var children: [[(UInt32, Int32)]] = [[]]
        private var pattern: [Int32] = [-1]

        mutating func insert(_ scalars: [UInt32], pattern id: Int32) {
            var state: Int32 = 0
            for scalar in scalars {
                let key = Automaton.edge(state, scalar)
                if let next = transitions[key] {
                    state = next
                } else {
                    let next = Int32(children.count)
                    transitions[key] = next
                    children[Int(state)].append((scalar, next))
                    children.append([])
                    pattern.append(-1)
                    state = next
                }
            }
            pattern[Int(state)] = id
        }

        func build() -> Automaton {
            let count = children.count
            var failure = [Int32](repeating: 0, count: count)
            var outputLink = [Int32](repeating: -1, count: count)
            var queue: [Int32] = []
            queue.reserveCapacity(count)
            for (_, child) in children[0] { queue.append(child) }
            var head = 0
            while head < queue.count {
                let state = queue[head]
                head += 1
                for (scalar, child) in children[Int(state)] {
                    var fallback = failure[Int(state)]
                    var target: Int32 = 0
                    while true {
                        if let next = transitions[Automaton.edge(fallback, scalar)], next != child {
                            target = next
                            break
                        }
                        if fallback == 0 { break }
                        fallback = failure[Int(fallback)]
                    }
                    failure[Int(child)] = target
                    outputLink[Int(child)] = pattern[Int(target)] >= 0 ? target : outputLink[Int(target)]
                    queue.append(child)
                }
            }
            return Automaton(transitions: transitions, failure: failure, pattern: pattern, outputLink: outputLink)
        }
    }

    /// Calls `report(pattern, end)` for every occurrence of every pattern; `end` is one past its last scalar.
    func scan(_ text: [UInt32], report: (Int32, Int) -> Void) {
        guard failure.count > 1 else { return }
        var state: Int32 = 0
        for (index, scalar) in text.enumerated() {
            while true {
                if let next = transitions[Self.edge(state, scalar)] {
                    state = next
                    break
                }
                if state == 0 { break }
                state = failure[Int(state)]
            }
            var output = pattern[Int(state)] >= 0 ? state : outputLink[Int(state)]
            while output >= 0 {
                report(pattern[Int(output)], index + 1)
                output = outputLink[Int(output)]
            }
        }
    }
}
