import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol

/// A foreign entry's rule fields, read leniently: another tool's file may hold a value ImaginAI cannot
/// take (a number out of range, a string where a number belongs). The entry still imports; the field
/// takes its default or the nearest allowed value, and a warning says what happened so the user sees it.
struct ForeignFields {
    let members: [String: JSONValue]
    /// SillyTavern keeps its options of a character book's entry here; looked up once, not per path.
    let extensions: [String: JSONValue]?
    var warnings: [String] = []

    init(_ entry: JSONValue) {
        members = entry.objectValue ?? [:]
        extensions = members["extensions"]?.objectValue
    }

    /// The first of `paths` (`scanDepth`, `extensions.scan_depth`) present with a value other than null.
    func value(_ paths: [String]) -> (value: JSONValue, path: String)? {
        for path in paths {
            if let found = lookup(path), found != .null { return (found, path) }
        }
        return nil
    }

    /// `a.b` is `b` inside `a`; paths have at most one dot. Read through the UTF-8 view: a book holds
    /// thousands of entries, each asked for some thirty paths.
    private func lookup(_ path: String) -> JSONValue? {
        guard let dot = path.utf8.firstIndex(of: UInt8(ascii: ".")) else { return members[path] }
        let head = path[..<dot]
        let inner: [String: JSONValue]?
        if head == "extensions" { inner = extensions } else { inner = members[String(head)]?.objectValue }
        guard let inner else { return nil }
        return inner[String(path[path.utf8.index(after: dot)...])]
    }

    mutating func flag(_ paths: String...) -> Bool? {
        guard let (value, path) = value(paths) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .int(0), .int(1): return value == .int(1)
        default:
            warnings.append("\(path): \(Self.describe(value)) is not true or false, so it was left at its default")
            return nil
        }
    }

    /// A whole number in `range`; a value outside it is moved to the nearest end, with a warning.
    mutating func integer(_ paths: [String], in range: ClosedRange<Int>? = nil) -> Int? {
        guard let (value, path) = value(paths) else { return nil }
        let number: Int?
        switch value {
        case .int(let whole): number = Int(clamping: whole)
        case .double(let real) where real.isFinite && abs(real) < 9e15: number = Int(real.rounded())
        case .string(let text): number = Int(text.trimmingWhitespace())
        default: number = nil
        }
        guard let number else {
            warnings.append("\(path): \(Self.describe(value)) is not a number, so it was left at its default")
            return nil
        }
        guard let range, !range.contains(number) else { return number }
        let kept = min(max(number, range.lowerBound), range.upperBound)
        warnings.append("\(path): \(number) is outside ImaginAI's range \(range.lowerBound)…\(range.upperBound), so \(kept) was used")
        return kept
    }

    mutating func integer(_ paths: String..., in range: ClosedRange<Int>? = nil) -> Int? {
        integer(paths, in: range)
    }

    mutating func string(_ paths: String...) -> String? {
        guard let (value, path) = value(paths) else { return nil }
        guard let text = value.stringValue else {
            warnings.append("\(path): \(Self.describe(value)) is not text, so it was not read")
            return nil
        }
        return text
    }

    /// Keys as a list or a comma-separated string, from the first of `paths` present.
    func keys(_ paths: String...) -> [String] {
        guard let (value, _) = value(paths) else { return [] }
        return JSONValue.keyList(value)
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "\"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// SillyTavern's World Info entries and the character books of Card V2/V3 (which SillyTavern writes with
/// its own options under `extensions`). The mapping is in Protocol/PROTOCOL.md, "Import/export field mappings".
enum SillyTavernRules {
    /// SillyTavern's `position` numbers.
    enum Position {
        static let beforeCharacter = 0, afterCharacter = 1, beforeAuthorsNote = 2, afterAuthorsNote = 3
        static let atDepth = 4, beforeExamples = 5, afterExamples = 6, outlet = 7
    }

    /// The rules of `entry`; `fields` collects the warnings. `notes` and `type` come back from our own
    /// exports (`extensions.imaginai_notes`, `extensions.imaginai_type`).
    static func read(_ fields: inout ForeignFields) -> (rules: CardRules, type: String?) {
        var rules = CardRules()
        rules.constant = fields.flag("constant") ?? false
        if let disabled = fields.flag("disable") {
            rules.enabled = !disabled
        } else if let enabled = fields.flag("enabled") {
            rules.enabled = enabled
        }
        rules.order = fields.integer("order", "insertion_order", "extensions.order") ?? CardRules.defaultOrder
        let secondary = TextNormalization.keys(fields.keys("keysecondary", "secondary_keys"))
        if let number = fields.integer("selectiveLogic", "extensions.selectiveLogic", "extensions.selective_logic") {
            if let logic = SelectiveLogic(sillyTavern: number) {
                rules.selectiveLogic = logic
            } else {
                fields.warnings.append("selectiveLogic: \(number) is not one of SillyTavern's 0–3, so AND ANY was used")
            }
        }
        rules.secondaryKeys = secondary
        var notes: [String] = []
        if fields.flag("selective") == false, !secondary.isEmpty {
            // SillyTavern ignores secondary keys unless the entry is selective; as filters here they would
            // change when the card fires, so they are kept in its notes instead.
            rules.secondaryKeys = []
            notes.append("Secondary keys (not used: the entry was not selective): " + secondary.joined(separator: ", "))
            fields.warnings.append(
                "selective is false, so SillyTavern ignored the secondary keys \(secondary.joined(separator: ", ")); they are kept in the card's notes, not as filters")
        }
        let useProbability = fields.flag("useProbability", "extensions.useProbability", "extensions.use_probability")
        let probability = fields.integer("probability", "extensions.probability", in: CardRules.probabilityRange)
        rules.probability = useProbability == false ? 100 : probability ?? 100
        rules.scanDepth = fields.integer("scanDepth", "extensions.scan_depth", "extensions.scanDepth", in: Settings.scanDepthRange)
        rules.excludeRecursion = fields.flag("excludeRecursion", "extensions.exclude_recursion", "extensions.excludeRecursion") ?? false
        rules.preventRecursion = fields.flag("preventRecursion", "extensions.prevent_recursion", "extensions.preventRecursion") ?? false
        rules.sticky = fields.integer("sticky", "extensions.sticky", in: CardRules.turnsRange) ?? 0
        rules.cooldown = fields.integer("cooldown", "extensions.cooldown", in: CardRules.turnsRange) ?? 0
        rules.delay = fields.integer("delay", "extensions.delay", in: CardRules.turnsRange) ?? 0
        if let group = fields.string("group", "extensions.group"), !group.trimmingWhitespace().isEmpty {
            rules.group = group
            if fields.flag("groupOverride", "extensions.group_override") != true {
                fields.warnings.append(
                    "group \"\(group)\": SillyTavern picks one fired entry of a group at random by its weight unless it is set to prioritise; ImaginAI always keeps the one with the highest order")
            }
        }
        rules.depth = fields.integer("depth", "extensions.depth", in: CardRules.turnsRange) ?? CardRules.defaultDepth
        if let number = fields.integer("extensions.position") ?? numericPosition(fields) {
            rules.position = position(sillyTavern: number, warnings: &fields.warnings)
        } else if let name = fields.string("position") {
            // Card V2 names only the two places around the character's definition, both before the story.
            if !["before_char", "after_char"].contains(name) {
                fields.warnings.append("position: \"\(name)\" is not before_char or after_char, so the card goes before the story")
            }
        }
        if fields.flag("delayUntilRecursion", "extensions.delay_until_recursion") == true {
            fields.warnings.append("delayUntilRecursion is on: ImaginAI has no such option, so the card can also fire on the first scan")
        }
        if fields.flag("vectorized", "extensions.vectorized") == true {
            fields.warnings.append("vectorized is on: ImaginAI fires cards by their keys only, not by vector search")
        }
        if let names = fields.value(["characterFilter.names"])?.value.arrayValue, !names.isEmpty {
            fields.warnings.append("characterFilter: ImaginAI has no per-character filter; the card fires for every character")
        }
        if let own = fields.string("extensions.imaginai_notes") { notes.insert(own, at: 0) }
        rules.notes = notes.joined(separator: "\n\n")
        return (rules, fields.string("extensions.imaginai_type"))
    }

    private static func numericPosition(_ fields: ForeignFields) -> Int? {
        guard let (value, _) = fields.value(["position"]), value.stringValue == nil else { return nil }
        return value.intValue.map { Int(clamping: $0) }
    }

    /// 0 and 1 (around the character's definition) and 5 and 6 (around the example messages) are all in
    /// the framing before the story, where ImaginAI puts its cards; 2 (before the author's note) is
    /// `afterHistory` exactly; 3 (after the author's note) is the nearest place, just before it.
    static func position(sillyTavern number: Int, warnings: inout [String]) -> CardPosition {
        switch number {
        case Position.beforeCharacter, Position.afterCharacter, Position.beforeExamples, Position.afterExamples:
            return .beforeHistory
        case Position.beforeAuthorsNote: return .afterHistory
        case Position.afterAuthorsNote:
            warnings.append("position 3 (after the author's note) became afterHistory: ImaginAI puts the card after the story, just before the author's note")
            return .afterHistory
        case Position.atDepth: return .atDepth
        case Position.outlet:
            warnings.append("position 7 (an outlet for a macro) has no equivalent: the card goes before the story with the others")
            return .beforeHistory
        default:
            warnings.append("position: \(number) is not one of SillyTavern's 0–7, so the card goes before the story")
            return .beforeHistory
        }
    }

    static func number(_ position: CardPosition) -> Int {
        switch position {
        case .beforeHistory: Position.beforeCharacter
        case .afterHistory: Position.beforeAuthorsNote
        case .atDepth: Position.atDepth
        }
    }

    /// One World Info entry holding every rule of `card`, with its type and notes under `extensions`
    /// (SillyTavern keeps an entry's `extensions` as they are), so a re-import gives the same card.
    static func entry(_ card: Card, uid: Int) -> JSONValue {
        let rules = card.rules
        return .object([
            "uid": .int(Int64(uid)),
            "key": .array(card.keys.map(JSONValue.string)),
            "keysecondary": .array(rules.secondaryKeys.map(JSONValue.string)),
            "comment": .string(card.name),
            "content": .string(card.description),
            "constant": .bool(rules.constant),
            "selective": .bool(true),
            "selectiveLogic": .int(Int64(rules.selectiveLogic.sillyTavernNumber)),
            "order": .int(Int64(rules.order)),
            "position": .int(Int64(number(rules.position))),
            "depth": .int(Int64(rules.depth)),
            "disable": .bool(!rules.enabled),
            "addMemo": .bool(true),
            "displayIndex": .int(Int64(uid)),
            "probability": .int(Int64(rules.probability)),
            "useProbability": .bool(true),
            "scanDepth": rules.scanDepth.map { .int(Int64($0)) } ?? .null,
            "group": .string(rules.group ?? ""),
            // ImaginAI's groups always keep the entry with the highest order, which is SillyTavern's
            // "prioritise" option.
            "groupOverride": .bool(rules.group != nil),
            "excludeRecursion": .bool(rules.excludeRecursion),
            "preventRecursion": .bool(rules.preventRecursion),
            "sticky": .int(Int64(rules.sticky)),
            "cooldown": .int(Int64(rules.cooldown)),
            "delay": .int(Int64(rules.delay)),
            "extensions": .object([
                "imaginai_type": .string(card.type),
                "imaginai_notes": .string(rules.notes),
            ]),
        ])
    }
}

/// ImaginAI's own card files: every rule is written under its wire name and read back strictly. A value
/// of the wrong type or out of range skips that one card, with a reason naming the field and the value.
enum OwnCardRules {
    static func json(_ rules: CardRules) -> [String: JSONValue] {
        [
            "secondaryKeys": .array(rules.secondaryKeys.map(JSONValue.string)),
            "selectiveLogic": .string(rules.selectiveLogic.rawValue),
            "constant": .bool(rules.constant),
            "enabled": .bool(rules.enabled),
            "order": .int(Int64(rules.order)),
            "probability": .int(Int64(rules.probability)),
            "scanDepth": rules.scanDepth.map { .int(Int64($0)) } ?? .null,
            "excludeRecursion": .bool(rules.excludeRecursion),
            "preventRecursion": .bool(rules.preventRecursion),
            "sticky": .int(Int64(rules.sticky)),
            "cooldown": .int(Int64(rules.cooldown)),
            "delay": .int(Int64(rules.delay)),
            "group": rules.group.map(JSONValue.string) ?? .null,
            "position": .string(rules.position.rawValue),
            "depth": .int(Int64(rules.depth)),
            "notes": .string(rules.notes),
        ]
    }

    /// An absent field keeps its default (files written before cards had rules hold none).
    static func read(_ entry: JSONValue) -> Result<CardRules, CardEntries.Reason> {
        var rules = CardRules()
        func fail(_ field: String, _ value: JSONValue, _ expected: String) -> Result<CardRules, CardEntries.Reason> {
            .failure(CardEntries.Reason(text: "\(field): \(ForeignFields.describe(value)) is not \(expected)"))
        }
        func present(_ field: String) -> JSONValue? { entry[field] }

        if let value = present("secondaryKeys") {
            guard let items = value.arrayValue else { return fail("secondaryKeys", value, "a list of texts") }
            if let (position, item) = items.enumerated().first(where: { $0.element.stringValue == nil }) {
                return fail("secondaryKeys[\(position)]", item, "a text")
            }
            rules.secondaryKeys = TextNormalization.keys(items.compactMap(\.stringValue))
        }
        if let value = present("selectiveLogic") {
            if let name = value.stringValue, let logic = SelectiveLogic(rawValue: name) {
                rules.selectiveLogic = logic
            } else if case .int(let number) = value, let logic = SelectiveLogic(sillyTavern: Int(clamping: number)) {
                rules.selectiveLogic = logic
            } else {
                return fail("selectiveLogic", value, "one of andAny, andAll, notAny, notAll")
            }
        }
        if let value = present("position") {
            guard let name = value.stringValue, let position = CardPosition(rawValue: name) else {
                return fail("position", value, "one of beforeHistory, afterHistory, atDepth")
            }
            rules.position = position
        }
        let flags: [(String, WritableKeyPath<CardRules, Bool>)] = [
            ("constant", \.constant), ("enabled", \.enabled), ("excludeRecursion", \.excludeRecursion),
            ("preventRecursion", \.preventRecursion),
        ]
        for (field, path) in flags {
            guard let value = present(field) else { continue }
            guard let flag = value.boolValue else { return fail(field, value, "true or false") }
            rules[keyPath: path] = flag
        }
        let numbers: [(String, WritableKeyPath<CardRules, Int>, ClosedRange<Int>?)] = [
            ("order", \.order, nil), ("probability", \.probability, CardRules.probabilityRange),
            ("sticky", \.sticky, CardRules.turnsRange), ("cooldown", \.cooldown, CardRules.turnsRange),
            ("delay", \.delay, CardRules.turnsRange), ("depth", \.depth, CardRules.turnsRange),
        ]
        for (field, path, range) in numbers {
            guard let value = present(field) else { continue }
            guard case .int(let whole) = value, let number = Int(exactly: whole) else { return fail(field, value, "a whole number") }
            if let range, !range.contains(number) { return fail(field, value, "between \(range.lowerBound) and \(range.upperBound)") }
            rules[keyPath: path] = number
        }
        if let value = present("scanDepth"), value != .null {
            let range = Settings.scanDepthRange
            guard case .int(let whole) = value, let number = Int(exactly: whole), range.contains(number) else {
                return fail("scanDepth", value, "null or a whole number between \(range.lowerBound) and \(range.upperBound)")
            }
            rules.scanDepth = number
        }
        if let value = present("group"), value != .null {
            guard let group = value.stringValue else { return fail("group", value, "null or a text") }
            rules.group = group
        }
        if let value = present("notes") {
            guard let notes = value.stringValue else { return fail("notes", value, "a text") }
            rules.notes = notes
        }
        return .success(rules)
    }
}
