/// qmail's logs (qmail 1.03, netqmail, notqmail, and the patched builds of Plesk and vpopmail hosts):
/// - qmail-send: `new msg N`, `info msg N: bytes B from <S> qp Q uid U`, `starting delivery D: msg N to
///   remote|local R`, `delivery D: success|deferral|failure: REPORT`, `bounce msg N`, `end msg N`. Each remote
///   delivery is one attempt, its dialogue rebuilt from qmail-remote's report (which names the step);
///   a local delivery that fails is told in qmail's words; a message deferred before it ended is one story.
/// - qmail-smtpd's side, as tcpserver, rblsmtpd and the chkuser patch log it: `tcpserver: pid P from IP`,
///   `tcpserver: deny P ...`, `tcpserver: end P status S`, `rblsmtpd: IP pid P: 451 ...`,
///   `CHKUSER rejected rcpt: from <S::> remote <helo:host:ip> rcpt <R> : not existing recipient`, and
///   spamdyke's filter in front of it (`spamdyke[pid]: DENIED_RBL_MATCH from: S to: R origin_ip: IP ...`).
/// Lines come from multilog (`@4000...` TAI64N labels, or tai64nlocal's local times), splogger or
/// accustamp (Unix times), or syslog (`qmail:`, `qmail-send[pid]:`, `tcpserver:` tags).
public struct QmailLogReader: LineReader {
    public static let formatID = "qmail-log"
    public static let summary = "qmail log (qmail-send deliveries; tcpserver, rblsmtpd and chkuser lines of qmail-smtpd)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var parser = LogHeaderParser()
        var hits = 0, lines = 0
        for line in prefix {
            let t = Bytes.trimmed(line)
            guard let f = t.first, f != 0x23 else { continue }   // blank, or a `#` comment
            lines += 1
            let q = QmailLine.parse(t, header: &parser)
            if q.fromQmail && q.tool != .other { hits += 1 }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.55 + 0.4 * Double(hits) / Double(max(lines, 1)))
    }

    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    private var inputNames = InputNameCache()
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats
    /// qmail-send's message number (the queue file's inode: reused once the message is gone) → its story.
    var tracks: [String: MessageTrack] = [:]
    /// Delivery number → what `starting delivery` said.
    var deliveries: [Int: Delivery] = [:]
    /// tcpserver's pid → the connection it logged.
    var connections: [Int: Connection] = [:]
    /// A client's address → its tcpserver pid (chkuser's lines in a multilog file carry no pid).
    var pidByAddress: [String: Int] = [:]
    /// Inbound sessions with something to tell (a refusal), by `pid:P` or, without a pid, `ip:A`.
    var open: [String: LogSessionDraft] = [:]
    var now = 0.0
    var lastSweep = 0.0
    var lastStorySweep = 0.0
    /// qmail keeps a message a week (`queuelifetime`); a day more and its story is taken for gone.
    public var storyIdleSeconds = 8 * 86_400.0

    struct Delivery {
        var message: String
        var remote: Bool
        var recipient: String
        var note: PostfixLogReader.LogNote
    }

    struct Connection {
        var address: String
        var host: String?
        var note: PostfixLogReader.LogNote
    }

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        let q = QmailLine.parse(line, header: &header)
        // Plesk's handlers (`qmail-queue-handlers[pid]: from=<...>`) repeat what qmail-send logs.
        guard q.fromQmail, !q.pleskHandler else { stats.ignored += 1; return }
        if let t = q.time { now = max(now, t) }
        let known: Bool
        if (q.tool == .send || q.tool == .tcpserver), LogBytes.starts(q.message, "status: ") {
            // The concurrency counters, every other line of a busy log: nothing to keep, no string built.
            known = true
        } else {
            let pos = SourcePosition(name: inputNames(input), line: number, time: q.time, sequence: sequence)
            let note = PostfixLogReader.LogNote(text: Bytes.string(line), pos: pos)
            switch q.tool {
            case .send: known = send(q.message, note, emit)
            case .tcpserver: known = tcpserver(q.message, note, emit)
            case .rblsmtpd: known = rblsmtpd(q.message, note)
            case .chkuser: known = chkuser(q.message, pid: q.pid, note)
            case .spamdyke: known = spamdyke(q.message, pid: q.pid, note)
            case .smtpd: known = smtpdReply(q.message, pid: q.pid, note, emit)
            case .other: known = false
            }
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        // By log time, and by count for lines without a stamp.
        if now - lastSweep > 60 || stats.lines % 50_000 == 0 { sweep(emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for d in open.removeAllInOrder() { emitDraft(d, emit) }
        for t in tracks.removeAllUntold() {
            stats.sessions += 1
            emit(t.closedStorySession(input: input, format: Self.formatID))
        }
        LogStatsRegistry.shared.record(stats)
    }

    /// `--follow` on a quiet log: wall time stands in for log time, so held and idle sessions close.
    public mutating func idle(seconds: Double, emit: (Session) -> Void) {
        guard now > 0 else { return }
        now += seconds
        sweep(emit)
    }

    mutating func sweep(_ emit: (Session) -> Void) {
        lastSweep = now
        // A refused client is gone within minutes (rblsmtpd hangs up after 60 s).
        for d in open.removeQuiet(now: now, idle: 900, evicted: &stats.evicted) { emitDraft(d, emit) }
        // Stories wait days for their end: looked at hourly, and the oldest let go past 20,000 (told on their
        // own when worth it), so memory stays bounded on a queue that never drains.
        if now - lastStorySweep > 3600 || tracks.count > 20_000 {
            lastStorySweep = now
            for t in tracks.removeQuiet(now: now, idle: storyIdleSeconds, limit: 20_000, drop: 2_000) {
                stats.sessions += 1
                emit(t.closedStorySession(input: input, format: Self.formatID))
            }
        }
        // Their end lines were lost (a cut log, hostile input): keep memory bounded. qmail runs at most a few
        // hundred deliveries and connections at once.
        if deliveries.count > 20_000 { deliveries.removeAll() }
        if connections.count > 20_000 { connections.removeAll(); pidByAddress.removeAll() }
    }

    mutating func emitDraft(_ d: LogSessionDraft, _ emit: (Session) -> Void) {
        stats.sessions += 1
        emit(d.finish())
    }

    // MARK: qmail-send

    mutating func send(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        if let r = LogBytes.after(m, "new msg ") {
            let id = Bytes.string(Bytes.trimmed(r))
            // The number is the queue file's inode: a message still open under it lost its end line.
            if let old = tracks[id], old.worthOwnSession {
                stats.sessions += 1
                emit(old.closedStorySession(input: input, format: Self.formatID))
            }
            tracks[id] = MessageTrack(queueID: id, time: note.pos.time ?? now)
            return true
        }
        if let r = LogBytes.after(m, "info msg "), let colon = r.firstIndex(of: 0x3A) {
            let t = track(Bytes.string(r[r.startIndex..<colon]), note.pos)
            t.received(time: note.pos.time, sender: Self.bracketed(r, after: " from "),
                       size: LogBytes.value(r, "bytes ").flatMap(Bytes.integer), position: note.pos)
            t.note(note.text, note.pos)
            return true
        }
        if let r = LogBytes.after(m, "starting delivery ") {
            // `starting delivery 12: msg 95181 to remote bob@example.org`
            guard let (id, rest) = Self.number(r), let msg = LogBytes.after(rest, ": msg "),
                  let to = LogBytes.find(msg, " to ") else { return false }
            let where_ = msg[(to + 4)...]
            let remote = LogBytes.starts(where_, "remote ")
            guard remote || LogBytes.starts(where_, "local ") else { return false }
            let message = Bytes.string(msg[msg.startIndex..<to])
            deliveries[id] = Delivery(message: message, remote: remote,
                                      recipient: Bytes.string(Bytes.trimmed(where_.dropFirst(remote ? 7 : 6))), note: note)
            return true
        }
        if let r = LogBytes.after(m, "delivery ") {
            // `delivery 12: deferral: REPORT`
            guard let (id, rest) = Self.number(r), let body = LogBytes.after(rest, ": ") else { return false }
            let results: [(StaticString, MessageHistory.Status)] = [("success: ", .sent), ("deferral: ", .deferred), ("failure: ", .bounced)]
            for (word, status) in results {
                if let report = LogBytes.after(body, word) {
                    delivered(id, status: status, report: report, note, emit)
                    return true
                }
            }
            return false
        }
        if let r = LogBytes.after(m, "end msg ") {
            let id = Bytes.string(Bytes.trimmed(r))
            if let story = tracks.removeValue(forKey: id)?.storyAtEnd(note.text, note.pos, input: input, format: Self.formatID) {
                stats.sessions += 1
                emit(story)
            }
            return true
        }
        if let r = LogBytes.after(m, "bounce msg ") {
            let id = Bytes.string(r.prefix { $0 != Bytes.space })
            if let t = tracks[id] { t.note(note.text, note.pos) }
            return true
        }
        return LogBytes.starts(m, "triple bounce: ")
            || LogBytes.starts(m, "alert: ") || LogBytes.starts(m, "warning: ")
    }

    mutating func track(_ id: String, _ pos: SourcePosition) -> MessageTrack {
        if let t = tracks[id] { return t }
        let t = MessageTrack(queueID: id, time: pos.time ?? now)
        tracks[id] = t
        return t
    }

    /// One delivery's result: an attempt in the message's story, and a session.
    mutating func delivered(_ id: Int, status: MessageHistory.Status, report raw: ArraySlice<UInt8>,
                            _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) {
        let d = deliveries.removeValue(forKey: id)
        let report = QmailReport.parse(raw)
        let t = d.flatMap { tracks[$0.message] }
        var attempt = 1
        if let t {
            attempt = t.nextAttempt()
            var step: String?
            if case .reply(let s) = report.kind { step = s }
            t.record(number: attempt, recipient: d?.recipient, status: status, time: note.pos.time,
                     relay: report.host.map { "[\($0)]" } ?? (d?.remote == true ? nil : "local"),
                     dsn: report.dsn, reply: report.reply ?? report.text, inReplyTo: step, position: note.pos)
            if status != .sent { t.note(note.text, note.pos) }
        }
        let sender = t?.history.received?.sender
        let notes = [d?.note, note].compactMap { $0 }
        let envelope: (sender: String?, recipients: [String])? = d.map { (sender, [$0.recipient]) }
        let qid = d?.message ?? ""
        guard d?.remote ?? true else {
            // qmail-local: only a failure has something to explain.
            guard status != .sent else { return }
            var s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: report.text, notes: notes,
                                            envelope: envelope, qid: qid)
            s.attributes["service"] = "local"
            s.direction = .outbound   // a delivery attempt of this server (to a mailbox, `service: local`)
            s.attributes["status"] = status == .deferred ? "deferred" : "bounced"
            if let dsn = report.dsn { s.attributes["dsn"] = dsn }
            // A definite answer for the message, though at no SMTP step.
            s.outcome = status == .deferred ? .deferred : .rejected
            stats.sessions += 1
            emit(s)
            return
        }
        var s: Session
        switch report.kind {
        case .reply(let step):
            let reply = report.reply ?? ""
            let host = report.host ?? ""
            let detail: String
            if status == .sent { detail = reply }
            else if step == "greeting" { detail = "host [\(host)] refused to talk to me: \(reply)" }
            else { detail = "host [\(host)] said: \(reply) (in reply to \(step) command)" }
            let word = status == .sent ? "sent" : status == .deferred ? "deferred" : "bounced"
            let st = PostfixLogReader.Status(to: d?.recipient ?? "", status: word, dsn: report.dsn ?? Self.enhanced(reply),
                                             detail: Array(detail.utf8)[...], pos: note.pos, relay: "[\(host)]", delay: nil)
            let replay = PostfixLogReader.RelayReplay(
                input: input, service: "smtp", qid: qid, pid: 0, tls: nil, saslFailure: nil, lostWhile: nil, refused: nil,
                attemptNotes: [], statuses: [st], notes: notes, attempt: attempt, sender: sender, queueNotes: nil)
            s = replay.build()
            s.format = Self.formatID
        case .unreachable(let failure, let explained):
            let domain = d.flatMap { r in r.recipient.lastIndex(of: "@").map { String(r.recipient[r.recipient.index(after: $0)...]) } }
            s = PostfixLogReader.unreachable(input: input, format: Self.formatID, host: domain, ip: nil, port: nil, reason: report.text,
                                             failure: failure, service: "smtp", qid: qid, notes: notes, pos: note.pos, envelope: envelope,
                                             unexplained: !explained)
            s.attributes["attempt"] = String(attempt)
        case .connectionDied, .own:
            s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: report.text, notes: notes,
                                        envelope: envelope, qid: qid)
            s.direction = .outbound
            s.server.address = report.host
            s.attributes["service"] = "smtp"
            s.attributes["attempt"] = String(attempt)
            if let dsn = report.dsn { s.attributes["dsn"] = dsn }
        }
        s.attributes["delivery"] = String(id)
        stats.sessions += 1
        emit(s)
    }

    // MARK: bytes

    /// `12: rest` → (12, `: rest`).
    static func number(_ s: ArraySlice<UInt8>) -> (Int, ArraySlice<UInt8>)? {
        let digits = s.prefix { Bytes.isDigit($0) }
        guard !digits.isEmpty, digits.count < 12, let n = Bytes.integer(digits) else { return nil }
        return (n, s[digits.endIndex...])
    }

    /// The `<...>` after `key`.
    static func bracketed(_ s: ArraySlice<UInt8>, after key: StaticString) -> String? {
        guard let k = LogBytes.find(s, key) else { return nil }
        let v = s[(k + key.utf8CodeUnitCount)...]
        guard let f = v.first, f == 0x3C, let close = v.firstIndex(of: 0x3E) else { return nil }
        return Bytes.string(v[(v.startIndex + 1)..<close])
    }

    /// `550 5.1.1 text` → `5.1.1`.
    static func enhanced(_ reply: String) -> String? {
        let words = reply.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[1].split(separator: ".").count == 3,
              words[1].allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        return String(words[1])
    }

    static func isIPv4(_ s: String) -> Bool {
        let p = s.split(separator: ".", omittingEmptySubsequences: false)
        return p.count == 4 && p.allSatisfy { $0.count <= 3 && (Int($0) ?? 256) < 256 }
    }
}
