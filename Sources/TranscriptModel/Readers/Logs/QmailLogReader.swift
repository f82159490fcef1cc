/// qmail's logs (qmail 1.03, netqmail, notqmail, and the patched builds of Plesk and vpopmail hosts):
/// - qmail-send: `new msg N`, `info msg N: bytes B from <S> qp Q uid U`, `starting delivery D: msg N to
///   remote|local R`, `delivery D: success|deferral|failure: REPORT`, `bounce msg N`, `end msg N`. Each remote
///   delivery is one attempt, its dialogue rebuilt from qmail-remote's report (which names the step);
///   a local delivery that fails is told in qmail's words; a message deferred before it ended is one story.
/// - qmail-smtpd's side, as tcpserver, rblsmtpd and the chkuser patch log it: `tcpserver: pid P from IP`,
///   `tcpserver: deny P ...`, `tcpserver: end P status S`, `rblsmtpd: IP pid P: 451 ...`,
///   `CHKUSER rejected rcpt: from <S::> remote <helo:host:ip> rcpt <R> : not existing recipient`.
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
        guard q.fromQmail else { stats.ignored += 1; return }
        if let t = q.time { now = max(now, t) }
        let pos = SourcePosition(name: inputNames(input), line: number, time: q.time, sequence: sequence)
        let note = PostfixLogReader.LogNote(text: Bytes.string(line), pos: pos)
        let known: Bool
        switch q.tool {
        case .send: known = send(q.message, note, emit)
        case .tcpserver: known = tcpserver(q.message, note, emit)
        case .rblsmtpd: known = rblsmtpd(q.message, note)
        case .chkuser: known = chkuser(q.message, pid: q.pid, note)
        case .smtpd: known = smtpdReply(q.message, pid: q.pid, note, emit)
        case .other: known = false
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        // By log time, and by count for lines without a stamp.
        if now - lastSweep > 60 || stats.lines % 50_000 == 0 { sweep(emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for (_, d) in open.sortedStably(by: { $0.start.order < $1.start.order }) { emitDraft(d, emit) }
        open.removeAll()
        for (_, t) in tracks.filter({ $0.value.worthOwnSession }).sortedStably(by: { $0.last < $1.last }) {
            stats.sessions += 1
            emit(t.closedStorySession(input: input, format: Self.formatID))
        }
        tracks.removeAll()
        LogStatsRegistry.shared.record(stats)
    }

    mutating func sweep(_ emit: (Session) -> Void) {
        lastSweep = now
        // A refused client is gone within minutes (rblsmtpd hangs up after 60 s).
        for (k, d) in open.filter({ now - $0.value.last > 900 }).sortedStably(by: { $0.start.order < $1.start.order }) {
            open[k] = nil; emitDraft(d, emit)
        }
        if open.count > 50_000 {
            for (k, d) in open.sortedStably(by: { $0.last < $1.last }).prefix(open.count - 50_000) {
                open[k] = nil; stats.evicted += 1; emitDraft(d, emit)
            }
        }
        // Stories wait days for their end: looked at hourly, and the oldest let go past 20,000 (told on their
        // own when worth it), so memory stays bounded on a queue that never drains.
        if now - lastStorySweep > 3600 || tracks.count > 20_000 {
            lastStorySweep = now
            var gone = tracks.removeQuiet(now: now, idle: storyIdleSeconds)
            if tracks.count > 20_000 {
                for (k, t) in tracks.sortedStably(by: { $0.last < $1.last }).prefix(tracks.count - 18_000) {
                    tracks[k] = nil
                    stats.evicted += 1
                    if t.worthOwnSession { gone.append(t) }
                }
            }
            for t in gone {
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
            guard let t = tracks.removeValue(forKey: id) else { return true }
            if t.worthTelling {
                t.note(note.text, note.pos)
                t.end(t.outcome(removed: true), time: note.pos.time, position: note.pos)
                stats.sessions += 1
                emit(t.storySession(input: input, format: Self.formatID))
            }
            return true
        }
        if let r = LogBytes.after(m, "bounce msg ") {
            let id = Bytes.string(r.prefix { $0 != Bytes.space })
            if let t = tracks[id] { t.note(note.text, note.pos) }
            return true
        }
        return LogBytes.starts(m, "status: local ") || LogBytes.starts(m, "triple bounce: ")
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
            var s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: report.text, notes: notes, envelope: envelope)
            s.attributes["service"] = "local"
            s.attributes["status"] = status == .deferred ? "deferred" : "bounced"
            if let dsn = report.dsn { s.attributes["dsn"] = dsn }
            if !qid.isEmpty { s.attributes["queue-id"] = qid; s.transactions.indices.forEach { s.transactions[$0].queueID = qid } }
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
                                             failure: failure, service: "smtp", qid: qid, notes: notes, pos: note.pos, envelope: envelope)
            s.connectFailureUnexplained = !explained
            s.attributes["attempt"] = String(attempt)
        case .connectionDied, .own:
            s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: report.text, notes: notes, envelope: envelope)
            s.direction = .outbound
            s.server.address = report.host
            s.attributes["service"] = "smtp"
            s.attributes["attempt"] = String(attempt)
            if let dsn = report.dsn { s.attributes["dsn"] = dsn }
            if !qid.isEmpty { s.attributes["queue-id"] = qid; s.transactions.indices.forEach { s.transactions[$0].queueID = qid } }
        }
        s.attributes["delivery"] = String(id)
        stats.sessions += 1
        emit(s)
    }

    // MARK: qmail-smtpd's side

    mutating func tcpserver(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        if let r = LogBytes.after(m, "pid ") {
            // `pid 12345 from 192.0.2.1`
            guard let (pid, rest) = Self.number(r), let ip = LogBytes.after(rest, " from ") else { return false }
            let address = Bytes.string(Bytes.trimmed(ip))
            connections[pid] = Connection(address: address, host: nil, note: note)
            pidByAddress[address] = pid
            return true
        }
        if let r = LogBytes.after(m, "ok ") {
            // `ok 12345 mx.example.com:192.0.2.2:25 client.example.net:192.0.2.1::51234`: the client's name.
            guard let (pid, rest) = Self.number(r) else { return false }
            let fields = Bytes.trimmed(rest).split(separator: Bytes.space)
            if fields.count >= 2, let colon = fields[1].firstIndex(of: 0x3A), colon > fields[1].startIndex {
                connections[pid]?.host = Bytes.string(fields[1][fields[1].startIndex..<colon])
            }
            return true
        }
        if let r = LogBytes.after(m, "deny ") {
            // tcprules refused the client: tcpserver closes the connection before any greeting.
            guard let (pid, _) = Self.number(r) else { return false }
            let c = forget(pid)
            let d = draft(key: "pid:\(pid)", client: c?.address, pid: pid, note)
            d.note(note.text, note.pos)
            d.attributes["tcpserver"] = "deny"
            d.steps.append(.closed(.server, note.pos))
            open["pid:\(pid)"] = nil
            emitDraft(d, emit)
            return true
        }
        if let r = LogBytes.after(m, "end ") {
            // `end 12345 status 0`: the connection is over.
            guard let (pid, _) = Self.number(r) else { return false }
            let c = forget(pid)
            for key in ["pid:\(pid)"] + (c.map { ["ip:\($0.address)"] } ?? []) {
                guard let d = open.removeValue(forKey: key) else { continue }
                d.note(note.text, note.pos)
                d.steps.append(.closed(.unknown, note.pos))
                emitDraft(d, emit)
            }
            return true
        }
        return LogBytes.starts(m, "status: ") || LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "fatal: ")
            || LogBytes.starts(m, "unable to ")
    }

    mutating func forget(_ pid: Int) -> Connection? {
        guard let c = connections.removeValue(forKey: pid) else { return nil }
        if pidByAddress[c.address] == pid { pidByAddress[c.address] = nil }
        return c
    }

    /// The inbound session of a client, opened at its tcpserver line when that was seen.
    mutating func draft(key: String, client address: String?, pid: Int?, _ note: PostfixLogReader.LogNote) -> LogSessionDraft {
        if let d = open[key] { return d }
        let c = (pid ?? address.flatMap { pidByAddress[$0] }).flatMap { connections[$0] }
        let start = c?.note ?? note
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: start.pos, time: start.pos.time ?? now)
        d.client = Peer(host: c?.host, address: address ?? c?.address)
        if let c { d.note(c.note.text, c.note.pos) }
        if let pid { d.attributes["pid"] = String(pid) }
        open[key] = d
        return d
    }

    /// `rblsmtpd: 192.0.2.1 pid 12345: 451 Blocked, see https://...`: rblsmtpd answers the client itself and
    /// refuses its mail; qmail-smtpd never runs. Some builds name the list first (`pid 12345 zen.spamhaus.org:
    /// 451 ...`), old ones logged `rblsmtpd: LIST blocked IP ...`.
    mutating func rblsmtpd(_ m: ArraySlice<UInt8>, _ note: PostfixLogReader.LogNote) -> Bool {
        let parts = m.split(separator: Bytes.space, maxSplits: 3)
        var address: String, pid: Int?, message: String
        if parts.count == 4, LogBytes.equals(parts[1], "pid"), let n = Bytes.integer(parts[2].last == 0x3A ? parts[2].dropLast() : parts[2]) {
            address = Bytes.string(parts[0])
            pid = n
            message = Bytes.string(parts[3])
            if EmbeddedReply.leadingCode(Substring(message)) == nil, let c = message.range(of: ": "),
               EmbeddedReply.leadingCode(message[c.upperBound...]) != nil {
                // The list's name first: keep it with the reply, where the blocklist rules look.
                let list = message[..<c.lowerBound]
                message = String(message[c.upperBound...]) + " (listed in \(list))"
            }
            if EmbeddedReply.leadingCode(Substring(message)) == nil { message = "451 " + message }
        } else if parts.count >= 3, LogBytes.equals(parts[1], "blocked") {
            address = Bytes.string(parts[2])
            message = "451 (reply not logged) listed in \(Bytes.string(parts[0]))"
        } else {
            return false
        }
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        d.server.host = "rblsmtpd.local"
        d.helo(note.pos)
        // rblsmtpd greets and takes EHLO, then refuses every attempt to send (from MAIL on).
        d.c("MAIL FROM", note.pos)
        d.s(message, note.pos)
        return true
    }

    /// chkuser's verdicts (`brief: extended`) and the reply each stands for. chkuser logs its reason, not the
    /// reply it sent, so the code given is the standard one for that reason and the text says so.
    static let chkuserReplies: [(extended: String, reply: String, atMail: Bool)] = [
        ("not existing recipient", "550 5.1.1", false),
        ("client not allowed to relay", "553 5.7.1", false),
        ("max number of invalid recipients", "550 5.7.1", false),
        ("max number of recipients", "452 4.5.3", false),
        ("max number of allowed invalid rcpt", "550 5.7.1", false),
        ("max number of allowed rcpt", "452 4.5.3", false),
        ("invalid rcpt address format", "553 5.1.3", false),
        ("invalid rcpt MX domain", "550 5.1.2", false),
        ("rcpt mailbox is overquota", "552 5.2.2", false),
        ("session over intrusion threshold", "550 5.7.1", false),
        ("no auth resource available", "451 4.3.0", false),
        ("sender not authenticated", "530 5.7.0", true),
        ("invalid sender address format", "553 5.1.7", true),
        ("invalid sender MX domain", "550 5.1.8", true),
    ]

    /// `CHKUSER rejected rcpt: from <bob@example.net::> remote <mail.example.net:mail.example.net:192.0.2.1>
    /// rcpt <nobody@example.com> : not existing recipient`
    mutating func chkuser(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote) -> Bool {
        guard let r = LogBytes.after(m, "CHKUSER "), let colon = LogBytes.find(r, ": from <") else { return false }
        let brief = Bytes.string(r[r.startIndex..<colon])
        let fields = r[(colon + 2)...]
        let from = Self.bracketed(fields, after: "from ") ?? ""
        let remote = Self.bracketed(fields, after: " remote ") ?? ""
        let rcpt = Self.bracketed(fields, after: " rcpt ") ?? ""
        let extended = LogBytes.find(fields, "> : ").map { Bytes.string(fields[($0 + 4)...]).trimmingCharacters(in: [" "]) } ?? ""
        guard brief.hasPrefix("rejected") || brief == "must auth" || brief == "mbx overquota"
                || brief == "intrusion threshold" || brief == "no auth resource" else {
            // Accepted: part of a session only when that session has a refusal to tell.
            if let d = pid.flatMap({ open["pid:\($0)"] }) { d.note(note.text, note.pos) }
            return brief.hasPrefix("accepted") || brief.hasPrefix("relaying")
        }
        // `sender::identify` → sender; `helo:host:ip` → its parts (the address last, it may hold colons).
        let sender = from.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let rp = remote.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let address = rp.count == 3 && !rp[2].isEmpty ? rp[2] : nil
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address ?? remote)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        if rp.count >= 2, !rp[1].isEmpty { d.client.host = rp[1] }
        if let h = rp.first, !h.isEmpty { d.client.heloName = h }
        let row = Self.chkuserReplies.first { extended.contains($0.extended) }
        let reply = "\(row?.reply ?? "550 5.7.1") (reply not logged) chkuser: \(extended.isEmpty ? brief : extended)"
        if row?.atMail == true || brief == "rejected sender" {
            d.helo(note.pos)
            d.c("MAIL FROM:<\(sender)>", note.pos); d.s(reply, note.pos)
            d.mailFrom = nil
        } else {
            d.mail(sender, note.pos)
            d.c("RCPT TO:<\(rcpt)>", note.pos); d.s(reply, note.pos)
        }
        return true
    }

    /// `qmail-smtpd: 421 badiprbl: ip 192.0.2.1 rbl: zen.spamhaus.org`: a patched qmail-smtpd's own refusal.
    mutating func smtpdReply(_ m: ArraySlice<UInt8>, pid: Int?, _ note: PostfixLogReader.LogNote, _ emit: (Session) -> Void) -> Bool {
        let text = Bytes.string(Bytes.trimmed(m))
        guard let quoted = EmbeddedReply.codeFirst(Substring(text)), let code = quoted.code else { return false }
        let address = text.split(separator: " ").map(String.init).first(where: Self.isIPv4)
        let key = pid.map { "pid:\($0)" } ?? "ip:\(address ?? text)"
        let d = draft(key: key, client: address, pid: pid, note)
        d.note(note.text, note.pos)
        switch quoted.likelyVerb(code: code) ?? (code == 421 || code == 554 ? "greeting" : "RCPT") {
        case "greeting":
            // Refused at connection time: nothing follows.
            d.greeted = true
            d.s(text, note.pos)
            d.steps.append(.closed(.server, note.pos))
            open[key] = nil
            emitDraft(d, emit)
        case "MAIL":
            d.helo(note.pos); d.c("MAIL FROM", note.pos); d.s(text, note.pos)
        default:
            d.mail(nil, note.pos); d.c("RCPT TO", note.pos); d.s(text, note.pos)
        }
        return true
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

/// One qmail log line: its time (from whichever stamp it carries), the syslog pid, which part of qmail wrote
/// it, and the message after all of that.
struct QmailLine {
    enum Tool { case send, tcpserver, rblsmtpd, chkuser, smtpd, other }

    var time: Double?
    var pid: Int?
    /// The line came from qmail or its helpers (a syslog tag of theirs, or no tag).
    var fromQmail: Bool
    var tool: Tool
    var message: ArraySlice<UInt8>

    static func parse(_ line: ArraySlice<UInt8>, header: inout LogHeaderParser) -> QmailLine {
        let l = header.parse(line)
        var m = l.message
        var time = l.time
        let program = l.daemon
        let tagged = !l.program.isEmpty
        let fromQmail = !tagged || LogBytes.starts(program, "qmail") || LogBytes.equals(program, "tcpserver")
            || LogBytes.equals(program, "rblsmtpd") || LogBytes.equals(program, "splogger")
        if let (t, rest) = stamp(m, clock: &header.clock) { time = t; m = rest }
        var tool = Tool.other
        if LogBytes.equals(program, "tcpserver") { tool = .tcpserver }
        else if LogBytes.equals(program, "rblsmtpd") { tool = .rblsmtpd }
        if let r = LogBytes.after(m, "tcpserver: ") { tool = .tcpserver; m = r }
        else if let r = LogBytes.after(m, "rblsmtpd: ") { tool = .rblsmtpd; m = r }
        else if let r = LogBytes.after(m, "qmail-smtpd: ") { tool = .smtpd; m = r }
        if tool == .other {
            if LogBytes.starts(m, "CHKUSER ") { tool = .chkuser }
            else if LogBytes.starts(program, "qmail-smtpd") { tool = .smtpd }
            else if Self.isSendLine(m) { tool = .send }
        }
        // A bare line must look like qmail's; a tagged one is qmail's by its tag.
        return QmailLine(time: time, pid: l.pid, fromQmail: fromQmail, tool: tool, message: m)
    }

    /// qmail-send's own lines.
    static func isSendLine(_ m: ArraySlice<UInt8>) -> Bool {
        for p: StaticString in ["new msg ", "info msg ", "starting delivery ", "end msg ", "bounce msg ", "status: local ",
                                "triple bounce: "] where LogBytes.starts(m, p) { return true }
        if let r = LogBytes.after(m, "delivery "), let (_, rest) = QmailLogReader.number(r) {
            return LogBytes.starts(rest, ": success: ") || LogBytes.starts(rest, ": deferral: ") || LogBytes.starts(rest, ": failure: ")
        }
        return false
    }

    /// multilog's `@4000000063a1b2c31cebadcc ` (TAI64N), accustamp's and splogger's `1157520813.485077 `,
    /// tai64nlocal's `2023-01-01 12:00:00.123456789 ` (local time).
    static func stamp(_ m: ArraySlice<UInt8>, clock: inout LogClock) -> (Double, ArraySlice<UInt8>)? {
        guard let f = m.first else { return nil }
        if f == 0x40, m.count > 26, m[m.startIndex + 25] == Bytes.space {
            var seconds: UInt64 = 0, nanos: UInt64 = 0
            for (i, b) in m[(m.startIndex + 1)..<(m.startIndex + 25)].enumerated() {
                guard let v = hex(b) else { return nil }
                if i < 16 { seconds = seconds << 4 | v } else { nanos = nanos << 4 | v }
            }
            // TAI64 labels start at 2^62; daemontools' TAI runs 10 s ahead of Unix time.
            guard seconds >= 0x4000_0000_0000_000A, seconds < 0x4000_0001_0000_0000 else { return nil }
            let unix = Double(seconds - 0x4000_0000_0000_000A) + Double(nanos) / 1e9
            return (unix, m[(m.startIndex + 26)...])
        }
        if Bytes.isDigit(f) {
            let digits = m.prefix { Bytes.isDigit($0) }
            if digits.count >= 9, digits.count <= 10, digits.endIndex < m.endIndex, m[digits.endIndex] == 0x2E {
                let frac = m[(digits.endIndex + 1)...].prefix { Bytes.isDigit($0) }
                guard !frac.isEmpty, frac.endIndex < m.endIndex, m[frac.endIndex] == Bytes.space,
                      let s = Bytes.integer(digits) else { return nil }
                let fraction = Double(Bytes.integer(frac.prefix(9)) ?? 0) / pow10(min(frac.count, 9))
                return (Double(s) + fraction, m[(frac.endIndex + 1)...])
            }
            if m.count > 20, let (t, rest) = clock.iso(m, allowSpace: true), let s = rest.first, s == Bytes.space {
                return (t, rest.dropFirst())
            }
        }
        return nil
    }

    static func hex(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: UInt64(b - 0x30)
        case 0x61...0x66: UInt64(b - 0x61 + 10)
        case 0x41...0x46: UInt64(b - 0x41 + 10)
        default: nil
        }
    }

    static func pow10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }
}
