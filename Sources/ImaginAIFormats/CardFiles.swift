import FoundationEssentials
import ImaginAICore
import ImaginAIProtocol

/// Cards read from a file, with the entries that could not become cards and why.
public struct CardImport: Sendable {
    public var format: CardFileFormat
    public var cards: [CardDraft]
    /// Where each card's name and text are in the file, in the order of `cards`.
    public var origins: [CardOrigin]
    public var skipped: [SkippedEntry]
    /// Settings of imported entries that ImaginAI has no equivalent for or approximates.
    public var warnings: [ImportWarning]
}

/// Where a card's name and text came from, as paths from the file's root (`entries.12.content`,
/// `[3].title`), so a check on the card can name the place in the file to fix.
public struct CardOrigin: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The entry the card was read from (`entries.12`), for the rules put together from its fields
    /// (notes, group); "" when the card is not one entry of the file.
    public var entry: String

    public init(name: String, description: String, entry: String = "") {
        self.name = name
        self.description = description
        self.entry = entry
    }

    /// `path` under `prefix`: `entries.3` under `data` is `data.entries.3`; `[3]` is `data[3]`.
    public static func join(_ prefix: String, _ path: String) -> String {
        if prefix.isEmpty { return path }
        if path.isEmpty { return prefix }
        return path.hasPrefix("[") ? prefix + path : prefix + "." + path
    }
}

/// Reading and writing story-card files of other tools. The mapping of each format is described in
/// Protocol/PROTOCOL.md, "Import/export field mappings".
public enum CardFiles {
    public static let exportFormats: [CardFileFormat] = [.imaginai, .aidungeon, .sillytavern]

    /// `format` nil means detect it. A bad entry is skipped with its reason; data that is not the format
    /// at all is a `FormatError` and nothing is read.
    public static func read(_ data: JSONValue, format: CardFileFormat?) throws(FormatError) -> CardImport {
        let json = try FileInput.json(data)
        let chosen: CardFileFormat
        if let format {
            guard let entries = CardEntries.located(in: json, as: format) else {
                throw FormatError("Invalid params: 'data' is not \(describe(format)) (\(CardEntries.expectation(format)))")
            }
            return CardEntries.convert(entries, format: format, in: json)
        }
        guard let detected = detect(json) else {
            throw FormatError(
                "Invalid params: 'data' matches no card format ImaginAI reads (tried "
                    + CardFileFormat.allCases.map(describe).joined(separator: ", ") + ")")
        }
        chosen = detected
        return CardEntries.convert(CardEntries.located(in: json, as: chosen) ?? [], format: chosen, in: json)
    }

    public static func detect(_ json: JSONValue) -> CardFileFormat? {
        let order: [CardFileFormat] = [.imaginai, .characterCard, .agnai, .novelai, .sillytavern, .koboldai, .aidungeonWorldInfo, .aidungeon]
        return order.first { CardEntries.entries(of: json, as: $0) != nil }
    }

    public static func write(_ cards: [Card], format: CardFileFormat) throws(FormatError) -> JSONValue {
        switch format {
        case .imaginai:
            return .object([
                "format": .string(ImaginAIFile.cardsMarker), "version": .int(ImaginAIFile.version),
                "cards": .array(cards.map(ImaginAIFile.cardJSON)),
            ])
        case .aidungeon:
            return .array(cards.map { card in
                .object([
                    "keys": .string(card.keys.joined(separator: ", ")),
                    "value": .string(card.description),
                    "type": .string(card.type),
                    "title": .string(card.name),
                    "description": .string(card.rules.notes),
                    "useForCharacterCreation": .bool(false),
                ])
            })
        case .sillytavern:
            var entries: [String: JSONValue] = [:]
            for (index, card) in cards.enumerated() {
                entries[String(index)] = SillyTavernRules.entry(card, uid: index)
            }
            return .object(["entries": .object(entries)])
        default:
            throw FormatError(
                "Invalid params: cards cannot be exported as '\(format.rawValue)'; use one of "
                    + exportFormats.map(\.rawValue).joined(separator: ", "),
                field: "format")
        }
    }

    static func describe(_ format: CardFileFormat) -> String {
        switch format {
        case .imaginai: return "an ImaginAI card file"
        case .aidungeon: return "AI Dungeon story cards"
        case .aidungeonWorldInfo: return "AI Dungeon world info"
        case .sillytavern: return "a SillyTavern world"
        case .characterCard: return "a character card with a book"
        case .novelai: return "a NovelAI lorebook"
        case .koboldai: return "a KoboldAI story"
        case .agnai: return "an Agnai memory book"
        }
    }
}

/// Finding each format's entries and turning each entry into a card or a reason to skip it.
enum CardEntries {
    static func expectation(_ format: CardFileFormat) -> String {
        switch format {
        case .imaginai: return #"expected {"format": "imaginai.cards", "cards": [...]}"#
        case .aidungeon: return "expected an array of {keys, value, type, title}"
        case .aidungeonWorldInfo: return "expected an array of {keys, entry}"
        case .sillytavern: return #"expected {"entries": {"0": {key, content, ...}}}"#
        case .characterCard:
            return #"expected {"spec": "chara_card_v2" or "chara_card_v3", "data": {"character_book": ...}}, {"spec": "lorebook_v3", "data": {"entries": [...]}} or {"name": ..., "entries": [{keys, content}]}"#
        case .novelai: return "expected {lorebookVersion, entries: [{text, keys, displayName}]} or a .story file with content.lorebook"
        case .koboldai: return "expected {worldinfo: [{key, content}]}"
        case .agnai: return #"expected {"kind": "memory", "entries": [{name, entry, keywords}]}"#
        }
    }

    /// One entry of a file and its path from the file's root (`entries.12`, `[3]`).
    struct Located {
        var path: String
        var value: JSONValue
    }

    /// The entries of `json` read as `format`, or nil when `json` is not that format at all (no element
    /// looks like one of its entries).
    static func entries(of json: JSONValue, as format: CardFileFormat) -> [JSONValue]? {
        located(in: json, as: format)?.map(\.value)
    }

    static func located(in json: JSONValue, as format: CardFileFormat) -> [Located]? {
        let found: [Located]?
        let looksLikeEntry: (JSONValue) -> Bool
        func indexed(_ items: [JSONValue]?, under path: String) -> [Located]? {
            items?.enumerated().map { Located(path: "\(path)[\($0.offset)]", value: $0.element) }
        }
        switch format {
        case .imaginai:
            guard [ImaginAIFile.cardsMarker, ImaginAIFile.scenarioMarker].contains(json.text("format")) else { return nil }
            found = indexed(json["cards"]?.arrayValue, under: "cards") ?? indexed(json["scenario"]?["cards"]?.arrayValue, under: "scenario.cards")
            looksLikeEntry = { $0.objectValue != nil }
            if found?.isEmpty == true { return [] }
        case .aidungeon:
            found = indexed(json.arrayValue, under: "")
            looksLikeEntry = { $0["value"] != nil || $0["title"] != nil }
            // AI Dungeon exports a scenario without story cards as `[]`; it must import back as nothing.
            if found?.isEmpty == true { return [] }
        case .aidungeonWorldInfo:
            found = indexed(json.arrayValue, under: "")
            looksLikeEntry = { $0["entry"] != nil && $0["keys"] != nil }
        case .sillytavern:
            guard let entries = json["entries"]?.objectValue else { return nil }
            // Object keys are numbers in file order; sort numerically so indexes follow the file.
            found = entries.map { (number: Int($0.key) ?? .max, key: $0.key, value: $0.value) }
                .sorted { ($0.number, $0.key) < ($1.number, $1.key) }
                .map { Located(path: "entries.\($0.key)", value: $0.value) }
            looksLikeEntry = { $0["content"] != nil && ($0["key"] != nil || $0["keys"] != nil) }
            if found?.isEmpty == true { return [] }
        case .characterCard:
            let spec = json.text("spec")
            if spec.hasPrefix("chara_card_") {
                found = indexed(json["data"]?["character_book"]?["entries"]?.arrayValue ?? [], under: "data.character_book.entries")
                looksLikeEntry = { _ in true }
            } else if spec == lorebookSpec {
                found = indexed(json["data"]?["entries"]?.arrayValue ?? [], under: "data.entries")
                looksLikeEntry = { _ in true }
            } else if json["lorebookVersion"] == nil, json.text("kind") != "memory", let entries = json["entries"]?.arrayValue {
                // A character book saved on its own (chub.ai, SillyTavern's "export book"): the same entries
                // as inside a card, without the card around them. It has no marker, so an entry must show it.
                found = indexed(entries, under: "entries")
                looksLikeEntry = { $0["content"] != nil && ($0["keys"] != nil || $0["key"] != nil) }
            } else {
                return nil
            }
            // Only a file that says what it is may be an empty book; a bare `{entries: []}` says nothing.
            if found?.isEmpty == true, !spec.isEmpty { return [] }
        case .novelai:
            guard let book = novelAIBook(json) else { return nil }
            found = indexed(book.value["entries"]?.arrayValue ?? [], under: CardOrigin.join(book.path, "entries"))
            looksLikeEntry = { _ in true }
            if found?.isEmpty == true { return [] }
        case .koboldai:
            guard let worldInfo = json["worldinfo"]?.arrayValue else { return nil }
            found = indexed(worldInfo, under: "worldinfo")
            looksLikeEntry = { $0["content"] != nil }
            if worldInfo.isEmpty { return [] }
        case .agnai:
            guard json.text("kind") == "memory" else { return nil }
            found = indexed(json["entries"]?.arrayValue ?? [], under: "entries")
            looksLikeEntry = { _ in true }
            if found?.isEmpty == true { return [] }
        }
        guard let found, found.contains(where: { looksLikeEntry($0.value) }) else { return nil }
        return found
    }

    static func convert(_ entries: [Located], format: CardFileFormat, in json: JSONValue) -> CardImport {
        var cards: [CardDraft] = []
        var origins: [CardOrigin] = []
        var skipped: [SkippedEntry] = []
        var warnings: [ImportWarning] = []
        let categories = novelAICategories(json)
        for (index, entry) in entries.enumerated() {
            switch card(from: entry.value, format: format, categories: categories) {
            case .success(let card):
                cards.append(card.draft)
                origins.append(card.origin(at: entry.path))
                warnings += card.warnings.map { ImportWarning(index: index, message: $0) }
            case .failure(let reason): skipped.append(SkippedEntry(index: index, reason: reason.text))
            }
        }
        return CardImport(format: format, cards: cards, origins: origins, skipped: skipped, warnings: warnings)
    }

    struct Reason: Error { var text: String }

    /// A card made of an entry, and the entry's fields its name and text came from.
    struct Converted {
        var draft: CardDraft
        var nameField: String
        var descriptionField: String
        /// What the user should know about settings of the entry that did not carry over exactly.
        var warnings: [String]

        func origin(at path: String) -> CardOrigin {
            CardOrigin(name: CardOrigin.join(path, nameField), description: CardOrigin.join(path, descriptionField), entry: path)
        }
    }

    static func card(from entry: JSONValue, format: CardFileFormat, categories: [String: String] = [:]) -> Result<Converted, Reason> {
        guard entry.objectValue != nil else {
            return .failure(Reason(text: "entry is \(entry.typeName), not an object"))
        }
        var name = ""
        var type = ""
        var description = ""
        var keys: [String] = []
        var droppedKeys: [String] = []
        var nameField = ""
        var descriptionField = ""
        var keysField = "keys"
        var rules = CardRules()
        var fields = ForeignFields(entry)
        switch format {
        case .imaginai:
            // Our own files are the user's words as written: kept exactly, keyless and empty cards too.
            guard !entry.text("name").trimmingWhitespace().isEmpty else {
                return .failure(Reason(text: "no name"))
            }
            let rules: CardRules
            switch OwnCardRules.read(entry) {
            case .success(let read): rules = read
            case .failure(let reason): return .failure(reason)
            }
            let type = entry.text("type")
            let draft = CardDraft(
                type: type.isEmpty ? CardDraft.defaultType : type, name: entry.text("name"),
                description: entry.text("description"), keys: TextNormalization.keys(entry.keyList("keys")), rules: rules)
            return .success(Converted(draft: draft, nameField: "name", descriptionField: "description", warnings: []))
        case .aidungeon:
            (name, nameField) = (entry.text("title"), "title")
            type = entry.text("type")
            (description, descriptionField) = (entry.text("value"), "value")
            keys = entry.keyList("keys")
            // The card's description is AI Dungeon's note for the author, never sent to the model.
            rules.notes = entry.text("description")
        case .aidungeonWorldInfo:
            (description, descriptionField) = (entry.text("entry"), "entry")
            let raw = entry.keyList("keys")
            (keys, droppedKeys) = LegacyKeys.convert(raw)
            fields.warnings += LegacyKeys.attributeWarnings(raw)
            type = "lore"
        case .sillytavern, .characterCard:
            nameField = entry.text("comment").isEmpty ? "name" : "comment"
            name = entry.text(nameField)
            (description, descriptionField) = (entry.text("content"), "content")
            keys = entry.keyList("key") + entry.keyList("keys")
            keysField = entry["key"] != nil ? "key" : "keys"
            let read = SillyTavernRules.read(&fields)
            rules = read.rules
            type = read.type ?? "lore"
        case .novelai:
            (name, nameField) = (entry.text("displayName"), "displayName")
            (description, descriptionField) = (entry.text("text"), "text")
            keys = entry.keyList("keys")
            type = categories[entry.text("category")] ?? "lore"
            rules.enabled = fields.flag("enabled") ?? true
            rules.constant = fields.flag("forceActivation") ?? false
            // Both mean "kept first when the budget is short"; NovelAI's scale (default 400) is kept as is.
            rules.order = fields.integer("contextConfig.budgetPriority") ?? CardRules.defaultOrder
        case .koboldai:
            (name, nameField) = (entry.text("comment"), "comment")
            (description, descriptionField) = (entry.text("content"), "content")
            // KoboldAI keeps keys as typed; stories carried over from AI Dungeon hold its regex keys.
            let raw = entry.keyList("key")
            (keys, droppedKeys) = LegacyKeys.convertAIDungeonStyle(raw)
            fields.warnings += LegacyKeys.attributeWarnings(raw)
            keysField = "key"
            type = "lore"
            rules.constant = fields.flag("constant") ?? false
            let rawSecondary = entry.keyList("keysecondary")
            let (secondary, droppedSecondary) = LegacyKeys.convertAIDungeonStyle(rawSecondary)
            fields.warnings += LegacyKeys.attributeWarnings(rawSecondary)
            if !droppedSecondary.isEmpty {
                fields.warnings.append("secondary keys \(droppedSecondary.joined(separator: ", ")) are not usable patterns and were left out")
            }
            let usable = TextNormalization.keys(secondary)
            if fields.flag("selective") == true {
                // KoboldAI's selective entries need a key and any one of the secondary keys: AND ANY.
                rules.secondaryKeys = usable
            } else if !usable.isEmpty {
                rules.notes = "Secondary keys (not used: the entry was not selective): " + usable.joined(separator: ", ")
                fields.warnings.append(
                    "selective is off, so KoboldAI ignored the secondary keys \(usable.joined(separator: ", ")); they are kept in the card's notes, not as filters")
            }
        case .agnai:
            (name, nameField) = (entry.text("name"), "name")
            descriptionField = entry.text("entry").isEmpty ? "content" : "entry"
            description = entry.text(descriptionField)
            keys = entry.keyList("keywords") + entry.keyList("keys")
            keysField = entry["keywords"] != nil ? "keywords" : "keys"
            type = "lore"
            rules.enabled = fields.flag("enabled") ?? true
            rules.constant = fields.flag("constant") ?? false
            rules.order = fields.integer("priority", "insertion_order") ?? CardRules.defaultOrder
        }
        keys = TextNormalization.keys(keys)
        // The text is kept byte for byte (leading spaces and line breaks can be the author's layout);
        // only a text of nothing but white space counts as empty.
        // Stops at the first visible character: no copy of the text, which can be long.
        guard description.contains(where: { !$0.isWhitespace }) else {
            return .failure(Reason(text: "no text: the entry's content is empty"))
        }
        // An always-on card needs no keys, and a disabled one is kept as the user left it.
        guard !keys.isEmpty || rules.constant || !rules.enabled else {
            let why = droppedKeys.isEmpty ? "" : " (\(droppedKeys.joined(separator: ", ")) could not be used)"
            return .failure(Reason(text: "no trigger keys\(why): a card without keys would never be sent to the model"))
        }
        if !droppedKeys.isEmpty {
            fields.warnings.append("keys \(droppedKeys.joined(separator: ", ")) are not usable patterns and were left out")
        }
        name = foldedName(name)
        // Numeric names (Agnai's "0", "1") and empty ones say nothing: name the card after its first key.
        if name.isEmpty || name.allSatisfy(\.isNumber) {
            if let key = keys.first, let fromKey = displayName(fromKey: key) {
                (name, nameField) = (fromKey, keysField)
            } else {
                (name, nameField) = (foldedName(String(description.trimmingWhitespace().prefix(40))), descriptionField)
            }
        }
        type = type.trimmingWhitespace()
        let draft = CardDraft(type: type.isEmpty ? CardDraft.defaultType : type, name: name, description: description, keys: keys, rules: rules)
        return .success(Converted(draft: draft, nameField: nameField, descriptionField: descriptionField, warnings: fields.warnings))
    }

    /// Names from other tools may hold line breaks ("Edit to enable \nAuto-Cards"): fold them to spaces.
    static func foldedName(_ name: String) -> String {
        // Most names are plain ASCII words with single spaces: kept as they are without splitting.
        var previousWasSpace = true
        let plain = name.utf8.allSatisfy { byte in
            let space = byte == UInt8(ascii: " ")
            defer { previousWasSpace = space }
            return byte > 0x20 && byte < 0x80 || space && !previousWasSpace
        }
        if plain && !previousWasSpace { return name }
        return name.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// A readable name from a key: plain keys as written; for a regex key, its first literal alternative.
    static func displayName(fromKey key: String) -> String? {
        guard key.hasPrefix("/"), let close = key.lastIndex(of: "/"), close != key.startIndex else {
            // Keys are often written in lower case ("eldoria"); a name reads better capitalised.
            return key.prefix(1).uppercased() + key.dropFirst()
        }
        let body = key[key.index(after: key.startIndex)..<close]
        let literal = body.split(separator: "|").first.map { part in
            part.filter { !"()[]?*+\\^$.{}".contains($0) }
        } ?? ""
        let trimmed = literal.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed.capitalized
    }

    /// The `spec` of a character book saved on its own, outside a character card.
    static let lorebookSpec = "lorebook_v3"

    /// A NovelAI lorebook: a `.lorebook` file is the book itself; a `.story` file holds it in `content.lorebook`.
    static func novelAIBook(_ json: JSONValue) -> (path: String, value: JSONValue)? {
        if json["lorebookVersion"] != nil { return ("", json) }
        if json["storyContainerVersion"] != nil, let book = json["content"]?["lorebook"], book.objectValue != nil {
            return ("content.lorebook", book)
        }
        return nil
    }

    static func novelAICategories(_ json: JSONValue) -> [String: String] {
        var names: [String: String] = [:]
        for category in novelAIBook(json)?.value["categories"]?.arrayValue ?? [] {
            let id = category.text("id")
            let name = category.text("name").trimmingWhitespace()
            if !id.isEmpty && !name.isEmpty { names[id] = name.lowercased() }
        }
        return names
    }
}

/// AI Dungeon's scripted world info (EWIJSON) writes keys as regex bodies with an attribute suffix,
/// `(m(é|e)lanie|arch(-| |)mage)#[t=5l=5]`. Those become ImaginAI regex keys `/…/i`; plain keys stay plain.
enum LegacyKeys {
    static let regexCharacters: Set<Character> = ["(", ")", "|", "[", "]", "?", "*", "+", "\\", "^", "$", "{", "}"]

    /// Returns the usable keys and the ones that had to be dropped.
    static func convert(_ raw: [String]) -> ([String], [String]) {
        var keys: [String] = []
        var dropped: [String] = []
        for key in raw {
            var body = key
            if let suffix = body.range(of: "#[") { body = String(body[..<suffix.lowerBound]) }
            body = body.trimmingWhitespace()
            guard !body.isEmpty else { continue }
            guard body.contains(where: regexCharacters.contains) else {
                keys.append(body)
                continue
            }
            // An empty alternative inside a group, `(|the )x`, makes the group optional: `(the )?x` keeps
            // "x" matching. Where that would let the whole key match nothing (`(gray fox|)`, which fires
            // everywhere), the empty alternative is removed instead.
            let optional = "/\(optionalGroups(body))/i"
            let removed = "/\(withoutEmptyAlternatives(body))/i"
            if let usable = [optional, removed].first(where: { TriggerMatcher.invalidKeys([$0]).isEmpty }) {
                keys.append(usable)
            } else {
                dropped.append(key)
            }
        }
        return (keys, dropped)
    }

    /// EWIJSON's `#[t=5l=5]` attributes steer that script's own handling of the entry; ImaginAI has none
    /// of them, so each key that carried some is named with what was dropped.
    static func attributeWarnings(_ raw: [String]) -> [String] {
        raw.compactMap { key in
            guard let start = key.range(of: "#[") else { return nil }
            let inside = key[start.upperBound...].prefix { $0 != "]" }
            guard !inside.trimmingWhitespace().isEmpty else { return nil }
            // `t=5l=5f=2S=2`: each attribute is a letter and `=`, then its value, without separators.
            let characters = Array(inside.filter { !$0.isWhitespace })
            var pairs: [String] = []
            for (offset, character) in characters.enumerated() {
                let startsPair = character.isLetter && offset + 1 < characters.count && characters[offset + 1] == "="
                if startsPair || pairs.isEmpty { pairs.append("") }
                pairs[pairs.count - 1].append(character)
            }
            return "key \(key.trimmingWhitespace()): the EWIJSON attributes \(pairs.joined(separator: ", ")) have no meaning in ImaginAI and were dropped"
        }
    }

    /// Like `convert`, for files whose keys are mostly plain words (KoboldAI): only a key written in AI
    /// Dungeon's regex style (an `#[attributes]` suffix, `|` alternatives or a `(…)` group) is translated;
    /// every other key is kept exactly as written, `?` and `*` included.
    static func convertAIDungeonStyle(_ raw: [String]) -> ([String], [String]) {
        var keys: [String] = []
        var dropped: [String] = []
        for key in raw {
            guard isAIDungeonStyle(key) else {
                keys.append(key)
                continue
            }
            let (converted, failed) = convert([key])
            keys += converted
            dropped += failed
        }
        return (keys, dropped)
    }

    static func isAIDungeonStyle(_ key: String) -> Bool {
        // A key already written `/…/flags` is one of our regex keys.
        guard !key.trimmingWhitespace().hasPrefix("/") else { return false }
        return key.contains("#[") || key.contains("|") || (key.contains("(") && key.contains(")"))
    }

    /// `(|a)` and `(a||b|)` become `(a)?` and `(a|b)?`, nested groups included:
    /// `(grand( |-|)master |)armilion` → `(grand( |-)?master )?armilion`.
    static func optionalGroups(_ body: String) -> String {
        let characters = Array(body)
        var index = 0
        // The alternatives of one group (or of the whole key) up to its closing parenthesis, and whether
        // there was one: an unbalanced pattern stays unbalanced, so the regex check still rejects it.
        func alternatives() -> (found: [String], closed: Bool) {
            var found = [""]
            while index < characters.count {
                let character = characters[index]
                index += 1
                switch character {
                case "|": found.append("")
                case ")": return (found, true)
                case "(":
                    let (inner, closed) = alternatives()
                    let kept = inner.filter { !$0.isEmpty }
                    if !closed {
                        found[found.count - 1] += "(" + inner.joined(separator: "|")
                    } else if inner.count > 1 && kept.count < inner.count {
                        found[found.count - 1] += "(" + kept.joined(separator: "|") + ")?"
                    } else {
                        found[found.count - 1] += "(" + inner.joined(separator: "|") + ")"
                    }
                case "\\" where index < characters.count:
                    found[found.count - 1] += String(character) + String(characters[index])
                    index += 1
                case "[":
                    // A character class is copied as it is: `|` and `(` in it are literal.
                    var text = String(character)
                    while index < characters.count {
                        text.append(characters[index])
                        index += 1
                        if characters[index - 1] == "]" && text.count > 2 { break }
                    }
                    found[found.count - 1] += text
                default: found[found.count - 1].append(character)
                }
            }
            return (found, false)
        }
        var rewritten = ""
        while true {
            // A stray `)` ends the top level early; it is kept, so the regex check rejects it.
            let (top, closed) = alternatives()
            let kept = top.filter { !$0.isEmpty }
            rewritten += (kept.isEmpty ? top : kept).joined(separator: "|")
            guard closed else { break }
            rewritten += ")"
        }
        return withoutEmptyAlternatives(rewritten)
    }

    static func withoutEmptyAlternatives(_ body: String) -> String {
        var pattern = body
        for (empty, replacement) in [("|)", ")"), ("(|", "("), ("||", "|")] {
            while pattern.contains(empty) { pattern = pattern.replacingOccurrences(of: empty, with: replacement) }
        }
        return pattern
    }
}
