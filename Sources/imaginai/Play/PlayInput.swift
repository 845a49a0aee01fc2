import FoundationEssentials
import ImaginAIProtocol

/// One line the player typed, understood.
enum PlayInput: Equatable {
    case act(ActionKind, String)
    case `continue`
    case retry
    case undo
    case redo
    case edit(index: Int, text: String)
    /// `/edit N` alone: the turn's text is opened for editing.
    case editTurn(index: Int)
    /// nil: the last turn the model wrote.
    case versions(index: Int?)
    case useVersion(Int)
    /// nil: the recent part only.
    case history(limit: Int?)
    case cards
    case context
    case model(String?)
    case help
    case quit
    case nothing
    /// Not understood; the text says why, for the player.
    case invalid(String)

    /// How much of the story is shown on starting and by /history: enough to pick up the thread
    /// without scrolling a long adventure past.
    static let recentTurns = 20

    /// One line per entry, with two spaces before each description: a terminal wraps it to its width and
    /// continues an entry's rows under its description (`Console.line(_:_:columns:)`).
    static let helpText = """
        Type what you do, or a command:
          TEXT              do something ("open the door")
          /say TEXT         say something
          /story TEXT       write the next part of the story yourself
          /continue         let the story go on
          /retry            write the last part again (earlier versions are kept)
          /undo, /redo      take back the last action, or bring it back
          /edit N [TEXT]    replace the text of turn N (see /history); without TEXT it opens the turn's text for editing (in $EDITOR when it is long)
          /versions [N]     the versions /retry left of the last turn (or of turn N)
          /version K        make version K the text of the turn /versions listed
          /history [all|N]  the last turns of the story (or all, or N), numbered
          /cards            the adventure's story cards and their keys
          /context          what the model is sent: sections, tokens, fired cards
          /model [ID]       list the models, or use model ID
          /help             this list
          /quit             leave (so do Ctrl-D on an empty line and the end of a script)
        Ctrl-C while the story is being written stops it and keeps what was written.
        Keys: ←/→, Home/End (Ctrl-A/Ctrl-E), Ctrl-←/→ by word, Backspace/Delete; Ctrl-U/Ctrl-K/Ctrl-W delete to the start/to the end/a word; ↑/↓ earlier lines; Ctrl-L clears the screen; Ctrl-C drops the line; Ctrl-Z suspends; Ctrl-D on an empty line leaves.
        """

    init(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else {
            self = trimmed.isEmpty ? .nothing : .act(.do, trimmed)
            return
        }
        let (command, argument) = Self.split(trimmed)
        switch command.lowercased() {
        case "/say", "/story":
            let kind: ActionKind = command.lowercased() == "/say" ? .say : .story
            self = argument.isEmpty ? .invalid("\(command) needs some text, e.g. \(command) Hello there.") : .act(kind, argument)
        case "/do":
            self = argument.isEmpty ? .invalid("/do needs some text") : .act(.do, argument)
        case "/continue": self = .continue
        case "/retry": self = .retry
        case "/undo": self = .undo
        case "/redo": self = .redo
        case "/edit":
            let (number, text) = Self.split(argument)
            if let index = Int(number), index >= 0 {
                self = text.isEmpty ? .editTurn(index: index) : .edit(index: index, text: text)
            } else {
                self = .invalid("usage: /edit N [TEXT], where N is a turn number from /history")
            }
        case "/versions":
            if argument.isEmpty {
                self = .versions(index: nil)
            } else if let index = Int(argument), index >= 0 {
                self = .versions(index: index)
            } else {
                self = .invalid("usage: /versions [N], where N is a turn number from /history")
            }
        case "/version":
            if let version = Int(argument), version >= 0 {
                self = .useVersion(version)
            } else {
                self = .invalid("usage: /version K, where K is a version number from /versions")
            }
        case "/history":
            if argument.isEmpty {
                self = .history(limit: PlayInput.recentTurns)
            } else if argument.lowercased() == "all" {
                self = .history(limit: nil)
            } else if let count = Int(argument), count > 0 {
                self = .history(limit: count)
            } else {
                self = .invalid("usage: /history, /history all or /history N")
            }
        case "/cards": self = .cards
        case "/context": self = .context
        case "/model", "/models": self = .model(argument.isEmpty ? nil : argument)
        case "/help", "/?": self = .help
        case "/quit", "/exit", "/q": self = .quit
        default:
            self = .invalid("Unknown command \(command).\n" + Self.helpText)
        }
    }

    /// The first word and the rest, both trimmed.
    private static func split(_ text: String) -> (String, String) {
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (text, "") }
        return (String(text[..<space]), text[space...].trimmingCharacters(in: .whitespaces))
    }
}
