import Foundation

/// Dovecot's deliveries on their own: a mail log with no MTA lines in it (the MTA logs elsewhere, as Debian's
/// Exim does in /var/log/exim4/mainlog), or Dovecot's own log file (`log_path`). Each LMTP or LDA delivery
/// (`lmtp(bob@example.com)<4410><k4Qb...>: msgid=<m@x>: saved mail to INBOX`, Sieve's `stored mail into
/// mailbox 'Junk'`, `forwarded to <...>`, `marked message to be discarded`, and a failed save such as `save
/// failed to INBOX: Quota exceeded (mailbox for user is full)`) is a session: the MTA handing the message to
/// Dovecot, ending with what Dovecot did with it, in the `mailbox-*` attributes the explainer reads as for
/// Dovecot lines inside a Postfix log. Dovecot's other lines (imap, pop3, auth, connects) are not deliveries.
public struct DovecotLogReader: LineReader {
    public static let formatID = "dovecot-log"
    public static let summary = "Dovecot's LMTP / LDA deliveries on their own (syslog or Dovecot's log file): the folder each message went to, Sieve's actions, failed saves"

    /// Delivery agents' line starts: `lmtp(`, `lda(`, `deliver(`.
    static func agentStart(_ line: ArraySlice<UInt8>) -> Int? {
        let head = line.prefix(200)
        for needle: StaticString in [" lmtp(", " lda(", " deliver("] {
            if let k = LogBytes.find(head, needle) { return k + 1 }
        }
        return nil
    }

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var header = LogHeaderParser()
        var deliveries = 0, dovecot = 0, mta = 0
        for line in prefix where !Bytes.trimmed(line).isEmpty {
            let l = header.parse(line)
            let p = l.program
            // An MTA's own lines in the same log: its reader joins Dovecot's lines to its messages.
            if LogBytes.starts(p, "postfix") || LogBytes.equals(p, "exim") || LogBytes.equals(p, "sendmail") || LogBytes.equals(p, "sm-mta")
                || LogBytes.equals(p, "smtpd") || LogBytes.equals(p, "amavis") || LogBytes.starts(p, "qmail") || LogBytes.equals(p, "courieresmtpd") {
                mta += 1
            }
            if LogBytes.equals(p, "dovecot") { dovecot += 1 }
            if let k = agentStart(line), MailboxDelivery(dovecot: line[k...]) != nil { deliveries += 1 }
        }
        guard mta == 0, deliveries > 0 else { return 0 }
        return dovecot > 0 ? 0.9 : 0.8
    }

    public var input: String
    private var inputNames = InputNameCache()
    private var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        guard let k = Self.agentStart(line) ?? (LogBytes.starts(line, "lmtp(") || LogBytes.starts(line, "lda(") ? line.startIndex : nil) else {
            stats.ignored += 1
            return
        }
        guard let d = MailboxDelivery(dovecot: line[k...]) else {
            // A delivery agent's other lines: connects, disconnects, statistics.
            stats.ignored += 1
            return
        }
        stats.understood += 1
        let head = header.parse(line[line.startIndex..<k])
        let pos = SourcePosition(name: inputNames(input), line: number, time: head.time, sequence: nil)
        let host = head.host.isEmpty ? nil : Bytes.string(head.host.prefix(255))
        stats.sessions += 1
        emit(Self.session(d, line: line, agentAt: k, host: host, input: input, at: pos))
    }

    /// One delivery as a session: the MTA handing the message to Dovecot, ending with what Dovecot did.
    /// Also what an MTA's reader emits for a Dovecot line that joins none of its sessions.
    static func session(_ d: MailboxDelivery, line: ArraySlice<UInt8>, agentAt k: Int, host: String?, input: String,
                        at pos: SourcePosition) -> Session {
        let draft = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: pos.time ?? 0)
        draft.note(Bytes.string(line.prefix(8_192)), pos)
        draft.server = Peer(host: host, software: "Dovecot")
        draft.client = Peer(host: "local MTA")
        d.record(in: &draft.attributes)
        draft.attributes["message-id"] = d.messageID
        draft.attributes["delivery-agent"] = LogBytes.starts(line[k...], "lmtp(") ? "lmtp" : "lda"
        draft.greet(pos)
        draft.c("LHLO (the MTA)", pos)
        draft.s("250 (reply not logged)", pos)
        draft.heloDone = true
        draft.delivered(from: nil, to: [d.user], reply: Self.reply(d), pos)
        draft.steps.append(.closed(.unknown, pos))
        return draft.finish()
    }

    /// What Dovecot answered at the end of the data, in its own words where it logged them.
    static func reply(_ d: MailboxDelivery) -> String {
        switch d.action {
        case .stored: return "250 2.0.0 <\(d.user)> Saved (in \(d.target))"
        case .discarded: return "250 2.0.0 <\(d.user)> Saved (discarded by Sieve)"
        case .forwarded: return "250 2.0.0 <\(d.user)> Saved (forwarded to \(d.target))"
        case .failed:
            let lower = d.target.lowercased()
            if lower.contains("quota") || lower.contains("mailbox for user is full") || lower.contains("not enough disk space") {
                return "552 5.2.2 <\(d.user)> \(Self.reason(d.target))"
            }
            return "451 4.2.0 <\(d.user)> \(Self.reason(d.target))"
        }
    }

    /// `INBOX: Quota exceeded (mailbox for user is full)` → `Quota exceeded (mailbox for user is full)`.
    static func reason(_ target: String) -> String {
        guard let colon = target.range(of: ": ") else { return target }
        return String(target[colon.upperBound...])
    }

    public mutating func finish(emit: (Session) -> Void) {
        LogStatsRegistry.shared.record(stats)
        if stats.sessions == 0 {
            emit(.nothingToExplain("No Dovecot delivery line (lmtp or lda with msgid=) in this log.", input: input, format: Self.formatID))
        }
    }
}
