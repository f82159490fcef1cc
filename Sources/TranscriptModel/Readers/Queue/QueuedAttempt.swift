/// A delivery attempt as a queue listing tells it, in one line of reason: the sessions every queue reader
/// builds from that reason when it is not a connection failure (those go to `PostfixLogReader.unreachable`).
enum QueuedAttempt {
    /// The sending server's own reason, with no reply to quote (`mta-reason`): no dialogue is invented.
    static func ownReason(input: String, format: String, reason: String, notes: [PostfixLogReader.LogNote],
                          envelope: (sender: String?, recipients: [String])?, qid: String? = nil) -> Session {
        var b = SessionBuilder(input: input, format: format)
        for n in notes { b.note(n.text, kind: .log, at: n.pos) }
        b.attributes["mta-reason"] = String(reason.prefix(1000))
        if let qid, !qid.isEmpty { b.attributes["queue-id"] = qid }
        var s = b.finish()
        if let envelope {
            var t = Transaction(sender: envelope.sender)
            t.recipients = envelope.recipients.map { .init(address: $0, accepted: nil, reply: nil) }
            t.queueID = qid.flatMap { $0.isEmpty ? nil : $0 }
            s.transactions.append(t)
        }
        return s
    }

    /// The receiving server's reply, quoted without the step it answered (Exchange's LastError, Sendmail's
    /// `Deferred: 451 ...`, Courier's log). The step comes from the reply's words and codes, and a note says it
    /// is assumed; a reply naming one of the recipients is about that one only. `lister` names the tool in that
    /// note; a log says `(greeting not logged)` of the greeting it does not show.
    static func reply(_ reply: String, input: String, format: String, lister: String, host: String?, address: String?,
                      port: Int?, sender: String?, recipients: [String], notes: [PostfixLogReader.LogNote],
                      at position: SourcePosition, unseenGreeting: String = "(greeting not shown)", qid: String = "") -> Session {
        let quoted = EmbeddedReply.codeFirst(Substring(reply))
        let step = quoted.map(Self.step) ?? "RCPT TO"
        let relay = (host ?? "") + "[\(address ?? "")]" + (port.map { ":\($0)" } ?? "")
        let detail = Array((step == "greeting" ? "host \(relay) refused to talk to me: \(reply)"
                            : "host \(relay) said: \(reply) (in reply to \(step) command)").utf8)[...]
        let named = quoted?.bracketedAddress.flatMap { a in recipients.first { $0.caseInsensitiveCompare(a) == .orderedSame } }
        // A listing of a whole queue names no recipient: one RCPT without an address.
        let statuses = (named.map { [$0] } ?? (recipients.isEmpty ? [""] : recipients)).map {
            PostfixLogReader.Status(to: $0, status: "deferred", dsn: nil, detail: detail, pos: position, relay: relay, delay: nil)
        }
        let said = "\(lister) does not say which step the reply answered; it is placed at \(step == "greeting" ? "the greeting" : step) from its words and code."
        var replay = PostfixLogReader.RelayReplay(
            input: input, service: "smtp", qid: qid, pid: 0, tls: nil, saslFailure: nil, lostWhile: nil,
            refused: nil, attemptNotes: [], statuses: statuses, notes: notes + [.init(text: said, pos: position)], attempt: 0,
            sender: sender, queueNotes: nil)
        replay.unseenGreeting = unseenGreeting
        var s = replay.build()
        s.format = format
        s.attributes["attempt"] = nil
        s.attributes["status"] = nil
        if sender == nil && recipients.isEmpty { s.transactions = [] }
        return s
    }

    /// The step a reply most likely answered, in Postfix's words (`RCPT TO`, `end of DATA`, `greeting`), which
    /// the relay replay reads: the reply's words and codes tell most; else a 421 is a greeting and anything
    /// else a recipient's refusal.
    static func step(_ reply: EmbeddedReply) -> String {
        guard let code = reply.code else { return "RCPT TO" }
        switch reply.likelyVerb(code: code) {
        case "."?: return "end of DATA"
        case let verb?: return verb
        default: return code == 421 ? "greeting" : "RCPT TO"
        }
    }
}

extension Session {
    /// A queue reader's word on a listed item (held, suspended), said under the item's line and first among
    /// the notes: a finding quotes the last note on its line.
    mutating func insertToolNote(_ text: String, at position: SourcePosition) {
        notes.insert(Note(kind: .tool, text: text, position: position), at: 0)
        // Only where transcript lines are kept (none are when output needs no transcript).
        if let at = lines.firstIndex(where: { $0.position.line == position.line }).map({ $0 + 1 }) {
            lines.insert(TranscriptLine(role: .tool, text: text, position: position, inferred: false, exchange: nil), at: at)
        }
    }
}
