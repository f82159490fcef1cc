/// One command paired with its reply. Either side may be missing: the greeting and unsolicited replies
/// (a `421` at any time) have no command; a command the server never answered has no reply.
public struct Exchange: Sendable, Hashable {
    public var command: Command?
    public var reply: Reply?
    /// Stage of the command, or `.greeting` for the banner, `.other` for an unsolicited reply.
    public var stage: Stage
    /// Sent inside TLS (after a successful STARTTLS, or on an implicit-TLS connection).
    public var tls: Bool
    /// Index of the transaction this exchange belongs to, if any.
    public var transaction: Int?

    public init(command: Command?, reply: Reply?, stage: Stage, tls: Bool = false, transaction: Int? = nil) {
        self.command = command
        self.reply = reply
        self.stage = stage
        self.tls = tls
        self.transaction = transaction
    }

    /// Where this exchange starts (for sorting and evidence).
    public var position: SourcePosition? { command?.position ?? reply?.position }
}
