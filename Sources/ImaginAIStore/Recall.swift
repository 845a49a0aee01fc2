import GRDB
import ImaginAICore
import ImaginAIProtocol

extension AppDatabase {
    // MARK: Recall

    /// How many turns, summed over the chosen terms' document counts, each of a recall's two searches
    /// may match. BM25 is computed for every matching turn before the best are picked (about 1-3 µs
    /// each), so this bounds a recall's time whatever the length of the adventure.
    public static let recallMatchBudget = 1500

    /// The adventure's turns older than `request.beforeIndex` that best match the query (BM25), best
    /// first, at most `request.limit`: those matching the action's and cards' terms, then those matching
    /// the recent story's.
    ///
    /// The query's terms are narrowed first to the rarest ones whose document counts (from the index's
    /// vocabulary, over the whole library) add up to at most `matchBudget`: a rare word (a name, a
    /// password) is what tells one turn from the others and weighs most in BM25 anyway, while a word in
    /// most turns would only make every turn a match. A term the index has never seen matches nothing
    /// and is dropped.
    public func recall(adventureId: String, request: RecallRequest, matchBudget: Int = recallMatchBudget) throws -> [RecallHit] {
        guard request.beforeIndex > 0, request.limit > 0, !request.query.isEmpty else { return [] }
        return try read { db in
            var hits: [RecallHit] = []
            var found = Set<String>()
            for group in [request.query.terms, request.query.contextTerms] where hits.count < request.limit {
                let terms = try rarestTerms(db, group, matchBudget: matchBudget)
                guard let expression = RecallQuery.matchExpression(terms) else { continue }
                let rows = try Row.fetchAll(
                    db, sql: Self.recallSQL, arguments: [expression, adventureId, request.beforeIndex, request.limit])
                for row in rows where hits.count < request.limit {
                    let id: String = row["id"]
                    guard found.insert(id).inserted else { continue }
                    let role: String = row["role"]
                    let action: String? = row["action"]
                    hits.append(RecallHit(
                        turnID: id,
                        turn: PromptTurn(
                            index: row["turnIndex"],
                            speaker: role == TurnRole.ai.rawValue ? .ai : .player(action.flatMap(PlayerActionKind.init(rawValue:))),
                            text: row["text"])))
                }
            }
            return hits
        }
    }

    /// FTS5 orders by rank (BM25) itself, then each match is looked up by rowid and kept when it is an
    /// older turn of this adventure.
    static let recallSQL = """
        SELECT turn.id, turn.turnIndex, turn.role, turn.action, turn.text
        FROM turnRecall JOIN turn ON turn.rowid = turnRecall.rowid
        WHERE turnRecall MATCH ? AND turn.adventureId = ? AND turn.turnIndex < ?
        ORDER BY turnRecall.rank LIMIT ?
        """

    /// The terms to search with: rarest first while their document counts fit `matchBudget`, in the
    /// query's order of priority among equals.
    ///
    /// The vocabulary counts a term's turns by reading its posting list: 50-100 µs a term on a
    /// 100,000-turn index, milliseconds for a word in half the turns, and a recall asks for up to 32.
    /// The counts are only used to rank terms by rarity against a soft budget, so a count a few turns
    /// old serves as well as a fresh one: they are kept between recalls (see `RecallTermCounts`).
    func rarestTerms(_ db: Database, _ terms: [String], matchBudget: Int) throws -> [String] {
        let statement = try db.cachedStatement(sql: "SELECT doc FROM turnRecallVocabulary WHERE term = ?")
        let known = termCounts.withLock { $0.startRecall() }
        var counted: [String: Int] = [:]
        func documents(_ token: String) throws -> Int? {
            if let count = counted[token] ?? known[token] { return count }
            let count = try Int.fetchOne(statement, arguments: [token]) ?? 0
            counted[token] = count
            return count
        }
        defer {
            if !counted.isEmpty { termCounts.withLock { $0.remember(counted) } }
        }
        var costed: [(term: String, cost: Int)] = []
        for term in terms {
            let tokens = term.split(separator: " ").map(String.init)
            var cost = Int.max
            var missing = false
            for token in tokens {
                if let count = try documents(token), count > 0 {
                    cost = min(cost, count)
                } else if token.utf8.allSatisfy({ $0 < 0x80 }) || tokens.count > 1 {
                    missing = true
                } else {
                    // Not in the vocabulary as typed, but the index folds diacritics ("café" is held as
                    // "cafe"): it may still match, and a word with accents is rarely a common one.
                    cost = min(cost, 0)
                }
            }
            if !missing { costed.append((term, cost)) }
        }
        var chosen: [String] = []
        var total = 0
        for entry in costed.enumerated().sorted(by: { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }) {
            guard total + entry.element.cost <= matchBudget else { break }
            total += entry.element.cost
            chosen.append(entry.element.term)
        }
        return chosen
    }
}

/// Document counts of recall terms kept between recalls. A common term's count (in at least
/// `commonDocuments` turns) is kept until the cache is cleared: a few thousand turns more or less do
/// not make it any less common. A rarer term's count is kept for `rareLifetime` recalls, a few turns'
/// worth of writing, so that a word that suddenly recurs is soon counted again.
struct RecallTermCounts: Sendable {
    static let commonDocuments = 256
    static let rareLifetime = 8
    /// Bounded: the counts of a library's words that recall met lately.
    static let capacity = 20_000

    private var entries: [String: (documents: Int, recall: Int)] = [:]
    private var recalls = 0

    /// The counts as the recall starting now may use them (a copy that costs nothing until written).
    mutating func startRecall() -> Snapshot {
        recalls += 1
        return Snapshot(entries: entries, recall: recalls)
    }

    struct Snapshot {
        fileprivate let entries: [String: (documents: Int, recall: Int)]
        fileprivate let recall: Int

        /// The term's kept count, unless it is a rare term's count grown too old.
        subscript(term: String) -> Int? {
            guard let entry = entries[term],
                  entry.documents >= RecallTermCounts.commonDocuments || recall - entry.recall <= RecallTermCounts.rareLifetime
            else { return nil }
            return entry.documents
        }
    }

    mutating func remember(_ counted: [String: Int]) {
        if entries.count + counted.count > Self.capacity { entries.removeAll() }
        for (term, documents) in counted { entries[term] = (documents, recalls) }
    }
}
