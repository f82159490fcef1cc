/// A step of a dialogue rebuilt from log lines, as the bounded list below needs to see it.
protocol DialogueStep {
    /// A command: a place where the list may stop taking steps without leaving a reply without its command.
    var isCommand: Bool { get }
    /// The end of the connection, kept even when the list is full so the verdict still sees how it ended.
    var isClosing: Bool { get }
    var position: SourcePosition { get }
}

/// The steps of one session rebuilt from a log, at most `maxCommands` commands with their replies. A log can
/// hold one session with hundreds of thousands of refusals (a dictionary attack on one connection); the
/// first ones explain it, and keeping all would let memory follow the input instead of the open sessions.
/// Past the cap, commands and replies are counted in `droppedCommands`, and closing steps are still kept.
struct DialogueSteps<Step: DialogueStep>: RandomAccessCollection, MutableCollection {
    static var maxCommands: Int { 2_000 }

    private var steps: [Step] = []
    private var commands = 0
    /// Commands not kept (their replies neither).
    private(set) var droppedCommands = 0
    /// Where the first command not kept was.
    private(set) var firstDropped: SourcePosition?
    private var full: Bool { droppedCommands > 0 }

    init() {}

    var startIndex: Int { steps.startIndex }
    var endIndex: Int { steps.endIndex }
    subscript(i: Int) -> Step {
        get { steps[i] }
        set { steps[i] = newValue }
    }

    mutating func append(_ step: Step) {
        if step.isClosing { steps.append(step); return }
        if step.isCommand {
            if full || commands >= Self.maxCommands { drop(1, at: step.position); return }
            commands += 1
        } else if full {
            return
        }
        steps.append(step)
    }

    /// Inserts in place (a recipient named by a later line); counts against the cap like an append. False
    /// when the steps did not fit (the caller's indices then stay as they were).
    @discardableResult
    mutating func insert(contentsOf more: [Step], at i: Int) -> Bool {
        let added = more.filter(\.isCommand).count
        if commands + added > Self.maxCommands { drop(added, at: more.first?.position); return false }
        commands += added
        steps.insert(contentsOf: more, at: i)
        return true
    }

    private mutating func drop(_ n: Int, at p: SourcePosition?) {
        if firstDropped == nil { firstDropped = p }
        droppedCommands += n
    }

    /// The tool note for a session that hit the cap (at the first command not kept), or nil.
    var droppedNote: (text: String, pos: SourcePosition)? {
        guard droppedCommands > 0, let p = firstDropped else { return nil }
        return ("\(droppedCommands) more commands of this session and their replies were not kept (at most \(Self.maxCommands) per session).", p)
    }
}
