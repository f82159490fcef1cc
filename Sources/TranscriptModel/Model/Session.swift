/// One rebuilt SMTP session (a connection, or a connection attempt), whatever input it came from.
public struct Session: Sendable {
    /// Input name (file path or `-`).
    public var input: String {
        get { inputName.string }
        set { inputName = InputName(newValue) }
    }
    /// Copied with every session, on several threads: a long path is kept as a number (see `InputName`).
    private var inputName: InputName
    /// Reader/dialect id (`telnet`, `swaks`, `postfix-log`, `pcap`, ...).
    public var format: String
    /// How sure the detector was of `format` (0...1); 1 when forced with `--input-format`.
    public var formatConfidence: Double = 1
    /// For logs and captures: whether the session came into the logging MTA or went out of it.
    public var direction: Direction?
    public var client = Peer()
    public var server = Peer()
    public var capabilities: Capabilities?
    public var tls: TLSFacts?
    /// Every exchange in order.
    public var exchanges: [Exchange] = []
    public var transactions: [Transaction] = []
    /// Tool lines, log lines and events, in input order.
    public var notes: [Note] = []
    /// The transcript as it should be shown, in input order.
    public var lines: [TranscriptLine] = []
    /// Lines not kept in `lines` because of the display limit (message bodies mostly).
    public var elidedLines: Int = 0

    /// Connection facts.
    public var connectAttempted: Bool = false
    public var connected: Bool?
    public var connectFailure: ConnectFailure?
    public var connectFailurePosition: SourcePosition?
    /// The tool that failed did not say why (Windows telnet's `Connect failed`, a failed Test-NetConnection, an
    /// application's bare "could not connect", Exchange's `Unable to connect`): the reader's mark that the
    /// generic connection-failed finding applies, unlike an `other` failure told in the tool's own words
    /// (a null MX) that has a finding of its own.
    public var connectFailureUnexplained = false
    public var closedBy: Closer?
    public var closePosition: SourcePosition?
    /// The close was a TCP reset.
    public var closedByReset: Bool = false
    /// The client sent QUIT.
    public var quitSent: Bool = false
    /// The STARTTLS handshake happened (220 to STARTTLS, or implicit TLS).
    public var tlsStarted: Bool = false
    /// Index in `exchanges` of the STARTTLS whose handshake failed, when the client said so.
    public var tlsFailedExchange: Int?

    public var start: SourcePosition?
    public var end: SourcePosition?

    /// The verdict, decided by `Verdict` when the session is finished.
    public var outcome: Outcome = .incomplete
    public var failedStage: Stage?
    /// Index in `exchanges` of the exchange that decided the outcome.
    public var decisiveExchange: Int?

    /// Free-form facts readers want to pass on (queue ids, log `commands=` tally, ...).
    public var attributes: [String: String] = [:]

    /// MTA logs: the story of the message this session ends (received, every delivery attempt, the end),
    /// when the message was deferred and retried, or expired (Exchange tracking: when the message took more
    /// than one row). A session with a history and no dialogue (`isMessageStory`) stands for a message whose
    /// chain ended when no attempt session was open (end logged later, log ended or went quiet, local delivery).
    public var history: MessageHistory?

    /// Set on a placeholder still to be built (see `PendingBuild`).
    var pendingBuild: PendingBuild?

    /// A message story without an SMTP session of its own (see `history`).
    public var isMessageStory: Bool { attributes["story"] == "message" }

    public enum Direction: String, Sendable, Codable { case inbound, outbound }

    public init(input: String, format: String) {
        self.inputName = InputName(input)
        self.format = format
    }

    /// An empty session for the same input and format.
    func emptyCopy() -> Session {
        var s = Session(input: "", format: format)
        s.inputName = inputName
        return s
    }

    /// The greeting reply, if any.
    public var greeting: Reply? {
        exchanges.first { $0.stage == .greeting && $0.command == nil }?.reply
    }
}

/// One line of the transcript as shown to the user.
public struct TranscriptLine: Sendable, Hashable {
    public enum Role: String, Sendable, Codable {
        case client, server, content, tool, error, log, tcp, tls, dns, shell, unparsed, gap
    }
    public var role: Role
    public var text: String
    public var position: SourcePosition
    /// Synthesised (not in the input): an inferred command or reply.
    public var inferred: Bool
    /// Set on the last line of a reply (or a command without a reply): the exchange it closes.
    public var exchange: Int?

    public init(role: Role, text: String, position: SourcePosition, inferred: Bool = false, exchange: Int? = nil) {
        self.role = role
        self.text = text
        self.position = position
        self.inferred = inferred
        self.exchange = exchange
    }
}
