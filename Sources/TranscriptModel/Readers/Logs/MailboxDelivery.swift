/// Where the final delivery agent put a message, as Dovecot's LMTP or LDA logs it (`lmtp(bob@example.com)
/// <pid><session>: msgid=<m@x>: saved mail to INBOX`, Pigeonhole Sieve's `sieve: msgid=<m@x>: stored mail into
/// mailbox 'Junk'`). It answers "the log says sent, the recipient says it never came": filed in Junk or another
/// folder, discarded or forwarded by a Sieve script. Readers put it in the session's `mailbox-*` attributes.
public struct MailboxDelivery: Sendable, Hashable {
    public enum Action: String, Sendable {
        case stored, discarded, forwarded, failed
    }

    public var user: String
    public var messageID: String
    public var action: Action
    /// The folder (`stored`), the address (`forwarded`), or the reason (`failed`).
    public var target: String
    /// A Sieve script decided it (`sieve:` lines), not the default delivery.
    public var bySieve: Bool
    /// The MTA's own delivery agent that failed (`postfix/local`, `postfix/virtual`, `postfix/pipe`); nil for Dovecot.
    public var agent: String?
    /// `deferred` (retried) or `bounced` (returned to the sender) when the agent logged it.
    public var status: String?
    /// The enhanced status code the agent logged with it (`5.2.2`).
    public var dsn: String?
    /// The MTA's queue id of the message, when the session brought several (the verdict names this one).
    public var queueID: String?

    /// A failed delivery by the MTA's own agent (`postfix/local ... status=bounced (unknown user: "bob")`).
    init(failedBy agent: String, user: String, messageID: String, status: String, reason: String, dsn: String? = nil) {
        self.user = user
        self.messageID = messageID
        action = .failed
        target = String(reason.prefix(1000))
        bySieve = false
        self.agent = agent
        self.status = status
        self.dsn = dsn
    }

    /// `lmtp(bob@example.com)<15080><pPC9MGVcEmDoOgAAWP5Hkg>: [Info: ][sieve: ]msgid=<m@x>: saved mail to INBOX`
    /// (also `lda(...)`, `deliver(...)`); nil for Dovecot's other lines (imap, pop3, auth, connects).
    init?(dovecot m: ArraySlice<UInt8>) {
        var r = m.prefix(4_000)
        guard let open = r.firstIndex(of: 0x28), open - r.startIndex <= 7 else { return nil }
        let agent = r[r.startIndex..<open]
        guard LogBytes.equals(agent, "lmtp") || LogBytes.equals(agent, "lda") || LogBytes.equals(agent, "deliver"),
              let close = r[open...].prefix(400).firstIndex(of: 0x29) else { return nil }
        user = Bytes.string(r[(open + 1)..<close])
        r = r[(close + 1)...]
        // `<pid><session id>` then `: `.
        while r.first == 0x3C, let e = r.prefix(200).firstIndex(of: 0x3E) { r = r[(e + 1)...] }
        guard LogBytes.starts(r, ": ") else { return nil }
        r = r.dropFirst(2)
        if LogBytes.starts(r, "Info: ") { r = r.dropFirst(6) }
        else if LogBytes.starts(r, "Error: ") { r = r.dropFirst(7) }
        else if LogBytes.starts(r, "Warning: ") { r = r.dropFirst(9) }
        bySieve = LogBytes.starts(r, "sieve: ")
        if bySieve { r = r.dropFirst(7) }
        guard let id = LogBytes.after(r, "msgid=") else { return nil }
        // `msgid=<m@x>: ` (the id may itself hold `: `, so up to the `>`), or `msgid=unspecified: `.
        let end: Int
        if id.first == 0x3C, let gt = id.prefix(1_000).firstIndex(of: 0x3E) { end = gt + 1 }
        else if let colon = LogBytes.find(id.prefix(1_000), ": ") { end = colon }
        else { return nil }
        messageID = Bytes.string(id[id.startIndex..<end].filter { $0 != 0x3C && $0 != 0x3E })
        guard LogBytes.starts(id[end...], ": ") else { return nil }
        var what = id[(end + 2)...]
        // Some Pigeonhole versions name the action first: `fileinto action: stored mail into mailbox 'X'`.
        if let colon = LogBytes.find(what.prefix(40), " action: ") { what = what[(colon + 9)...] }
        func quoted(_ s: ArraySlice<UInt8>) -> String {
            var t = Bytes.trimmed(s)
            if t.count >= 2, let f = t.first, f == 0x27 || f == 0x22, t.last == f { t = t.dropFirst().dropLast() }
            return Bytes.string(t.prefix(300))
        }
        if let f = LogBytes.after(what, "saved mail to ") { action = .stored; target = quoted(f) }
        else if let f = LogBytes.after(what, "stored mail into mailbox ") { action = .stored; target = quoted(f) }
        else if LogBytes.starts(what, "marked message to be discarded") { action = .discarded; target = "" }
        else if let f = LogBytes.after(what, "forwarded to ") { action = .forwarded; target = Bytes.string(f.prefix(300).filter { $0 != 0x3C && $0 != 0x3E }) }
        else if let f = LogBytes.after(what, "rejected: ") { action = .failed; target = Bytes.string(f.prefix(300)) }
        else if LogBytes.starts(what, "save failed to ") { action = .failed; target = Bytes.string(what.dropFirst(15).prefix(300)) }
        else { return nil }
    }

    /// `Junk`, `INBOX.Spam`, `[Gmail]/Spam`, `Junk E-mail`, ...: a folder mail clients treat as spam.
    public var isJunkFolder: Bool {
        guard action == .stored else { return false }
        let leaf = target.split(whereSeparator: { $0 == "/" || $0 == "." }).last.map { $0.lowercased() } ?? ""
        return ["junk", "spam", "junk e-mail", "junk email", "bulk", "bulk mail", "quarantine", "spambox"].contains(leaf)
    }

    /// Which of several recipients' deliveries a session tells: what the recipient may not see comes first.
    var notability: Int {
        switch action {
        case .discarded: return 5
        case .stored: return isJunkFolder ? 4 : (target.uppercased() == "INBOX" ? 0 : 2)
        case .forwarded: return 3
        // A delivery that failed is the news, whatever happened to the other recipients.
        case .failed: return 6
        }
    }

    /// A failed delivery whose SMTP session is not in the input, as a session of its own: the agent's line and
    /// the message's envelope, no dialogue. Direction inbound: the receiving side's last step.
    func session(input: String, format: String, line: String, at pos: SourcePosition, queueID: String?,
                 sender: String?, recipients: [String], attributes extra: [String: String] = [:]) -> Session {
        var b = SessionBuilder(input: input, format: format)
        b.direction = .inbound
        b.note(line, kind: .log, at: pos)
        if let queueID, !queueID.isEmpty { b.attributes["queue-id"] = queueID }
        for (k, v) in extra { b.attributes[k] = v }
        record(in: &b.attributes)
        var s = b.finish()
        var t = Transaction(sender: sender)
        t.recipients = recipients.prefix(1_000).map { .init(address: $0, accepted: nil, reply: nil) }
        t.queueID = queueID.flatMap { $0.isEmpty ? nil : $0 }
        s.transactions.append(t)
        return s
    }

    /// On a session that may already tell a failed delivery: the first failure stays the one told.
    func recordFailure(in a: inout [String: String]) {
        if a["mailbox-action"] != Action.failed.rawValue { record(in: &a) }
    }

    public func record(in a: inout [String: String]) {
        a["mailbox-user"] = user
        a["mailbox-action"] = action.rawValue
        if !target.isEmpty { a["mailbox-target"] = target }
        if bySieve { a["mailbox-by"] = "sieve" }
        if let agent { a["mailbox-agent"] = agent }
        if let status { a["mailbox-status"] = status }
        if let dsn { a["mailbox-dsn"] = dsn }
        if let queueID { a["mailbox-queue-id"] = queueID }
        // A Sieve `discard` is a filter that stopped an accepted message.
        if action == .discarded {
            FilterVerdict(action: .discard, category: nil, by: "sieve", detail: "Sieve discard for \(user)").record(in: &a)
        }
    }

    public init?(attributes a: [String: String]) {
        guard let raw = a["mailbox-action"], let action = Action(rawValue: raw) else { return nil }
        self.action = action
        user = a["mailbox-user"] ?? ""
        target = a["mailbox-target"] ?? ""
        bySieve = a["mailbox-by"] == "sieve"
        agent = a["mailbox-agent"]
        status = a["mailbox-status"]
        dsn = a["mailbox-dsn"]
        queueID = a["mailbox-queue-id"]
        messageID = ""
    }
}
