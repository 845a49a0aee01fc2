/// The little English the offline storyteller needs: which words are verbs (to tell a whole sentence from
/// a fragment), how a verb is written after a name, and which words are only grammar.
///
/// Words that are as often nouns as verbs ("light", "tower", "ring", "shed") are left out of the finite
/// forms on purpose: reading "slate roofs and tarred sheds" as a clause would let a fragment through,
/// while missing a rare verb only costs a sentence the storyteller then does not tell.
public enum Lexicon {
    /// Regular verbs, base form. Their third-person and past forms are derived.
    static let regularVerbs: [String] = """
        accept add admire agree allow answer appear arrive ask attack avoid bargain believe belong blame \
        blink breathe burn call calm carry cause change charge check claim clean climb close collect command \
        complain contain continue cough count cover crawl creak crouch cry dance decide defend depend describe \
        destroy die disappear discover drag drift drip drop drown echo end enjoy enter escape expect explain \
        fade fail fear fill finish fix flicker float flow follow force gasp gather gaze glance glare glitter \
        glow grab grin grip groan growl guard guess hammer happen hate haunt head help hesitate hope hover \
        hunt hurry ignore imagine insist intend jump kick kill kiss knock laugh learn lean lift like listen \
        live look love manage marry matter mention mind miss mourn move murmur need nod notice obey offer \
        open order owe own pass pause peer pick place plan play plead point pour pray prefer prepare press \
        pretend promise protect prove pull punch push question rain reach realise realize recall refuse \
        rely remain remember repair repeat reply rest return reveal roar roll rule rush rustle save scream \
        search seem serve settle shiver shout sigh sink slam slip smell smile sneer snap sob start stare stay \
        step stir stop stumble suffer suggest surround survive swallow tap tend thank touch trace train \
        travel tremble trust try turn twist unlock use vanish visit wait walk wander want warn wash watch \
        whisper wish wonder work worry wrap yell bang bark brush chime clank click crack gurgle hum howl rattle \
        scrape scurry shift slap trickle whine whistle waver dim coax flare gutter smoke shudder sway stutter buzz \
        drum bead crunch freeze grumble hiss boom murmur muffle paint spit curl thicken thin ease lower fold \
        pace fade stretch mend clear pinch snuff flit sparkle shimmer squeeze gesture nod smile wink frown \
        taste tug slide moan cross show crackle resist hold join step mutter
        """.split(separator: " ").map(String.init)

    /// Irregular verbs: base, then every finite form.
    static let irregularVerbs: [String: [String]] = [
        "be": ["is", "are", "was", "were", "am", "isn't", "aren't", "wasn't", "weren't"],
        "have": ["has", "had", "hasn't", "hadn't"], "do": ["does", "did", "doesn't", "didn't", "don't"],
        "go": ["goes", "went"], "say": ["says", "said"], "see": ["sees", "saw"], "take": ["takes", "took"],
        "come": ["comes", "came"], "get": ["gets", "got"], "make": ["makes", "made"], "know": ["knows", "knew"],
        "think": ["thinks", "thought"], "find": ["finds"], "give": ["gives", "gave"], "tell": ["tells", "told"],
        "feel": ["feels", "felt"], "keep": ["keeps", "kept"], "hold": ["holds", "held"], "stand": ["stands", "stood"],
        "run": ["runs", "ran"], "bring": ["brings", "brought"], "begin": ["begins", "began"], "speak": ["speaks", "spoke"],
        "write": ["writes", "wrote"], "sit": ["sits", "sat"], "lose": ["loses", "lost"], "lie": ["lies", "lay"],
        "rise": ["rises", "rose"], "fall": ["falls", "fell"], "hang": ["hangs", "hung"], "grow": ["grows", "grew"],
        "swear": ["swears", "swore"], "wear": ["wears", "wore"], "meet": ["meets", "met"], "lead": ["leads", "led"],
        "build": ["builds", "built"], "buy": ["buys", "bought"], "catch": ["catches", "caught"], "teach": ["teaches", "taught"],
        "fight": ["fights", "fought"], "seek": ["seeks", "sought"], "sleep": ["sleeps", "slept"], "creep": ["creeps", "crept"],
        "weep": ["weeps", "wept"], "shine": ["shines", "shone"], "strike": ["strikes", "struck"], "drive": ["drives", "drove"],
        "ride": ["rides", "rode"], "draw": ["draws", "drew"], "throw": ["throws", "threw"], "fly": ["flies", "flew"],
        "blow": ["blows", "blew"], "break": ["breaks", "broke"], "choose": ["chooses", "chose"], "forget": ["forgets", "forgot"],
        "hide": ["hides", "hid"], "eat": ["eats", "ate"], "drink": ["drinks", "drank"], "swim": ["swims", "swam"],
        "sing": ["sings", "sang"], "win": ["wins", "won"], "send": ["sends", "sent"], "spend": ["spends", "spent"],
        "feed": ["feeds", "fed"], "flee": ["flees", "fled"], "dig": ["digs", "dug"], "sell": ["sells", "sold"],
        "understand": ["understands", "understood"], "become": ["becomes", "became"], "wake": ["wakes", "woke"],
        "shake": ["shakes", "shook"], "tear": ["tears", "tore"], "bear": ["bears"], "leave": ["leaves"],
        "put": ["puts", "put"], "let": ["lets", "let"], "hit": ["hits", "hit"], "shut": ["shuts", "shut"], "cut": ["cuts", "cut"], "hurt": ["hurts"], "spread": ["spreads"],
        "burst": ["bursts"], "light": ["lit"], "ring": ["rings", "rang"], "mean": ["means", "meant"], "hear": ["hears", "heard"],
        "sweep": ["sweeps", "swept"], "pay": ["pays", "paid"], "lay": ["lays", "laid"], "steal": ["steals", "stole"],
    ]

    /// Modal and auxiliary words: any of them makes a clause.
    static let auxiliaries: Set<String> = [
        "can", "could", "will", "would", "shall", "should", "may", "might", "must", "cannot", "can't", "won't",
        "wouldn't", "couldn't", "shouldn't", "mustn't", "'s", "'re", "'ve", "'ll", "'d",
    ]

    /// Every finite verb form (third person, past, irregular, auxiliaries), lowercased.
    static let finiteForms: Set<String> = {
        var forms = auxiliaries
        for verb in regularVerbs {
            forms.insert(thirdPerson(verb))
            forms.insert(past(verb))
        }
        for (_, irregular) in irregularVerbs { forms.formUnion(irregular) }
        // A form that is mostly a noun or adjective in descriptions would read fragments as clauses.
        forms.subtract(["tears", "bears", "leaves", "plans", "orders", "points", "hopes", "fears", "charges"])
        return forms
    }()

    /// Base forms: after "you", "they", a modal or "to".
    static let baseForms: Set<String> = Set(regularVerbs).union(irregularVerbs.keys)

    static let subjectPronouns: Set<String> = ["i", "you", "we", "they", "he", "she", "it"]

    /// Whether `words` (one sentence, lowercased, without punctuation) has a finite verb: one of the
    /// finite forms, or a base form right after a subject pronoun, a plural noun or a modal.
    public static func hasFiniteVerb(_ words: [String]) -> Bool {
        for (index, word) in words.enumerated() {
            if finiteForms.contains(word) { return true }
            // "it's", "they're", "there's": a contraction of a pronoun and a verb ("Gullwick's" is not).
            if let apostrophe = word.firstIndex(where: { $0 == "'" || $0 == "’" }),
               auxiliaries.contains("'" + word[word.index(after: apostrophe)...].lowercased()),
               subjectPronouns.union(["that", "there", "here", "what", "who", "where"]).contains(String(word[..<apostrophe])) {
                return true
            }
            if index > 0, isBaseVerbAfterSubject(word, after: words[index - 1]) { return true }
        }
        return false
    }

    /// "you wait", "they turn", "footsteps hurry", "can see": a base form whose subject is plural.
    static func isBaseVerbAfterSubject(_ word: String, after before: String) -> Bool {
        // After "you", "we", "they" or "I" a word that is not grammar is the verb ("you wind the clock").
        if ["you", "we", "they", "i"].contains(before) && !functionWords.contains(word) && !word.hasSuffix("ly") { return true }
        guard baseForms.contains(word) else { return false }
        if subjectPronouns.contains(before) || auxiliaries.contains(before) || before == "not" { return true }
        let pluralNoun = before.count > 3 && before.hasSuffix("s") && !before.hasSuffix("ss") && !before.hasSuffix("'s")
            && !functionWords.contains(before) && !finiteForms.contains(before)
        return pluralNoun
    }

    /// The index of the first finite verb that is the sentence's own, or nil: a sentence without one is
    /// a fragment. `sentence` is read as written (case matters). Not the sentence's own: a verb inside
    /// a relative clause ("the keeper, who kept the light…", up to the next comma), and a past form
    /// that follows a common noun or is followed by "by" ("stones laid by hand", "oil used").
    static func mainVerbIndex(_ sentence: String) -> Int? {
        var words: [String] = []
        var relative: [Bool] = []
        var segmentStart: [Bool] = []
        for segment in sentence.split(whereSeparator: { ",;:".contains($0) }) {
            var inRelative = false
            for (position, word) in Prose.casedWords(String(segment)).enumerated() {
                if relativeWords.contains(word.lowercased()) { inRelative = true }
                words.append(word)
                relative.append(inRelative)
                segmentStart.append(position == 0)
            }
        }
        let lowered = words.map { $0.lowercased() }
        // "A fog that rolls in…", "Gullwick's ferryman, … who rows out": a noun phrase whose first verb
        // is a relative clause's is a description, whatever verbs come after.
        let startsAsNounPhrase = ["a", "an", "the"].contains(lowered.first ?? "") || lowered.first?.hasSuffix("'s") == true
        for (index, word) in lowered.enumerated() {
            let finite = finiteForms.contains(word) || (index > 0 && isBaseVerbAfterSubject(word, after: lowered[index - 1]) && !auxiliaries.contains(word))
            guard finite else { continue }
            if relative[index] {
                if startsAsNounPhrase { return nil }
                continue
            }
            // "…, forty years ago, ended with the Harrow drowning": a past form opening a comma's segment
            // and going on with a preposition is the sentence's verb ("weathered and sharp" is not).
            let opensSegment = index > 0 && segmentStart[index]
            if opensSegment && isPastForm(word) && index + 1 < lowered.count && ["with", "in", "on", "at", "up", "down", "into", "the", "a", "an", "his", "her", "their"].contains(lowered[index + 1]) {
                return index
            }
            if index > 0 && isPastForm(word) {
                let before = words[index - 1]
                let namesTheDoer = before.first?.isUppercase == true || subjectPronouns.contains(lowered[index - 1])
                    || lowered[index - 1].hasSuffix("ly") || ["never", "always", "once", "still", "also", "then", "and"].contains(lowered[index - 1])
                let passive = lowered[(index + 1)...].prefix(3).contains("by")
                if !namesTheDoer || passive { continue }
            }
            return index
        }
        return nil
    }

    /// A past form that could also be a participle ("laid", "used"); "was", "had" and "did" are not.
    static func isPastForm(_ word: String) -> Bool {
        word.hasSuffix("ed") || irregularPasts.contains(word)
    }

    /// "said", "kept", "laid": the second form of a two-form irregular verb ("be", "have" and "do" have
    /// more forms and no participle among their finite ones).
    static let irregularPasts: Set<String> = Set(irregularVerbs.values.filter { $0.count == 2 }.map { $0[1] })

    static let relativeWords: Set<String> = ["who", "which", "that", "whom", "whose", "where", "when", "whenever", "wherever", "if", "unless", "because", "since", "until", "as", "while", "once", "though", "although"]

    /// "watch" → "watches", "carry" → "carries", "nod" → "nods".
    static func thirdPerson(_ verb: String) -> String {
        if let irregular = irregularVerbs[verb]?.first { return irregular }
        if verb.hasSuffix("y"), let before = verb.dropLast().last, !"aeiou".contains(before) { return verb.dropLast() + "ies" }
        if ["s", "x", "z", "ch", "sh", "o"].contains(where: verb.hasSuffix) { return verb + "es" }
        return verb + "s"
    }

    /// Regular past: "close" → "closed", "carry" → "carried", "stop" → "stopped".
    static func past(_ verb: String) -> String {
        if verb.hasSuffix("e") { return verb + "d" }
        if verb.hasSuffix("y"), let before = verb.dropLast().last, !"aeiou".contains(before) { return verb.dropLast() + "ied" }
        let letters = Array(verb)
        if letters.count >= 3 && letters.count <= 4, let last = letters.last, !"aeiouwxy".contains(last),
           "aeiou".contains(letters[letters.count - 2]), !"aeiou".contains(letters[letters.count - 3]) {
            return verb + String(last) + "ed"
        }
        return verb + "ed"
    }

    /// Words that are only grammar: never a topic, and lowercased when a sentence is embedded in another.
    static let functionWords: Set<String> = [
        "a", "an", "the", "this", "that", "these", "those", "it", "its", "there", "here", "he", "she", "they",
        "his", "her", "their", "some", "many", "most", "few", "each", "every", "all", "both", "no", "none",
        "one", "since", "when", "while", "after", "before", "inside", "outside", "once", "now", "then",
        "in", "on", "at", "by", "for", "from", "with", "without", "under", "over", "of", "to", "into", "onto",
        "and", "but", "or", "nor", "so", "yet", "if", "because", "though", "although", "as", "only", "even",
        "never", "always", "often", "sometimes", "still", "also", "nobody", "someone", "something", "anyone",
        "everyone", "everything", "nothing", "whoever", "whatever", "legend", "rumor", "rumour", "long",
        "up", "down", "out", "off", "away", "around", "about", "through", "across", "behind", "beside",
        "is", "are", "was", "were", "be", "been", "not", "my", "your", "our", "me", "you", "we", "i", "us",
        "them", "him", "what", "which", "who", "whom", "whose", "where", "why", "how", "any", "more", "less",
        "very", "too", "just", "again", "back", "over", "toward", "towards", "upon", "than", "own", "same",
    ]

    /// The pronoun a card's description uses for its subject, counted from the text; "they" if unclear.
    static func pronoun(of text: String) -> Pronoun {
        var she = 0, he = 0, it = 0
        for word in Prose.words(text) {
            switch word {
            case "she", "her", "hers", "herself": she += 1
            case "he", "him", "his", "himself": he += 1
            case "it", "its", "itself": it += 1
            default: break
            }
        }
        if she > he && she >= 1 { return .she }
        if he > she && he >= 1 { return .he }
        return it > 0 && she == 0 && he == 0 ? .it : .they
    }

    public enum Pronoun: Sendable {
        case she, he, it, they

        var subject: String { switch self { case .she: "she"; case .he: "he"; case .it: "it"; case .they: "they" } }
        var object: String { switch self { case .she: "her"; case .he: "him"; case .it: "it"; case .they: "them" } }
        var possessive: String { switch self { case .she: "her"; case .he: "his"; case .it: "its"; case .they: "their" } }
    }
}
