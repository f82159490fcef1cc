/// Courier MTA's syslog lines:
/// - outbound: `courierd: started,id=ID,from=<S>,module=esmtp,host=H,addr=<R>`, then the esmtp module's lines
///   for that recipient: `courieresmtp: id=ID,from=<S>,addr=<R>: 550 5.1.1 ...` (each line of a reply, or a
///   connection error in words), `...,success: delivered: HOST [IP]`, and `...,status: success|deferred|failure`
///   which ends the attempt; `courierd: completed,id=ID` ends the message. A local delivery (`courierlocal:`)
///   that fails is told in Courier's words.
/// - inbound (`courieresmtpd:`): `error,relay=IP,from=<S>,to=<R>: 550 User unknown.` and
///   `error,relay=IP,msg="535 Authentication failed.",cmd: AUTH PLAIN ...` (the credentials are redacted like
///   any AUTH line).
/// Courier does not say which command a reply answered: it is placed from its words and code, and a note says so.
public struct CourierLogReader: LineReader {
    public static let formatID = "courier-log"
    public static let summary = "Courier MTA log (courierd, courieresmtp, courieresmtpd, courierlocal)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var parser = LogHeaderParser()
        var hits = 0, headed = 0
        for line in prefix {
            let t = Bytes.trimmed(line)
            guard let f = t.first, f != 0x23 else { continue }
            let l = parser.parse(t)
            guard !l.program.isEmpty else { continue }
            headed += 1
            if LogBytes.starts(l.program, "courier") { hits += 1 }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(headed, 1)))
    }

    public var input: String
    private var inputNames = InputNameCache()
    public var sequence: Int?
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats
    /// `ID addr` → the delivery attempt to that recipient.
    var attempts: [String: Attempt] = [:]
    /// Message id → its story.
    var tracks: [String: MessageTrack] = [:]
    /// courieresmtpd's pid → the client's refusals so far.
    var open: [Int: LogSessionDraft] = [:]
    var now = 0.0
    var lastSweep = 0.0
    /// Courier keeps a message a week (`queuetime`); a day more and its story is taken for gone.
    public var storyIdleSeconds = 8 * 86_400.0

    struct Attempt {
        var id: String
        var sender: String?
        var recipient: String
        var module: String
        var host: String?
        var relay: (host: String?, ip: String?)?
        var replyLines: [String] = []
        var words: String?
        var notes: [PostfixLogReader.LogNote] = []
    }

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        let l = header.parse(line)
        guard LogBytes.starts(l.program, "courier") else { stats.ignored += 1; return }
        if let t = l.time { now = max(now, t) }
        let known: Bool
        if LogBytes.equals(l.daemon, "courierd"), LogBytes.starts(l.message, "Waiting.") {
            // The scheduler's heartbeat, after every delivery: nothing to keep, no string built.
            known = true
        } else {
            let pos = SourcePosition(name: inputNames(input), line: number, time: l.time, sequence: sequence)
            let note = PostfixLogReader.LogNote(text: Bytes.string(line), pos: pos)
            let local = LogBytes.equals(l.daemon, "courierlocal")
            if LogBytes.equals(l.daemon, "courierd") { known = courierd(l.message, note, emit) }
            else if local || LogBytes.equals(l.daemon, "courieresmtp") { known = module(l.message, local: local, note, emit) }
            else if LogBytes.equals(l.daemon, "courieresmtpd") { known = esmtpd(l.message, pid: l.pid, note, emit) }
            else { known = false }
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
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
        for d in open.removeQuiet(now: now, idle: 900, evicted: &stats.evicted) { emitDraft(d, emit) }
        // Every message has a story until `completed`: the oldest go past 20,000, so a queue that never
        // drains (or a log without its `completed` lines) keeps memory bounded.
        for t in tracks.removeQuiet(now: now, idle: storyIdleSeconds, limit: 20_000, drop: 2_000) {
            stats.sessions += 1
            emit(t.closedStorySession(input: input, format: Self.formatID))
        }
        // Attempts whose status line was lost (a cut log, hostile input): Courier runs a few dozen at once.
        if attempts.count > 20_000 { attempts.removeAll() }
    }

    mutating func emitDraft(_ d: LogSessionDraft, _ emit: (Session) -> Void) {
        stats.sessions += 1
        emit(d.finish())
    }

    /// `key=value` in Courier's comma-separated fields (`<...>` unwrapped).
    static func field(_ s: ArraySlice<UInt8>, _ key: StaticString) -> String? {
        LogBytes.value(s, key).map(Bytes.string)
    }

    // MARK: courierd

    mutating func courierd(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        if let r = LogBytes.after(m, "started,") {
            guard let id = Self.field(r, "id="), let addr = Self.field(r, "addr=") else { return false }
            let module = Self.field(r, "module=") ?? ""
            var a = Attempt(id: id, sender: Self.field(r, "from="), recipient: addr, module: module)
            if module == "esmtp" { a.host = Self.field(r, "host=") }
            a.notes.append(note)
            attempts[id + " " + addr] = a
            track(id, note.pos).received(time: note.pos.time, sender: a.sender, position: note.pos)
            return true
        }
        if let r = LogBytes.after(m, "newmsg,") {
            if let id = Self.field(r, "id=").map({ $0.hasSuffix(":") ? String($0.dropLast()) : $0 }) {
                let t = track(id, note.pos)
                t.note(note.text, note.pos)
            }
            return true
        }
        if let r = LogBytes.after(m, "completed,") {
            if let id = Self.field(r, "id="),
               let story = tracks.removeValue(forKey: id)?.storyAtEnd(note.text, note.pos, input: input, format: Self.formatID) {
                stats.sessions += 1
                emit(story)
            }
            return true
        }
        return LogBytes.starts(m, "Loading ") || LogBytes.starts(m, "Purging ")
            || LogBytes.starts(m, "SHUTDOWN") || LogBytes.starts(m, "Initializing") || LogBytes.starts(m, "Started ")
    }

    mutating func track(_ id: String, _ pos: SourcePosition) -> MessageTrack {
        if let t = tracks[id] { return t }
        let t = MessageTrack(queueID: id, time: pos.time ?? now)
        tracks[id] = t
        return t
    }

    // MARK: courieresmtp, courierlocal

    /// `id=ID,from=<S>,addr=<R>: text`, `id=ID,from=<S>,addr=<R>,size=N,success: delivered: HOST [IP]`,
    /// `id=ID,from=<S>,addr=<R>,size=N,status: deferred`.
    mutating func module(_ m: ArraySlice<UInt8>, local: Bool, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        guard LogBytes.starts(m, "id="), let id = Self.field(m, "id="), let addrKey = LogBytes.find(m, "addr=<"),
              let close = m[addrKey...].firstIndex(of: 0x3E) else { return false }
        let addr = Bytes.string(m[(addrKey + 6)..<close])
        let rest = m[(close + 1)...]
        let key = id + " " + addr
        var a = attempts[key] ?? Attempt(id: id, sender: Self.field(m, "from="), recipient: addr, module: local ? "local" : "esmtp")
        if a.notes.count < 200 { a.notes.append(note) }
        if let text = LogBytes.after(rest, ": ") {
            let t = Bytes.string(Bytes.trimmed(text))
            if EmbeddedReply.leadingCode(Substring(t)) != nil {
                if a.replyLines.count < 100 { a.replyLines.append(t) }
            } else {
                a.words = t
            }
            attempts[key] = a
            return true
        }
        if let s = LogBytes.find(rest, "status: ") {
            let status = Bytes.string(Bytes.trimmed(rest[(s + 8)...]))
            attempts[key] = nil
            finishAttempt(a, status: status, at: note, emit)
            return true
        }
        // `success: delivered: HOST [IP]` (esmtp, a status line follows); courierlocal ends with its result.
        let results: [(StaticString, String)] = [("success: ", "success"), ("deferral: ", "deferred"), ("failure: ", "failure")]
        for (word, status) in results {
            guard let k = LogBytes.find(rest, word) else { continue }
            let text = rest[(k + word.utf8CodeUnitCount)...]
            if let d = LogBytes.after(text, "delivered: ") {
                let hp = LogBytes.hostAddress(d)
                a.relay = (hp.host, hp.ip)
            } else if status != "success" {
                a.words = Bytes.string(Bytes.trimmed(text))
            }
            if local {
                attempts[key] = nil
                finishAttempt(a, status: status, at: note, emit)
            } else {
                attempts[key] = a
            }
            return true
        }
        attempts[key] = a
        return false
    }

    /// The attempt is over: its session, and an attempt in the message's story.
    mutating func finishAttempt(_ a: Attempt, status: String, at note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) {
        let reply = a.replyLines.isEmpty ? nil
            : Bytes.string(LogBytes.unfoldReply(Array(a.replyLines.joined(separator: " ").utf8)[...])[...])
        let st: MessageHistory.Status = status == "success" ? .sent : status == "deferred" ? .deferred : .bounced
        let t = track(a.id, note.pos)
        let relay = a.relay.map { "\($0.host ?? "")[\($0.ip ?? "")]" } ?? a.host
        t.record(number: t.nextAttempt(), recipient: a.recipient, status: st, time: note.pos.time, relay: relay,
                 reply: reply ?? a.words, position: note.pos)
        if st != .sent { t.note(note.text, note.pos) }
        let envelope: (sender: String?, recipients: [String]) = (a.sender, [a.recipient])
        var s: Session
        if a.module == "local" {
            guard st != .sent else { return }
            s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: a.words ?? reply ?? "status: \(status)",
                                        notes: a.notes, envelope: envelope)
            s.attributes["service"] = "local"
            s.direction = .outbound   // a delivery attempt of this server (to a mailbox, `service: local`)
            s.outcome = st == .deferred ? .deferred : .rejected
        } else if st == .sent {
            let detail = reply ?? "250 (reply not logged)"
            let status = PostfixLogReader.Status(to: a.recipient, status: "sent", dsn: nil, detail: Array(detail.utf8)[...],
                                                 pos: note.pos, relay: relay, delay: nil)
            var replay = PostfixLogReader.RelayReplay(
                input: input, service: "smtp", qid: a.id, pid: 0, tls: nil, saslFailure: nil, lostWhile: nil, refused: nil,
                attemptNotes: [], statuses: [status], notes: a.notes, attempt: t.attempts, sender: a.sender, queueNotes: nil)
            replay.unseenGreeting = "(greeting not logged)"
            s = replay.build()
            s.format = Self.formatID
        } else if let reply {
            s = QueuedAttempt.reply(reply, input: input, format: Self.formatID, lister: "Courier", host: a.relay?.host ?? a.host,
                                    address: a.relay?.ip, port: nil, sender: a.sender, recipients: [a.recipient],
                                    notes: a.notes, at: note.pos, unseenGreeting: "(greeting not logged)", qid: a.id)
        } else {
            // No reply: Courier's words for a server it never reached, or its own reason.
            let words = a.words ?? "status: \(status)"
            let lower = words.lowercased()
            var failure = PostfixLogReader.failure(words)
            if lower.contains("no such domain") || lower.contains("dns") || lower.contains("no mx") { failure = .nameNotResolved }
            if failure != .other || lower.contains("connect") {
                s = PostfixLogReader.unreachable(input: input, format: Self.formatID, host: a.host, ip: nil, port: nil, reason: words,
                                                 failure: failure, service: "smtp", qid: a.id, notes: a.notes,
                                                 pos: note.pos, envelope: envelope, unexplained: failure == .other)
            } else {
                s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: words, notes: a.notes, envelope: envelope)
                s.direction = .outbound
                s.attributes["queue-id"] = a.id
            }
        }
        s.attributes["status"] = status
        stats.sessions += 1
        emit(s)
    }

    // MARK: courieresmtpd

    /// One word of base64, not a command: what a client sends after a 334.
    static func isAuthResponse(_ cmd: String) -> Bool {
        guard cmd.utf8.count >= 4, !cmd.contains(" ") else { return false }
        return cmd.utf8.allSatisfy { Bytes.isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D }
            && !["QUIT", "DATA", "RSET", "NOOP", "STARTTLS"].contains(cmd.uppercased())
    }

    /// `error,relay=::ffff:192.0.2.1,from=<S>,to=<R>: 550 User unknown.` or
    /// `error,relay=::ffff:192.0.2.1,port=43632,msg="535 Authentication failed.",cmd: AUTH LOGIN`.
    mutating func esmtpd(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        guard let r = LogBytes.after(m, "error,") else {
            return LogBytes.starts(m, "started,") || LogBytes.starts(m, "Maximum connection limit")
                || LogBytes.starts(m, "TIMEOUT") || LogBytes.starts(m, "couriertls:")
        }
        guard LogBytes.find(r, "msg=\"") != nil || LogBytes.find(r, ">: ") != nil else { return false }
        var address = Self.field(r, "relay=")
        if let a = address, a.hasPrefix("::ffff:") { address = String(a.dropFirst(7)) }
        let d: LogSessionDraft
        if let pid, let existing = open[pid] { d = existing } else {
            d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: note.pos, time: note.pos.time ?? now)
            d.client = Peer(address: address)
            if let pid { open[pid] = d; d.attributes["pid"] = String(pid) }
        }
        if let q = LogBytes.find(r, "msg=\""), let end = r[(q + 5)...].firstIndex(of: 0x22) {
            let reply = Bytes.string(r[(q + 5)..<end])
            let cmd = LogBytes.find(r, ",cmd: ").map { Bytes.string(Bytes.trimmed(r[($0 + 6)...])) } ?? ""
            d.helo(note.pos)
            if Self.isAuthResponse(cmd) {
                // The last command of a failed login is the client's answer to the server's 334: its user name
                // or password in base64. Kept out of the line itself, which no later step could tell apart
                // from other text (`--redact none` cannot bring it back).
                d.note(note.text.replacingOccurrences(of: "cmd: " + cmd, with: "cmd: [redacted]"), note.pos)
                d.c("AUTH LOGIN", note.pos); d.s("334 (reply not logged)", note.pos)
                d.c("[redacted]", note.pos)
            } else {
                d.note(note.text, note.pos)
                d.c(cmd.isEmpty ? "(command not logged)" : cmd, note.pos)
            }
            d.s(reply, note.pos)
            if pid == nil { emitDraft(d, emit) }
            return true
        }
        d.note(note.text, note.pos)
        if let colon = LogBytes.find(r, ">: ") {
            let reply = Bytes.string(Bytes.trimmed(r[(colon + 3)...]))
            let from = Self.field(r, "from="), to = Self.field(r, "to=")
            if let to {
                d.mail(from, note.pos)
                d.c("RCPT TO:<\(to)>", note.pos)
            } else {
                d.helo(note.pos)
                d.c(LogSessionDraft.mailFrom(from), note.pos)
                d.mailFrom = nil
            }
            d.s(reply, note.pos)
        }
        if pid == nil { emitDraft(d, emit) }
        return true
    }
}
