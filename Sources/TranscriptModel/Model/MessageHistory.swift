/// The life of one queued message as an MTA log tells it: where it came from, every delivery attempt in order
/// (time, relay, delay, DSN, status, the remote reply) and how it ended. MTA logs only: each delivery attempt
/// is a session of its own, and the attempt that ends the message's chain carries this story (or, when no
/// attempt is open at that moment, a session of its own carries it; see `Session.history`).
///
/// Memory is bounded: `attempts` keeps the first `keepFirst` and the last `keepLast` attempts, `attemptCount`
/// and `deferrals` count them all.
public struct MessageHistory: Sendable, Hashable, Codable {
    public static let keepFirst = 3
    public static let keepLast = 3
    /// Recipients named per attempt (the rest are counted in `recipientCount`).
    public static let keepRecipients = 10

    /// How the message arrived.
    public struct Received: Sendable, Hashable, Codable {
        public var time: Double?
        /// The client as logged (`host[192.0.2.1]`), or the local submitter (`uid=1000`).
        public var client: String?
        public var sender: String?
        public var size: Int?
        /// Recipients the message was queued for (Postfix `nrcpt=`, Sendmail `nrcpts=`).
        public var recipients: Int?
        public var messageID: String?
        public var position: SourcePosition?
        public init() {}
    }

    public enum Status: String, Sendable, Codable {
        /// Accepted by the next hop (or delivered to a mailbox).
        case sent
        /// A temporary failure: the MTA keeps the message and retries.
        case deferred
        /// A permanent failure: the recipient is returned to the sender.
        case bounced
        /// The MTA gave up retrying (queue lifetime, retry timeout).
        case expired
    }

    /// One delivery attempt (or the part of one that had the same result for several recipients).
    public struct Attempt: Sendable, Hashable, Codable {
        /// 1-based number of the attempt in the message's life.
        public var number: Int
        public var time: Double?
        public var recipients: [String] = []
        /// All recipients with this result in this attempt (more than `recipients` holds when capped).
        public var recipientCount: Int = 0
        /// `host[ip]:port` as logged, `none` when no connection was made, or nil.
        public var relay: String?
        /// Seconds from arrival to the end of this attempt, as the MTA logged it.
        public var delay: Double?
        public var dsn: String?
        public var status: Status
        /// The remote reply (`451 4.7.1 Greylisted ...`) or the MTA's reason (`connect to ...: Connection timed out`).
        public var reply: String?
        /// The command the reply answered, as logged (`RCPT TO`, `end of DATA`), when known.
        public var inReplyTo: String?
        public var position: SourcePosition?

        public init(number: Int, time: Double?, status: Status) {
            self.number = number
            self.time = time
            self.status = status
        }
    }

    public enum Outcome: String, Sendable, Codable {
        /// Every recipient was accepted.
        case delivered
        /// Every recipient failed permanently (refused, or returned after the retries).
        case bounced
        /// The MTA gave up retrying and returned the message to its sender.
        case expired
        /// Some recipients were delivered, others bounced.
        case partial
        /// Removed from the queue without a final delivery (by an administrator, `postsuper -d`).
        case deleted
        /// Still waiting in the queue when the log ended or went quiet.
        case pending
    }

    public struct End: Sendable, Hashable, Codable {
        public var outcome: Outcome
        public var time: Double?
        /// Seconds from arrival (or the first attempt) to the end.
        public var totalDelay: Double?
        /// What the log said at the end (`returned to sender`, `sender non-delivery notification: 8D2E31C0B4`).
        public var detail: String?
        public var position: SourcePosition?
        public init(outcome: Outcome, time: Double?) {
            self.outcome = outcome
            self.time = time
        }
    }

    /// The MTA's id for the message (Postfix/Sendmail queue id, Exim message id, Exchange internal id).
    public var queueID: String
    public var received: Received?
    /// Kept attempts in order: the first `keepFirst` and the last `keepLast`.
    public private(set) var attempts: [Attempt] = []
    /// Attempt entries recorded in all (more than `attempts.count` when some were left out).
    public private(set) var entryCount = 0
    /// Delivery attempts made (entries with the same `number` are one attempt).
    public var attemptCount: Int { lastNumber }
    /// Attempts that ended deferred.
    public private(set) var deferrals = 0
    public private(set) var firstDeferral: Attempt?
    public var end: End?
    private var lastNumber = 0
    private var lastDeferredNumber = 0

    public init(queueID: String) { self.queueID = queueID }

    /// Entries left out between the first and the last ones.
    public var omittedAttempts: Int { entryCount - attempts.count }

    /// Record an attempt entry. An entry with the number of the last one and the same status and reply adds
    /// its recipients to it.
    public mutating func add(_ a: Attempt, recipient: String?) {
        if let i = attempts.indices.last, attempts[i].number == a.number, attempts[i].status == a.status,
           attempts[i].reply == a.reply, attempts[i].relay == a.relay {
            if let r = recipient {
                attempts[i].recipientCount += 1
                if attempts[i].recipients.count < Self.keepRecipients { attempts[i].recipients.append(r) }
            }
            if let d = a.delay { attempts[i].delay = max(attempts[i].delay ?? 0, d) }
            return
        }
        var a = a
        if let r = recipient { a.recipients = [r]; a.recipientCount = 1 }
        entryCount += 1
        lastNumber = max(lastNumber, a.number)
        if a.status == .deferred, a.number != lastDeferredNumber {
            deferrals += 1
            lastDeferredNumber = a.number
            if firstDeferral == nil { firstDeferral = a }
        }
        if attempts.count >= Self.keepFirst + Self.keepLast { attempts.remove(at: Self.keepFirst) }
        attempts.append(a)
    }

    /// The last attempt that ended deferred, when it is still kept.
    public var lastDeferral: Attempt? { attempts.last { $0.status == .deferred } }

    /// Time the story starts: arrival, else the first attempt.
    public var startTime: Double? { received?.time ?? attempts.first?.time }

    /// Seconds from the start to the end (or the last attempt).
    public var span: Double? {
        guard let s = startTime, let e = end?.time ?? attempts.last?.time else { return nil }
        return max(0, e - s)
    }

    /// Rewrite every text the story holds (addresses, client, replies): redaction.
    public mutating func mapText(_ f: (String) -> String) {
        if var r = received {
            r.client = r.client.map(f)
            r.sender = r.sender.map(f)
            r.messageID = r.messageID.map(f)
            received = r
        }
        func attempt(_ a: Attempt) -> Attempt {
            var a = a
            a.recipients = a.recipients.map(f)
            a.relay = a.relay.map(f)
            a.reply = a.reply.map(f)
            return a
        }
        attempts = attempts.map(attempt)
        firstDeferral = firstDeferral.map(attempt)
        if var e = end {
            e.detail = e.detail.map(f)
            end = e
        }
    }

    /// A story worth telling: more than one attempt, a deferral followed by an end, or an expiry.
    public var isChain: Bool {
        attemptCount >= 2 || end?.outcome == .expired
    }
}
