/// What a card set needs to be searched fast, built once per set (keep it while the cards' keys, secondary
/// keys, constant flags, scan depths, sticky and cooldown are unchanged; the other rules, names and texts
/// are read from the cards passed with each selection).
///
/// One `TriggerMatcher` holds every key: list `i < cards.count` is card i's primary keys, and each
/// distinct secondary key is a list of its own after those, so one scan says which of them are
/// mentioned. A secondary key many cards share ("night") is one list: a mention of it costs the same
/// however many cards use it.
public final class CardIndex: Sendable {
    let matcher: TriggerMatcher
    /// How many cards it was built from.
    public let cardCount: Int
    /// Card i's secondary keys are the lists `secondaryLists[secondaryStart[i] ..< secondaryStart[i + 1]]`.
    let secondaryStart: [Int]
    let secondaryLists: [Int]
    let constantCards: [Int]
    let positionOfID: [String: Int]
    /// The most turns any card's keys are searched in (its own scanDepth); 0 when none sets one.
    let deepestCardScan: Int
    /// The longest sticky + cooldown of any card: how far back activations matter. 0: no card has timed
    /// effects, so nothing needs to be read for them.
    public let timedSpan: Int

    public init(cards: [PromptCard]) {
        var lists = cards.map(\.keys)
        var secondaryStart: [Int] = []
        secondaryStart.reserveCapacity(cards.count + 1)
        var secondaryLists: [Int] = []
        var listOfSecondaryKey: [String: Int] = [:]
        var constantCards: [Int] = []
        var positionOfID: [String: Int] = [:]
        positionOfID.reserveCapacity(cards.count)
        var deepest = 0
        var span = 0
        for (index, card) in cards.enumerated() {
            secondaryStart.append(secondaryLists.count)
            for key in card.rules.secondaryKeys {
                if let list = listOfSecondaryKey[key] {
                    secondaryLists.append(list)
                } else {
                    listOfSecondaryKey[key] = lists.count
                    secondaryLists.append(lists.count)
                    lists.append([key])
                }
            }
            if card.rules.constant { constantCards.append(index) }
            if positionOfID[card.id] == nil { positionOfID[card.id] = index }
            deepest = max(deepest, card.rules.scanDepth ?? 0)
            span = max(span, card.rules.sticky + card.rules.cooldown)
        }
        secondaryStart.append(secondaryLists.count)
        self.matcher = TriggerMatcher(cards: lists)
        self.cardCount = cards.count
        self.secondaryStart = secondaryStart
        self.secondaryLists = secondaryLists
        self.constantCards = constantCards
        self.positionOfID = positionOfID
        self.deepestCardScan = deepest
        self.timedSpan = span
    }

    /// How many recent turns the one scan must cover for every card to see its own window.
    func widestScan(defaultDepth: Int) -> Int { max(defaultDepth, deepestCardScan) }
}

/// The probability roll: a number 0-99 that depends only on the adventure, the card, the answer turn's
/// index and the retry version (FNV-1a, then a 64-bit finaliser so neighbouring turns do not roll
/// alike). Not Swift's `Hasher`, which is seeded anew in every process.
public enum CardRoll {
    public static func percent(adventureID: String, cardID: String, turnIndex: Int, version: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for byte in adventureID.utf8 { mix(byte) }
        mix(0)
        for byte in cardID.utf8 { mix(byte) }
        mix(0)
        for value in [UInt64(bitPattern: Int64(turnIndex)), UInt64(bitPattern: Int64(version))] {
            for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Int(hash % 100)
    }
}

/// Which cards go into one prompt, SillyTavern World Info style. The steps, and the choices made where
/// SillyTavern leaves room:
/// 1. Timed effects, counted in stored turns against the answer's index L: a card activated for the ai
///    turn at index A stays in (trigger "sticky", no keys, no roll) while L <= A + sticky, then cannot
///    fire while L <= A + sticky + cooldown; delay D keeps it from firing while L < D. Only the latest
///    activation before L counts.
/// 2. Round 0: sticky cards; cards whose keys the story names within their own window (a mention counts
///    when it ends in one of the card's newest `scanDepth` turns or in the action), checked against
///    their secondary keys in the same window (no secondary keys: the primary alone decides, whatever the
///    logic); then constant cards, which need no keys (a constant card is listed as constant even when
///    also named). Disabled cards never fire.
/// 3. Each round's new cards: of those sharing a group, the highest order is kept (ties: earlier in firing
///    order, which is the most recently mentioned); a sticky member always keeps its place; a group
///    already won in an earlier round keeps its winner. The rest are left out for "group". Then the
///    kept ones with probability under 100 roll (`CardRoll`); a roll at or over the probability leaves
///    the card out for "probability".
/// 4. Recursion, `recursionDepth` rounds: the description of each card kept in the previous round (not
///    preventRecursion) is scanned on its own, so each card it fires names one card in `firedBy`; a card
///    fires there when not yet fired, not excludeRecursion, with its secondary keys judged in that same
///    text. A card later left out for the budget may still have fired others: the budget is settled last,
///    over every round, so that a higher order wins whichever round it fired in.
/// 5. Budget: kept cards by order, highest first (ties: firing order), each taken if it still fits.
struct CardSelection {
    struct Candidate {
        var card: Int
        var trigger: FiredCard.Trigger
        var key: String?
        var firedBy: Int?
        var leftOut: FiredCard.LeftOut?
    }

    /// Every card that fired, in firing order.
    var candidates: [Candidate] = []
    /// Indexes into `candidates` of the cards in the prompt, highest order first.
    var included: [Int] = []

    /// `window`: the newest turns' texts, oldest first, then the action's text; `cardBudget` in tokens,
    /// `tokens(card)` what a card costs in it.
    init(
        cards: [PromptCard], index: CardIndex, window: [String], defaultScanDepth: Int, recursionDepth: Int,
        moment: PromptMoment, cardBudget: Int, tokens: (Int) -> Int
    ) {
        precondition(cards.count == index.cardCount, "the card index was built for another card set")
        let answer = moment.answerIndex

        // Timed effects: the latest activation before the answer, of cards that still have timed effects.
        var sticky: [Int] = []
        var coolingDown: Set<Int> = []
        if index.timedSpan > 0 {
            var latestActivation: [Int: Int] = [:]
            for activation in moment.activations where activation.turnIndex < answer {
                for id in activation.cardIDs {
                    guard let card = index.positionOfID[id] else { continue }
                    latestActivation[card] = max(latestActivation[card] ?? Int.min, activation.turnIndex)
                }
            }
            // Most recently activated first.
            for (card, activated) in latestActivation.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                let rules = cards[card].rules
                if answer <= activated + rules.sticky {
                    if rules.enabled { sticky.append(card) }
                } else if answer <= activated + rules.sticky + rules.cooldown {
                    coolingDown.insert(card)
                }
            }
        }
        var fired = Set<Int>(sticky)
        func mayFire(_ card: Int) -> Bool {
            let rules = cards[card].rules
            return rules.enabled && answer >= rules.delay && !coolingDown.contains(card) && !fired.contains(card)
        }
        func secondaryAllows(_ card: Int, isMentioned: (Int) -> Bool) -> Bool {
            let lists = index.secondaryLists[index.secondaryStart[card]..<index.secondaryStart[card + 1]]
            guard !lists.isEmpty else { return true }
            switch cards[card].rules.secondaryLogic {
            case .andAny: return lists.contains(where: isMentioned)
            case .andAll: return lists.allSatisfy(isMentioned)
            case .notAny: return !lists.contains(where: isMentioned)
            case .notAll: return !lists.allSatisfy(isMentioned)
            }
        }

        candidates = sticky.map { Candidate(card: $0, trigger: .sticky) }

        let mentions = index.matcher.latestMentions(in: window)
        let action = window.count - 1
        let turnsInWindow = window.count - 1
        var named: [(card: Int, mention: TriggerMatcher.Mention)] = []
        for (list, mention) in mentions where list < index.cardCount { named.append((list, mention)) }
        named.sort { $0.mention.position != $1.mention.position ? $0.mention.position > $1.mention.position : $0.card < $1.card }
        for (card, mention) in named where mayFire(card) && !cards[card].rules.constant {
            let firstSegment = action - min(cards[card].rules.scanDepth ?? defaultScanDepth, turnsInWindow)
            guard mention.segment >= firstSegment else { continue }
            guard secondaryAllows(card, isMentioned: { (mentions[$0]?.segment ?? -1) >= firstSegment }) else { continue }
            fired.insert(card)
            candidates.append(Candidate(card: card, trigger: .story, key: mention.key))
        }
        for card in index.constantCards where mayFire(card) {
            fired.insert(card)
            candidates.append(Candidate(card: card, trigger: .constant))
        }

        var groupWinners: [String: Int] = [:]
        func settle(_ round: Range<Int>) {
            // Groups: the winner of each group among this round's cards.
            var contenders: [String: Int] = [:]
            for position in round {
                guard let group = cards[candidates[position].card].rules.group else { continue }
                if groupWinners[group] != nil {
                    candidates[position].leftOut = .group
                    continue
                }
                guard let best = contenders[group] else {
                    contenders[group] = position
                    continue
                }
                if Self.beats(candidates[position], candidates[best], cards: cards) {
                    contenders[group] = position
                }
            }
            for position in round {
                guard let group = cards[candidates[position].card].rules.group, candidates[position].leftOut == nil else { continue }
                let isSticky = candidates[position].trigger == .sticky
                if contenders[group] != position && !isSticky { candidates[position].leftOut = .group }
            }

            for position in round where candidates[position].leftOut == nil && candidates[position].trigger != .sticky {
                let card = cards[candidates[position].card]
                let probability = card.rules.probability
                guard probability < 100 else { continue }
                let roll = CardRoll.percent(
                    adventureID: moment.adventureID, cardID: card.id, turnIndex: answer, version: moment.version)
                if roll >= probability { candidates[position].leftOut = .probability }
            }
            // A winner that lost its roll leaves its group open to later rounds.
            for (group, winner) in contenders where candidates[winner].leftOut == nil { groupWinners[group] = winner }
        }

        var round = 0..<candidates.count
        settle(round)
        for _ in 0..<max(0, recursionDepth) {
            let start = candidates.count
            for position in round where candidates[position].leftOut == nil {
                let source = candidates[position].card
                guard !cards[source].rules.preventRecursion else { continue }
                let text = [cards[source].description]
                let found = index.matcher.latestMentions(in: text)
                // In reading order: the card named first fires first.
                let named = found.filter { $0.key < index.cardCount }.sorted {
                    $0.value.position != $1.value.position ? $0.value.position < $1.value.position : $0.key < $1.key
                }
                for (card, mention) in named where mayFire(card) && !cards[card].rules.excludeRecursion && !cards[card].rules.constant {
                    guard secondaryAllows(card, isMentioned: { found[$0] != nil }) else { continue }
                    fired.insert(card)
                    candidates.append(Candidate(card: card, trigger: .card, key: mention.key, firedBy: source))
                }
            }
            round = start..<candidates.count
            if round.isEmpty { break }
            settle(round)
        }

        // Budget: highest order first, ties in firing order.
        let kept = candidates.indices.filter { candidates[$0].leftOut == nil }
        let ranked = kept.sorted {
            let (a, b) = (cards[candidates[$0].card].rules.order, cards[candidates[$1].card].rules.order)
            return a != b ? a > b : $0 < $1
        }
        var spent = 0
        for position in ranked {
            let cost = tokens(candidates[position].card)
            if spent + cost <= cardBudget {
                spent += cost
                included.append(position)
            } else {
                candidates[position].leftOut = .budget
            }
        }
    }

    /// Whether `a` wins a group over `b`, which fired earlier: a sticky card first, then the higher order.
    private static func beats(_ a: Candidate, _ b: Candidate, cards: [PromptCard]) -> Bool {
        let aSticky = a.trigger == .sticky, bSticky = b.trigger == .sticky
        if aSticky != bSticky { return aSticky }
        return cards[a.card].rules.order > cards[b.card].rules.order
    }
}
