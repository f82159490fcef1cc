import TranscriptModel

/// A piece of evidence: where in the input, and the line it points at.
public struct Evidence: Sendable, Hashable {
    public var position: SourcePosition
    public var text: String
    public init(position: SourcePosition, text: String) {
        self.position = position
        self.text = text
    }
}

/// Something a rule concluded about a session, with the evidence it used and what to do next.
public struct Finding: Sendable {
    /// Stable rule id (`relay-denied`, `disconnect-after-mail`, ...).
    public var id: String
    public var severity: Severity
    public var reason: Reason
    public var title: String
    public var explanation: String
    public var actions: [String]
    public var evidence: [Evidence]
    /// Exchanges (indices into `Session.exchanges`) this finding is about.
    public var exchanges: [Int]
    public var blocklist: Blocklist?
    public var provider: String?
    public var reference: String?

    public init(id: String, severity: Severity, reason: Reason, title: String, explanation: String,
                actions: [String], evidence: [Evidence], exchanges: [Int] = [], blocklist: Blocklist? = nil,
                provider: String? = nil, reference: String? = nil) {
        self.id = id
        self.severity = severity
        self.reason = reason
        self.title = title
        self.explanation = explanation
        self.actions = actions
        self.evidence = evidence
        self.exchanges = exchanges
        self.blocklist = blocklist
        self.provider = provider
        self.reference = reference
    }
}

/// What one reply means, in the context of the command it answered.
public struct ReplyExplanation: Sendable {
    /// RFC meaning of the basic code for that command.
    public var codeMeaning: String
    /// Meaning of the enhanced status code, when present.
    public var enhancedMeaning: String?
    /// The knowledge base's reading of the reply (failures only).
    public var classification: ReplyClassification?
    /// The reply was a success or an intermediate reply.
    public var positive: Bool = false

    /// One line for display: the most specific thing we know. For successes the code's meaning says it
    /// all; the enhanced code's words are kept for refusals.
    public var summary: String {
        if let c = classification { return c.title }
        if let e = enhancedMeaning, !positive { return "\(codeMeaning) (\(e))" }
        return codeMeaning
    }
}

/// A session with everything the explainer concluded about it.
public struct ExplainedSession: Sendable {
    public var session: Session
    public var findings: [Finding]
    /// Keyed by exchange index.
    public var replies: [Int: ReplyExplanation]
    /// The reason of the finding that best explains the outcome (nil when delivered cleanly).
    public var primaryReason: Reason?
    /// One sentence: outcome, stage and why.
    public var summary: String

    /// Ids of the findings about one exchange, in finding order.
    public func findingIDs(forExchange index: Int) -> [String] {
        var ids: [String] = []
        for f in findings where f.exchanges.contains(index) && !ids.contains(f.id) { ids.append(f.id) }
        return ids
    }

    /// The findings a printed report marks under exchange `index`: as `findingIDs`, but a note (a lossy
    /// paste, a session that got to DATA) only at the first step it names; repeated under every inferred step,
    /// it drowns the errors around it.
    public func markedFindingIDs(forExchange index: Int) -> [String] {
        findingIDs(forExchange: index).filter { id in
            findings.first { $0.id == id }.map { $0.severity != .info || $0.exchanges.min() == index } ?? false
        }
    }

    /// Worst severity among the findings.
    public var worstSeverity: Severity? { findings.map(\.severity).max() }
}
