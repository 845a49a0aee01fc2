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

    /// A term in at least this many turns is common: its count is kept between recalls.
    static let commonTermDocuments = 256

    /// The terms to search with: rarest first while their document counts fit `matchBudget`, in the
    /// query's order of priority among equals.
    ///
    /// The vocabulary counts a term's turns by reading its whole posting list, which for a word in half
    /// of 100,000 turns takes milliseconds. So the counts of common terms are kept (a few thousand turns
    /// more or less do not change that such a term is too common to search with), and only the rarer
    /// terms, cheap to count and the ones whose count decides, are counted afresh at every recall.
    func rarestTerms(_ db: Database, _ terms: [String], matchBudget: Int) throws -> [String] {
        let statement = try db.cachedStatement(sql: "SELECT doc FROM turnRecallVocabulary WHERE term = ?")
        var counts: [String: Int] = [:]
        let common = commonTermCounts.withLock { $0 }
        var newlyCommon: [String: Int] = [:]
        func documents(_ token: String) throws -> Int? {
            if let known = counts[token] ?? common[token] { return known }
            let count = try Int.fetchOne(statement, arguments: [token])
            counts[token] = count ?? 0
            if let count, count >= Self.commonTermDocuments { newlyCommon[token] = count }
            return count
        }
        defer {
            if !newlyCommon.isEmpty {
                commonTermCounts.withLock { cache in
                    // Bounded: a library's common words are a few thousand at most.
                    if cache.count > 20_000 { cache.removeAll() }
                    cache.merge(newlyCommon) { _, new in new }
                }
            }
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
