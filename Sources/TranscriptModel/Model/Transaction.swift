/// One mail transaction: MAIL FROM, its RCPT TOs, and the message if one was sent.
public struct Transaction: Sendable, Hashable {
    public struct Recipient: Sendable, Hashable {
        public var address: String
        public var accepted: Bool?
        public var reply: Reply?
        public init(address: String, accepted: Bool?, reply: Reply?) {
            self.address = address
            self.accepted = accepted
            self.reply = reply
        }
    }

    public var sender: String?
    public var senderAccepted: Bool?
    public var senderReply: Reply?
    public var recipients: [Recipient] = []
    /// A message body was sent (DATA/BDAT) in this transaction.
    public var message: MessageSummary?
    /// The reply to the end of data (or last BDAT chunk).
    public var finalReply: Reply?
    /// The message was accepted after its content.
    public var delivered: Bool = false
    /// Queue id the server gave (`queued as ABC123`, `id=1abc-0001-xy`), or the log's queue id.
    public var queueID: String?

    public init(sender: String? = nil) { self.sender = sender }
}

/// What we keep of a message body: never the body itself (memory stays bounded on huge transfers).
public struct MessageSummary: Sendable, Hashable {
    /// Headers useful for an explanation: From, To, Subject, Message-ID, Date (first occurrence each).
    public var headers: [Header] = []
    public var lineCount: Int = 0
    public var byteCount: Int = 0
    public var start: SourcePosition?
    public var end: SourcePosition?
    /// Ended by a line holding only `.` (or the last BDAT chunk) seen in the input.
    public var terminated: Bool = false
    /// The end of data was inferred from the server's reply (the `.` line is missing in the input).
    public var terminationInferred: Bool = false
    /// Lines longer than 998 octets (RFC 5322 limit, 1000 with CRLF).
    public var longLines: Int = 0
    /// Lines holding bytes above 0x7F.
    public var eightBitLines: Int = 0
    /// The content was sent as BDAT chunks.
    public var chunked: Bool = false
    /// Lines ended by a bare LF (no CR), seen only in byte-exact inputs (captures).
    public var bareLFLines: Int = 0
    /// A `.` line ended by something other than CRLF (`\n.\n`, `\r\n.\n`, `\n.\r\n`): the pattern of
    /// SMTP smuggling, where two servers disagree on where the message ends.
    public var smugglingPattern: SourcePosition?

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public init() {}

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.lowercased() == other.lowercased()
    }
}
