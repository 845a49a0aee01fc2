/// The storyteller's own sentences: consequences of actions, replies, the scene's sounds and weather,
/// and the frames that set a card's facts into the scene. Every rule is a whole sentence in the second
/// person and the present tense; `{obj}` is the action's object with its article ("the lamp"), `{Obj}`
/// the same at the start of a sentence, `{name}` a card's name, `{poss}` its possessive pronoun.
enum StoryGrammar {
    static let base = Grammar(rules: [
        // MARK: Consequences
        "light": [
            "{Obj} catch{es} at the second match, gutter{s}, and then burn{s} with a steady {flame} flame.",
            "You shield the match with your hand until {obj} take{s} the flame, and {lightSpreads}.",
            "It takes three tries, but {obj} {is} lit at last, and {lightSpreads}.",
            "{Obj} flare{s}, smoke{s} for a moment, and settle{s} into a clear, {flame} light.",
            "With a soft breath of flame {obj} come{s} alive, and {lightSpreads}.",
            "You coax {obj} alight; {lightSpreads}.",
        ],
        "flame": ["yellow", "amber", "golden", "white", "steady"],
        "lightSpreads": [
            "the shadows draw back into the corners", "warm light climbs the walls", "the dark gives way around you",
            "your own shadow stretches long behind you", "the darkness retreats a few grudging steps",
            "everything near you leaps into sharp relief",
        ],
        "alreadyLit": [
            "{Obj} {is} already burning; you turn the flame a little higher.",
            "{Obj} still burn{s} as steadily as when you lit {it}.",
            "There is no need: {obj} {is} already lit and burning well.",
        ],
        "extinguish": [
            "You put out {obj}, and the dark rushes back in.", "You put out {obj}{coda}.",
            "{Obj} die{s} with a hiss and a thread of smoke.",
            "You snuff {obj}; in the sudden dark you can hear your own breathing.",
        ],
        "alreadyDark": ["{Obj} {is} already dark.", "{Obj} {is} cold and unlit; there is nothing to put out."],
        "thingCoda": ["", "", "", ", and you let out a breath", ", and for a moment you do not move"],
        "coda": [
            "", "", "", ", and you let out a breath", ", and for a moment you do not move", " without hurrying",
            " as quietly as you can", " with care",
        ],
        "open": [
            "{Obj} open{s} with {aSound}{thingCoda}.", "{Obj} open{s}, louder than you would like.",
            "You set your shoulder to {obj}, and {itS} give{s} way with {aSound}.",
            "{Obj} swing{s} open on stiff hinges{thingCoda}.",
            "You ease {obj} open, and cold air moves past you.",
            "It takes some effort, but {obj} open{s}{thingCoda}.",
            "{Obj} come{s} open more easily than you expected.",
        ],
        "aSound": ["a long groan", "a dry creak", "a shriek of old hinges", "a soft click", "a scrape of wood on stone", "a shudder"],
        "locked": [
            "{Obj} will not open; {itS} {is} locked fast.",
            "You try {obj}, but {itS} {is} locked, and {itS} {does} not give.",
            "{Obj} rattle{s} and hold{s}: {itS} {is} locked.",
            "You pull at {obj}, but {itS} {is} locked and {does} not move.",
        ],
        "stillLocked": [
            "{Obj} {is} still locked; you will need a key or a good deal of force.",
            "You try {obj} again, but {itS} {is} as locked as before.",
        ],
        "alreadyOpen": ["{Obj} {is} already open.", "{Obj} already stand{s} open, as you left {it}."],
        "close": [
            "You close {obj}, and the latch drops into place.", "{Obj} shut{s} with a dull thud{thingCoda}.",
            "You push {obj} closed{coda}.", "You pull {obj} shut behind you{coda}.", "{Obj} close{s}, and the draught around your ankles dies.",
        ],
        "unlockWithKey": ["You try {key} in {obj}; it turns with a heavy click, and {obj} {is} no longer locked."],
        "unlockWithout": [
            "You have nothing that fits {obj}, so {itS} stay{s} locked.",
            "Without a key, {obj} stay{s} locked, however you try {it}.",
        ],
        "lock": ["You lock {obj}; {itS} {is} locked now, for whatever good that does.", "{Obj} {is} locked with a click you feel in your fingers."],
        "take": [
            "You take {obj} and turn {it} over in your hands{coda}.",
            "You take {obj}{coda}.",
            "{Obj} {is} heavier than {itS} look{s}; you take {it} with you.",
            "You pick up {obj} and keep {it} close.",
            "You take {obj}, and nobody stops you.",
            "{Obj} come{s} away in your hand, and you keep {it}.",
        ],
        "alreadyCarried": ["You already have {obj}{thingCoda}.", "{Obj} {is} already with you{thingCoda}.", "You check again: you still have {obj}.", "You keep hold of {obj}, which you already carry."],
        "objectFallback": ["{Obj} {is} {condition}, and {clue}.", "You keep your eyes on {obj}, {manner2}.", "For a moment you think only of {obj}."],
        "drop": ["You set down {obj}{coda}.", "You leave {obj} where you can find {it} again.", "You put {obj} down carefully{coda}.", "You let go of {obj}{coda}."],
        "notCarried": ["You are not carrying {obj}.", "You do not have {obj} with you."],
        "lookAt": [
            "You study {obj} closely{coda}.", "You look {obj} over carefully{coda}.", "You take a long look at {obj}{coda}.",
            "You examine {obj} from every side{coda}.", "You bend to look at {obj}{coda}.",
        ],
        "detail": [
            "{Obj} {is} {condition}, and {clue}.",
            "Up close, {obj} {is} {condition}.",
            "The longer you look, the more certain you are that {clue}.",
        ],
        "condition": [
            "old and worn", "cold to the touch", "older than {itS} first looked", "scarred by long use",
            "damp and faintly sour-smelling", "cleaner than anything else here", "heavier than {itS} look{s}",
        ],
        "clue": [
            "someone has handled {it} recently", "a faint mark on {it} catches the light", "{itS} tell{s} you less than you hoped",
            "there is a detail on {it} you missed before", "{itS} {has} been moved from where {itS} used to be",
        ],
        "read": [
            "You read through {obj} slowly, page by page{coda}.", "You turn the pages of {obj} one by one{coda}.",
            "You read {obj} closely, looking for what does not belong.", "You read {obj} again from the start{coda}.",
        ],
        "listen": [
            "You hold your breath and listen{coda}.", "You stand still and listen hard{coda}.", "You listen, and at first hear nothing at all.",
        ],
        "lookAround": [
            "You take stock of your surroundings{coda}.", "You look around slowly, taking in every corner.",
            "You stand still and let your eyes get used to the place.", "You turn slowly on the spot{coda}.",
        ],
        "surroundings": [
            "The place is quiet, and older than it first seemed.",
            "Everything here has the look of something long used and little cared for.",
            "Nothing moves, but the place does not feel empty.",
            "There is more here than you noticed at first: old marks, scuffs and small signs of other people.",
            "Whoever was here last left in a hurry.",
            "The corners are deep in shadow, and the floor is worn smooth along one path.",
        ],
        "moveTo": [
            "You make your way to {dest}{coda}.", "You set off toward {dest}{coda}.", "It does not take long to reach {dest}.",
            "You head for {dest}, watching where you put your feet.", "You go to {dest}{coda}.",
        ],
        "arrive": [
            "{Dest} is quieter than you expected.", "When you get to {dest}, you stop to get your bearings.",
            "{Dest} feels different from where you were, colder and stiller.",
            "You reach {dest} at last, a little out of breath.",
        ],
        "moveAway": ["You {action}, {manner2}.", "You {action}, and nobody stops you."],
        "arriveSomewhere": ["The air is different here.", "You stop when you get there and look around.", "It is quieter here."],
        "fightObject": [
            "You strike {obj} hard, and the blow jars your arm to the shoulder.",
            "You hit {obj} with everything you have; something gives, but not much.",
        ],
        "fightCharacter": [
            "{Name} steps back from you, {poss} eyes hard.",
            "{Name} catches your arm before the blow lands and holds it, breathing hard.",
            "{Name} stumbles back from you and raises {poss} hands.",
        ],
        "rest": ["You {action}, {manner2}.", "You {action}, and {restTime}."],
        "restTime": [
            "time passes slowly", "let the quiet settle around you", "the minutes stretch out", "nothing disturbs you for a while",
            "your breathing slows", "the place seems to forget you are there",
        ],
        "use": ["You {action}, {manner2}."],
        "manner2": [
            "taking your time over it", "as carefully as you can", "without a sound", "keeping one eye on the way you came",
            "though your hands are not quite steady", "slowly and deliberately", "half expecting to be stopped",
            "and it takes longer than you thought", "with more confidence than you feel", "trying not to make a noise",
            "because there is nothing else to do", "and you do not hurry",
        ],
        "useResult": [
            "For a moment nothing happens; then something shifts inside {obj}.",
            "{Obj} give{s} a little, then more, with a sound you feel through your hands.",
            "It is harder work than it looks, but {obj} {does} what you ask of {it}.",
            "When you are done, {obj} {is} not quite as {itS} {was}.",
            "{Obj} resist{s} at first, then give{s} way.",
            "Nothing about {obj} changes that you can see, but you are glad you tried.",
        ],
        "useNothing": [
            "Nothing much changes, though you feel better for having done it.",
            "It is done, and the moment passes.",
            "Afterwards, the place seems a little different, though you could not say how.",
        ],
        "story": [
            "For a moment nothing else happens.", "The moment hangs in the air.",
            "It changes the feel of the place at once.", "Afterwards, the quiet feels different.",
            "Nobody is there to see it, and that may be for the best.",
        ],

        // MARK: Speech
        "nobodyAnswers": [
            "No one answers.", "Nothing answers but the echo of your own voice.",
            "Your words hang in the air, and no one answers them.", "For a long moment there is no answer at all.",
            "You wait for an answer, but none comes.",
        ],
        "absentListener": [
            "{Name} is not here to hear you.", "But {name} is gone, and there is no one else to answer.",
            "You speak as if {name} could hear you, but {name} is not here.",
        ],
        "refuse": [
            "\"That is not a question I can answer,\" {name} says.",
            "\"Ask me again another time,\" {name} says, looking away.",
            "\"You would not thank me for the answer,\" {name} says quietly.",
            "{Name} shakes {poss} head and says nothing.",
            "\"Not here, and not now,\" {name} says.",
            "\"I have said all I am going to say about that,\" {name} says.",
        ],
        "answerIntro": [
            "{Name} thinks for a moment before answering.", "{Name} lowers {poss} voice to answer you.",
            "{Name} answers without looking at you.", "{Name} takes a breath before answering.",
        ],
        "acknowledge": [
            "\"If you say so,\" {name} says.", "\"I heard you,\" {name} says.", "\"We will see,\" {name} says.",
            "\"Then you know more than I do,\" {name} says.", "\"Be careful with that,\" {name} says.",
            "\"I would not be so sure,\" {name} says.", "{Name} nods slowly, as if weighing your words.",
            "{Name} says nothing for a while, then nods.",
        ],
        "greet": [
            "\"Well, you found me,\" {name} says.", "{Name} gives you a short nod of greeting.",
            "\"Evening,\" {name} says, without much warmth.", "\"Hello yourself,\" {name} says.",
        ],
        "heardWords": [
            "Words you once heard come back to you: \"{quote}\"",
            "You remember someone saying, \"{quote}\"",
        ],
        "saysQuote": ["{Name} says, \"{quote}\"", "\"{quoteNoStop},\" {name} says."],

        // MARK: People present
        "beat": [
            "{Name} watches you {manner}.", "{Name} shifts {poss} weight and says nothing.",
            "{Name} clears {poss} throat as if to speak, then thinks better of it.",
            "{Name} keeps {poss} distance, {poss} eyes on you.", "{Name} glances toward {away}.",
            "{Name} stands very still, listening.", "{Name} folds {poss} arms and waits.",
            "{Name} follows what you do with quiet attention.",
        ],
        "manner": ["without a word", "from the doorway", "with an unreadable expression", "closely", "in silence", "a little warily"],
        "away": ["the window", "the door", "the dark", "the way you came", "the floor"],
        "presentDescription": [
            "{Name}, {desc}, watches you in silence.", "{Name} is here with you: {desc}.",
            "{Name}, {desc}, stays close beside you.",
        ],
        "joins": [
            "{Name} comes out of the shadows and stops a few paces from you.", "{Name} joins you without a word.",
            "{Name} arrives, out of breath.", "{Name} steps into view, as if summoned.", "{Name} is suddenly there, watching you.",
        ],
        "leaves": [
            "{Name} mutters something about the time and leaves.", "{Name} slips out without a word.",
            "{Name} nods to you once and goes out.", "{Name} leaves, and the place feels emptier for it.",
        ],
        "follows": ["{Name} follows you.", "{Name} comes with you, a step behind.", "{Name} keeps pace beside you."],

        // MARK: Facts set into the scene
        "recall": [
            "You remember that {clause}", "You have heard that {clause}", "It comes back to you that {clause}",
            "People say that {clause}", "You know well enough that {clause}",
        ],
        "tellsAbout": ["{Name} tells you about {topic}: {desc}.", "{Name} speaks of {topic} in a low voice: {desc}."],
        "thinkOf": ["You think of {name}, {desc}.", "Your thoughts turn to {name}, {desc}."],
        "placeDescription": [
            "{Name} is all around you, {desc}.", "Around you is {name}, {desc}.", "You take in {name}: {desc}.",
        ],
        "placeAppositive": ["{Name} is all around you, {desc}.", "Around you is {name}, {desc}.", "Here is {name}, {desc}."],
        "objectDescription": [
            "You look closer at {name}, {desc}.", "Up close, {name} is just as you were told: {desc}.", "You look hard at {name}, {desc}.",
        ],

        // MARK: The scene
        "atmosphere": ["{sceneSound}", "{sceneAir}", "{sceneLight}", "{sceneSilence}", "{elementLine}", "{elementLine}"],
        "sceneSound": ["{where}, {soundEvent}."],
        "sceneAir": ["The air {airDoes}."],
        "sceneLight": ["The light {lightDoes}."],
        "sceneSilence": ["The silence {silenceDoes}."],
        "where": ["Somewhere below", "Far off", "Close by", "Somewhere behind you", "Outside", "Overhead", "In the distance", "Not far away"],
        "soundEvent": [
            "a door {doorDoes}", "a board {boardDoes}", "water {waterDoes}", "the wind {windDoes}", "a voice {voiceDoes}",
            "footsteps {stepsDoes}", "a dog {dogDoes}", "metal {metalDoes}", "glass {glassDoes}", "something {somethingDoes}",
        ],
        "doorDoes": ["bangs once", "creaks on its hinges", "slams and is still", "rattles in its frame", "clicks shut"],
        "boardDoes": ["settles with a groan", "creaks under a slow weight", "cracks like a knuckle", "shifts and is quiet"],
        "waterDoes": ["drips onto stone", "gurgles in a pipe", "trickles somewhere unseen", "slaps against something hollow"],
        "windDoes": ["finds a gap and whistles through it", "worries at a loose shutter", "sighs and drops", "hums in a crack"],
        "voiceDoes": ["rises and falls and is gone", "calls out a name you do not catch", "laughs once, far too close", "hums a few notes and stops"],
        "stepsDoes": ["pass and fade", "stop, then go on", "cross a floor above you", "hurry away"],
        "dogDoes": ["barks twice and stops", "howls, long and thin", "whines and falls silent"],
        "metalDoes": ["rings faintly against metal", "scrapes across stone", "clanks once, heavily"],
        "glassDoes": ["rattles in a loose frame", "chimes as if touched", "cracks with a tiny sound"],
        "somethingDoes": ["creaks and is still", "heavy shifts and goes quiet", "small scurries away", "falls and rolls", "taps three times"],
        "airDoes": [
            "smells of damp stone and old smoke", "is cold enough to see your breath", "is close and still",
            "tastes of dust", "grows colder by degrees", "smells of oil and rust",
            "moves against your face, though no door is open", "smells of wet wool and candle smoke", "is heavy, like before a storm",
            "stirs the hair on your arms", "smells faintly of something burnt", "turns sharp and clean for a moment",
        ],
        "lightDoes": [
            "is failing", "shifts as a cloud passes", "is thin and grey", "flickers, then steadies",
            "lies in long bars across the floor", "turns the colour of weak tea", "pools in the corners like water",
            "catches on every edge", "wavers as if something passed in front of it", "is grey and sourceless", "dims, then slowly returns",
        ],
        "silenceDoes": [
            "is so deep that you can hear your own heartbeat", "stretches until you want to break it",
            "settles back as if nothing had happened", "presses on your ears", "has a shape to it, like held breath",
            "rings in your ears", "is broken only by your own breathing", "comes back thicker than before",
        ],
        "elementLine": ["The air {airDoes}."],
        "event": [
            "Somewhere a door opens, and does not close again.", "A shadow moves where no shadow should be.",
            "You hear footsteps where there should be none.", "Something taps at the window three times, and stops.",
            "A cold draught finds you from nowhere.", "The floor creaks under a weight that is not yours.",
            "A sound like someone saying your name drifts in, then stops.", "Somewhere nearby, something falls and rolls.",
            "A light moves somewhere it should not, then goes out.", "Something brushes past the door and is gone.",
            "For a moment every sound stops at once.", "A smell of cold earth rises from nowhere.",
            "You catch a movement out of the corner of your eye.", "Something shifts its weight nearby, and waits.",
            "A faint knocking starts up, patient and regular.", "The temperature drops all at once.",
        ],
        "time": [
            "The minutes crawl past.", "Time passes; you could not say how much.", "An hour goes by, or something like it.",
            "The time passes slowly.", "The hours do not hurry.", "Time moves on without you.", "A long while passes.",
        ],
        "hook": [
            "You have the feeling that you are being watched.", "For now, at least, nothing moves.",
            "The moment stretches, and then it passes.", "Something here is waiting for you to notice it.",
            "Whatever happens next, it will not wait long.", "It is not over; you can feel that much.",
            "You are sure now that you are not the only one awake.", "Something has changed, though you cannot say what.",
            "It feels like the start of something.", "You would give a great deal to know what comes next.",
            "The next move is yours.", "Nothing here is quite what it seems.",
        ],
        "callbackLit": ["{lit} burns steadily, and you are glad of it.", "The light of {lit} keeps the dark at arm's length."],
        "callbackCarried": ["You feel the weight of {carried} with you.", "You have {carried} with you, and you are glad of it."],
        "callbackOpen": ["Through {open}, cold air drifts in.", "{Open} stands open behind you.", "A draught comes through {open}."],
    ])

    /// Lines for the weather and setting words a story uses.
    static let elementLines: [String: [String]] = [
        "fog": ["The fog presses against the windows.", "The fog thickens until you can barely see.", "The fog curls low along the ground.", "The fog thins for a moment, then closes again."],
        "mist": ["The mist beads on every surface.", "The mist drifts past in slow grey veils."],
        "rain": ["The rain drums on the roof.", "The rain runs in streams down the glass.", "The rain eases to a drizzle, then returns."],
        "wind": ["The wind moans around the walls.", "The wind drops suddenly, and the quiet is worse.", "The wind tugs at everything loose."],
        "sea": ["The air carries a faint smell of salt.", "The sea booms against the rocks below.", "The sea hisses on the shingle.", "The sea is grey and restless."],
        "tide": ["The tide is turning; you can hear it in the water's voice.", "The tide sucks and slaps at the stones."],
        "storm": ["Thunder grumbles somewhere far away.", "The storm gathers itself out in the dark."],
        "snow": ["The snow falls thick and silent.", "The snow muffles every sound."],
        "forest": ["The trees creak and sway overhead.", "The forest stands dark and close around you.", "Leaves stir in the undergrowth, though there is no wind."],
        "river": ["The river murmurs over its stones.", "The river runs loud and fast nearby."],
        "fire": ["The fire crackles low.", "The fire spits and settles."],
        "smoke": ["A smell of smoke hangs in the air.", "Smoke drifts in thin layers under the ceiling."],
        "dust": ["Dust turns slowly in the air.", "Your steps stir up little clouds of dust."],
        "stars": ["The stars are hard and bright overhead.", "A few stars show through a gap in the clouds."],
        "moon": ["The moon slides out from behind a cloud.", "Moonlight lies cold and pale on everything."],
        "machines": ["Somewhere machines hum and clank.", "A machine starts up with a shudder, then falls silent."],
        "rust": ["Everything metal here is furred with rust.", "Rust flakes crunch under your feet."],
        "ice": ["Ice creaks somewhere close by.", "Your breath freezes in the air."],
        "ash": ["Ash drifts down like grey snow.", "Ash lies thick in every corner."],
        "sand": ["Sand hisses across the ground.", "Grit gets into everything."],
        "waves": ["The waves break and break again.", "The waves roll in, slow and heavy."],
        "neon": ["Neon light buzzes and stutters.", "Neon signs paint the wet ground in streaks of colour."],
    ]
}
