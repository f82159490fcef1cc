import Foundation

/// Sendmail (`sm-mta`, `sendmail`) syslog lines.
///
/// Inbound sessions are keyed by the daemon child's pid (one child per connection; Sendmail logs no
/// disconnect, so a session closes on `did not issue MAIL`, `lost input channel`, a timeout, pre-greeting
/// rejection, or after an idle time in log time). `ruleset=check_rcpt/check_mail/check_relay ... reject=`
/// lines give refused commands with their reply, `from=` an accepted message. Outbound: each `to=...
/// mailer=esmtp|relay|smtp ... stat=` line is a delivery attempt to its relay (`stat=Deferred: Connection
/// refused by host` makes it unreachable); local mailers stay evidence.
public struct SendmailLogReader: LineReader {
    public static let formatID = "sendmail-log"
    public static let summary = "Sendmail syslog (sm-mta / sendmail)"

    static func isSendmail(_ p: ArraySlice<UInt8>) -> Bool {
        LogBytes.equals(p, "sm-mta") || LogBytes.equals(p, "sendmail") || LogBytes.starts(p, "sm-msp")
            || LogBytes.starts(p, "sm-mta")
    }

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var parser = LogHeaderParser()
        var hits = 0, headed = 0, lines = 0, bare = 0
        for line in prefix where !line.isEmpty {
            lines += 1
            let l = parser.parse(line)
            if !l.program.isEmpty { headed += 1 }
            if isSendmail(l.program) { hits += 1 }
            else if l.program.isEmpty, l.time == nil, bareLine(line) { bare += 1 }
        }
        if hits == 0 {
            guard headed == 0, bare > 0 else { return 0 }
            return min(0.95, 0.6 + 0.35 * Double(bare) / Double(lines))
        }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(headed, 1)))
    }

    /// Sendmail's message without its syslog header (a line copied into a ticket), in words only Sendmail
    /// writes: `QID: ruleset=check_rcpt, ... reject=...`, `QID: to=<...>, ... stat=...`, `QID: from=<...>, ... nrcpts=...`.
    static func bareLine(_ line: ArraySlice<UInt8>) -> Bool {
        let m = line.drop { $0 == Bytes.space }
        let q = queueID(m)
        let r = q?.rest ?? m
        if LogBytes.starts(r, "ruleset=check_"), LogBytes.find(r, "reject=") != nil { return true }
        // The other shapes are only Sendmail's with its queue id in front.
        guard q != nil else { return false }
        if LogBytes.starts(r, "to="), LogBytes.find(r, ", stat=") != nil, LogBytes.find(r, "mailer=") != nil { return true }
        return LogBytes.starts(r, "from=") && LogBytes.find(r, ", nrcpts=") != nil
    }

    /// Queue id: 14 alphanumerics (8.12+) or fewer in old versions, then `: `; and the text after it.
    static func queueID(_ m: ArraySlice<UInt8>) -> (id: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        guard let colon = m.prefix(20).firstIndex(of: 0x3A), colon - m.startIndex >= 8, colon + 1 < m.endIndex,
              m[colon + 1] == Bytes.space,
              m[m.startIndex..<colon].allSatisfy({ Bytes.isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) })
        else { return nil }
        return (m[m.startIndex..<colon], m[(colon + 2)...])
    }

    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// `input` as positions hold it (one table lookup per name).
    private var inputNames = InputNameCache()
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats
    var open: [Int: LogSessionDraft] = [:]
    /// Queue id → the message's story, until every recipient has a final status or a DSN ends it.
    var tracks: [String: MessageTrack] = [:]
    var now = 0.0
    var lastSweep = 0.0
    public var idleSeconds = 600.0
    /// SMTP sessions kept open at once (by process id); the quietest are closed beyond this. A Sendmail host
    /// runs far fewer receiving processes at a time, and a session weighs several KB.
    public var maxOpen = 15_000
    /// A message silent this long (log time) with its story still open is taken for gone (Sendmail's
    /// Timeout.queuereturn is 5 days by default).
    public var storyIdleSeconds = 6 * 86_400.0

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        let l = header.parse(line)
        guard Self.isSendmail(l.program) || l.program.isEmpty && l.time == nil && Self.bareLine(line) else {
            stats.ignored += 1
            return
        }
        if let t = l.time { now = max(now, t) }
        let pos = SourcePosition(name: inputNames(input), line: number, time: l.time, sequence: sequence)
        let known = handle(l.message, pid: l.pid ?? 0, pos: pos, text: Bytes.string(line), emit: emit)
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        // By log time, and by line count too: a log whose clock stands still must not keep everything open.
        if now - lastSweep > 60 || stats.lines % 8_192 == 0 { sweep(emit: emit) }
    }

    /// `--follow` on a quiet log: wall time stands in for log time, so held and idle sessions close.
    public mutating func idle(seconds: Double, emit: (Session) -> Void) {
        guard now > 0 else { return }
        now += seconds
        sweep(emit: emit)
    }

    mutating func sweep(emit: (Session) -> Void) {
        lastSweep = now
        for d in open.removeQuiet(now: now, idle: idleSeconds, limit: maxOpen, evicted: &stats.evicted) { emitDraft(d, emit: emit) }
        for t in tracks.removeQuiet(now: now, idle: storyIdleSeconds, limit: 20_000, drop: 2_000) { emitStory(t, emit: emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for (_, d) in open.sortedStably(by: { $0.start.order < $1.start.order }) { emitDraft(d, emit: emit) }
        open.removeAll()
        for (_, t) in tracks.filter({ $0.value.worthOwnSession }).sortedStably(by: { $0.last < $1.last }) { emitStory(t, emit: emit) }
        tracks.removeAll()
        LogStatsRegistry.shared.record(stats)
    }

    mutating func track(_ qid: String, _ pos: SourcePosition) -> MessageTrack {
        if let t = tracks[qid] { return t }
        let t = MessageTrack(queueID: qid, time: pos.time ?? now)
        tracks[qid] = t
        return t
    }

    mutating func emitStory(_ t: MessageTrack, emit: (Session) -> Void) {
        stats.sessions += 1
        emit(t.closedStorySession(input: input, format: Self.formatID))
    }

    /// `delay=1+02:03:04` → seconds.
    static func delay(_ s: ArraySlice<UInt8>) -> Double? {
        var days = 0
        var rest = s
        if let plus = s.firstIndex(of: 0x2B) { days = Bytes.integer(s[s.startIndex..<plus]) ?? 0; rest = s[(plus + 1)...] }
        let parts = rest.split(separator: 0x3A).map { Bytes.integer($0) }
        guard parts.count == 3, let h = parts[0], let m = parts[1], let sec = parts[2] else { return nil }
        // In Double: 18-digit fields would overflow Int arithmetic.
        return Double(days) * 86_400 + Double(h) * 3_600 + Double(m) * 60 + Double(sec)
    }

    /// `QID: NEWQID: DSN: Cannot send message for 5 days` (expired), `DSN: User unknown` (bounced). Delay
    /// warnings and return receipts are not an end.
    mutating func dsnLine(_ qid: String, _ reason: ArraySlice<UInt8>, pos: SourcePosition, text: String, emit: (Session) -> Void) {
        guard let t = tracks[qid] else { return }
        if LogBytes.starts(reason, "Warning") || LogBytes.starts(reason, "Return receipt") || LogBytes.starts(reason, "Relayed")
            || LogBytes.starts(reason, "Delivered") { t.note(text, pos); return }
        t.note(text, pos)
        tracks[qid] = nil
        if LogBytes.starts(reason, "Cannot send message") { t.expired = true }
        if t.history.end == nil {
            t.end(t.outcome(removed: true), time: pos.time, position: pos, detail: "DSN: " + Bytes.string(reason))
        }
        if t.worthOwnSession { emitStory(t, emit: emit) }
    }

    mutating func emitDraft(_ d: LogSessionDraft, emit: (Session) -> Void) {
        stats.sessions += 1
        emit(d.finish())
    }

    /// `host [ip]` or `[ip]` (with optional `(may be forged)`): the client.
    static func relay(_ s: ArraySlice<UInt8>) -> Peer {
        let hp = LogBytes.hostAddress(s)
        var ip = hp.ip
        if let i = ip, i.hasPrefix("IPv6:") { ip = String(i.dropFirst(5)) }
        var host = hp.host
        if let h = host, h.hasSuffix(".") { host = String(h.dropLast()) }
        return Peer(host: host, address: ip)
    }

    mutating func inbound(_ pid: Int, _ pos: SourcePosition) -> LogSessionDraft {
        if let d = open[pid] { return d }
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: pos.time ?? now)
        open[pid] = d
        return d
    }

    mutating func close(_ pid: Int, _ closer: Closer, _ pos: SourcePosition, emit: (Session) -> Void) {
        guard let d = open.removeValue(forKey: pid) else { return }
        d.steps.append(.closed(closer, pos))
        emitDraft(d, emit: emit)
    }

    mutating func handle(_ m0: ArraySlice<UInt8>, pid: Int, pos: SourcePosition, text: String, emit: (Session) -> Void) -> Bool {
        var m = m0
        var qid: String?
        if let q = Self.queueID(m) {
            qid = Bytes.string(q.id)
            m = q.rest
        }
        if let r = LogBytes.after(m, "ruleset=") {
            guard let rj = LogBytes.find(r, "reject=") else { return LogBytes.find(r, "discard") != nil || LogBytes.find(r, "quarantine") != nil }
            let reply = Bytes.string(r[(rj + 7)...])
            let arg1 = LogBytes.value(r, "arg1=").map(Bytes.string) ?? ""
            let d = inbound(pid, pos)
            d.note(text, pos)
            if let q = qid, !d.queueIDs.contains(q) { d.queueIDs.append(q) }
            if let rl = LogBytes.find(r, "relay=") {
                var e = r[(rl + 6)...]
                if let comma = e.firstIndex(of: 0x2C) { e = e[e.startIndex..<comma] }
                if d.client.address == nil { d.client = Self.relay(e) }
            }
            if LogBytes.starts(r, "check_relay") {
                d.greeted = true
                d.s(reply, pos)
                close(pid, .server, pos, emit: emit)
            } else if LogBytes.starts(r, "check_mail") {
                d.helo(pos)
                d.c("MAIL FROM:<\(arg1.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))>", pos); d.s(reply, pos)
            } else {
                d.mail(nil, pos)
                d.c("RCPT TO:<\(arg1.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))>", pos); d.s(reply, pos)
            }
            return true
        }
        if let r = LogBytes.after(m, "from=") {
            let from = LogBytes.value(m, "from=").map(Bytes.string) ?? Bytes.string(r.prefix(0))
            let relay = LogBytes.find(m, "relay=").map { m[($0 + 6)...] }
            let isSMTP = LogBytes.find(m, "proto=ESMTP") != nil || LogBytes.find(m, "proto=SMTP") != nil
                || LogBytes.find(m, "daemon=MTA") != nil
            if let q = qid {
                let t = track(q, pos)
                var client = relay.map { r in Bytes.string(r.prefix { $0 != 0x2C }) }
                if !isSMTP, let c = client { client = "local submission (\(c))" }
                t.received(time: pos.time, client: client, sender: from,
                           size: LogBytes.value(m, "size=").flatMap { Bytes.integer($0) },
                           recipients: LogBytes.value(m, "nrcpts=").flatMap { Bytes.integer($0) },
                           messageID: LogBytes.value(m, "msgid=").map(Bytes.string), position: pos)
                t.note(text, pos)
            }
            guard isSMTP else { return true }
            let d = inbound(pid, pos)
            d.note(text, pos)
            if let relay, d.client.address == nil { d.client = Self.relay(relay) }
            if let q = qid, !d.queueIDs.contains(q) { d.queueIDs.append(q) }
            let nrcpts = LogBytes.value(m, "nrcpts=").flatMap { Bytes.integer($0) } ?? 1
            if nrcpts > 0 {
                d.delivered(from: from, to: Array(repeating: "(recipient not logged)", count: min(nrcpts, 100)),
                            reply: "250 2.0.0 \(qid ?? "") Message accepted for delivery", pos)
            } else {
                // nrcpts=0: the envelope ended with no valid recipient (the rejects were logged before).
                d.mail(from, pos)
            }
            return true
        }
        if LogBytes.starts(m, "to=") {
            return delivery(m, qid: qid, pid: pid, pos: pos, text: text, emit: emit)
        }
        if let q = qid, let k = LogBytes.find(m.prefix(40), ": DSN: ") {
            dsnLine(q, m[(k + 7)...], pos: pos, text: text, emit: emit)
            return true
        }
        if let k = LogBytes.find(m, " did not issue MAIL/EXPN/VRFY/ETRN") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if d.client.address == nil { d.client = Self.relay(m[m.startIndex..<k]) }
            d.greet(pos)
            close(pid, .unknown, pos, emit: emit)
            return true
        }
        if let r = LogBytes.after(m, "lost input channel from ") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if d.client.address == nil { d.client = Self.relay(r) }
            d.greet(pos)
            if let a = LogBytes.find(r, " after ") {
                let stage = Bytes.string(r[(a + 7)...]).lowercased()
                if stage.hasPrefix("rcpt") || stage.hasPrefix("mail") { d.mail(nil, pos) }
                else if stage.hasPrefix("ehlo") || stage.hasPrefix("helo") || stage.hasPrefix("starttls") || stage.hasPrefix("auth") { d.helo(pos) }
            }
            close(pid, .unknown, pos, emit: emit)
            return true
        }
        if let r = LogBytes.after(m, "timeout waiting for input from ") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if d.client.address == nil { d.client = Self.relay(r) }
            d.greet(pos)
            d.s("421 4.4.1 Timeout waiting for input", pos)
            close(pid, .server, pos, emit: emit)
            return true
        }
        if let r = LogBytes.after(m, "rejecting commands from ") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if d.client.address == nil { d.client = Self.relay(r) }
            d.greeted = true
            d.s("554 5.5.0 Rejecting commands due to pre-greeting traffic", pos)
            return true
        }
        if LogBytes.find(m, "... User unknown") != nil || LogBytes.find(m, "... No such user") != nil
            || LogBytes.find(m, "... Relaying denied") != nil || (LogBytes.starts(m, "<") && LogBytes.find(m, ">... ") != nil) {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if let close = LogBytes.find(m, ">... ") {
                let to = Bytes.string(m[(m.startIndex + 1)..<close])
                let why = Bytes.string(m[(close + 5)...])
                d.mail(nil, pos)
                d.c("RCPT TO:<\(to)>", pos); d.s("550 5.1.1 <\(to)>... \(why)", pos)
            }
            return true
        }
        if let k = LogBytes.find(m, ": VRFY ") ?? LogBytes.find(m, ": EXPN ") ?? LogBytes.find(m, ": vrfy ") ?? LogBytes.find(m, ": expn ") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if d.client.address == nil { d.client = Self.relay(m[m.startIndex..<k]) }
            d.helo(pos)
            let cmd = Bytes.string(m[(k + 2)...])
            let rejected = cmd.hasSuffix("[rejected]")
            d.c(cmd.replacingOccurrences(of: " [rejected]", with: ""), pos)
            d.s(rejected ? "550 5.7.1 Command rejected" : "252 (reply not logged)", pos)
            return true
        }
        if LogBytes.find(m, "possible SMTP attack") != nil {
            let d = inbound(pid, pos)
            d.note(text, pos)
            if let k = LogBytes.find(m, ": possible"), d.client.address == nil { d.client = Self.relay(m[m.startIndex..<k]) }
            d.helo(pos)
            if let cmd = LogBytes.value(m, "command=") {
                d.c(Bytes.string(cmd), pos); d.s("421 4.7.0 Too many bad commands; closing connection", pos)
            }
            close(pid, .server, pos, emit: emit)
            return true
        }
        if let r = LogBytes.after(m, "STARTTLS=server") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            var f = TLSFacts(position: pos)
            f.version = LogBytes.value(r, "version=").map(Bytes.string)
            f.cipher = LogBytes.value(r, "cipher=").map(Bytes.string)
            f.verify = LogBytes.value(r, "verify=").map(Bytes.string)
            d.tls(f, pos)
            return true
        }
        if let r = LogBytes.after(m, "AUTH failure (") {
            // `AUTH failure (LOGIN): authentication failure (-13) SASL(-13): ..., user=x, relay=host [ip]`
            let d = inbound(pid, pos)
            d.note(text, pos)
            if let rl = LogBytes.find(r, "relay="), d.client.address == nil {
                var e = r[(rl + 6)...]
                if let comma = e.firstIndex(of: 0x2C) { e = e[e.startIndex..<comma] }
                d.client = Self.relay(e)
            }
            d.helo(pos)
            let mech = r.firstIndex(of: 0x29).map { Bytes.string(r[r.startIndex..<$0]).uppercased() } ?? ""
            d.c("AUTH \(mech)".trimmingTrailingSpace, pos); d.s("535 5.7.0 authentication failed", pos)
            return true
        }
        if LogBytes.starts(m, "AUTH=server") {
            let d = inbound(pid, pos)
            d.note(text, pos)
            d.helo(pos)
            let mech = LogBytes.value(m, "mech=").map(Bytes.string) ?? ""
            d.c("AUTH \(mech)".trimmingTrailingSpace, pos); d.s("235 2.0.0 OK Authenticated", pos)
            return true
        }
        // Evidence without dialogue.
        let known = LogBytes.starts(m, "done;") || LogBytes.starts(m, "Milter") || LogBytes.starts(m, "SMTP outgoing connect")
            || LogBytes.starts(m, "STARTTLS") || LogBytes.starts(m, "DSN:") || LogBytes.starts(m, "SYSERR") || LogBytes.starts(m, "starting daemon")
            || LogBytes.starts(m, "alias database") || LogBytes.starts(m, "clone ") || LogBytes.starts(m, "sender notify")
            || LogBytes.starts(m, "return to sender") || LogBytes.starts(m, "postmaster notify") || LogBytes.starts(m, "AUTH=")
            || LogBytes.starts(m, "Authentication-Warning") || LogBytes.starts(m, "collect:") || LogBytes.starts(m, "headers too large")
            || LogBytes.starts(m, "NOQUEUE:") || LogBytes.starts(m, "tls_") || LogBytes.starts(m, "ruleset") || LogBytes.starts(m, "discarded")
            || LogBytes.starts(m, "runqueue") || LogBytes.starts(m, "grew WorkList") || LogBytes.starts(m, "timeout")
            || LogBytes.find(m.prefix(120), "connection rate") != nil || LogBytes.starts(m, "error connecting")
            || LogBytes.starts(m, "Losing") || LogBytes.starts(m, "low on space") || LogBytes.starts(m, "rejecting connections")
            || LogBytes.starts(m, "accepting connections") || LogBytes.find(m.prefix(80), "[rejected]") != nil
            || LogBytes.starts(m, "<") || LogBytes.starts(m, "SMTP ")
        if let d = open[pid] { d.note(text, pos) }
        return known
    }

    /// A local mailer's failure (`mailer=local, ... stat=User unknown`, `stat=Deferred: mailbox full`): joined to
    /// the SMTP session that brought the message while it is open, or a session of its own.
    mutating func localFailure(_ qid: String, mailer: String, stat: String, tos: [String], dsn: String?,
                               pos: SourcePosition, text: String, emit: (Session) -> Void) {
        let deferred = stat.hasPrefix("Deferred")
        var reason = stat
        if let colon = reason.range(of: ": "), deferred { reason = String(reason[colon.upperBound...]) }
        let d = MailboxDelivery(failedBy: "Sendmail mailer \(mailer)", user: tos.first ?? "", messageID: "",
                                status: deferred ? "deferred" : "bounced", reason: reason, dsn: dsn)
        if let draft = open.inbound(holding: qid) {
            d.recordFailure(in: &draft.attributes)
            return
        }
        stats.sessions += 1
        emit(d.session(input: input, format: Self.formatID, line: text, at: pos, queueID: qid,
                       sender: tracks[qid]?.history.received?.sender, recipients: tos))
    }

    mutating func delivery(_ m: ArraySlice<UInt8>, qid: String?, pid: Int, pos: SourcePosition, text: String,
                           emit: (Session) -> Void) -> Bool {
        guard let statK = LogBytes.find(m, "stat=") else { return false }
        let stat = Bytes.string(m[(statK + 5)...])
        let mailer = LogBytes.value(m, "mailer=").map(Bytes.string) ?? ""
        // Recipients: `to=<a>,<b>,` up to `, delay=`.
        var tos: [String] = []
        if let dk = LogBytes.find(m, ", delay=") ?? LogBytes.find(m, ", ctladdr=") {
            for part in m[(m.startIndex + 3)..<dk].split(separator: 0x2C) {
                var t = Bytes.trimmed(part)
                if let f = t.first, f == 0x3C { t = t.dropFirst() }
                if let l = t.last, l == 0x3E { t = t.dropLast() }
                tos.append(Bytes.string(t))
            }
        }
        let story = qid.flatMap { q in recordDelivery(q, m, stat: stat, tos: tos, pid: pid, pos: pos, text: text) }
        guard ["esmtp", "smtp", "relay", "dsmtp", "smtp8"].contains(mailer) else {
            if let d = open[pid] { d.note(text, pos) }
            if !mailer.isEmpty, !stat.hasPrefix("Sent"), let q = qid {
                localFailure(q, mailer: mailer, stat: stat, tos: tos, dsn: LogBytes.value(m, "dsn=").map(Bytes.string),
                             pos: pos, text: text, emit: emit)
            }
            if let t = story, t.worthOwnSession { emitStory(t, emit: emit) }
            return true
        }
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .outbound, start: pos, time: pos.time ?? now)
        d.note(text, pos)
        if let q = qid { d.queueIDs = [q] }
        if let rk = LogBytes.find(m, "relay=") {
            var e = m[(rk + 6)...]
            if let comma = e.firstIndex(of: 0x2C) { e = e[e.startIndex..<comma] }
            // `host. [ip]` or `[ip] [ip]`
            let first = e.split(separator: Bytes.space, maxSplits: 1).first ?? e
            let p = Self.relay(e)
            d.server = Peer(host: first.first == 0x5B ? nil : p.host, address: p.address, port: nil)
        }
        if let dsn = LogBytes.value(m, "dsn=") { d.attributes["dsn"] = Bytes.string(dsn) }
        d.attributes["status"] = stat.split(separator: " ", maxSplits: 1).first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ":")) } ?? stat
        if stat.hasPrefix("Sent") {
            var reply = "250 2.0.0 (reply not logged)"
            if let o = stat.firstIndex(of: "("), let c = stat.lastIndex(of: ")"), o < c {
                let inner = String(stat[stat.index(after: o)..<c])
                reply = ReplyLine.matches(Array(inner.utf8)[...]) ? inner : "250 \(inner)"
            }
            d.delivered(from: nil, to: tos, reply: reply, pos)
            d.c("QUIT", pos); d.s("221 2.0.0 closing connection", pos); d.steps.append(.closed(.client, pos))
        } else {
            var reason = stat
            for p in ["Deferred: ", "Service unavailable: ", "Host unknown", "User unknown: "] where reason.hasPrefix(p) {
                reason = String(reason.dropFirst(p.count))
            }
            let dsn = LogBytes.value(m, "dsn=").map(Bytes.string) ?? ""
            let connection = ["Connection refused", "Connection timed out", "Host unknown", "No route", "Network is unreachable",
                              "Connection reset", "Name server", "timeout"].contains { stat.contains($0) }
            if Int(reason.prefix(3)) == nil, !connection, dsn.hasPrefix("5") || dsn.hasPrefix("4") {
                // `dsn=5.1.1, stat=User unknown`: the recipient was refused; the reply text is not logged.
                reason = "\(dsn.hasPrefix("5") ? "550" : "450") \(dsn) \(reason)"
            }
            if let code = Int(reason.prefix(3)), code >= 400, code < 600 {
                d.mail(nil, pos)
                for t in tos { d.c("RCPT TO:<\(t)>", pos); d.s(reason, pos) }
                d.c("QUIT", pos); d.s("221 2.0.0 closing connection", pos); d.steps.append(.closed(.client, pos))
            } else {
                d.connected = false
                d.steps.append(.connectFailed(LogSessionDraft.failure(reason + (stat.contains("Host unknown") ? " host not found" : "")), reason, pos))
            }
        }
        stats.sessions += 1
        var session = d.finish()
        if let t = story, t.worthOwnSession { t.attach(to: &session) }
        emit(session)
        return true
    }

    /// One `to=` line's result for the message's story. Returns the track when this line ends the chain
    /// (every recipient of `nrcpts=` has a final status).
    mutating func recordDelivery(_ qid: String, _ m: ArraySlice<UInt8>, stat: String, tos: [String], pid: Int,
                                 pos: SourcePosition, text: String) -> MessageTrack? {
        let dsn = LogBytes.value(m, "dsn=").map(Bytes.string)
        let status: MessageHistory.Status
        if stat.hasPrefix("Sent") { status = .sent }
        else if stat.hasPrefix("Deferred") || dsn?.hasPrefix("4") == true { status = .deferred }
        else { status = .bounced }
        let t = track(qid, pos)
        let number: Int
        // One delivery run (a queue runner process) is one attempt.
        if let k = t.groupKey, k == Double(pid), pid != 0 { number = t.attempts } else { number = t.nextAttempt(); t.groupKey = Double(pid) }
        var reply = stat
        for p in ["Deferred: ", "Sent (", "Service unavailable: "] where reply.hasPrefix(p) { reply = String(reply.dropFirst(p.count)) }
        if stat.hasPrefix("Sent ("), reply.hasSuffix(")") { reply.removeLast() }
        var relay = LogBytes.value(m, "relay=").map(Bytes.string)
        if let k = LogBytes.find(m, "relay=") {
            var e = m[(k + 6)...]
            if let comma = e.firstIndex(of: 0x2C) { e = e[e.startIndex..<comma] }
            relay = Bytes.string(Bytes.trimmed(e))
        }
        for to in tos.isEmpty ? ["(recipient not logged)"] : tos {
            t.record(number: number, recipient: to, status: status, time: pos.time, relay: relay,
                     delay: LogBytes.value(m, "delay=").flatMap(Self.delay), dsn: dsn, reply: reply, position: pos)
        }
        if status != .sent { t.note(text, pos) }
        guard t.allFinal else { return nil }
        tracks[qid] = nil
        if t.history.end == nil { t.end(t.outcome(removed: true), time: pos.time, position: pos) }
        return t
    }
}
