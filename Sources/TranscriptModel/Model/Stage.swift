/// The step of an SMTP session a command (or missing reply) belongs to.
/// Raw values are the JSON contract's `failedStage` words.
public enum Stage: String, Sendable, Codable, CaseIterable, Comparable {
    case connect, greeting, helo, starttls, auth, mail, rcpt, data, message, quit
    /// RSET, NOOP, VRFY, EXPN, HELP and unknown verbs: never a failed stage on their own.
    case other

    private var order: Int { Stage.allCases.firstIndex(of: self)! }
    public static func < (a: Stage, b: Stage) -> Bool { a.order < b.order }
}

/// How a session ended up. Raw values are the JSON contract's `outcome` words.
public enum Outcome: String, Sendable, Codable, CaseIterable {
    /// At least one message was accepted after its content.
    case delivered
    /// A permanent (5xx) refusal ended the attempt before any message was accepted.
    case rejected
    /// A temporary (4xx) refusal ended the attempt before any message was accepted.
    case deferred
    /// The connection ended mid-dialogue.
    case disconnected
    /// The input ends, or the client quits, before any of the above.
    case incomplete
    /// No SMTP connection was made.
    case unreachable
}
