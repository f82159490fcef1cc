/// A client command, parsed: verb, argument and, for MAIL/RCPT, the address and ESMTP parameters.
public struct Command: Sendable, Hashable {
    /// Upper-cased verb as the server would read it (`MAIL`, `RCPT`, `EHLO`, ...).
    /// Pseudo-verbs: `.` for the end-of-data line, `AUTH-RESPONSE` for a line answering a 334 challenge,
    /// `BDAT-CHUNK`-style content is not a command.
    public var verb: String
    /// Everything after the verb (for MAIL/RCPT after `FROM:`/`TO:`), redacted for AUTH payloads.
    public var argument: String
    /// The line as typed, with control bytes kept (escaped only when shown). Redacted for AUTH payloads.
    public var raw: String
    /// MAIL FROM / RCPT TO path without angle brackets (`""` for the null sender `<>`).
    public var address: String?
    /// The path was written with angle brackets.
    public var addressBracketed: Bool
    /// ESMTP parameters (`SIZE=1000`, `BODY=8BITMIME`, `NOTIFY=SUCCESS,FAILURE`, ...), keys upper-cased.
    public var parameters: [Parameter]
    /// AUTH mechanism (`PLAIN`, `LOGIN`, `XOAUTH2`, ...), upper-cased.
    public var authMechanism: String?
    /// The stage this command belongs to.
    public var stage: Stage
    /// Not seen in the input; implied by what followed (a `354` without `DATA`, a log line).
    public var inferred: Bool
    /// The typed line held backspace/DEL bytes (or their `^H`/`^?` forms).
    public var hadBackspace: Bool
    /// Credentials were removed from `argument`/`raw`.
    public var redacted: Bool
    public var position: SourcePosition
    /// Sent while earlier commands still waited for their replies (RFC 2920 pipelining).
    public var pipelined: Bool = false
    /// Sent before the server's greeting (a "pregreet": spam software does this; postscreen drops it).
    public var beforeGreeting: Bool = false

    public struct Parameter: Sendable, Hashable {
        public var key: String
        public var value: String?
        public init(key: String, value: String?) { self.key = key; self.value = value }
    }

    public init(verb: String, argument: String, raw: String, address: String? = nil, addressBracketed: Bool = false,
                parameters: [Parameter] = [], authMechanism: String? = nil, stage: Stage,
                inferred: Bool = false, hadBackspace: Bool = false, redacted: Bool = false,
                position: SourcePosition) {
        self.verb = verb
        self.argument = argument
        self.raw = raw
        self.address = address
        self.addressBracketed = addressBracketed
        self.parameters = parameters
        self.authMechanism = authMechanism
        self.stage = stage
        self.inferred = inferred
        self.hadBackspace = hadBackspace
        self.redacted = redacted
        self.position = position
    }

    public func parameter(_ key: String) -> String? {
        parameters.first { $0.key == key }?.value
    }
}
