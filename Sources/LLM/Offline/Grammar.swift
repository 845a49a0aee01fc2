/// A Tracery-style grammar: a template's `{slot}`s are replaced by one of the slot's rules, chosen with
/// the seeded random source, and rules may hold slots of their own. A slot with no rule is left in
/// place, which the storyteller treats as a sentence it cannot tell.
struct Grammar {
    var rules: [String: [String]]

    func expand(_ template: String, _ random: inout SeededRandom, depth: Int = 0) -> String {
        guard depth < 8, template.contains("{") else { return template }
        var result = ""
        var slot: String?
        for character in template {
            if character == "{" {
                slot = ""
            } else if character == "}", let name = slot {
                if let options = rules[name], !options.isEmpty {
                    result += expand(options.randomElement(using: &random)!, &random, depth: depth + 1)
                } else {
                    result += "{\(name)}"
                }
                slot = nil
            } else if slot != nil {
                slot!.append(character)
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The grammar with `values` as single-rule slots (the object, the place, a name).
    func with(_ values: [String: String]) -> Grammar {
        var copy = self
        for (name, value) in values { copy.rules[name] = [value] }
        return copy
    }

    func with(_ name: String, _ options: [String]) -> Grammar {
        var copy = self
        copy.rules[name] = options
        return copy
    }
}
