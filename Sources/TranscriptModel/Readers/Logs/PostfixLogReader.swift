/// Postfix mail logs: syslog (BSD or RFC 3339 time), `maillog_file`, `journalctl -o short-iso` and `-o json`.
///
/// Inbound: an smtpd session is keyed by process id from `connect from` to `disconnect from`; its reject
/// lines, `client=` (queue file created), TLS, SASL and warning lines are collected, and when it closes the
/// dialogue is rebuilt from them and from the `commands=` tally, every reconstructed step marked inferred.
/// The session is held (bounded, in log time) until its queue ids are removed so local deliveries and
/// bounces join the story. Outbound: each `smtp`/`lmtp` delivery attempt (a process working on one queue
/// id) becomes a session to the relay, built from `status=` lines (`host X said: ... (in reply to RCPT TO
/// command)`), and every failed `connect to` is an unreachable session of its own.
public struct PostfixLogReader: LineReader {
    public static let formatID = "postfix-log"
    public static let summary = "Postfix mail log (syslog BSD/RFC 3339, maillog_file, journalctl -o short-iso/json)"

    public struct Limits: Sendable {
        /// Open smtpd sessions and outbound attempts kept; the oldest is closed beyond this.
        public var openSessions = 50_000
        /// Queue ids remembered (sender, recipients) for outbound sessions and held stories.
        public var queueIDs = 200_000
        /// An smtpd session silent for this long (log time) is closed (Postfix's own timeouts are shorter).
        public var idleSeconds = 3_600.0
        /// How long a disconnected inbound session waits for its queue ids' deliveries and removal.
        public var holdSeconds = 900.0
        /// An outbound attempt with no new line for this long is closed.
        public var outboundIdleSeconds = 300.0
        /// A deferred message silent for this long (log time) is taken for gone: its story is told as it
        /// stands (`pending`). Postfix retries at least every `maximal_backoff_time` (4000 s by default) and
        /// gives up after `maximal_queue_lifetime` (5 days), so a retry chain normally ends well before.
        public var storyIdleSeconds = 6 * 86_400.0
        /// Read with Dovecot's own log: removals, and Dovecot deliveries that name no message yet, waiting
        /// their moment of log time (a frozen clock must not keep them all: beyond this they go on at once).
        public var waiting = 5_000
        /// Log lines kept by all open smtpd sessions together, and by all open delivery attempts: past this,
        /// the least recently active go out (each is capped too, but thousands of large ones at once add up).
        public var keptLines = 50_000
        public init() {}
    }

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var parser = LogHeaderParser()
        var postfix = 0, headed = 0, lines = 0, bare = 0, bareSure = 0
        for line in prefix where !line.isEmpty {
            lines += 1
            let l = parser.parse(line)
            if !l.program.isEmpty { headed += 1 }
            if LogBytes.starts(l.program, "postfix") { postfix += 1 }
            else if l.program.isEmpty, l.time == nil, let sure = bareShape(line) { bare += 1; if sure { bareSure += 1 } }
        }
        if postfix == 0 {
            // Postfix's messages without their syslog header (`journalctl -o cat`, a line copied from the log
            // into a ticket): only lines no other program writes make the log Postfix's.
            guard headed == 0, bareSure > 0 else { return 0 }
            return min(0.97, 0.6 + 0.37 * Double(bare) / Double(lines))
        }
        return min(0.97, 0.6 + 0.37 * Double(postfix) / Double(max(headed, 1)))
    }

    /// The shape of a Postfix message read without its header: true for lines only Postfix writes (a
    /// `NOQUEUE: reject:`, a queue id's `to=<...>, ... status=`, `client=`, `from=<...>, size=`), false for
    /// lines others write too (`connect from`, `disconnect from`, `QID: removed`), nil for anything else.
    static func bareShape(_ line: ArraySlice<UInt8>) -> Bool? {
        let m = line.drop { $0 == Bytes.space }
        if let q = queuePrefix(m) {
            let r = q.rest
            if q.qid == nil {
                return LogBytes.starts(r, "reject: ") || LogBytes.starts(r, "milter-reject: ") ? true : nil
            }
            if LogBytes.starts(r, "to=<"), LogBytes.find(r, ", status=") != nil { return true }
            if LogBytes.starts(r, "from=<"), LogBytes.find(r, ", size=") != nil { return true }
            if LogBytes.starts(r, "client="), LogBytes.find(r.prefix(300), "[") != nil { return true }
            if LogBytes.starts(r, "reject: ") || LogBytes.starts(r, "milter-reject: ") { return true }
            if LogBytes.equals(r, "removed") || LogBytes.starts(r, "message-id=") { return false }
            return nil
        }
        if LogBytes.starts(m, "connect from ") || LogBytes.starts(m, "disconnect from ")
            || LogBytes.starts(m, "lost connection after ") || LogBytes.starts(m, "timeout after ") {
            return LogBytes.find(m.prefix(300), "[") != nil ? false : nil
        }
        return nil
    }

    public var limits = Limits()
    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// `input` as positions hold it (one table lookup per name).
    private var inputNames = InputNameCache()
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats

    var smtpd: [Int: Inbound] = [:]
    var held: [String: Inbound] = [:]
    var queue: [String: QueueInfo] = [:]
    /// Queue ids by Message-ID (cleanup's `message-id=` line), for Dovecot's delivery lines, which name the
    /// message only by it. Entries leave with their queue ids.
    var queuesByMessageID: [String: [String]] = [:]
    var outbound: [Int: Outbound] = [:]
    var postscreen: [String: Inbound] = [:]
    /// Deferred messages silent for a while (forgotten from `queue`): their story waits for the next retry.
    var dormant: [String: MessageTrack] = [:]
    /// Lines of a pid before its `connect from` (DNS warnings), and postscreen/dnsblog lines for a client
    /// address, carried into the next smtpd session.
    var preNotes: [Int: [LogNote]] = [:]
    var ipNotes: [String: [LogNote]] = [:]
    /// Read merged with Dovecot's own log (`log_path`): lines of the same second from the two files come in
    /// either order, so a `removed` waits a moment of log time (Dovecot's line for that message may follow it)
    /// and so does a delivery that joins no message yet (its `message-id=` line may follow it).
    public var joinsDovecot = false
    var removing = MomentQueue<(qid: String, note: LogNote)>()
    var unjoined = WaitingDeliveries<LogNote>()
    var lastSweep = 0.0
    var lastQueueSweep = 0.0
    var now = 0.0
    var linesSinceSweep = 0

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    // MARK: - Types

    struct LogNote {
        var text: String
        var pos: SourcePosition
    }

    enum Event {
        case reject(stage: String, reply: [UInt8], from: String?, to: String?, qid: String?, pos: SourcePosition)
        case accepted(qid: String, pos: SourcePosition)
        case illegal(verb: String, address: String, pos: SourcePosition)
        case sasl(mechanism: String, text: String, pos: SourcePosition)
        case nonSMTP(text: String, pos: SourcePosition)
        case limit(text: String, pos: SourcePosition)
    }

    final class Inbound {
        var pid: Int
        var service: String
        var client = Peer()
        var notes: [LogNote] = []
        var events: [Event] = []
        var helo: String?
        var tls: (TLSFacts, SourcePosition)?
        /// `SSL_accept error from ...`: the handshake after `220` to STARTTLS failed.
        var tlsFailure: SourcePosition?
        var connectPos: SourcePosition?
        var tally: [(verb: String, ok: Int, total: Int)]?
        var end: (kind: String, after: String, pos: SourcePosition)?
        var disconnectPos: SourcePosition?
        var qids: [String] = []
        var pendingQids = 0
        var last: Double
        var postscreen = false
        /// What a filter did with a message it accepted (`discard`, `hold`, amavis's `Blocked SPAM
        /// {DiscardedInbound}`): the session's `filter-*` attributes.
        var filter: FilterVerdict?
        /// Where Dovecot put the message this session brought in.
        var mailbox: MailboxDelivery?
        /// A spam filter's verdict on a message of this session (Rspamd, SpamAssassin, amavis: `spam-*` attributes).
        var spam: [String: String]?
        init(pid: Int, service: String, time: Double) { self.pid = pid; self.service = service; self.last = time }
        func add(_ note: LogNote) { if notes.count < 5_000 { notes.append(note) } }
        /// Events beyond this many are counted, not kept: Postfix itself ends a session after
        /// `smtpd_hard_error_limit` errors (20 by default), so only garbage or a hostile log goes past it.
        static let maxEvents = 1_000
        var droppedEvents = 0
        func record(_ e: Event) { if events.count < Self.maxEvents { events.append(e) } else { droppedEvents += 1 } }
    }

    final class QueueInfo {
        /// The first lines of the message's story (qmgr, cleanup, pickup), for outbound evidence.
        var notes: [LogNote] = []
        var sender: String?
        var recipients: [String] = []
        var inbound: Inbound?
        var last: Double
        var removed = false
        /// The message's story (arrival, attempts, end).
        var track: MessageTrack?
        var messageID: String?
        /// Where Dovecot put it (the most telling recipient's: discarded, Junk, forwarded, a folder, INBOX).
        var mailbox: (delivery: MailboxDelivery, note: LogNote)?
        /// Delivery rounds qmgr began (its `(queue active)` lines). A delivery process that is reused may try
        /// the message again in a later round with no line of its own in between; the round tells the two
        /// attempts apart.
        var round = 0
        init(time: Double) { last = time }
        /// A recipient of the message, once (at most 1,000 kept).
        func addRecipient(_ a: String) {
            if recipients.count < 1000, !recipients.contains(a) { recipients.append(a) }
        }
    }

    struct Status {
        var to: String
        var status: String
        var dsn: String?
        var detail: ArraySlice<UInt8>
        var pos: SourcePosition
        var relay: String?
        var delay: String?
    }

    final class Outbound {
        var pid: Int
        var qid: String
        var service: String
        var notes: [LogNote] = []
        var statuses: [Status] = []
        var connectFailures: [(host: String?, ip: String?, port: Int?, reason: String, pos: SourcePosition, note: LogNote)] = []
        var tls: (TLSFacts, SourcePosition)?
        var saslFailure: (reply: [UInt8], pos: SourcePosition)?
        var lostWhile: (what: String, pos: SourcePosition, timedOut: Bool)?
        var refused: (reply: [UInt8], pos: SourcePosition)?
        var last: Double
        /// The message's delivery round (`QueueInfo.round`) this attempt belongs to.
        var round = 0
        /// The message's attempt number, given at the first status line.
        var attempt: Int?
        /// Lines and statuses beyond this many are counted, not kept: Postfix hands one delivery process at
        /// most `smtp_destination_recipient_limit` recipients (50 by default).
        static let maxLines = 1_000
        var dropped = 0
        func add(_ note: LogNote) { if notes.count < Self.maxLines { notes.append(note) } else { dropped += 1 } }
        init(pid: Int, qid: String, service: String, time: Double) {
            self.pid = pid; self.qid = qid; self.service = service; self.last = time
        }
    }

    // MARK: - Reading

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        let l = header.parse(line)
        let pos = SourcePosition(name: inputNames(input), line: number, time: l.time, sequence: sequence)
        if let t = l.time { now = max(now, t) }
        if joinsDovecot { settle(emit: emit) }
        let prog = l.program
        // Dovecot's own log file (`log_path`, read merged with this log): no host or program, the agent
        // right after the time.
        if joinsDovecot, !LogBytes.starts(prog, "postfix"), !LogBytes.equals(prog, "dovecot"),
           let k = DovecotLogReader.agentStart(line), let d = MailboxDelivery(dovecot: line[k...]) {
            _ = dovecotLine(line[k...], parsed: d, line: line, host: nil, pos: pos, text: { Bytes.string(line.prefix(8_192)) }, emit: emit)
            stats.understood += 1
            return
        }
        // postgrey (the usual greylisting policy server) is read too: its verdict joins the client's session.
        // So is amavis (the usual after-queue content filter): what it blocked joins the message's session.
        let isPostfix = LogBytes.starts(prog, "postfix") || prog.isEmpty || LogBytes.equals(prog, "postgrey")
            || LogBytes.starts(prog, "amavis") || LogBytes.equals(prog, "rspamd") || LogBytes.equals(prog, "spamd")
        guard isPostfix else {
            // Dovecot's delivery lines (LMTP, LDA) say where the message went; its IMAP and POP3 lines are not mail flow.
            if LogBytes.equals(prog, "dovecot"), dovecotLine(l.message, line: line, host: l.host, pos: pos, text: { Bytes.string(line) }, emit: emit) {
                stats.understood += 1
                return
            }
            stats.ignored += 1
            return
        }
        let text = { Bytes.string(line) }
        let pid = l.pid ?? 0
        let d = l.daemon
        let known: Bool
        if prog.isEmpty {
            known = bare(l.message, pos: pos, text: text, emit: emit)
        } else if LogBytes.equals(d, "smtpd") {
            known = smtpdLine(l.message, pid: pid, service: Bytes.string(prog), pos: pos, text: text, emit: emit)
        } else if LogBytes.equals(d, "smtp") || LogBytes.equals(d, "lmtp") {
            known = deliveryAgent(l.message, pid: pid, service: Bytes.string(prog), pos: pos, text: text, emit: emit)
        } else if LogBytes.equals(d, "qmgr") || LogBytes.equals(d, "cleanup") || LogBytes.equals(d, "bounce")
                    || LogBytes.equals(d, "pickup") || LogBytes.equals(d, "local") || LogBytes.equals(d, "virtual")
                    || LogBytes.equals(d, "pipe") || LogBytes.equals(d, "error") || LogBytes.equals(d, "retry")
                    || LogBytes.equals(d, "discard") || LogBytes.equals(d, "postsuper") {
            known = queueLine(l.message, daemon: d, pos: pos, text: text, emit: emit)
        } else if LogBytes.equals(d, "postscreen") {
            known = postscreenLine(l.message, pos: pos, text: text, emit: emit)
        } else if LogBytes.equals(d, "postgrey") {
            known = postgreyLine(l.message, pos: pos, text: text)
        } else if LogBytes.starts(prog, "amavis") {
            known = amavisLine(l.message, pos: pos, text: text)
        } else if LogBytes.equals(prog, "rspamd") {
            known = rspamdLine(l.message, pos: pos, text: text)
        } else if LogBytes.equals(prog, "spamd") {
            known = spamdLine(l.message, pos: pos, text: text)
        } else if LogBytes.equals(d, "dnsblog") {
            known = dnsblogLine(l.message, pos: pos, text: text)
        } else {
            // anvil, master, postfix-script, scache, tlsmgr, tlsproxy, verify, trivial-rewrite, postdrop, ...:
            // Postfix's own housekeeping, no session.
            known = true
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        linesSinceSweep += 1
        if linesSinceSweep >= 8192 || now - lastSweep > 120 { sweep(emit: emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        settle(emit: emit, all: true)
        for (_, o) in outbound.sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) { emitOutbound(o, emit: emit) }
        outbound.removeAll()
        var all: [Inbound] = Array(smtpd.values) + Array(postscreen.values)
        var seen = Set<ObjectIdentifier>()
        for (_, s) in held where seen.insert(ObjectIdentifier(s)).inserted { all.append(s) }
        all.sort { ($0.connectPos?.order ?? $0.notes.first?.pos.order ?? 0, $0.pid) < ($1.connectPos?.order ?? $1.notes.first?.pos.order ?? 0, $1.pid) }
        for s in all { emitInbound(s, emit: emit) }
        smtpd.removeAll(); postscreen.removeAll(); held.removeAll()
        // Retry chains the log ends in the middle of: still queued.
        var open = dormant.filter { $0.value.worthOwnSession }
        for (qid, q) in queue { if let t = q.track, t.worthOwnSession { open[qid] = t } }
        for (_, t) in open.sortedStably(by: { ($0.history.attempts.first?.position?.order ?? 0) < ($1.history.attempts.first?.position?.order ?? 0) }) {
            emitStory(t, emit: emit)
        }
        dormant.removeAll()
        LogStatsRegistry.shared.record(stats)
    }

    // MARK: - Timeouts and bounds

    /// `--follow` on a quiet log: wall time stands in for log time, so held and idle sessions close.
    public mutating func idle(seconds: Double, emit: (Session) -> Void) {
        guard now > 0 else { return }
        now += seconds
        sweep(emit: emit)
    }

    mutating func sweep(emit: (Session) -> Void) {
        linesSinceSweep = 0
        lastSweep = now
        // Expired entries go out in a stable order (by their first line), not dictionary order.
        for (pid, o) in outbound.filter({ now - $0.value.last > limits.outboundIdleSeconds }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            outbound[pid] = nil
            emitOutbound(o, emit: emit)
        }
        for (pid, s) in smtpd.filter({ now - $0.value.last > limits.idleSeconds }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            smtpd[pid] = nil
            emitInbound(s, emit: emit)
        }
        for (key, s) in postscreen.filter({ now - $0.value.last > 600 }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            postscreen[key] = nil
            emitInbound(s, emit: emit)
        }
        var released = Set<ObjectIdentifier>()
        for (qid, s) in held.filter({ now - $0.value.last > limits.holdSeconds }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            held[qid] = nil
            if released.insert(ObjectIdentifier(s)).inserted {
                for q in s.qids { held[q] = nil }
                emitInbound(s, emit: emit)
            }
        }
        if preNotes.count > 10_000 { preNotes.removeAll() }
        if ipNotes.count > 10_000 { ipNotes.removeAll() }
        if pendingTLS.count > 10_000 { pendingTLS.removeAll() }
        // Messages silent for two hours of log time (Postfix retries deferred mail at least every 4000 s by
        // default): forget them, so memory does not grow with mail that never shows `removed` in this log.
        if now - lastQueueSweep > 600 {
            lastQueueSweep = now
            for (k, q) in queue where now - q.last > 7_200 {
                forget(k)
                // A retry chain waits (small: its history only) for the next attempt.
                if let t = q.track, t.worthOwnSession, t.history.end == nil { dormant[k] = t }
            }
            let quiet = dormant.filter { now - $0.value.last > limits.storyIdleSeconds }
            let over = dormant.count - quiet.count - limits.queueIDs
            var gone = quiet.map(\.key)
            if over > 0 { gone += dormant.keysStably(where: { now - $0.last <= limits.storyIdleSeconds }, by: { $0.last < $1.last }).prefix(over) }
            for k in gone.sorted(by: { (dormant[$0]!.last, $0) < (dormant[$1]!.last, $1) }) {
                if let t = dormant.removeValue(forKey: k) { emitStory(t, emit: emit) }
            }
        }
        // Many large sessions or attempts open at once: the least recently active go out.
        for pid in Self.overBudget(outbound, limits.keptLines, lines: { $0.notes.count + $0.statuses.count }, last: { $0.last }) {
            guard let o = outbound.removeValue(forKey: pid) else { continue }
            stats.evicted += 1
            emitOutbound(o, emit: emit)
        }
        for pid in Self.overBudget(smtpd, limits.keptLines, lines: { $0.notes.count + $0.events.count }, last: { $0.last }) {
            guard let s = smtpd.removeValue(forKey: pid) else { continue }
            stats.evicted += 1
            emitInbound(s, emit: emit)
        }
        if smtpd.count > limits.openSessions {
            for (pid, s) in smtpd.sortedStably(by: { $0.last < $1.last }).prefix(smtpd.count - limits.openSessions) {
                smtpd[pid] = nil
                stats.evicted += 1
                emitInbound(s, emit: emit)
            }
        }
    }

    /// The keys of the least recently active entries to let go so that the others keep at most `budget` lines.
    static func overBudget<V>(_ open: [Int: V], _ budget: Int, lines: (V) -> Int, last: (V) -> Double) -> [Int] {
        var total = open.values.reduce(0) { $0 + lines($1) }
        guard total > budget else { return [] }
        var out: [Int] = []
        for (key, v) in open.sortedStably(by: { last($0) < last($1) }) where total > budget {
            total -= lines(v)
            out.append(key)
        }
        return out
    }

    mutating func queueInfo(_ qid: String, create: Bool = true) -> QueueInfo? {
        if let q = queue[qid] { q.last = now; return q }
        guard create else { return nil }
        let q = QueueInfo(time: now)
        q.track = dormant.removeValue(forKey: qid)
        queue[qid] = q
        if queue.count > limits.queueIDs {
            // Forget the least recently seen tenth (their stories are long over or never complete).
            let drop = queue.sortedStably(by: { $0.last < $1.last }).prefix(limits.queueIDs / 10).map(\.key)
            for k in drop where k != qid { forget(k) }
        }
        return q
    }

    // MARK: - Message shapes

    /// `QID: ` or `NOQUEUE: ` at the start: the id (nil for NOQUEUE) and the rest.
    static func queuePrefix(_ m: ArraySlice<UInt8>) -> (qid: String?, rest: ArraySlice<UInt8>)? {
        if let r = LogBytes.after(m, "NOQUEUE: ") { return (nil, r) }
        var i = m.startIndex
        var digit = false, hexUpper = true
        while i < m.endIndex, i - m.startIndex <= 24 {
            let b = m[i]
            if Bytes.isDigit(b) { digit = true }
            else if b >= 0x41 && b <= 0x46 {}
            else if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) { hexUpper = false }
            else { break }
            i += 1
        }
        let n = i - m.startIndex
        guard n >= 5, n <= 24, digit || hexUpper, i + 1 < m.endIndex, m[i] == 0x3A, m[i + 1] == Bytes.space else { return nil }
        return (Bytes.string(m[m.startIndex..<i]), m[(i + 2)...])
    }

    /// `... from host[ip]:port` → the peer, given the text after `from `.
    static func peer(after s: ArraySlice<UInt8>) -> (host: String?, ip: String?, port: Int?, rest: ArraySlice<UInt8>) {
        guard let close = s.firstIndex(of: 0x5D) else {
            // `unknown` or a redacted `<censored>` instead of host[ip]: the name runs up to ": ".
            if let k = LogBytes.find(s, ": ") { return (Bytes.string(s[s.startIndex..<k]), nil, nil, s[k...]) }
            return (nil, nil, nil, s)
        }
        var end = close + 1
        if end < s.endIndex, s[end] == 0x3A, end + 1 < s.endIndex, Bytes.isDigit(s[end + 1]) {
            end += 1
            while end < s.endIndex, Bytes.isDigit(s[end]) { end += 1 }
        }
        let hp = LogBytes.hostAddress(s[s.startIndex..<end])
        return (hp.host, hp.ip, hp.port, s[end...])
    }

    /// Parse `reject: STAGE from host[ip]: 554 5.7.1 text; from=<a> to=<b> proto=ESMTP helo=<h>`, given the
    /// text after `reject: `. Also the `header`/`body` form of cleanup and proxy-reject without a client.
    static func rejectBody(_ s: ArraySlice<UInt8>) -> (stage: String, reply: [UInt8], from: String?, to: String?, helo: String?, client: (String?, String?, Int?))? {
        var i = s.startIndex
        while i < s.endIndex, s[i] != Bytes.space, s[i] != 0x3A { i += 1 }
        guard i < s.endIndex else { return nil }
        let stage = Bytes.string(s[s.startIndex..<i])
        var rest = s[i...]
        var client: (String?, String?, Int?) = (nil, nil, nil)
        if stage == "header" || stage == "body" {
            // `header Subject: x from host[ip]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 text`
            guard let helo = LogBytes.find(rest, " helo=<"), let colon = LogBytes.find(rest[helo...], ">: ") else { return nil }
            let reply = normaliseReply(rest[(colon + 3)...], stage: "END-OF-MESSAGE")
            let kv = rest[rest.startIndex..<(colon + 1)]
            return ("END-OF-MESSAGE", reply, LogBytes.value(kv, "from=").map(Bytes.string),
                    LogBytes.value(kv, "to=").map(Bytes.string), LogBytes.value(kv, "helo=").map(Bytes.string), client)
        }
        if let r = LogBytes.after(rest, " from ") {
            let p = peer(after: r)
            client = (p.host, p.ip, p.port)
            rest = p.rest
        }
        guard let r = LogBytes.after(rest, ": ") else { return nil }
        rest = r
        var replyEnd = rest.endIndex
        var kv: ArraySlice<UInt8> = []
        if let k = LogBytes.find(rest, "; from=<") ?? LogBytes.find(rest, "; proto=") {
            replyEnd = k
            kv = rest[(k + 2)...]
        }
        let reply = normaliseReply(rest[rest.startIndex..<replyEnd], stage: stage)
        return (stage, reply, LogBytes.value(kv, "from=").map(Bytes.string), LogBytes.value(kv, "to=").map(Bytes.string),
                LogBytes.value(kv, "helo=").map(Bytes.string), client)
    }

    /// A logged reply, with a code: milter rejects log only `4.7.1 text`, so the code follows the class.
    static func normaliseReply(_ s: ArraySlice<UInt8>, stage: String) -> [UInt8] {
        let t = Bytes.trimmed(s)
        if ReplyLine.matches(t) { return LogBytes.unfoldReply(t) }
        if let f = t.first, f == 0x34 || f == 0x35, t.count > 2, t[t.startIndex + 1] == 0x2E {
            let code: StaticString = f == 0x34 ? "451 " : (stage == "END-OF-MESSAGE" ? "554 " : "550 ")
            return Array(UnsafeBufferPointer(start: code.utf8Start, count: 4)) + Array(t)
        }
        return Array("550 ".utf8) + Array(t)
    }

    // MARK: - smtpd

    mutating func session(pid: Int, service: String, pos: SourcePosition) -> Inbound {
        if let s = smtpd[pid] { s.last = pos.time ?? now; return s }
        let s = Inbound(pid: pid, service: service, time: pos.time ?? now)
        if let pre = preNotes.removeValue(forKey: pid) { s.notes = pre }
        smtpd[pid] = s
        return s
    }

    mutating func bare(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String, emit: (Session) -> Void) -> Bool {
        // A message without syslog header: guess the daemon from its shape.
        if let q = Self.queuePrefix(m), q.qid != nil,
           LogBytes.starts(q.rest, "to=") || LogBytes.starts(q.rest, "host ") || LogBytes.starts(q.rest, "lost connection with")
            || LogBytes.starts(q.rest, "conversation with") || LogBytes.starts(q.rest, "connect to")
            || LogBytes.starts(q.rest, "SASL authentication failed") {
            return deliveryAgent(m, pid: 0, service: "postfix/smtp", pos: pos, text: text, emit: emit)
        }
        if LogBytes.starts(m, "connect to ") || LogBytes.starts(m, "SSL_connect error to")
            || LogBytes.starts(m, "certificate verification failed for") || LogBytes.find(m.prefix(40), "TLS connection established to") != nil {
            return deliveryAgent(m, pid: 0, service: "postfix/smtp", pos: pos, text: text, emit: emit)
        }
        if let q = Self.queuePrefix(m), q.qid != nil,
           LogBytes.starts(q.rest, "from=<") || LogBytes.starts(q.rest, "removed") || LogBytes.starts(q.rest, "message-id=")
            || LogBytes.starts(q.rest, "sender non-delivery") || LogBytes.starts(q.rest, "uid=") {
            return queueLine(m, daemon: [], pos: pos, text: text, emit: emit)
        }
        if LogBytes.starts(m, "CONNECT from") || LogBytes.starts(m, "PASS ") || LogBytes.starts(m, "DNSBL rank")
            || LogBytes.starts(m, "PREGREET") || LogBytes.starts(m, "HANGUP") || LogBytes.starts(m, "DISCONNECT") {
            return postscreenLine(m, pos: pos, text: text, emit: emit)
        }
        if LogBytes.starts(m, "addr ") { return dnsblogLine(m, pos: pos, text: text) }
        if LogBytes.starts(m, "action=") { return postgreyLine(m, pos: pos, text: text) }
        return smtpdLine(m, pid: 0, service: "postfix/smtpd", pos: pos, text: text, emit: emit)
    }

    mutating func smtpdLine(_ m: ArraySlice<UInt8>, pid: Int, service: String, pos: SourcePosition,
                            text: () -> String, emit: (Session) -> Void) -> Bool {
        if let r = LogBytes.after(m, "connect from ") {
            if let old = smtpd.removeValue(forKey: pid) { emitInbound(old, emit: emit) }
            let s = session(pid: pid, service: service, pos: pos)
            let p = Self.peer(after: r)
            s.client = Peer(host: p.host, address: p.ip, port: p.port)
            s.connectPos = pos
            if let ip = p.ip, let carried = ipNotes.removeValue(forKey: ip) { s.notes.insert(contentsOf: carried, at: 0) }
            s.add(LogNote(text: text(), pos: pos))
            return true
        }
        if let r = LogBytes.after(m, "disconnect from ") {
            let s = session(pid: pid, service: service, pos: pos)
            s.add(LogNote(text: text(), pos: pos))
            let p = Self.peer(after: r)
            if s.client.address == nil { s.client = Peer(host: p.host, address: p.ip, port: p.port) }
            s.tally = Self.tally(p.rest)
            s.disconnectPos = pos
            smtpd[pid] = nil
            close(s, emit: emit)
            return true
        }
        var body = m
        var qid: String?
        if let q = Self.queuePrefix(m) { qid = q.qid; body = q.rest }
        for (word, kind) in [("lost connection after ", "lost"), ("timeout after ", "timeout"),
                             ("too many errors after ", "errors")] as [(StaticString, String)] {
            if let r = LogBytes.after(body, word) {
                let s = session(pid: pid, service: service, pos: pos)
                s.add(LogNote(text: text(), pos: pos))
                var e = r.startIndex
                while e < r.endIndex, r[e] != Bytes.space { e += 1 }
                s.end = (kind, Bytes.string(r[r.startIndex..<e]), pos)
                if s.client.address == nil, let f = LogBytes.find(r, " from ") {
                    let p = Self.peer(after: r[(f + 6)...])
                    s.client = Peer(host: p.host, address: p.ip, port: p.port)
                }
                return true
            }
        }
        if let r = LogBytes.after(body, "reject: ") ?? LogBytes.after(body, "milter-reject: ")
            ?? LogBytes.after(body, "proxy-reject: ") {
            guard let rj = Self.rejectBody(r) else { return false }
            let s = session(pid: pid, service: service, pos: pos)
            s.add(LogNote(text: text(), pos: pos))
            if let h = rj.helo { s.helo = h }
            if s.client.address == nil { s.client = Peer(host: rj.client.0, address: rj.client.1, port: rj.client.2) }
            s.record(.reject(stage: rj.stage, reply: rj.reply, from: rj.from, to: rj.to, qid: qid, pos: pos))
            return true
        }
        if let r = LogBytes.after(body, "client=") {
            guard let qid else { return false }
            let s = session(pid: pid, service: service, pos: pos)
            let note = LogNote(text: text(), pos: pos)
            s.add(note)
            let p = Self.peer(after: r)
            if s.client.address == nil { s.client = Peer(host: p.host, address: p.ip, port: p.port) }
            if let user = LogBytes.value(r, "sasl_username=") { s.client.heloName = s.client.heloName; _ = user }
            s.record(.accepted(qid: qid, pos: pos))
            s.qids.append(qid)
            // A queue id given to a new message: an old story waiting under it is over.
            if let old = dormant.removeValue(forKey: qid) { emitStory(old, emit: emit) }
            if let q = queueInfo(qid) {
                q.inbound = s
                let t = track(q, qid)
                t.received(time: pos.time, client: Bytes.string(r.prefix { $0 != 0x2C && $0 != Bytes.space }.prefix(200)), position: pos)
                t.note(note.text, pos)
            }
            return true
        }
        if LogBytes.starts(body, "reject_warning: ") || LogBytes.starts(body, "discard: ") || LogBytes.starts(body, "hold: ")
            || LogBytes.starts(body, "filter: ") || LogBytes.starts(body, "redirect: ") || LogBytes.starts(body, "milter-")
            || LogBytes.starts(body, "warning: ") || LogBytes.starts(body, "replace: ") || LogBytes.starts(body, "prepend: ")
            || LogBytes.starts(body, "info: ") {
            if LogBytes.starts(body, "warning: ") { return smtpdWarning(body.dropFirst(9), pid: pid, service: service, pos: pos, text: text) }
            let s = session(pid: pid, service: service, pos: pos)
            s.add(LogNote(text: text(), pos: pos))
            if var f = FilterVerdict(postfix: body) {
                f.queueID = qid
                s.filter = f
                if let qid, let q = queueInfo(qid, create: false), let to = LogBytes.value(body, "to=") {
                    q.addRecipient(Bytes.string(to.prefix(512)))
                }
            }
            return true
        }
        if let tls = Self.tlsEstablished(m, pos: pos) {
            let s = session(pid: pid, service: service, pos: pos)
            s.add(LogNote(text: text(), pos: pos))
            s.tls = (tls, pos)
            return true
        }
        if LogBytes.starts(m, "improper command pipelining") || LogBytes.starts(m, "SSL_accept error")
            || LogBytes.starts(m, "mapping DSN status") || LogBytes.starts(m, "ignoring DNS RR")
            || LogBytes.starts(m, "discarding EHLO keywords") || LogBytes.starts(m, "bare <LF> received")
            || LogBytes.starts(body, "proxy-accept: ") || LogBytes.starts(m, "connect to ") || LogBytes.starts(m, "SASL authentication")
            || LogBytes.starts(m, "auto_clnt_") || LogBytes.starts(m, "xsasl_") || LogBytes.starts(m, "TLS SNI")
            || LogBytes.starts(m, "setting up TLS connection") || LogBytes.starts(m, "lost connection")
            || LogBytes.find(m.prefix(120), ": TLS cipher list") != nil || LogBytes.starts(m, "too many")
            || LogBytes.starts(m, "NOQUEUE: ") || LogBytes.starts(m, "fatal: ") || LogBytes.starts(m, "error: ")
            || LogBytes.starts(m, "panic: ") || LogBytes.starts(m, "Trusted TLS") || LogBytes.starts(m, "Untrusted TLS")
            || LogBytes.starts(m, "Anonymous TLS") || LogBytes.starts(m, "Verified TLS")
            || LogBytes.find(m.prefix(160), ": Issuing session ticket") != nil
            || LogBytes.find(m.prefix(160), ": Reusing old session") != nil
            || LogBytes.find(m.prefix(120), ": SASL") != nil {
            if let s = smtpd[pid] {
                s.add(LogNote(text: text(), pos: pos)); s.last = pos.time ?? now
                if LogBytes.starts(m, "SSL_accept error"), s.tls == nil { s.tlsFailure = pos }
            }
            else { preNote(pid, LogNote(text: text(), pos: pos)) }
            return true
        }
        // Unknown smtpd line: keep it with the session as evidence, but count it.
        if let s = smtpd[pid] { s.add(LogNote(text: text(), pos: pos)) }
        return false
    }

    mutating func preNote(_ pid: Int, _ n: LogNote) {
        var a = preNotes[pid] ?? []
        if a.count < 20 { a.append(n) }
        preNotes[pid] = a
    }

    mutating func smtpdWarning(_ w: ArraySlice<UInt8>, pid: Int, service: String, pos: SourcePosition, text: () -> String) -> Bool {
        let note = LogNote(text: text(), pos: pos)
        // Before `connect from` (hostname checks) the warning waits for the session.
        guard let s = smtpd[pid] else {
            if LogBytes.starts(w, "hostname ") || LogBytes.find(w.prefix(200), "address not listed for hostname") != nil
                || LogBytes.find(w.prefix(200), "hostname") != nil {
                preNote(pid, note)
                return true
            }
            // Rate limits and the like are logged inside a session; tolerate order oddities.
            let s = session(pid: pid, service: service, pos: pos)
            return smtpdWarning(w, into: s, note: note, pos: pos)
        }
        s.last = pos.time ?? now
        return smtpdWarning(w, into: s, note: note, pos: pos)
    }

    func smtpdWarning(_ w: ArraySlice<UInt8>, into s: Inbound, note: LogNote, pos: SourcePosition) -> Bool {
        s.add(note)
        if let sasl = LogBytes.find(w, ": SASL "), let failed = LogBytes.find(w[sasl...], " authentication failed") {
            let mech = Bytes.string(w[(sasl + 7)..<failed])
            let detail = LogBytes.after(w[(failed + 22)...], ": ").map(Bytes.string) ?? ""
            s.record(.sasl(mechanism: mech, text: detail, pos: pos))
            return true
        }
        if let r = LogBytes.find(w, "non-SMTP command from ") {
            let p = Self.peer(after: w[(r + 22)...])
            let cmd = LogBytes.after(p.rest, ": ").map(Bytes.string) ?? ""
            s.record(.nonSMTP(text: cmd, pos: pos))
            return true
        }
        if let r = LogBytes.find(w, "Illegal address syntax from ") {
            let rest = w[(r + 28)...]
            guard let inCmd = LogBytes.find(rest, " in ") else { return true }
            let after = rest[(inCmd + 4)...]
            let verb = LogBytes.starts(after, "RCPT") ? "RCPT" : "MAIL"
            let addr = LogBytes.find(after, "command: ").map { Bytes.string(after[($0 + 9)...]) } ?? ""
            s.record(.illegal(verb: verb, address: addr, pos: pos))
            return true
        }
        if LogBytes.find(w.prefix(80), "limit exceeded") != nil {
            s.record(.limit(text: Bytes.string(w), pos: pos))
            return true
        }
        return true
    }

    /// `Anonymous|Trusted|Untrusted|Verified TLS connection established from/to host[ip]: TLSv1.3 with cipher X (256/256 bits)`
    static func tlsEstablished(_ m: ArraySlice<UInt8>, pos: SourcePosition) -> TLSFacts? {
        guard let k = LogBytes.find(m.prefix(40), " TLS connection established ") else { return nil }
        var f = TLSFacts(position: pos)
        f.verify = Bytes.string(m[m.startIndex..<k])
        if let c = LogBytes.find(m, ": TLS") ?? LogBytes.find(m, ": SSL") {
            var e = c + 2
            while e < m.endIndex, m[e] != Bytes.space { e += 1 }
            f.version = Bytes.string(m[(c + 2)..<e])
            if let w = LogBytes.find(m[e...], " with cipher ") {
                var ce = w + 13
                while ce < m.endIndex, m[ce] != Bytes.space { ce += 1 }
                f.cipher = Bytes.string(m[(w + 13)..<ce])
            }
        }
        return f
    }

    /// Most commands of one verb a session's tally is replayed with (Postfix's default recipient limit).
    static let replayedCommandsPerVerb = 1_000

    /// `ehlo=2 starttls=1 mail=1 rcpt=0/1 data=1 quit=1 commands=7`
    static func tally(_ s: ArraySlice<UInt8>) -> [(verb: String, ok: Int, total: Int)]? {
        var out: [(String, Int, Int)] = []
        for word in s.split(separator: Bytes.space) {
            guard let eq = word.firstIndex(of: 0x3D) else { continue }
            let key = Bytes.string(word[word.startIndex..<eq])
            let v = word[(eq + 1)...]
            var ok: Int?, total: Int?
            if let slash = v.firstIndex(of: 0x2F) {
                ok = Bytes.integer(v[v.startIndex..<slash]); total = Bytes.integer(v[(slash + 1)...])
            } else { ok = Bytes.integer(v); total = ok }
            if let ok, let total, key != "commands" { out.append((key.uppercased(), ok, total)) }
        }
        return out.isEmpty ? nil : out
    }

    mutating func close(_ s: Inbound, emit: (Session) -> Void) {
        let open = s.qids.filter { q in queue[q].map { !$0.removed } ?? false }
        if open.isEmpty || held.count > limits.openSessions {
            if !open.isEmpty { stats.evicted += 1 }
            emitInbound(s, emit: emit)
            return
        }
        s.pendingQids = open.count
        for q in open { held[q] = s }
    }

    // MARK: - postscreen and dnsblog

    mutating func postscreenLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String, emit: (Session) -> Void) -> Bool {
        // Client key: the `[ip]:port` in the line.
        guard let open = m.firstIndex(of: 0x5B), let close = m[open...].firstIndex(of: 0x5D) else {
            return LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "cache ") || LogBytes.starts(m, "fatal: ")
                || LogBytes.starts(m, "error: ")
        }
        var end = close + 1
        if end < m.endIndex, m[end] == 0x3A { end += 1; while end < m.endIndex, Bytes.isDigit(m[end]) { end += 1 } }
        let key = Bytes.string(m[open..<end])
        let ip = Bytes.string(m[(open + 1)..<close])
        let note = LogNote(text: text(), pos: pos)
        if LogBytes.starts(m, "CONNECT from ") {
            if let old = postscreen.removeValue(forKey: key) { emitInbound(old, emit: emit) }
            let s = Inbound(pid: 0, service: "postfix/postscreen", time: pos.time ?? now)
            let hp = LogBytes.hostAddress(m[open..<end])
            s.client = Peer(host: nil, address: hp.ip, port: hp.port)
            s.connectPos = pos
            s.postscreen = true
            s.add(note)
            postscreen[key] = s
            return true
        }
        let s: Inbound
        if let p = postscreen[key] { s = p } else {
            s = Inbound(pid: 0, service: "postfix/postscreen", time: pos.time ?? now)
            let hp = LogBytes.hostAddress(m[open..<end])
            s.client = Peer(host: nil, address: hp.ip, port: hp.port)
            s.postscreen = true
            postscreen[key] = s
        }
        s.last = pos.time ?? now
        s.add(note)
        if LogBytes.starts(m, "PASS ") || LogBytes.starts(m, "WHITELISTED ") || LogBytes.starts(m, "ALLOWLISTED ") {
            // Handed to smtpd: the notes join the client's next smtpd session.
            postscreen[key] = nil
            var carried = ipNotes[ip] ?? []
            carried.append(contentsOf: s.notes.suffix(20))
            ipNotes[ip] = Array(carried.suffix(40))
            return true
        }
        if let r = LogBytes.after(m, "NOQUEUE: reject: ") {
            if let rj = Self.rejectBody(r) {
                if let h = rj.helo { s.helo = h }
                s.record(.reject(stage: rj.stage, reply: rj.reply, from: rj.from, to: rj.to, qid: nil, pos: pos))
            }
            return true
        }
        if LogBytes.starts(m, "HANGUP ") { s.end = ("lost", "CONNECT", pos); return true }
        if LogBytes.find(m.prefix(40), " LIMIT from ") != nil {
            s.end = ("timeout", "CONNECT", pos); return true
        }
        if LogBytes.starts(m, "DISCONNECT ") {
            postscreen[key] = nil
            if s.end == nil { s.end = ("postscreen", "CONNECT", pos) }
            emitInbound(s, emit: emit)
            return true
        }
        return LogBytes.starts(m, "PREGREET ") || LogBytes.starts(m, "DNSBL rank ") || LogBytes.starts(m, "BARE NEWLINE")
            || LogBytes.starts(m, "COMMAND ") || LogBytes.starts(m, "NON-SMTP COMMAND") || LogBytes.starts(m, "BLACKLISTED ")
            || LogBytes.starts(m, "DENYLISTED ") || LogBytes.starts(m, "WHITELIST VETO") || LogBytes.starts(m, "ALLOWLIST VETO")
            || LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "NOQUEUE: ") || LogBytes.starts(m, "HANGUP")
    }

    mutating func dnsblogLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String) -> Bool {
        if let r = LogBytes.after(m, "addr ") {
            var e = r.startIndex
            while e < r.endIndex, r[e] != Bytes.space { e += 1 }
            let ip = Bytes.string(r[r.startIndex..<e])
            var a = ipNotes[ip] ?? []
            if a.count < 20 { a.append(LogNote(text: text(), pos: pos)) }
            ipNotes[ip] = a
            return true
        }
        return LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "error: ")
    }

    /// `action=greylist, reason=new, client_name=..., client_address=192.0.2.1[/32], sender=..., recipient=...`
    mutating func postgreyLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String) -> Bool {
        guard LogBytes.starts(m, "action=") else {
            return LogBytes.starts(m, "Process Backgrounded") || LogBytes.starts(m, "cleaning") || LogBytes.starts(m, "whitelisted")
                || LogBytes.find(m.prefix(40), "Server") != nil || LogBytes.starts(m, "Setting") || LogBytes.starts(m, "Binding")
        }
        if var ip = LogBytes.value(m, "client_address=") {
            if let slash = ip.firstIndex(of: 0x2F) { ip = ip[ip.startIndex..<slash] }
            let key = Bytes.string(ip)
            // The check runs inside the smtpd session of that client (RCPT stage): attach there if open.
            if let s = smtpd.values.first(where: { $0.client.address == key }) { s.add(LogNote(text: text(), pos: pos)) }
            else {
                var a = ipNotes[key] ?? []
                if a.count < 20 { a.append(LogNote(text: text(), pos: pos)) }
                ipNotes[key] = a
            }
        }
        return true
    }

    /// `(01733-05) Blocked SPAM {DiscardedInbound,Quarantined}, [ip]:port [ip] <from> -> <to>, ..., Queue-ID:
    /// 4QbC1M2xYz, ...`: amavis's verdict on a message Postfix handed it, joined to the session that brought it
    /// in by the queue id. `Passed` lines and lines without a queue id are understood and left out.
    mutating func amavisLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String) -> Bool {
        guard let qid = LogBytes.value(m, "Queue-ID: "), !qid.isEmpty,
              let s = queue[Bytes.string(qid)]?.inbound else { return true }
        if var v = FilterVerdict(amavis: m) {
            s.add(LogNote(text: text(), pos: pos))
            v.queueID = Bytes.string(qid)
            s.filter = v
        } else if let tagged = SpamAssassinResult.amavisTagged(m) {
            // `Passed SPAM {RelayedTaggedInbound}`: delivered with a spam mark.
            s.add(LogNote(text: text(), pos: pos))
            s.spam = tagged
        }
        return true
    }

    /// Rspamd's verdict through syslog (`rspamd[pid]: <a1b2c3>; proxy; rspamd_task_write_log: ..., qid: <QID>,
    /// ...`): its score and symbols join the session of that queue id. Rspamd's other lines are understood.
    mutating func rspamdLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String) -> Bool {
        guard let k = LogBytes.find(m.prefix(200), RspamdLogReader.marker),
              let v = RspamdLogReader.verdict(m[(k + RspamdLogReader.marker.utf8CodeUnitCount)...]) else { return true }
        guard let qid = v.queueID, let s = queue[qid]?.inbound else { return true }
        s.add(LogNote(text: text(), pos: pos))
        s.spam = v.attributes
        return true
    }

    /// SpamAssassin's spamd (`spamd: result: Y 15 - BAYES_99,RCVD_IN_SBL,... required_score=5.0,...,mid=<m>`):
    /// joined by Message-ID to the sessions that brought the message in.
    mutating func spamdLine(_ m: ArraySlice<UInt8>, pos: SourcePosition, text: () -> String) -> Bool {
        guard let (mid, attributes) = SpamAssassinResult.parse(m) else { return true }
        for qid in queuesByMessageID[mid] ?? [] {
            guard let s = queue[qid]?.inbound else { continue }
            s.add(LogNote(text: text(), pos: pos))
            s.spam = attributes
        }
        return true
    }

    /// A queue id leaves the queue (and the Message-ID index).
    mutating func forget(_ qid: String) {
        guard let q = queue.removeValue(forKey: qid), let id = q.messageID, var qids = queuesByMessageID[id] else { return }
        qids.removeAll { $0 == qid }
        queuesByMessageID[id] = qids.isEmpty ? nil : qids
    }

    /// `dovecot: lmtp(bob@example.com)<pid><id>: msgid=<m@x>: saved mail to INBOX` and Sieve's `stored mail into
    /// mailbox 'Junk'`, `discard`, `forwarded to`: joined by Message-ID to the queue entries of that message
    /// (the session that brought it in, and the delivery to Dovecot). False for Dovecot's other lines.
    /// Read with Dovecot's own log, a delivery whose message is not known yet waits a moment for its
    /// `message-id=` line; then it is a session of its own, as when Dovecot's log is read alone.
    /// `parsed`: the delivery when the caller already read it.
    mutating func dovecotLine(_ m: ArraySlice<UInt8>, parsed: MailboxDelivery? = nil, line: ArraySlice<UInt8>,
                              host: ArraySlice<UInt8>?, pos: SourcePosition, text: () -> String,
                              emit: (Session) -> Void) -> Bool {
        guard let d = parsed ?? MailboxDelivery(dovecot: m) else { return false }
        let note = LogNote(text: text(), pos: pos)
        let qids = queuesByMessageID[d.messageID] ?? []
        if qids.isEmpty, joinsDovecot {
            let alone = DovecotLogReader.session(d, line: line, agentAt: m.startIndex,
                                                 host: host.flatMap { $0.isEmpty ? nil : Bytes.string($0.prefix(255)) },
                                                 input: input, at: pos)
            if unjoined.count >= limits.waiting { flushUnjoined(emit: emit, all: true) }
            unjoined.append(d, note: note, alone: alone, at: now)
            return true
        }
        join(d, note, to: qids)
        return true
    }

    /// Dovecot's delivery goes on the queue entries of its message and the sessions that brought them.
    func join(_ d: MailboxDelivery, _ note: LogNote, to qids: [String]) {
        for qid in qids {
            guard let q = queue[qid] else { continue }
            var d = d
            d.queueID = qid
            if q.mailbox == nil || d.notability > q.mailbox!.delivery.notability { q.mailbox = (d, note) }
            if let s = q.inbound {
                s.add(note)
                if s.mailbox == nil || d.notability > s.mailbox!.notability { s.mailbox = d }
            }
        }
    }

    /// What waited its moment goes on: removals first (they release sessions and attempts), then deliveries
    /// that found no message, each a session of its own.
    mutating func settle(emit: (Session) -> Void, all: Bool = false) {
        if !removing.isEmpty { for r in removing.due(now: now, all: all) { remove(r.qid, note: r.note, emit: emit) } }
        if !unjoined.isEmpty { flushUnjoined(emit: emit, all: all) }
    }

    mutating func flushUnjoined(emit: (Session) -> Void, all: Bool = false) {
        for alone in unjoined.due(now: now, all: all) {
            stats.sessions += 1
            emit(alone)
        }
    }

    // MARK: - queue manager, cleanup, local delivery, bounce

    /// `QID: removed`: the message is gone; its attempts, held session and story go out.
    mutating func remove(_ qid: String, note: LogNote, emit: (Session) -> Void) {
        guard let q = queue[qid] else { return }
        let pos = note.pos
        q.removed = true
        let t = q.track
        if let t, t.history.end == nil { t.end(t.outcome(removed: true), time: pos.time, position: pos) }
        t?.note(note.text, pos)
        // The message is gone: its delivery attempts are over.
        for (pid, o) in outbound.filter({ $0.value.qid == qid }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            outbound[pid] = nil
            emitOutbound(o, emit: emit)
        }
        if let s = held.removeValue(forKey: qid) {
            s.pendingQids -= 1
            if s.pendingQids <= 0 { emitInbound(s, emit: emit) }
        }
        // No attempt session was open to carry the story: it goes out on its own.
        if let t, t.worthOwnSession { emitStory(t, emit: emit) }
        forget(qid)
    }

    mutating func queueLine(_ m: ArraySlice<UInt8>, daemon: ArraySlice<UInt8>, pos: SourcePosition,
                            text: () -> String, emit: (Session) -> Void) -> Bool {
        guard let (qidOpt, body) = Self.queuePrefix(m), let qid = qidOpt else {
            return LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "fatal: ") || LogBytes.starts(m, "error: ")
                || LogBytes.starts(m, "statistics: ") || LogBytes.starts(m, "NOQUEUE: ") || LogBytes.starts(m, "Deleted: ")
                || LogBytes.starts(m, "Requeued: ") || LogBytes.starts(m, "Placed on hold: ") || LogBytes.starts(m, "Released from hold: ")
                || LogBytes.starts(m, "table ") || LogBytes.starts(m, "panic: ")
        }
        let q = queueInfo(qid)!
        let note = LogNote(text: text(), pos: pos)
        q.inbound?.add(note)
        // `postsuper -H`: the held message goes on, so the hold no longer explains anything.
        if LogBytes.starts(body, "released from hold"), let s = q.inbound, s.filter?.action == .hold { s.filter = nil }
        if let s = q.inbound, var f = FilterVerdict(postfix: body) {
            f.queueID = qid
            s.filter = f
            // cleanup throws a discarded message away itself: no `removed` line will come for it.
            if f.action == .discard { q.removed = true }
            // A discarded message never reaches qmgr: its envelope is in this line only.
            if q.sender == nil, let from = LogBytes.value(body, "from=") { q.sender = Bytes.string(from.prefix(512)) }
            if let to = LogBytes.value(body, "to=") { q.addRecipient(Bytes.string(to.prefix(512))) }
        }
        if q.notes.count < 6 { q.notes.append(note) }
        if let story = q.inbound { story.last = max(story.last, pos.time ?? now) }
        if LogBytes.starts(body, "from=<") {
            if let f = LogBytes.value(body, "from=") { q.sender = Bytes.string(f) }
            // `from=<a>, status=expired, returned to sender`: the queue lifetime is over.
            if let close = body.firstIndex(of: 0x3E), LogBytes.starts(body[(close + 1)...], ", status=expired") {
                let t = track(q, qid)
                t.received(time: nil, sender: q.sender)
                t.expired = true
                t.endDetail = "returned to sender"
                t.endPosition = pos
                t.note(note.text, pos)
            } else {
                if LogBytes.find(body, "(queue active)") != nil { q.round += 1 }
                // `from=<a>, size=1840, nrcpt=2 (queue active)` (repeated on every retry: the first one counts).
                guard q.track?.history.received?.size == nil else { return true }
                let t = track(q, qid)
                t.received(time: pos.time, sender: q.sender, size: LogBytes.value(body, "size=").flatMap { Bytes.integer($0) },
                           recipients: LogBytes.value(body, "nrcpt=").flatMap { Bytes.integer($0) }, position: pos)
                t.note(note.text, pos)
            }
            return true
        }
        if LogBytes.starts(body, "removed") {
            if joinsDovecot, removing.count < limits.waiting {
                removing.append((qid, note), at: now)
            } else {
                remove(qid, note: note, emit: emit)
            }
            return true
        }
        if LogBytes.starts(body, "to=") {
            if let t = LogBytes.value(body, "orig_to=") ?? LogBytes.value(body, "to=") { q.addRecipient(Bytes.string(t)) }
            // Local, virtual, pipe, error and retry results are attempts of the message too.
            if LogBytes.find(body, "status=") != nil, let st = Self.status(body, pos: pos) {
                let t = track(q, qid)
                let number: Int
                if let k = t.groupKey, k == pos.time ?? -1 { number = t.attempts } else { number = t.nextAttempt(); t.groupKey = pos.time }
                recordStatus(st, track: t, number: number)
                if st.status == "bounced" || st.status == "deferred" {
                    localFailure(st, daemon: Bytes.string(daemon), qid: qid, q, note: note, emit: emit)
                }
            }
            return true
        }
        if let r = LogBytes.after(body, "sender non-delivery notification: ") {
            if let t = q.track {
                let n = "non-delivery notification \(Bytes.string(Bytes.trimmed(r)))"
                t.endDetail = t.endDetail.map { $0 + "; " + n } ?? n
                t.note(note.text, pos)
            }
            return true
        }
        if LogBytes.starts(body, "message-id=") {
            var v = LogBytes.value(body, "message-id=") ?? []
            if v.isEmpty { v = body.dropFirst(11) }
            let id = Bytes.string(v.prefix(300))
            track(q, qid).received(time: pos.time, messageID: id, position: pos)
            if q.messageID == nil, !id.isEmpty {
                q.messageID = id
                var qids = queuesByMessageID[id] ?? []
                if qids.count < 8 { qids.append(qid) }
                queuesByMessageID[id] = qids
                // Dovecot's line of the same second, merged before this one, was waiting for it.
                if !unjoined.isEmpty { for u in unjoined.take(id) { join(u.delivery, u.note, to: [qid]) } }
            }
            return true
        }
        if let r = LogBytes.after(body, "uid=") {
            if let old = dormant.removeValue(forKey: qid) { emitStory(old, emit: emit) }
            let uid = r.prefix { $0 != Bytes.space }
            let t = track(q, qid)
            // pickup's `from=<billing>` is the login name; qmgr logs the envelope sender.
            t.received(time: pos.time, client: "local submission (uid=\(Bytes.string(uid)))", position: pos)
            t.note(note.text, pos)
            return true
        }
        if LogBytes.starts(body, "milter-reject: ") || LogBytes.starts(body, "reject: ") {
            let r = LogBytes.after(body, "milter-reject: ") ?? LogBytes.after(body, "reject: ")!
            if let rj = Self.rejectBody(r), let s = q.inbound {
                if let h = rj.helo { s.helo = h }
                s.record(.reject(stage: rj.stage, reply: rj.reply, from: rj.from, to: rj.to, qid: qid, pos: pos))
            }
            return true
        }
        return LogBytes.starts(body, "message-id=") || LogBytes.starts(body, "resent-message-id=")
            || LogBytes.starts(body, "uid=") || LogBytes.starts(body, "sender non-delivery notification")
            || LogBytes.starts(body, "sender delivery status notification") || LogBytes.starts(body, "postmaster non-delivery")
            || LogBytes.starts(body, "warning: ") || LogBytes.starts(body, "discard: ") || LogBytes.starts(body, "hold: ")
            || LogBytes.starts(body, "redirect: ") || LogBytes.starts(body, "filter: ") || LogBytes.starts(body, "replace: ")
            || LogBytes.starts(body, "milter-") || LogBytes.starts(body, "prepend: ") || LogBytes.starts(body, "info: ")
            || LogBytes.starts(body, "enabling PIX") || LogBytes.starts(body, "skipped, still being delivered")
            || LogBytes.starts(body, "released from hold") || LogBytes.starts(body, "placed on hold")
            || LogBytes.starts(body, "sender delay notification") || LogBytes.starts(body, "postmaster delay notification")
            || LogBytes.starts(body, "sender success notification") || LogBytes.starts(body, "expired") || LogBytes.starts(body, "requeued") || LogBytes.starts(body, "deferred")
            || LogBytes.find(body.prefix(40), "status=") != nil
    }

    // MARK: - smtp / lmtp delivery attempts

    mutating func deliveryAgent(_ m: ArraySlice<UInt8>, pid: Int, service: String, pos: SourcePosition,
                                text: () -> String, emit: (Session) -> Void) -> Bool {
        let note = LogNote(text: text(), pos: pos)
        guard let (qidOpt, body) = Self.queuePrefix(m), let qid = qidOpt else {
            // Lines without a queue id belong to the attempt the process is working on.
            if let r = LogBytes.after(m, "connect to ") {
                let o = outbound[pid]
                let (h, ip, port, reason) = Self.connectFailure(r)
                // Without a queue id yet: the attempt's status line (with its id) usually follows.
                let att = o ?? Outbound(pid: pid, qid: "", service: service, time: pos.time ?? now)
                att.connectFailures.append((h, ip, port, reason, pos, note)); att.last = pos.time ?? now
                if o == nil { outbound[pid] = att }
                return true
            }
            if let tls = Self.tlsEstablished(m, pos: pos) {
                if let o = outbound[pid] { o.tls = (tls, pos); o.add(note) }
                else { preNote(pid, note); pendingTLS[pid] = (tls, pos) }
                return true
            }
            let known = LogBytes.starts(m, "SSL_connect error") || LogBytes.starts(m, "certificate verification failed")
                || LogBytes.starts(m, "warning: ") || LogBytes.starts(m, "fatal: ") || LogBytes.starts(m, "error: ")
                || LogBytes.find(m.prefix(200), "TLS") != nil || LogBytes.starts(m, "server certificate")
                || LogBytes.starts(m, "Untrusted") || LogBytes.starts(m, "Host offered STARTTLS") || LogBytes.starts(m, "host ")
                || LogBytes.starts(m, "lost connection") || LogBytes.starts(m, "SASL ") || LogBytes.starts(m, "enabling PIX")
                || LogBytes.starts(m, "conversation with")
            if let o = outbound[pid] { o.add(note) } else if known { preNote(pid, note) }
            return known
        }
        let o: Outbound
        let round = queue[qid]?.round ?? 0
        if let cur = outbound[pid], cur.qid == qid, cur.round == round, pid != 0 || cur.service == service {
            o = cur
        } else if let cur = outbound[pid], cur.qid.isEmpty {
            cur.qid = qid
            cur.round = round
            o = cur
        } else {
            if let cur = outbound.removeValue(forKey: pid) { emitOutbound(cur, emit: emit) }
            o = Outbound(pid: pid, qid: qid, service: service, time: pos.time ?? now)
            o.round = round
            if let pre = preNotes.removeValue(forKey: pid) { o.notes = pre }
            if let t = pendingTLS.removeValue(forKey: pid) { o.tls = t }
            outbound[pid] = o
            if outbound.count > limits.openSessions, let oldest = outbound.min(by: { $0.value.last < $1.value.last }) {
                outbound[oldest.key] = nil
                stats.evicted += 1
                emitOutbound(oldest.value, emit: emit)
            }
        }
        o.last = pos.time ?? now
        o.add(note)
        if LogBytes.starts(body, "to=") {
            guard let st = Self.status(body, pos: pos) else { return false }
            // Past the cap the line was counted by `add` (an attempt has a note for each status).
            guard o.statuses.count < Outbound.maxLines else { return true }
            if let q = queueInfo(qid) {
                q.inbound?.add(note)
                q.addRecipient(st.to)
                let t = track(q, qid)
                if o.attempt == nil { o.attempt = t.nextAttempt(); t.openAttempts += 1 }
                recordStatus(st, track: t, number: o.attempt!)
            }
            o.statuses.append(st)
            return true
        }
        if let r = LogBytes.after(body, "host ") {
            // `host X said: ...` / `host X refused to talk to me: ...` without status (attempt continues).
            if let k = LogBytes.find(r, " refused to talk to me: ") {
                o.refused = (LogBytes.unfoldReply(r[(k + 24)...]), pos)
            }
            return true
        }
        if let r = LogBytes.after(body, "lost connection with ") {
            o.lostWhile = (Self.whileWhat(r), pos, false)
            return true
        }
        if let r = LogBytes.after(body, "conversation with ") {
            o.lostWhile = (Self.whileWhat(r), pos, true)
            return true
        }
        if let r = LogBytes.after(body, "connect to ") {
            let (h, ip, port, reason) = Self.connectFailure(r)
            o.connectFailures.append((h, ip, port, reason, pos, note))
            return true
        }
        if let r = LogBytes.after(body, "SASL authentication failed; server ") {
            if let k = LogBytes.find(r, " said: ") { o.saslFailure = (LogBytes.unfoldReply(r[(k + 7)...]), pos) }
            return true
        }
        return LogBytes.starts(body, "enabling PIX") || LogBytes.starts(body, "warning: ") || LogBytes.starts(body, "Host offered")
            || LogBytes.starts(body, "SASL ") || LogBytes.starts(body, "breaking line") || LogBytes.starts(body, "TLS ")
            || LogBytes.starts(body, "sender non-delivery") || LogBytes.find(body.prefix(160), "TLS") != nil
    }

    var pendingTLS: [Int: (TLSFacts, SourcePosition)] = [:]
    /// Emit placeholders for the costly session builds (see `deferBuilding`).
    var defers = false

    public mutating func deferBuilding() { defers = true }

    /// `mx.example.com[192.0.2.1]:25: Connection timed out`
    static func connectFailure(_ r: ArraySlice<UInt8>) -> (String?, String?, Int?, String) {
        let p = peer(after: r)
        let reason = LogBytes.after(p.rest, ": ").map { Bytes.string(Bytes.trimmed($0)) } ?? Bytes.string(Bytes.trimmed(p.rest))
        return (p.host, p.ip, p.port, reason)
    }

    /// `... while sending RCPT TO` → `RCPT TO`; `... while receiving the initial server greeting` → `greeting`.
    static func whileWhat(_ r: ArraySlice<UInt8>) -> String {
        guard let w = LogBytes.find(r, " while ") else { return "" }
        let t = Bytes.string(r[(w + 7)...])
        if t.contains("greeting") { return "greeting" }
        if t.contains("EHLO") || t.contains("HELO") || t.contains("LHLO") { return "EHLO" }
        if t.hasPrefix("sending ") {
            let what = t.dropFirst(8)
            if what.hasPrefix("end of data") || what.hasPrefix("message body") { return "." }
            if what.hasPrefix("RCPT") { return "RCPT" }
            if what.hasPrefix("MAIL") { return "MAIL" }
            if what.hasPrefix("DATA") { return "DATA" }
            if what.hasPrefix("STARTTLS") { return "STARTTLS" }
            return String(what.prefix(8))
        }
        if t.contains("STARTTLS") || t.contains("TLS") { return "STARTTLS" }
        return t
    }

    static func status(_ body: ArraySlice<UInt8>, pos: SourcePosition) -> Status? {
        guard let to = LogBytes.value(body, "to="), let st = LogBytes.value(body, "status=") else { return nil }
        var detail: ArraySlice<UInt8> = []
        if let k = LogBytes.find(body, "status=") {
            let after = body[(k + 7 + st.count)...]
            if let open = after.firstIndex(of: 0x28), let close = after.lastIndex(of: 0x29), close > open {
                detail = after[(open + 1)..<close]
            } else {
                detail = Bytes.trimmed(after)
            }
        }
        let origTo = LogBytes.value(body, "orig_to=")
        return Status(to: Bytes.string(origTo ?? to), status: Bytes.string(st),
                      dsn: LogBytes.value(body, "dsn=").map(Bytes.string), detail: detail, pos: pos,
                      relay: LogBytes.value(body, "relay=").map(Bytes.string),
                      delay: LogBytes.value(body, "delay=").map(Bytes.string))
    }

    // MARK: - Emitting inbound sessions

    enum Step {
        case client(String, SourcePosition)
        case server([UInt8], SourcePosition)
        case tls(TLSFacts, SourcePosition)
        case tlsFailed(SourcePosition)
        case closed(Closer, SourcePosition)
    }

    mutating func emitInbound(_ s: Inbound, emit: (Session) -> Void) {
        for q in s.qids where held[q] === s { held[q] = nil }
        // The story is told: later lines of these messages no longer reach (and keep alive) this session.
        for q in s.qids where queue[q]?.inbound === s { queue[q]?.inbound = nil }
        // The dialogue is decided now (it reads the queue's sender and recipients, which later lines change);
        // replaying it through SessionBuilder, the costly part, may happen on another thread.
        let replay = InboundReplay(input: input, inbound: s, steps: replayInbound(s))
        stats.sessions += 1
        emit(defers ? Session(input: input, format: Self.formatID, weight: s.notes.count + replay.steps.count, pending: replay.build)
                    : replay.build())
    }

    /// An smtpd session's rebuilt dialogue and its evidence, as values.
    struct InboundReplay: Sendable {
        let input: String
        let client: Peer
        let helo: String?
        let service: String
        let pid: Int
        let qids: [String]
        let notes: [LogNote]
        let connectPos: SourcePosition?
        let tally: [(verb: String, ok: Int, total: Int)]?
        let steps: [Step]
        let filter: FilterVerdict?
        let mailbox: MailboxDelivery?
        let spam: [String: String]?
        /// Events of the session not kept (`Inbound.maxEvents`).
        let dropped: Int

        init(input: String, inbound s: Inbound, steps: [Step]) {
            self.input = input
            client = s.client; helo = s.helo; service = s.service; pid = s.pid; qids = s.qids; notes = s.notes
            connectPos = s.connectPos; tally = s.tally; filter = s.filter; mailbox = s.mailbox; spam = s.spam
            dropped = s.droppedEvents
            self.steps = steps
        }

        func build() -> Session {
            var b = SessionBuilder(input: input, format: PostfixLogReader.formatID)
            b.direction = .inbound
            b.client = client
            if let h = helo { b.client.heloName = h }
            b.attributes["service"] = service
            if pid != 0 { b.attributes["pid"] = String(pid) }
            if !qids.isEmpty { b.attributes["queue-id"] = qids.joined(separator: " ") }
            if let first = notes.first { b.attributes["log-first-line"] = String(first.pos.line ?? 0) }
            filter?.record(in: &b.attributes)
            mailbox?.record(in: &b.attributes)
            for (k, v) in spam ?? [:] { b.attributes[k] = v }
            var ni = 0
            func flushNotes(upTo line: Int?) {
                while ni < notes.count, line == nil || notes[ni].pos.order <= line! {
                    b.note(notes[ni].text, kind: .log, at: notes[ni].pos)
                    ni += 1
                }
            }
            if let c = connectPos {
                flushNotes(upTo: c.order)
                b.connected(address: nil, port: nil, at: c)
                b.server.address = nil
            }
            for step in steps {
                switch step {
                case .client(let t, let p):
                    flushNotes(upTo: p.order)
                    b.client(Array(t.utf8)[...], at: p, inferred: true)
                case .server(let r, let p):
                    flushNotes(upTo: p.order)
                    b.server(r[...], at: p, inferred: true)
                case .tls(let f, let p):
                    b.tlsEstablished(f, at: p)
                case .tlsFailed(let p):
                    b.tlsFailed(at: p)
                case .closed(let c, let p):
                    flushNotes(upTo: p.order)
                    b.closed(by: c, at: p)
                }
            }
            flushNotes(upTo: nil)
            if dropped > 0, let last = notes.last {
                b.note("\(dropped) more refusals and events of this session were not kept (at most \(Inbound.maxEvents) per session).",
                       kind: .tool, at: last.pos)
            }
            if tally != nil { b.attributes["commands"] = tally!.map { $0.ok == $0.total ? "\($0.verb.lowercased())=\($0.ok)" : "\($0.verb.lowercased())=\($0.ok)/\($0.total)" }.joined(separator: " ") }
            var session = b.finish()
            for (i, t) in session.transactions.enumerated() where t.delivered && t.queueID == nil {
                session.transactions[i].queueID = qids.first
            }
            return session
        }
    }

    /// Rebuild the dialogue of an smtpd session from what its lines prove.
    func replayInbound(_ s: Inbound) -> [Step] {
        var steps: [Step] = []
        let start = s.connectPos ?? s.notes.first?.pos ?? SourcePosition(input: input)
        let endPos = s.disconnectPos ?? s.end?.pos ?? s.notes.last?.pos ?? start
        var tally = VerbCounts<(ok: Int, total: Int)>()
        // Every counted command becomes a replayed step: a hostile "rcpt=331200000000" must not become
        // that many (a real session's counts are far below the cap; the attribute keeps the logged ones).
        let cap = Self.replayedCommandsPerVerb
        for t in s.tally ?? [] { tally[t.verb] = (min(max(t.ok, 0), cap), min(max(t.total, 0), cap)) }
        func used(_ verb: String) -> Int { tally[verb]?.total ?? 0 }
        var remainingFail = VerbCounts<Int>()
        for (k, v) in tally { remainingFail[k] = v.total - v.ok }
        var remainingOK = VerbCounts<Int>()
        for (k, v) in tally { remainingOK[k] = v.ok }
        func take(_ verb: String, ok: Bool) {
            if ok { remainingOK[verb, default: 0] -= 1 } else { remainingFail[verb, default: 0] -= 1 }
        }
        let endAfter = s.end?.after.uppercased()

        // Greeting: a CONNECT reject or a rate limit replaces it.
        var greetingRefused = false
        for e in s.events {
            if case .reject(let stage, let reply, _, _, _, let p) = e, stage == "CONNECT" {
                steps.append(.server(reply, p)); greetingRefused = true; break
            }
            if case .limit(let text, let p) = e {
                steps.append(.server(Array("421 4.7.0 Error: \(text)".utf8), p)); greetingRefused = true; break
            }
        }
        if s.postscreen {
            let hasReject = s.events.contains { if case .reject = $0 { return true } else { return false } }
            if !hasReject {
                if let e = s.end { steps.append(.closed(e.kind == "timeout" || e.kind == "postscreen" ? .server : .unknown, e.pos)) }
                return steps
            }
        }
        if !greetingRefused {
            if s.end != nil, endAfter == "CONNECT", s.tally == nil || s.tally!.isEmpty {
                steps.append(.server(Array("220 (greeting not logged)".utf8), start))
            } else {
                steps.append(.server(Array("220 (greeting not logged)".utf8), start))
            }
        }
        let heloName = s.helo ?? s.client.heloName ?? ""
        let heloVerb = used("HELO") > 0 && used("EHLO") == 0 ? "HELO" : "EHLO"
        var heloCount = max(used("EHLO") + used("HELO"), 0)
        var heloRejects: [Event] = []
        for e in s.events { if case .reject(let st, _, _, _, _, _) = e, st == "EHLO" || st == "HELO" { heloRejects.append(e) } }
        let anyDialogue = !s.events.isEmpty || s.tally != nil || s.tls != nil
        if heloCount == 0, anyDialogue, s.tally == nil,
           s.events.contains(where: { if case .reject(let st, _, _, _, _, _) = $0 { return st != "CONNECT" } else { return false } }) {
            heloCount = 1
        }
        if heloCount == 0, s.tls != nil { heloCount = 1 }
        // HELO/EHLO before STARTTLS.
        var helosLeft = heloCount
        func helo(at p: SourcePosition) {
            guard helosLeft > 0 else { return }
            helosLeft -= 1
            let verb = heloVerb
            steps.append(.client("\(verb) \(heloName)".trimmingTrailingSpace, p))
            if let idx = heloRejects.indices.first, case .reject(_, let reply, _, _, _, let rp) = heloRejects[idx] {
                heloRejects.remove(at: idx)
                steps.append(.server(reply, rp))
                take(verb, ok: false)
            } else if remainingOK[verb, default: 1] > 0 || s.tally == nil {
                steps.append(.server(Array("250 (reply not logged)".utf8), p))
                take(verb, ok: true)
            } else if endAfter == verb || endAfter == "EHLO" || endAfter == "HELO" {
                // The connection was lost with this command unanswered.
            } else {
                steps.append(.server(Array("501 5.5.2 (reply not logged)".utf8), p))
                take(verb, ok: false)
            }
        }
        if heloCount > 0 { helo(at: start) }
        if used("STARTTLS") > 0 || s.tls != nil {
            let p = s.tls?.1 ?? s.tlsFailure ?? start
            steps.append(.client("STARTTLS", p))
            if remainingOK["STARTTLS", default: 1] > 0 || s.tls != nil {
                steps.append(.server(Array("220 2.0.0 Ready to start TLS".utf8), p))
                if let t = s.tls { steps.append(.tls(t.0, t.1)) }
                take("STARTTLS", ok: true)
                if helosLeft > 0 { helo(at: p) }
            } else if let f = s.tlsFailure {
                // Postfix said go ahead; the handshake failed (it counts that STARTTLS as failed).
                steps.append(.server(Array("220 2.0.0 Ready to start TLS".utf8), p))
                steps.append(.tlsFailed(f))
                take("STARTTLS", ok: false)
            } else if endAfter != "STARTTLS" {
                steps.append(.server(Array("454 4.7.0 TLS not available (reply not logged)".utf8), p))
            }
        }
        while helosLeft > 0 { helo(at: start) }
        // AUTH.
        var authFails = s.events.compactMap { e -> (String, String, SourcePosition)? in
            if case .sasl(let m, let t, let p) = e { return (m, t, p) }
            return nil
        }
        let authTotal = max(used("AUTH"), authFails.count)
        for i in 0..<authTotal {
            if !authFails.isEmpty {
                let (mech, text, p) = authFails.removeFirst()
                steps.append(.client("AUTH \(mech)", p))
                steps.append(.server(Array("535 5.7.8 Error: authentication failed: \(text)".utf8), p))
                take("AUTH", ok: false)
            } else if remainingOK["AUTH", default: 0] > 0 {
                steps.append(.client("AUTH", start))
                steps.append(.server(Array("235 2.7.0 Authentication successful".utf8), start))
                take("AUTH", ok: true)
            } else if i == authTotal - 1, endAfter == "AUTH" {
                steps.append(.client("AUTH", endPos))
            } else {
                steps.append(.client("AUTH", start))
                steps.append(.server(Array("535 5.7.8 Error: authentication failed (reply not logged)".utf8), start))
                take("AUTH", ok: false)
            }
        }
        // Transactions, in log order.
        var inTransaction = false
        var currentFrom: String?
        var currentQid: String?
        var rcptShown = Set<String>()
        var mailsShown = 0, rcptsShown = 0
        func endTransaction(at p: SourcePosition, eom: (reply: [UInt8], pos: SourcePosition)? = nil,
                            dataReject: (reply: [UInt8], pos: SourcePosition)? = nil) {
            guard inTransaction else { return }
            if let qid = currentQid {
                let info = queue[qid]
                for r in info?.recipients ?? [] where !rcptShown.contains(r) && (remainingOK["RCPT"] ?? 1) > 0 {
                    rcptShown.insert(r)
                    steps.append(.client("RCPT TO:<\(r)>", p))
                    steps.append(.server(Array("250 2.1.5 Ok".utf8), p))
                    take("RCPT", ok: true); rcptsShown += 1
                }
                let dataVerb = used("BDAT") > 0 && used("DATA") == 0 ? "BDAT" : "DATA"
                if let dr = dataReject {
                    steps.append(.client("DATA", dr.pos)); steps.append(.server(dr.reply, dr.pos)); take("DATA", ok: false)
                } else if dataVerb == "BDAT" {
                    steps.append(.client("BDAT 0 LAST", p))
                    if let e = eom { steps.append(.server(e.reply, e.pos)) }
                    else { steps.append(.server(Array("250 2.0.0 Ok: queued as \(qid)".utf8), p)) }
                    take("BDAT", ok: eom == nil)
                } else if (remainingOK["DATA"] ?? 1) > 0 || eom != nil {
                    steps.append(.client("DATA", p))
                    steps.append(.server(Array("354 End data with <CR><LF>.<CR><LF>".utf8), p))
                    // Postfix counts DATA as failed when the end of message was refused.
                    take("DATA", ok: eom == nil)
                    let lostInData = endAfter == "DATA" || endAfter == "END-OF-MESSAGE" && eom == nil && s.tally.map { t in t.contains { $0.verb == "DATA" && $0.ok == 0 } } == true
                    if let e = eom {
                        steps.append(.client(".", e.pos)); steps.append(.server(e.reply, e.pos))
                    } else if !lostInData {
                        steps.append(.client(".", p))
                        steps.append(.server(Array("250 2.0.0 Ok: queued as \(qid)".utf8), p))
                    }
                }
            }
            inTransaction = false
            currentQid = nil
            currentFrom = nil
        }
        func startTransaction(from: String?, at p: SourcePosition) {
            inTransaction = true
            currentFrom = from
            mailsShown += 1
            steps.append(.client(LogSessionDraft.mailFrom(from), p))
            steps.append(.server(Array("250 2.1.0 Ok".utf8), p))
            take("MAIL", ok: true)
        }
        for e in s.events {
            switch e {
            case .reject(let stage, let reply, let from, let to, let qid, let p):
                switch stage {
                case "CONNECT", "EHLO", "HELO": continue
                case "MAIL":
                    endTransaction(at: p)
                    mailsShown += 1
                    steps.append(.client(LogSessionDraft.mailFrom(from), p)); steps.append(.server(reply, p))
                    take("MAIL", ok: false)
                case "RCPT", "VRFY", "ETRN":
                    if stage == "RCPT" {
                        if !inTransaction || (currentFrom != nil && from != nil && currentFrom != from && currentQid == nil) {
                            endTransaction(at: p); startTransaction(from: from, at: p)
                        }
                        if let to { rcptShown.insert(to) }
                        steps.append(.client(LogSessionDraft.rcptTo(to), p)); steps.append(.server(reply, p))
                        take("RCPT", ok: false); rcptsShown += 1
                    } else {
                        steps.append(.client("\(stage) \(to ?? "")", p)); steps.append(.server(reply, p))
                    }
                case "DATA":
                    if !inTransaction { startTransaction(from: from, at: p) }
                    if currentQid == nil {
                        steps.append(.client("DATA", p)); steps.append(.server(reply, p)); take("DATA", ok: false)
                        inTransaction = false
                    } else { endTransaction(at: p, dataReject: (reply, p)) }
                case "END-OF-MESSAGE", "BDAT":
                    if !inTransaction { startTransaction(from: from, at: p) }
                    if currentQid == nil, let qid { currentQid = qid }
                    if currentQid == nil {
                        steps.append(.client("DATA", p)); steps.append(.server(Array("354 End data with <CR><LF>.<CR><LF>".utf8), p))
                        steps.append(.client(".", p)); steps.append(.server(reply, p))
                        inTransaction = false
                    } else { endTransaction(at: p, eom: (reply, p)) }
                default:
                    steps.append(.client(stage, p)); steps.append(.server(reply, p))
                }
                _ = qid
            case .accepted(let qid, let p):
                let info = queue[qid]
                if inTransaction, currentQid == nil {
                    currentQid = qid
                } else {
                    endTransaction(at: p)
                    startTransaction(from: info?.sender ?? currentFrom, at: p)
                    currentQid = qid
                }
                if let first = info?.recipients.first, !rcptShown.contains(first) {
                    rcptShown.insert(first)
                    steps.append(.client("RCPT TO:<\(first)>", p)); steps.append(.server(Array("250 2.1.5 Ok".utf8), p))
                    take("RCPT", ok: true); rcptsShown += 1
                } else if info?.recipients.isEmpty ?? true {
                    steps.append(.client("RCPT TO:<(recipient not logged)>", p)); steps.append(.server(Array("250 2.1.5 Ok".utf8), p))
                    take("RCPT", ok: true); rcptsShown += 1
                }
            case .illegal(let verb, let address, let p):
                endTransaction(at: p)
                if verb == "MAIL" {
                    mailsShown += 1
                    steps.append(.client("MAIL FROM:\(address)", p))
                    steps.append(.server(Array("501 5.1.7 Bad sender address syntax".utf8), p))
                    take("MAIL", ok: false)
                } else {
                    steps.append(.client("RCPT TO:\(address)", p))
                    steps.append(.server(Array("501 5.1.3 Bad recipient address syntax".utf8), p))
                    take("RCPT", ok: false)
                }
            case .nonSMTP(let text, let p):
                steps.append(.client(text, p))
                steps.append(.server(Array("502 5.5.2 Error: command not recognized".utf8), p))
            case .sasl, .limit:
                continue
            }
        }
        // Commands the tally counts that no line explained.
        let lastPos = s.end?.pos ?? endPos
        if inTransaction, currentQid != nil { endTransaction(at: lastPos) }
        let mailOK = remainingOK["MAIL"] ?? 0
        let mailFail = remainingFail["MAIL"] ?? 0
        let tlsOn = s.tls != nil || (tally["STARTTLS"]?.ok ?? 0) > 0
        if mailFail > 0 {
            endTransaction(at: lastPos)
            for _ in 0..<mailFail {
                steps.append(.client(LogSessionDraft.mailFrom(nil), lastPos))
                if heloCount == 0 {
                    steps.append(.server(Array("503 5.5.1 Error: send HELO/EHLO first".utf8), lastPos))
                } else if !tlsOn {
                    // Postfix logs no line for this refusal; with no TLS started it is the usual one
                    // (smtpd_tls_security_level=encrypt, typical on submission).
                    steps.append(.server(Array("530 5.7.0 Must issue a STARTTLS command first".utf8), lastPos))
                } else {
                    steps.append(.server(Array("503 5.5.1 Error: nested MAIL command".utf8), lastPos))
                }
                take("MAIL", ok: false)
            }
        }
        if mailOK > 0, !inTransaction {
            for _ in 0..<mailOK { startTransaction(from: nil, at: lastPos) }
        }
        let rcptFail = remainingFail["RCPT"] ?? 0
        for _ in 0..<max(rcptFail, 0) {
            steps.append(.client("RCPT TO:<(recipient not logged)>", lastPos))
            if inTransaction { steps.append(.server(Array("550 (reply not logged)".utf8), lastPos)) }
            else { steps.append(.server(Array("503 5.5.1 Error: need MAIL command".utf8), lastPos)) }
        }
        let rcptOK = remainingOK["RCPT"] ?? 0
        if rcptOK > 0, inTransaction {
            for _ in 0..<rcptOK {
                steps.append(.client("RCPT TO:<(recipient not logged)>", lastPos)); steps.append(.server(Array("250 2.1.5 Ok".utf8), lastPos))
            }
        }
        let dataFail = remainingFail["DATA"] ?? 0
        for _ in 0..<max(dataFail, 0) {
            steps.append(.client("DATA", lastPos))
            steps.append(.server(Array((rcptsShown > 0 ? "554 5.5.1 Error: no valid recipients" : "503 5.5.1 Error: need RCPT command").utf8), lastPos))
        }
        if (remainingOK["DATA"] ?? 0) > 0, inTransaction {
            steps.append(.client("DATA", lastPos))
            steps.append(.server(Array("354 End data with <CR><LF>.<CR><LF>".utf8), lastPos))
        }
        for verb in ["RSET", "NOOP", "VRFY", "EXPN", "HELP", "ETRN", "UNKNOWN"] {
            for _ in 0..<max(remainingOK[verb] ?? 0, 0) {
                steps.append(.client(verb == "UNKNOWN" ? "(unknown command)" : verb, lastPos))
                steps.append(.server(Array("250 (reply not logged)".utf8), lastPos))
            }
            for _ in 0..<max(remainingFail[verb] ?? 0, 0) {
                steps.append(.client(verb == "UNKNOWN" ? "(unknown command)" : verb, lastPos))
                steps.append(.server(Array((verb == "UNKNOWN" ? "502 5.5.2 Error: command not recognized" : "502 5.5.1 (reply not logged)").utf8), lastPos))
            }
        }
        // How it ended.
        if let e = s.end {
            switch e.kind {
            case "lost":
                if let a = endAfter, a != "CONNECT", !a.isEmpty, (remainingFail[a] ?? 0) > 0 || s.tally == nil, !stepsEndWithCommand(steps) {
                    // The command was sent and the connection dropped before the reply.
                    let verb = a == "END-OF-MESSAGE" ? "." : a
                    if a != "DATA" && a != "END-OF-MESSAGE" { steps.append(.client(verb, e.pos)) }
                }
                steps.append(.closed(.unknown, e.pos))
            case "timeout":
                steps.append(.server(Array("421 4.4.2 Error: timeout exceeded".utf8), e.pos))
                steps.append(.closed(.server, e.pos))
            case "errors":
                steps.append(.server(Array("421 4.7.0 Error: too many errors".utf8), e.pos))
                steps.append(.closed(.server, e.pos))
            default:
                steps.append(.closed(.server, e.pos))
            }
        } else if used("QUIT") > 0, let d = s.disconnectPos {
            steps.append(.client("QUIT", d))
            steps.append(.server(Array("221 2.0.0 Bye".utf8), d))
            steps.append(.closed(.client, d))
        } else if let d = s.disconnectPos {
            if s.events.contains(where: { if case .nonSMTP = $0 { return true } else { return false } }) {
                steps.append(.closed(.server, d))
            } else {
                steps.append(.closed(.unknown, d))
            }
        }
        return steps
    }

    func stepsEndWithCommand(_ steps: [Step]) -> Bool {
        if case .client = steps.last { return true }
        return false
    }

    // MARK: - Emitting outbound sessions

    /// A recipient that failed without an SMTP dialogue: a local, virtual or pipe delivery (joined to the inbound
    /// session that brought the message, or a session of its own), or the error transport's verdict on a
    /// destination (`delivery temporarily suspended: ...`).
    mutating func localFailure(_ st: Status, daemon: String, qid: String, _ q: QueueInfo, note: LogNote,
                               emit: (Session) -> Void) {
        var detail = st.detail
        if let r = LogBytes.after(detail, "delivery temporarily suspended: ") { detail = r }
        let reason = Bytes.string(detail.prefix(1000))
        if daemon == "local" || daemon == "virtual" || daemon == "pipe" {
            var d = MailboxDelivery(failedBy: "postfix/" + daemon, user: st.to, messageID: q.messageID ?? "",
                                    status: st.status, reason: reason, dsn: st.dsn)
            d.queueID = qid
            if let s = q.inbound {
                if s.mailbox == nil || d.notability > s.mailbox!.notability { s.mailbox = d }
                return
            }
            // The log does not show how the message came in: the failed delivery is a session of its own.
            stats.sessions += 1
            var extra = ["service": "postfix/" + daemon]
            if let dsn = st.dsn { extra["dsn"] = dsn }
            emit(d.session(input: input, format: Self.formatID, line: note.text, at: note.pos, queueID: qid,
                           sender: q.sender, recipients: [st.to], attributes: extra))
            return
        }
        guard daemon == "error" || daemon == "retry" else { return }
        let service = "postfix/" + daemon
        if let r = LogBytes.after(detail, "connect to ") {
            let (h, ip, port, why) = Self.connectFailure(r)
            emitUnreachable(host: h, ip: ip, port: port, reason: why, service: service, qid: qid, notes: [note], pos: st.pos, emit: emit)
        } else if Self.isConnectionFault(reason) {
            emitUnreachable(host: nil, ip: nil, port: nil, reason: reason, service: service, qid: qid, notes: [note], pos: st.pos, emit: emit)
        } else {
            emitOwnReason(reason, st: st, service: service, qid: qid, q, notes: [note], emit: emit)
        }
    }

    /// A reason about reaching the server (refused, timed out, no address, the connection lost) rather than
    /// Postfix's own decision (a mail loop, a TLSA lookup, a missing transport).
    /// Only statuses without a relay get here (a few in a log), so `failure`'s words are reused as they are.
    static func isConnectionFault(_ reason: String) -> Bool {
        failure(reason) != .other || reason.contains("onnection") || reason.contains("conversation with") || reason.hasPrefix("host ")
    }

    /// Postfix's own reason for not delivering, with no server reply to quote (`mta-reason`).
    mutating func emitOwnReason(_ reason: String, st: Status, recipients: [String]? = nil, service: String, qid: String,
                                _ q: QueueInfo?, notes: [LogNote], emit: (Session) -> Void) {
        stats.sessions += 1
        var seen = Set<String>()
        let to = (recipients ?? [st.to]).filter { seen.insert($0).inserted }
        var s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: reason, notes: notes,
                                        envelope: (q?.sender, to), qid: qid)
        s.attributes["service"] = service
        if let dsn = st.dsn { s.attributes["dsn"] = dsn }
        s.attributes["status"] = st.status
        s.direction = .outbound
        emit(s)
    }

    mutating func emitUnreachable(host: String?, ip: String?, port: Int?, reason: String, service: String, qid: String?,
                                  notes: [LogNote], pos: SourcePosition, emit: (Session) -> Void) {
        let q = qid.flatMap { queue[$0] }
        stats.sessions += 1
        emit(Self.unreachable(input: input, format: Self.formatID, host: host, ip: ip, port: port, reason: reason,
                              service: service, qid: qid, notes: notes, pos: pos,
                              envelope: q.map { ($0.sender, $0.recipients) }))
    }

    /// A delivery attempt that never reached a server (refused, timed out, no address), with the message's
    /// sender and recipients when they are known (the log's queue, a queue listing).
    static func unreachable(input: String, format: String, host: String?, ip: String?, port: Int?, reason: String,
                            failure known: ConnectFailure? = nil, service: String, qid: String?, notes: [LogNote], pos: SourcePosition,
                            envelope: (sender: String?, recipients: [String])?, unexplained: Bool = false) -> Session {
        var b = SessionBuilder(input: input, format: format)
        b.direction = .outbound
        b.attributes["service"] = service
        if let qid, !qid.isEmpty {
            b.attributes["queue-id"] = qid
        }
        for n in notes where n.pos.order != pos.order { b.note(n.text, kind: .log, at: n.pos) }
        b.connecting(host: host, address: ip, port: port, at: pos)
        if let n = notes.first(where: { $0.pos.order == pos.order }) { b.note(n.text, kind: .log, at: n.pos) }
        b.connectFailed(known ?? failure(reason), detail: reason, at: pos, unexplained: unexplained)
        var s = b.finish()
        if let envelope {
            var t = Transaction(sender: envelope.sender)
            t.recipients = envelope.recipients.map { .init(address: $0, accepted: nil, reply: nil) }
            t.queueID = qid
            s.transactions.append(t)
        }
        return s
    }

    static func failure(_ reason: String) -> ConnectFailure {
        let r = reason.lowercased()
        if r.contains("timed out") { return .timedOut }
        if r.contains("refused") { return .refused }
        if r.contains("no route") { return .noRoute }
        if r.contains("network is unreachable") || r.contains("unreachable") { return .networkUnreachable }
        if r.contains("host not found") || r.contains("name service error") || r.contains("host or domain name not found") { return .nameNotResolved }
        return .other
    }

    /// Emit an attempt's session(s). The attempt that ends its message's retry chain (the message was
    /// removed, expired, or every recipient has a final status, and no other attempt is open) carries the
    /// message's story.
    mutating func emitOutbound(_ o: Outbound, emit: (Session) -> Void) {
        let q = o.qid.isEmpty ? nil : queue[o.qid]
        let t = q?.track
        if let t, o.attempt != nil { t.openAttempts -= 1 }
        guard let q, let t, o.attempt != nil, !t.told, t.openAttempts <= 0, q.removed || t.expired || t.allFinal,
              t.worthTelling else {
            emitAttempt(o, emit: emit)
            return
        }
        if t.history.end == nil { t.end(t.outcome(removed: q.removed), time: o.last, position: nil) }
        t.tell(on: { emitAttempt(o, emit: $0) }, emit: emit)
    }

    /// The message's story on its own (see `MessageTrack.storySession`).
    mutating func emitStory(_ t: MessageTrack, emit: (Session) -> Void) {
        stats.sessions += 1
        emit(t.closedStorySession(input: input, format: Self.formatID))
    }

    func track(_ q: QueueInfo, _ qid: String) -> MessageTrack {
        if let t = q.track { return t }
        let t = MessageTrack(queueID: qid, time: now)
        q.track = t
        return t
    }

    func recordStatus(_ st: Status, track t: MessageTrack, number: Int) {
        guard let status = MessageHistory.Status(rawValue: st.status) else { return }
        let (reply, inReplyTo) = Self.storyReply(st.detail)
        t.record(number: number, recipient: st.to, status: status, time: st.pos.time, relay: st.relay,
                 delay: st.delay.flatMap { Double($0) }, dsn: st.dsn, reply: reply, inReplyTo: inReplyTo, position: st.pos)
    }

    /// What a status line says the other side answered: `451 4.7.1 ...` and the command it answered, or
    /// Postfix's own reason (`connect to ...: Connection timed out`).
    static func storyReply(_ detail: ArraySlice<UInt8>) -> (String, String?) {
        var d = detail
        if let r = LogBytes.after(d, "delivery temporarily suspended: ") { d = r }
        if let r = LogBytes.after(d, "host "), let k = LogBytes.find(r, " said: ") {
            var reply = r[(k + 7)...]
            var inReply: String?
            if let ir = LogBytes.find(reply, " (in reply to ") {
                var w = reply[(ir + 14)...]
                if let e = LogBytes.find(w, " command") { w = w[w.startIndex..<e] }
                inReply = Bytes.string(w)
                reply = reply[reply.startIndex..<ir]
            }
            return (Bytes.string(LogBytes.unfoldReply(reply)[...]), inReply)
        }
        if let r = LogBytes.after(d, "host "), let k = LogBytes.find(r, " refused to talk to me: ") {
            return (Bytes.string(LogBytes.unfoldReply(r[(k + 24)...])[...]), "greeting")
        }
        return (Bytes.string(Bytes.trimmed(d)), nil)
    }

    mutating func emitAttempt(_ o: Outbound, emit: (Session) -> Void) {
        // Attempts are counted on the message (forgotten with it at `removed`).
        let q = o.qid.isEmpty ? nil : queueInfo(o.qid, create: false)
        let attempt = o.attempt ?? q.map { track($0, o.qid).nextAttempt() } ?? 1
        var notesLeft = o.notes
        // Each failed connection is a session of its own.
        for cf in o.connectFailures {
            notesLeft.removeAll { $0.pos.order == cf.pos.order }
            emitUnreachable(host: cf.host, ip: cf.ip, port: cf.port, reason: cf.reason, service: o.service, qid: o.qid,
                            notes: [cf.note], pos: cf.pos, emit: emit)
        }
        let relayed = o.statuses.filter { st in
            guard let r = st.relay, r != "none" else { return false }
            return r.contains("[")
        }
        // Statuses without a relay: DNS failures, connection failures already reported, local problems.
        let unrouted = o.statuses.filter { ($0.relay ?? "none") == "none" }
        if relayed.isEmpty {
            if let st = unrouted.first, o.connectFailures.isEmpty {
                var detail = st.detail
                if let r = LogBytes.after(detail, "delivery temporarily suspended: ") { detail = r }
                if let r = LogBytes.after(detail, "connect to ") {
                    let (h, ip, port, reason) = Self.connectFailure(r)
                    emitUnreachable(host: h, ip: ip, port: port, reason: reason, service: o.service, qid: o.qid, notes: notesLeft, pos: st.pos, emit: emit)
                } else {
                    let text = Bytes.string(detail)
                    if Self.isConnectionFault(text) {
                        emitUnreachable(host: nil, ip: nil, port: nil, reason: text, service: o.service, qid: o.qid, notes: notesLeft, pos: st.pos, emit: emit)
                    } else {
                        // Postfix decided on its own (a mail loop, a TLSA lookup that failed): no connection to blame.
                        emitOwnReason(Bytes.string(detail.prefix(1000)), st: st, recipients: unrouted.map(\.to), service: o.service,
                                      qid: o.qid, q, notes: notesLeft, emit: emit)
                    }
                }
            } else if o.connectFailures.isEmpty, !o.notes.isEmpty, o.statuses.isEmpty {
                // Only TLS/warning lines: keep them as an unfinished attempt.
                emitRelaySession(o, statuses: [], notes: notesLeft, queueInfo: q, attempt: attempt, emit: emit)
            }
            return
        }
        emitRelaySession(o, statuses: relayed, notes: notesLeft, queueInfo: q, attempt: attempt, emit: emit)
    }

    /// Where Postfix stopped a delivery attempt on its own, without a reply to quote.
    enum OwnStop: Sendable {
        /// The server greeted with Postfix's own name (a mail loop).
        case afterGreeting
        /// After the EHLO reply (it did not offer what Postfix requires, or an unknown reason).
        case afterEHLO(ClientProblem?)
        /// The TLS handshake after STARTTLS failed (a plain handshake failure needs no more than that).
        case afterSTARTTLS(ClientProblem?)
    }

    /// Postfix's own words for giving up on a server, and where that leaves the dialogue.
    static let ownStops: [(needle: [UInt8], stop: OwnStop)] = [
        ("TLS is required, but was not offered by host", OwnStop.afterEHLO(.starttlsNotOffered)),
        ("Cannot start TLS: handshake failure", .afterSTARTTLS(nil)),
        ("Server certificate not trusted", .afterSTARTTLS(.certificateRejected)),
        ("Server certificate not verified", .afterSTARTTLS(.certificateRejected)),
        ("greeted me with my own hostname", .afterGreeting),
    ].map { (Array($0.0.utf8), $0.1) }

    mutating func emitRelaySession(_ o: Outbound, statuses: [Status], notes: [LogNote], queueInfo q: QueueInfo?,
                                   attempt: Int, emit: (Session) -> Void) {
        var notes = notes
        // Dovecot's line of a delivery to it over LMTP: the attempt's evidence, in line order. (A hand-off to
        // a content filter, `smtp` to 127.0.0.1:10024, is not where the message was saved.)
        let toDovecot = o.service.hasSuffix("lmtp") && statuses.contains(where: { $0.status == "sent" })
        if let mb = q?.mailbox, toDovecot {
            let at = notes.firstIndex { $0.pos.order > mb.note.pos.order } ?? notes.endIndex
            notes.insert(mb.note, at: at)
        }
        var replay = RelayReplay(input: input, service: o.service, qid: o.qid, pid: o.pid, tls: o.tls,
                                 saslFailure: o.saslFailure, lostWhile: o.lostWhile, refused: o.refused,
                                 attemptNotes: o.notes, statuses: statuses, notes: notes, attempt: attempt,
                                 sender: q?.sender, queueNotes: q?.notes)
        if toDovecot { replay.mailbox = q?.mailbox?.delivery; replay.mailboxLine = q?.mailbox?.note.pos.order }
        replay.dropped = o.dropped
        stats.sessions += 1
        emit(defers ? Session(input: input, format: Self.formatID, weight: o.notes.count + statuses.count + notes.count, pending: replay.build)
                    : replay.build())
    }

    /// One delivery attempt to a relay, as values (the queue's sender and lines copied as they are now), and
    /// its dialogue rebuilt from the status lines.
    struct RelayReplay: Sendable {
        let input: String
        let service: String
        let qid: String
        let pid: Int
        let tls: (TLSFacts, SourcePosition)?
        let saslFailure: (reply: [UInt8], pos: SourcePosition)?
        let lostWhile: (what: String, pos: SourcePosition, timedOut: Bool)?
        let refused: (reply: [UInt8], pos: SourcePosition)?
        /// Every line of the attempt (some are left out of `notes` as they made other sessions).
        let attemptNotes: [LogNote]
        let statuses: [Status]
        let notes: [LogNote]
        let attempt: Int
        let sender: String?
        /// The message's own lines (nil when the queue id is unknown).
        let queueNotes: [LogNote]?
        /// Said of the greeting no line shows; a queue listing is not a log.
        var unseenGreeting = "(greeting not logged)"
        /// Where Dovecot put what this attempt delivered, and the place of its line.
        var mailbox: MailboxDelivery?
        var mailboxLine: Int?
        /// Lines of the attempt not kept (`Outbound.maxLines`).
        var dropped = 0

        func build() -> Session {
            var b = SessionBuilder(input: input, format: PostfixLogReader.formatID)
            b.direction = .outbound
            b.attributes["service"] = service
            if !qid.isEmpty { b.attributes["queue-id"] = qid }
            b.attributes["attempt"] = String(attempt)
            if pid != 0 { b.attributes["pid"] = String(pid) }
            mailbox?.record(in: &b.attributes)
            let first = statuses.first
            let relay = first?.relay.map { LogBytes.hostAddress(Array($0.utf8)[...]) }
            if let st = first {
                if let d = st.dsn { b.attributes["dsn"] = d }
                b.attributes["status"] = st.status
                if let d = st.delay { b.attributes["delay"] = d }
            }
            // The attempt starts at Postfix's first line, not at Dovecot's (logged a moment earlier, or in a
            // merged read in its own file).
            let p0 = notes.first { $0.pos.order != mailboxLine }?.pos ?? first?.pos ?? SourcePosition(input: input)
            var ni = 0
            func flush(_ line: Int?) {
                while ni < notes.count, line == nil || notes[ni].pos.order <= line! {
                    b.note(notes[ni].text, kind: .log, at: notes[ni].pos); ni += 1
                }
            }
            b.connecting(host: relay?.host, address: relay?.ip, port: relay?.port, at: p0)
            b.connected(address: relay?.ip, port: relay?.port, at: p0)
            func c(_ t: String, _ p: SourcePosition) { flush(p.order); b.client(Array(t.utf8)[...], at: p, inferred: true) }
            func s(_ r: [UInt8], _ p: SourcePosition) { flush(p.order); b.server(r[...], at: p, inferred: true) }
            func s(_ r: String, _ p: SourcePosition) { s(Array(r.utf8), p) }

            // What each status says about the dialogue.
            struct Said {
                var reply: [UInt8]?; var inReplyTo: String?; var lost: String?; var refused: Bool
                /// Postfix stopped on its own, with no reply to quote (`Cannot start TLS: handshake failure`).
                var own: OwnStop? = nil
            }
            func said(_ st: Status) -> Said {
                var d = st.detail
                if let r = LogBytes.after(d, "delivery temporarily suspended: ") { d = r }
                if let r = LogBytes.after(d, "host "), let k = LogBytes.find(r, " said: ") {
                    var reply = r[(k + 7)...]
                    var inReply: String?
                    if let ir = LogBytes.find(reply, " (in reply to ") {
                        let what = Bytes.string(reply[(ir + 14)...])
                        reply = reply[reply.startIndex..<ir]
                        if what.hasPrefix("RCPT") { inReply = "RCPT" }
                        else if what.hasPrefix("MAIL") { inReply = "MAIL" }
                        else if what.hasPrefix("end of DATA") { inReply = "." }
                        else if what.hasPrefix("DATA") { inReply = "DATA" }
                        else if what.hasPrefix("EHLO") || what.hasPrefix("HELO") || what.hasPrefix("LHLO") { inReply = "EHLO" }
                        else if what.hasPrefix("STARTTLS") { inReply = "STARTTLS" }
                        else if what.hasPrefix("QUIT") { inReply = "QUIT" }
                        else if what.hasPrefix("AUTH") { inReply = "AUTH" }
                        else { inReply = String(what.prefix(10)) }
                    }
                    return Said(reply: LogBytes.unfoldReply(reply), inReplyTo: inReply, lost: nil, refused: false)
                }
                if let r = LogBytes.after(d, "host "), let k = LogBytes.find(r, " refused to talk to me: ") {
                    return Said(reply: LogBytes.unfoldReply(r[(k + 24)...]), inReplyTo: "greeting", lost: nil, refused: true)
                }
                // `TLS is required, but host X[ip] refused to start TLS: 454 4.7.0 TLS not available`.
                if let k = LogBytes.find(d, " refused to start TLS: ") {
                    return Said(reply: LogBytes.unfoldReply(d[(k + 23)...]), inReplyTo: "STARTTLS", lost: nil, refused: false)
                }
                if let r = LogBytes.after(d, "lost connection with ") ?? LogBytes.after(d, "conversation with ") {
                    return Said(reply: nil, inReplyTo: nil, lost: PostfixLogReader.whileWhat(r), refused: false)
                }
                if LogBytes.starts(d, "SASL authentication failed"), let k = LogBytes.find(d, " said: ") {
                    return Said(reply: LogBytes.unfoldReply(d[(k + 7)...]), inReplyTo: "AUTH", lost: nil, refused: false)
                }
                if st.status == "sent", ReplyLine.matches(d) {
                    return Said(reply: LogBytes.unfoldReply(d), inReplyTo: ".", lost: nil, refused: false)
                }
                if st.status == "sent" {
                    return Said(reply: Array("250 \(Bytes.string(d))".utf8), inReplyTo: ".", lost: nil, refused: false)
                }
                // A failure in Postfix's own words: where it stopped; an unknown one stops after EHLO rather
                // than inventing a MAIL, RCPT and DATA that were never accepted.
                let stop = PostfixLogReader.ownStops.first { LogBytes.find(d, bytes: $0.needle) != nil }?.stop ?? .afterEHLO(nil)
                return Said(reply: nil, inReplyTo: nil, lost: nil, refused: false, own: stop)
            }
            let saids = statuses.map(said)
            let greetingRefused = saids.first { $0.refused } ?? refused.map { Said(reply: $0.reply, inReplyTo: "greeting", lost: nil, refused: true) }
            let lost = saids.compactMap(\.lost).first ?? lostWhile?.what
            let lostPos = lostWhile?.pos ?? first?.pos ?? p0
            let host = relay?.host ?? "server"
            if let g = greetingRefused, let r = g.reply {
                s(r, first?.pos ?? p0)
                c("QUIT", first?.pos ?? p0)
                s("221 (reply not logged)", first?.pos ?? p0)
                b.closed(by: .client, at: first?.pos ?? p0)
                return finish(&b)
            }
            if lost == "greeting" {
                flush(lostPos.order)
                b.closed(by: .unknown, at: lostPos)
                return finish(&b)
            }
            s("220 \(host) \(unseenGreeting)", p0)
            // Postfix gave up on its own and no status quotes a reply.
            let own = saids.allSatisfy({ $0.reply == nil && $0.lost == nil }) ? saids.first?.own : nil
            let sp = first?.pos ?? p0
            if case .afterGreeting? = own {
                if let d = first?.detail { b.attributes["mta-reason"] = Bytes.string(d.prefix(1000)) }
                b.closed(by: .client, at: sp)
                return finish(&b)
            }
            let myName = "(this server)"
            let lhlo = service.hasSuffix("lmtp")
            c("\(lhlo ? "LHLO" : "EHLO") \(myName)", p0)
            if let r = saids.first(where: { $0.inReplyTo == "EHLO" })?.reply { s(r, first?.pos ?? p0); return close(&b, first?.pos ?? p0) }
            if lost == "EHLO" { b.closed(by: .unknown, at: lostPos); return finish(&b) }
            s("250 \(host)", p0)
            switch own {
            case .afterEHLO(let problem)?:
                if let problem { b.attributes["client-problem"] = problem.rawValue }
                else if let d = first?.detail { b.attributes["mta-reason"] = Bytes.string(d.prefix(1000)) }
                return close(&b, sp)
            case .afterSTARTTLS(let problem)?:
                if let problem { b.attributes["client-problem"] = problem.rawValue }
                c("STARTTLS", sp)
                s("220 2.0.0 Ready to start TLS", sp)
                b.closed(by: .client, at: sp)
                return finish(&b)
            default:
                break
            }
            if let t = tls {
                c("STARTTLS", t.1)
                s("220 2.0.0 Ready to start TLS", t.1)
                b.tlsEstablished(t.0, at: t.1)
                c("\(lhlo ? "LHLO" : "EHLO") \(myName)", t.1)
                s("250 \(host)", t.1)
            } else if let r = saids.first(where: { $0.inReplyTo == "STARTTLS" })?.reply {
                c("STARTTLS", first?.pos ?? p0); s(r, first?.pos ?? p0)
                return close(&b, first?.pos ?? p0)
            }
            if let sf = saslFailure ?? saids.first(where: { $0.inReplyTo == "AUTH" }).map({ ($0.reply ?? [], first?.pos ?? p0) }) {
                c("AUTH PLAIN", sf.1); s(sf.0, sf.1)
                return close(&b, sf.1)
            }
            let mp = first?.pos ?? p0
            c(LogSessionDraft.mailFrom(sender), mp)
            if let r = saids.first(where: { $0.inReplyTo == "MAIL" })?.reply { s(r, mp); return close(&b, mp) }
            if lost == "MAIL" { b.closed(by: .unknown, at: lostPos); return finish(&b) }
            s("250 2.1.0 Ok", mp)
            var accepted = 0
            for (st, sd) in zip(statuses, saids) {
                // A listing of a whole queue names no recipient.
                c(st.to.isEmpty ? "RCPT TO" : "RCPT TO:<\(st.to)>", st.pos)
                if sd.inReplyTo == "RCPT", let r = sd.reply { s(r, st.pos) }
                else if lost == "RCPT" && sd.reply == nil { b.closed(by: .unknown, at: lostPos); return finish(&b) }
                else { s("250 2.1.5 Ok", st.pos); accepted += 1 }
            }
            let lp = statuses.last?.pos ?? mp
            guard accepted > 0 else { return close(&b, lp) }
            c("DATA", lp)
            if let r = saids.first(where: { $0.inReplyTo == "DATA" })?.reply { s(r, lp); return close(&b, lp) }
            if lost == "DATA" { b.closed(by: .unknown, at: lostPos); return finish(&b) }
            s("354 End data with <CR><LF>.<CR><LF>", lp)
            if lost == "." { c(".", lostPos); b.closed(by: .unknown, at: lostPos); return finish(&b) }
            c(".", lp)
            if let r = saids.first(where: { $0.inReplyTo == "." })?.reply { s(r, lp) }
            return close(&b, lp)
        }

        func close(_ b: inout SessionBuilder, _ p: SourcePosition) -> Session {
            b.client(Array("QUIT".utf8)[...], at: p, inferred: true)
            b.server(Array("221 2.0.0 Bye".utf8)[...], at: p, inferred: true)
            b.closed(by: .client, at: p)
            return finish(&b)
        }

        func finish(_ b: inout SessionBuilder) -> Session {
            // Remaining evidence lines.
            var session = b.finish()
            let shown = Set(session.notes.map(\.position.order))
            var extra = attemptNotes.filter { !shown.contains($0.pos.order) }
            // Lines after the last status (Dovecot's, merged from its own log a moment after Postfix's line).
            var taken = shown.union(extra.map(\.pos.order))
            for n in notes where taken.insert(n.pos.order).inserted { extra.append(n) }
            // The message's own lines (qmgr from=, cleanup) belong to every attempt's evidence.
            if let queueNotes {
                extra += queueNotes.filter { n in !shown.contains(n.pos.order) && !extra.contains { $0.pos.order == n.pos.order } }
            }
            for n in extra.sorted(by: { $0.pos.order < $1.pos.order }) {
                session.notes.append(Note(kind: .log, text: n.text, position: n.pos))
            }
            if dropped > 0, let last = attemptNotes.last {
                session.notes.append(Note(kind: .tool, text: "\(dropped) more lines of this delivery attempt were not kept (at most \(Outbound.maxLines) per attempt).",
                                          position: last.pos))
            }
            for i in session.transactions.indices where session.transactions[i].queueID == nil {
                session.transactions[i].queueID = qid
            }
            return session
        }
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
