/// One message followed through an MTA log, for its `MessageHistory`: how it arrived, each delivery attempt,
/// how many recipients reached a final status, and whether its story was already told. Shared by the log
/// readers; small (the history keeps at most six attempts), and dropped when the message's chain ends.
final class MessageTrack {
    var history: MessageHistory
    /// Recipients the message was queued for, when the log says.
    var nrcpt: Int?
    var sent = 0
    var bounced = 0
    var expired = false
    /// The history went out (on the attempt that ended the chain, or as a session of its own).
    var told = false
    /// Attempts counted so far (numbers the attempts).
    var attempts = 0
    /// Attempts still open (their sessions not emitted yet).
    var openAttempts = 0
    /// Groups result lines logged together into one attempt (local delivery agents log no attempt id).
    var groupKey: Double?
    var groupTag: String?
    var endDetail: String?
    var endPosition: SourcePosition?
    var last: Double
    /// Log lines kept for a story told on its own (arrival, the end).
    var notes: [(text: String, pos: SourcePosition)] = []

    init(queueID: String, time: Double) {
        history = MessageHistory(queueID: queueID)
        last = time
    }

    func note(_ text: String, _ pos: SourcePosition) {
        if notes.count < 8 { notes.append((text, pos)) }
    }

    /// Arrival facts; the first value of each wins (Postfix repeats `from=... size= nrcpt=` on every retry).
    func received(time: Double?, client: String? = nil, sender: String? = nil, size: Int? = nil, recipients: Int? = nil,
                  messageID: String? = nil, position: SourcePosition? = nil) {
        var r = history.received ?? MessageHistory.Received()
        if r.time == nil { r.time = time }
        if r.position == nil { r.position = position }
        if r.client == nil { r.client = client }
        if r.sender == nil { r.sender = sender }
        if r.size == nil { r.size = size }
        if r.recipients == nil, let n = recipients { r.recipients = n; nrcpt = n }
        if r.messageID == nil { r.messageID = messageID }
        history.received = r
    }

    /// A new attempt's number.
    func nextAttempt() -> Int {
        attempts += 1
        return attempts
    }

    /// One recipient's result in attempt `number`.
    func record(number: Int, recipient: String?, status: MessageHistory.Status, time: Double?, relay: String? = nil,
                delay: Double? = nil, dsn: String? = nil, reply: String? = nil, inReplyTo: String? = nil,
                position: SourcePosition? = nil) {
        var a = MessageHistory.Attempt(number: number, time: time, status: status)
        a.relay = relay
        a.delay = delay
        a.dsn = dsn
        a.reply = reply.map { String($0.prefix(400)) }
        a.inReplyTo = inReplyTo
        a.position = position
        history.add(a, recipient: recipient)
        switch status {
        case .sent: sent += 1
        case .bounced: bounced += 1
        case .expired: expired = true; bounced += 1
        case .deferred: break
        }
        if let time { last = max(last, time) }
    }

    /// A story worth telling: a retry chain (deferrals) or an expiry. Several attempts that all went through
    /// at once (recipients delivered in parallel, a content filter hop) tell nothing their sessions do not.
    var worthTelling: Bool {
        // An expiry is worth telling even when none of the attempts are in the log (a log cut by rotation,
        // or the single `status=expired` line pasted on its own): it says where to look.
        expired || (history.isChain && history.deferrals > 0)
    }

    /// A story not told yet that deserves a session of its own when no attempt can carry it.
    var worthOwnSession: Bool { !told && worthTelling }

    /// Every recipient the message was queued for has a final status.
    var allFinal: Bool {
        guard let n = nrcpt, n > 0 else { return false }
        return sent + bounced >= n
    }

    /// The outcome the recipients' statuses add up to (`removed`: the message left the queue).
    func outcome(removed: Bool) -> MessageHistory.Outcome {
        if expired { return .expired }
        if sent > 0 && bounced > 0 { return .partial }
        if bounced > 0 { return .bounced }
        if sent > 0 { return .delivered }
        return removed ? .deleted : .pending
    }

    /// Close the story.
    func end(_ outcome: MessageHistory.Outcome, time: Double?, position: SourcePosition?, detail: String? = nil) {
        var e = MessageHistory.End(outcome: outcome, time: time ?? history.attempts.last?.time)
        e.detail = detail ?? endDetail
        e.position = position ?? endPosition ?? history.attempts.last?.position
        if let s = history.startTime, let t = e.time { e.totalDelay = max(0, t - s) }
        if let d = history.attempts.last?.delay { e.totalDelay = max(e.totalDelay ?? 0, d) }
        history.end = e
    }

    /// Attach the history to the session that ends the chain.
    func attach(to s: inout Session) {
        let h = history
        s = s.adjusted { $0.history = h }
        told = true
    }

    /// Emit an attempt's sessions (`produce`); the last of them carries the story.
    func tell(on produce: ((Session) -> Void) -> Void, emit: (Session) -> Void) {
        var out: [Session] = []
        produce { out.append($0) }
        if var last = out.popLast() {
            attach(to: &last)
            out.append(last)
        }
        for s in out { emit(s) }
    }

    /// The message left the queue (qmail's `end msg`, Courier's `completed`): its story as a session of its
    /// own when it is worth telling, the end line among its evidence.
    func storyAtEnd(_ text: String, _ pos: SourcePosition, input: String, format: String) -> Session? {
        guard worthTelling else { return nil }
        note(text, pos)
        end(outcome(removed: true), time: pos.time, position: pos)
        return storySession(input: input, format: format)
    }

    /// The story on its own, closed first if its end was never logged (see `storySession`).
    func closedStorySession(input: String, format: String) -> Session {
        if history.end == nil { end(outcome(removed: false), time: last, position: nil) }
        return storySession(input: input, format: format)
    }

    /// The story as a session of its own (the last attempt went out before the end was logged, or the chain
    /// was cut: the log ended or went quiet). No dialogue: the outcome comes from the history.
    func storySession(input: String, format: String) -> Session {
        told = true
        let h = history
        var b = SessionBuilder(input: input, format: format)
        b.direction = .outbound
        if let relay = h.attempts.last(where: { $0.relay != nil && $0.relay != "none" })?.relay {
            let hp = LogBytes.hostAddress(Array(relay.utf8)[...])
            b.server = Peer(host: hp.host, address: hp.ip, port: hp.port)
        }
        b.attributes["story"] = "message"
        b.attributes["queue-id"] = h.queueID
        var seen = Set<Int>()
        for n in notes.sorted(by: { $0.pos.order < $1.pos.order }) where seen.insert(n.pos.order).inserted {
            b.note(n.text, kind: .log, at: n.pos)
        }
        var s = b.finish()
        if s.start == nil {
            s.start = h.received?.position ?? h.attempts.first?.position
            s.end = h.end?.position ?? h.attempts.last?.position
        }
        var t = Transaction(sender: h.received?.sender)
        var rcpts: [String] = []
        for a in h.attempts { for r in a.recipients where !rcpts.contains(r) { rcpts.append(r) } }
        t.recipients = rcpts.map { r in
            let final = h.attempts.last { $0.recipients.contains(r) }
            return .init(address: r, accepted: final.map { $0.status == .sent }, reply: nil)
        }
        t.queueID = h.queueID
        let outcome = h.end?.outcome ?? .pending
        t.delivered = outcome == .delivered
        s.transactions = [t]
        s.history = h
        switch outcome {
        case .delivered: s.outcome = .delivered
        case .bounced, .expired, .partial: s.outcome = .rejected
        case .deleted: s.outcome = .incomplete
        case .pending: s.outcome = .deferred
        }
        if outcome != .delivered {
            let failed = h.lastDeferral ?? h.attempts.last { $0.status != .sent }
            let reply = (failed?.reply ?? "").lowercased()
            let connect = failed?.relay == "none" || reply.hasPrefix("connect to") || reply.contains("connection refused")
                || reply.contains("connection timed out") || reply.contains("no route to host")
            s.failedStage = Self.stage(failed?.inReplyTo) ?? (connect ? .connect : nil)
        }
        return s
    }

    /// `RCPT TO` → `.rcpt`, `end of DATA` → `.message`, ...
    static func stage(_ inReplyTo: String?) -> Stage? {
        guard let w = inReplyTo?.uppercased() else { return nil }
        if w.hasPrefix("RCPT") { return .rcpt }
        if w.hasPrefix("MAIL") { return .mail }
        if w.hasPrefix("END OF DATA") || w == "." { return .message }
        if w.hasPrefix("DATA") || w.hasPrefix("BDAT") { return .data }
        if w.hasPrefix("EHLO") || w.hasPrefix("HELO") || w.hasPrefix("LHLO") { return .helo }
        if w.hasPrefix("STARTTLS") { return .starttls }
        if w.hasPrefix("AUTH") { return .auth }
        if w.hasPrefix("CONNECT") || w.hasPrefix("GREETING") || w.hasPrefix("INITIAL") { return .greeting }
        return nil
    }
}

extension Dictionary where Key == String, Value == MessageTrack {
    /// Takes out the stories quiet for more than `idle` seconds of log time (and, once more than `limit` are
    /// open, the oldest beyond it and `drop` more, so memory stays bounded); returns those worth a session of their own, in a
    /// stable order. Shared by the readers that keep stories by message id.
    mutating func removeQuiet(now: Double, idle: Double, limit: Int = 200_000, drop: Int = 20_000) -> [MessageTrack] {
        // Back under the limit, and `drop` more so the next sweeps need not sort again at once.
        let keys = keysStably(where: { now - $0.last > idle }, by: { $0.last < $1.last })
            + (count > limit ? sortedStably(by: { $0.last < $1.last }).prefix(count - limit + drop).map(\.key) : [])
        return keys.compactMap { removeValue(forKey: $0) }.filter(\.worthOwnSession)
    }

    /// The input ended: every story, the dictionary emptied; those worth a session of their own, in a stable order.
    mutating func removeAllUntold() -> [MessageTrack] {
        let untold = filter { $0.value.worthOwnSession }.sortedStably(by: { $0.last < $1.last }).map(\.value)
        removeAll()
        return untold
    }
}
