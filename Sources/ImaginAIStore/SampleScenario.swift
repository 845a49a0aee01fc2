import ImaginAIProtocol

/// The scenario every new database starts with: what a new user plays first. Original text.
enum SampleScenario {
    static let draft = ScenarioDraft(
        name: "The Keeper of Morrow Rock",
        instructions: """
            Narrate a slow-burning coastal mystery with a thread of the uncanny. The player is the new \
            keeper of a lighthouse on a tidal island; the previous keeper vanished and the fog has not \
            lifted since. Write in the second person and the present tense. Favour dread over gore, and \
            concrete sensory detail (salt, rust, lamp oil, wet rope, gull cries) over adjectives.

            Rules of this world: the lamp must be lit at dusk and kept burning until dawn; it takes oil, a \
            trimmed wick and a wound clockwork to turn the lens, and each can go wrong. The causeway to the \
            village can only be walked around low tide; respect the tide times and let them create pressure. \
            Things in the fog are dangerous but follow rules the player can learn: they cannot cross the \
            lamp's beam, they speak in borrowed voices, and they only come in if invited.

            Give the villagers their own wants and secrets; they are not quest-givers. Reveal the mystery \
            through clues the player can find (the ledger, tally marks, things people avoid saying), never \
            all at once. Let the player's choices have consequences. Do not decide what the player does, \
            says or feels.
            """,
        plotEssentials: """
            The player arrived today as the new keeper of Morrow Rock lighthouse, off the fishing village \
            of Gullwick. The lamp has been dark for twenty-two nights, since the previous keeper, Ottoline \
            Vance, vanished. Since that night the Long Fog has lain over Gullwick and the drowned walk in it.
            The Drowned Stair causeway is passable only from two hours before to two hours after low tide.
            Hidden truth (reveal slowly): Ottoline let the lamp go dark on purpose, to go into the fog and \
            bargain with the Grey Tenant for her brother Tobiah, drowned thirty years ago. She is still \
            alive somewhere in the fog. Harbormistress Isaura Penhallow knows more than she says.
            """,
        authorsNotes: """
            Style: spare, quiet, atmospheric; short paragraphs; let silences sit. Keep the horror mostly \
            offstage and the people human. End each reply at a moment that invites the player to act.
            """,
        openingScene: """
            Brannoch Tull ships his oars without a word, and the boat noses against the weed-slick steps \
            of Morrow Rock. Above you the lighthouse rises out of the fog like a bone someone forgot to \
            bury, its lamp room dark. It has been dark for twenty-two nights.

            "Tide turns at nine," Brannoch says, looking anywhere but at the tower. "After that the Stair's \
            under, and nobody comes for you till morning." He does not offer to carry your trunk.

            You climb. The door at the top of the steps stands ajar, swollen with damp, and someone has \
            scratched a row of tally marks into its paint at the height of a child's hand. Inside, the \
            keeper's room smells of lamp oil and cold tea. A ledger lies open on the table, the last entry \
            in a cramped, furious hand: *Do not answer it in her voice.*

            Down on the water, the oars are already creaking away. The fog presses against the windows, \
            patient as a held breath, and somewhere out in it a bell begins to ring: slow, deliberate, three \
            times, from the direction of the causeway, where no bell has hung for forty years.

            It is an hour until dusk.
            """,
        playerDescription: """
            You are the new keeper of the Morrow Rock light, sent by the Lighthouse Board with a trunk, a \
            letter of appointment and no explanation of why the post fell vacant. You are practical, good \
            with your hands and tools, and a stranger to Gullwick.
            """,
        tags: ["mystery", "coastal gothic", "horror", "investigation", "sample"],
        visibility: .private,
        cards: [
            CardDraft(
                type: "character", name: "Ottoline Vance",
                description: """
                    The previous keeper, in her sixties, weathered and sharp-tongued, who kept the light for \
                    thirty years without missing a night, until twenty-two nights ago. Vanished with her oilskin \
                    and lantern; her boots are still by the stove. Writes in a cramped, slanting hand. Never \
                    stopped grieving her younger brother Tobiah, lost off the Stair as a boy.
                    """,
                keys: ["Ottoline", "Vance", "old keeper", "the keeper before", "Otty"]),
            CardDraft(
                type: "character", name: "Brannoch Tull",
                description: """
                    Gullwick's ferryman: broad, grey-bearded, a man of few words who rows out to the Rock when \
                    the Stair is under water. Owed Ottoline a debt he won't name and feels he failed her. \
                    Refuses to set foot on the island after dusk, and will not say why.
                    """,
                keys: ["Brannoch", "Tull", "ferryman", "boatman"]),
            CardDraft(
                type: "character", name: "Isaura Penhallow",
                description: """
                    Harbormistress of Gullwick, fifty, immaculate in a village gone to mildew. Runs the harbor, \
                    the council and most of the gossip. Pragmatic and persuasive; she was the last person to \
                    speak with Ottoline, and she has told no one what was said. Wants the fog gone before the \
                    herring boats starve, but fears what relighting the lamp will bring back.
                    """,
                keys: ["Isaura", "Penhallow", "harbormistress", "harbourmistress", "Mistress Penhallow"]),
            CardDraft(
                type: "character", name: "Wren Abernathy",
                description: """
                    A thin, fierce girl of about twelve who mudlarks the flats for copper and bottle-glass. Knows \
                    every rock of the Drowned Stair and every tide by heart. Ottoline let her sleep in the tower \
                    on stormy nights; the tally marks on the door are hers. Wary of adults, loyal once won.
                    """,
                keys: ["Wren", "Abernathy", "mudlark", "the girl"]),
            CardDraft(
                type: "character", name: "The Grey Tenant",
                description: """
                    The presence that lives in the Long Fog. It has no shape of its own and speaks only in the \
                    voices of people the listener has lost. It cannot cross the lamp's beam and cannot enter a \
                    place unless invited in, but it is patient and clever with words. It keeps the drowned, and \
                    it bargains.
                    """,
                keys: ["Grey Tenant", "Gray Tenant", "the Tenant", "voice in the fog"]),
            CardDraft(
                type: "location", name: "Morrow Rock Lighthouse",
                description: """
                    A squat granite tower on a tidal island a mile off Gullwick. Ground floor: store room with \
                    oil casks and coal. Middle: the keeper's room, with stove, bunk, table and the ledger. Top: \
                    the lamp room, reached by ninety-one iron steps, where the saltglass lens turns on a \
                    clockwork that must be wound every four hours.
                    """,
                keys: ["lighthouse", "Morrow Rock", "the tower", "lamp room", "keeper's room"]),
            CardDraft(
                type: "location", name: "Gullwick",
                description: """
                    A fishing village of slate roofs and tarred sheds crowded around a stone harbor. Since the \
                    fog came, the boats stay tied up, shutters stay closed after dark and people leave a candle \
                    in every seaward window. Has a chapel, a chandlery, a net loft and one inn.
                    """,
                keys: ["Gullwick", "the village", "harbor", "harbour", "quay"]),
            CardDraft(
                type: "location", name: "The Drowned Stair",
                description: """
                    The causeway between Gullwick and Morrow Rock: a mile of worn, weed-slick stones laid by hand \
                    centuries ago. Walkable only from two hours before to two hours after low tide. Halfway along \
                    stand the iron posts where the Tide Bell once hung. Many have drowned on it, misjudging the \
                    water in fog.
                    """,
                keys: ["Drowned Stair", "causeway", "the Stair", "stepping stones"]),
            CardDraft(
                type: "location", name: "The Gaff and Lantern",
                description: """
                    Gullwick's inn, low-beamed and smoky, run by the widower Amos Kettle. The only place in the \
                    village still loud after dark. Fishermen with nothing to do drink here and argue about \
                    whether the new keeper will last the week.
                    """,
                keys: ["Gaff and Lantern", "the inn", "tavern", "Amos Kettle", "Kettle"]),
            CardDraft(
                type: "item", name: "The Saltglass Lens",
                description: """
                    The lighthouse's great lens, ground from a greenish glass said to be fused from sea salt and \
                    the sand of the Rock. Its beam, unlike ordinary light, thins the Long Fog and the things in \
                    it cannot pass through it. There is a hairline crack in one of its lower prisms that was not \
                    there last year.
                    """,
                keys: ["saltglass", "Saltglass Lens", "the lens", "the beam", "the lamp"]),
            CardDraft(
                type: "item", name: "The Keeper's Ledger",
                description: """
                    A thick, salt-stained logbook of weather, oil used and ships sighted, kept by every keeper for \
                    a century. Ottoline's last pages grow strange: lists of voices heard, tide times circled, the \
                    name "Tobiah" written and crossed out, and a final warning: "Do not answer it in her voice."
                    """,
                keys: ["ledger", "Keeper's Ledger", "logbook", "log book", "last entry"]),
            CardDraft(
                type: "item", name: "The Tide Bell",
                description: """
                    A bronze bell that once hung at the midpoint of the Drowned Stair to warn walkers of the \
                    turning tide. It was cut down and sunk forty years ago after the Harrow drowning, and no one \
                    has rung it since. When it rings now, it rings from under the water, always three times.
                    """,
                keys: ["Tide Bell", "the bell", "bell"]),
            CardDraft(
                type: "faction", name: "The Tidewardens",
                description: """
                    The old guild of keepers, ferrymen and causeway-walkers who swore to keep the Morrow light \
                    burning. Once the pride of Gullwick, now a handful of old men who meet in the net loft and \
                    remember the rules nobody else believes in. Ottoline was their last warden; Brannoch is a \
                    lapsed member.
                    """,
                keys: ["Tidewardens", "Tidewarden", "the Wardens", "the guild"]),
            CardDraft(
                type: "lore", name: "The Long Fog",
                description: """
                    A fog that rolls in whenever the Morrow light fails and does not lift until it burns again. \
                    Inside it sound carries strangely, compasses wander and the drowned walk the shore, calling \
                    to the living in familiar voices. The last Long Fog, forty years ago, ended with the Harrow \
                    drowning.
                    """,
                keys: ["Long Fog", "the fog", "fogbank", "the mist"]),
            CardDraft(
                type: "lore", name: "The Keeper's Compact",
                description: """
                    The old bargain the Tidewardens tell of: as long as the light burns from every dusk to every \
                    dawn, the sea keeps its dead. A keeper who lets it fail breaks the Compact, and anyone may \
                    then strike a new bargain with what lives in the fog, at a price.
                    """,
                keys: ["Compact", "Keeper's Compact", "the old bargain", "the bargain"]),
        ]
    )
}
