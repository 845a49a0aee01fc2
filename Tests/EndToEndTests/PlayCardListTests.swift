@testable import imaginai
import ImaginAIProtocol
import Testing

/// `/cards` in `play` says in words when each card is sent, rules included.
@Suite struct PlayCardListTests {
    func card(keys: [String] = ["Mira"], _ change: (inout CardRules) -> Void = { _ in }) -> Card {
        var rules = CardRules()
        change(&rules)
        return Card(id: "c", type: "character", name: "Mira", description: "", keys: keys, rules: rules)
    }

    @Test func aPlainCardListsItsKeys() {
        #expect(PlaySession.whenSent(card(keys: ["Mira", "harbormaster"])) == "keys: Mira, harbormaster")
        #expect(PlaySession.whenSent(card(keys: [])) == "no keys: never sent")
    }

    @Test func rulesAwayFromTheirDefaultsAreSpelledOut() {
        #expect(PlaySession.whenSent(card { $0.enabled = false }) == "switched off: never sent")
        #expect(PlaySession.whenSent(card(keys: []) { $0.constant = true }) == "always sent")
        let busy = card {
            $0.secondaryKeys = ["ferry", "fog"]
            $0.selectiveLogic = .notAll
            $0.probability = 40
            $0.group = "harbour"
            $0.order = 300
            $0.sticky = 2
            $0.cooldown = 1
            $0.delay = 6
        }
        #expect(PlaySession.whenSent(busy)
            == "keys: Mira; unless all of: ferry, fog; 40% chance; group harbour; order 300; stays 2 turns; then rests 1 turn; not before turn 6")
    }
}
