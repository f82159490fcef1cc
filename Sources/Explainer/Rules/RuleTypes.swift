import TranscriptModel

/// A session-level heuristic: one row of the rule table. The row holds everything a reader of the table
/// needs (id, severity, reason, words, next steps); `detect` only finds the evidence.
public struct SessionRule: Sendable {
    public let id: String
    public let severity: Severity
    public let reason: Reason
    public let title: String
    public let explanation: String
    public let actions: [String]
    let detect: @Sendable (SessionFacts) -> [RuleHit]
    /// The inputs whose sessions the rule can fire on: the explainer skips it for all others without
    /// calling `detect` (a call hands the whole session over, which costs more than most rules' test).
    public internal(set) var scope: Scope = .any

    public enum Scope: Sendable {
        case any
        /// Message headers, DMARC reports and feedback reports (`SessionFacts.fromHeaders`).
        case headers
        case tlsReport
        case feedback
        /// Sessions whose reader named a fault itself (`client-problem`, `esp-problem`).
        case clientProblem
        case espProblem
        /// Pastes and probes with DNS answers (`dns-*` attributes).
        case dnsFacts
        /// Pastes holding TXT records, an MTA-STS policy file or TLSA records.
        case dnsRecords
        /// An MTA's routing test of an address (`exim -bt`, `sendmail -bv`).
        case addressTest
        /// A pasted MTA configuration (`postconf -n`, Debian's exim4 settings).
        case mtaConfig
    }

    /// The same rows, for one scope of inputs.
    static func scoped(_ rules: [SessionRule], _ scope: Scope) -> [SessionRule] {
        rules.map { var r = $0; r.scope = scope; return r }
    }

    init(_ id: String, _ severity: Severity, _ reason: Reason, title: String, explanation: String,
         actions: [String], detect: @escaping @Sendable (SessionFacts) -> [RuleHit]) {
        self.id = id
        self.severity = severity
        self.reason = reason
        self.title = title
        self.explanation = explanation
        self.actions = actions
        self.detect = detect
    }
}

extension SessionRule {
    /// A fault the input names itself, which its reader put in a session attribute (`client-problem`,
    /// `esp-problem`): the rule fires when `attribute` is `value`, with the notes `evidence` picks and the
    /// words `detail` adds.
    init(_ id: String, _ severity: Severity, _ reason: Reason, when attribute: String, is value: String,
         title: String, explanation: String, actions: [String],
         evidence: @escaping @Sendable (Session) -> [Note], detail: @escaping @Sendable (Session) -> String?) {
        self.init(id, severity, reason, title: title, explanation: explanation, actions: actions) { f in
            guard f.session.attributes[attribute] == value else { return [] }
            return [RuleHit(evidence: evidence(f.session).map { Evidence(position: $0.position, text: $0.text) },
                            detail: detail(f.session))]
        }
    }
}

/// Where a rule fired: the exchanges and lines it is about, and optional words that make the generic
/// explanation specific (`detail` is appended to it).
public struct RuleHit: Sendable {
    public var exchanges: [Int]
    public var evidence: [Evidence]
    public var detail: String?
    /// A title naming this case (`Gave up after 5 deferrals over 5d2h`), instead of the row's.
    public var title: String?
    /// A reason for this case, instead of the row's.
    public var reason: Reason?
    /// Next steps for this case, listed before the row's.
    public var actions: [String]
    /// A severity for this case, instead of the row's (the same fault can stop mail or only weaken it).
    public var severity: Severity?
    /// `actions` are the row's own, made concrete (host names filled in): the row's are not added.
    public var actionsReplaceRow = false

    public init(exchanges: [Int] = [], evidence: [Evidence], detail: String? = nil, title: String? = nil,
                reason: Reason? = nil, actions: [String] = [], severity: Severity? = nil) {
        self.exchanges = exchanges
        self.evidence = evidence
        self.detail = detail
        self.title = title
        self.reason = reason
        self.actions = actions
        self.severity = severity
    }
}

/// A reply-level rule: claims a refused reply and says what it means. Fields left nil are taken from the
/// knowledge base's classification of the reply. The first matching row claims the reply.
public struct ReplyRule: Sendable {
    public let id: String
    public let severity: Severity?
    public let reason: Reason?
    public let title: String?
    public let explanation: String?
    public let actions: [String]
    /// A provider's own reply (the knowledge base's provider rows) says more than this row's general
    /// words: its title, explanation and steps are used instead, under this row's id.
    public let yieldsToProvider: Bool
    let matches: @Sendable (ReplyContext) -> Bool

    init(_ id: String, severity: Severity? = nil, reason: Reason? = nil, title: String? = nil,
         explanation: String? = nil, actions: [String] = [], yieldsToProvider: Bool = false,
         matches: @escaping @Sendable (ReplyContext) -> Bool) {
        self.id = id
        self.severity = severity
        self.reason = reason
        self.title = title
        self.explanation = explanation
        self.actions = actions
        self.yieldsToProvider = yieldsToProvider
        self.matches = matches
    }
}

/// What a reply rule looks at.
public struct ReplyContext: Sendable {
    public var index: Int
    public var exchange: Exchange
    public var reply: Reply
    /// Verb of the command answered (`CONNECT` for the greeting, nil when unknown).
    public var verb: String?
    /// Lower-cased reply text, computed once.
    public var text: String
    public var classification: ReplyClassification

    public func mentions(_ needles: String...) -> Bool { needles.contains { Bytes.contains(text, $0) } }
}
