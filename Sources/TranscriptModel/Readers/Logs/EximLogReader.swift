/// Exim `mainlog`, `rejectlog` and `paniclog` (also through syslog as `exim[pid]:`).
///
/// Inbound sessions are keyed by process id when the log has `[pid]` (log_selector +pid), else by the client
/// address; they end with `closed by QUIT`, `lost`, `unexpected disconnection`, `no MAIL in SMTP connection`,
/// timeouts and drops, or after an idle time in log time. Arrivals (`<=` with `H=`) become accepted
/// transactions; `rejected RCPT/MAIL/after DATA/EHLO/connection` lines become refused commands (Exim logs no
/// reply code: 550 for `rejected`, 451 for `temporarily rejected`, marked inferred like everything rebuilt).
/// Deliveries to remote hosts (`=>`, `->`, `**`, `==` with `H=`) are outbound sessions; local deliveries,
/// `Completed` and the like are kept as evidence on the arrival's session. A session that ends before its
/// messages are `Completed` is held (bounded, in log time) so a local delivery that fails after the client
/// quit still joins the verdict of the session that brought the message.
public struct EximLogReader: LineReader {
    public static let formatID = "exim-log"
    public static let summary = "Exim mainlog / rejectlog / paniclog (also via syslog)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var clock = LogClock()
        var hits = 0, dated = 0
        var header = LogHeaderParser()
        for line in prefix where !line.isEmpty {
            if let (_, rest) = clock.iso(line, allowSpace: true), line[line.startIndex + 10] == Bytes.space {
                dated += 1
                let r = rest.drop { $0 == Bytes.space }
                if msgID(r) != nil || LogBytes.starts(r, "H=") || LogBytes.find(r.prefix(200), " H=") != nil
                    || LogBytes.starts(r, "SMTP ") || LogBytes.find(r.prefix(120), "authenticator failed") != nil
                    || LogBytes.starts(r, "exim ") || LogBytes.starts(r, "Start queue run") || LogBytes.starts(r, "rejected ")
                    || LogBytes.starts(r, "[") || LogBytes.starts(r, "no MAIL in") || LogBytes.starts(r, "unexpected disconnection")
                    || LogBytes.starts(r, "TLS error") || LogBytes.find(r.prefix(80), " exim[") != nil
                    || messageLogLine(r) != nil {
                    hits += 1
                }
            } else if Self.undatedDelivery(line) || Self.undatedRefusal(line) {
                hits += 1; dated += 1
            } else {
                let l = header.parse(line)
                if LogBytes.starts(l.program, "exim") { hits += 1; dated += 1 }
            }
        }
        // Exim's own `YYYY-MM-DD HH:MM:SS` lines (space, not the `T` of RFC 3339 syslog) are rare elsewhere.
        guard hits > 0 || dated > 0 else { return 0 }
        return min(0.95, 0.45 + 0.1 * Double(min(dated, 5)) / 5 + 0.4 * Double(hits) / Double(max(dated, 1)))
    }

    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// `input` as positions hold it (one table lookup per name).
    private var inputNames = InputNameCache()
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var clock = LogClock()
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats
    var inbound: [String: Inbound] = [:]
    /// Message id → the inbound session that received it (while that session is open or held).
    var byMessage: [String: Inbound] = [:]
    /// Message id → a session that ended before that message was `Completed`; emitted when its last
    /// message completes or after `holdSeconds` of log time.
    var held: [String: Inbound] = [:]
    /// Message-ID (`id=` of an SMTP arrival) → its session and Exim's id, for Dovecot's delivery lines read
    /// with the mainlog.
    var byMessageID: [String: (session: Inbound, id: String)] = [:]
    /// Dovecot's lines are read with this log: a finished session waits a moment of log time for them, as
    /// two files' lines of the same second may come in either order.
    public var joinsDovecot = false
    /// Finished sessions waiting for that moment, oldest first.
    var completing = MomentQueue<Inbound>()
    /// Dovecot deliveries that joined no session yet, oldest first, each with its own session should none come.
    var unjoined = WaitingDeliveries<LogNote>()
    /// Immediate deliveries complete within seconds; a message waiting for a remote retry does not hold
    /// its arrival's session longer than this.
    public var holdSeconds = 900.0
    /// A message's DANE lines logged before its attempt has a line of its own (`dane:fail <validation-failure>`,
    /// `DANE attempt failed; ...`): they go to the attempt that follows.
    var daneNotes: [String: [LogNote]] = [:]
    var outbound: [String: Outbound] = [:]
    var now = 0.0
    var lastSweep = 0.0
    var linesSinceSweep = 0
    var lastSession: Inbound?
    /// The message a pasted message log belongs to (from the `exim -Mvl ID` line before it).
    var messageLogID: String?
    /// Message id → its story (arrival, deliveries, defers, bounces) until `Completed`.
    var tracks: [String: MessageTrack] = [:]
    public var idleSeconds = 600.0
    /// A message silent this long (log time) with its story still open is taken for gone. Exim's default
    /// retry rule ends after 4 days; its longest interval is 6 hours.
    public var storyIdleSeconds = 6 * 86_400.0
    /// Open inbound sessions, open attempts and message stories kept each; the quietest go out beyond it.
    /// 20,000 of each (with the held sessions) stay under 200 MB on a log whose clock stands still
    /// (scripts/memory-check).
    public var maxOpen = 20_000
    /// Closed sessions held for their messages at once; beyond this a session goes out when it closes.
    public var maxHeld = 5_000
    /// Arrivals rebuilt in one SMTP session; later ones are evidence only.
    static let messagesPerSession = 5_000

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    struct LogNote { var text: String; var pos: SourcePosition }

    enum Step: DialogueStep {
        case client(String, SourcePosition)
        case server(String, SourcePosition)
        case tls(TLSFacts, SourcePosition)
        /// The handshake after `220` to STARTTLS failed.
        case tlsFailed(SourcePosition)
        case closed(Closer, SourcePosition)

        var isCommand: Bool { if case .client = self { true } else { false } }
        var isClosing: Bool { if case .closed = self { true } else { false } }
        var position: SourcePosition {
            switch self { case .client(_, let p), .server(_, let p), .tls(_, let p), .tlsFailed(let p), .closed(_, let p): p }
        }
    }

    final class Inbound {
        var key: String
        var client = Peer()
        var notes: [LogNote] = []
        var steps = DialogueSteps<Step>()
        var greeted = false
        var heloDone = false
        var tlsDone = false
        var mailFrom: String?
        var closed = false
        /// Emitted: later lines of its messages no longer reach it.
        var emitted = false
        /// Messages of a closed session not yet `Completed` (it is held while above zero).
        var pending = 0
        var messages: [String] = []
        /// The Message-IDs of `messages` (for Dovecot's lines).
        var messageIDs: [String] = []
        /// A message of this session that an ACL `discard` or a `:blackhole:` router threw away.
        var filter: FilterVerdict?
        /// A message of this session whose local delivery (appendfile, pipe) failed.
        var mailbox: MailboxDelivery?
        var last: Double
        var start: SourcePosition
        /// Message id → the step of its placeholder `RCPT TO` (the arrival line named no recipient: Exim logs
        /// them with `+received_recipients` only), and the recipients its delivery lines named since.
        var unnamed: [String: Int] = [:]
        var named: [String: [String]] = [:]
        init(key: String, time: Double, start: SourcePosition) { self.key = key; self.last = time; self.start = start }
        func add(_ n: LogNote) { if notes.count < 5_000 { notes.append(n) } }

        /// A delivery line names a recipient of a message whose arrival did not: the placeholder becomes it,
        /// and further recipients follow it.
        func name(_ to: String, of id: String) {
            guard let i = unnamed[id], !to.isEmpty, case .client(_, let p) = steps[i] else { return }
            let known = named[id, default: []]
            guard known.count < 100, !known.contains(to) else { return }
            if known.isEmpty {
                steps[i] = .client("RCPT TO:<\(to)>", p)
            } else {
                guard steps.insert(contentsOf: [.client("RCPT TO:<\(to)>", p), .server("250 Accepted", p)], at: i + 2 * known.count) else { return }
                for (m, j) in unnamed where j > i { unnamed[m] = j + 2 }
            }
            named[id, default: []].append(to)
        }
    }

    final class Outbound {
        var msgID: String
        var host: String?
        var ip: String?
        var port: Int?
        var notes: [LogNote] = []
        var recipients: [(to: String, kind: String, detail: ArraySlice<UInt8>, pos: SourcePosition)] = []
        var sender: String?
        var tls: TLSFacts?
        var last: Double
        /// Exim stopped this attempt itself before any connection (routing, a DANE lookup): its words, the
        /// recipients it named, `deferred` or `bounced`.
        var ownReason: (reason: String, status: String, to: [String])?
        init(msgID: String, time: Double) { self.msgID = msgID; self.last = time }
    }

    /// A delivery line copied out of the main log without its date and message id (`** bob@example.org
    /// R=dnslookup T=remote_smtp H=...: SMTP error from remote mail server after RCPT TO:...`), as people paste
    /// the one line that matters: a delivery flag, an address, then the router or transport.
    static func undatedDelivery(_ line: ArraySlice<UInt8>) -> Bool {
        let r = line.drop { $0 == Bytes.space }
        guard r.count > 3, r[r.startIndex + 2] == Bytes.space else { return false }
        let flag = r.prefix(2)
        let flags: [StaticString] = ["**", "==", "=>", "->", "*>"]
        guard flags.contains(where: { LogBytes.equals(flag, $0) }) else { return false }
        let a = r.dropFirst(3)
        guard let sp = a.prefix(512).firstIndex(of: Bytes.space), a[a.startIndex..<sp].contains(0x40) else { return false }
        let fields = a[sp...].prefix(1024)
        return LogBytes.find(fields, " R=") != nil || LogBytes.find(fields, " T=") != nil
    }

    /// A refusal copied out of the main log or the reject log without its date (`H=(helo) [192.0.2.1]
    /// F=<a@example.net> rejected RCPT <b@example.org>: relay not permitted`): the host, then Exim's words.
    static func undatedRefusal(_ line: ArraySlice<UInt8>) -> Bool {
        let r = line.drop { $0 == Bytes.space }
        guard LogBytes.starts(r, "H="), let k = LogBytes.find(r.prefix(1024), " rejected ") else { return false }
        let what = r[(k + 10)...]
        let kinds: [StaticString] = ["RCPT ", "MAIL ", "EHLO", "HELO", "after DATA", "connection", "DATA", "VRFY", "AUTH"]
        return r[r.startIndex..<k].contains(0x5B) && kinds.contains { LogBytes.starts(what, $0) }
    }

    /// The stand-in message id of such a line (never shown as a queue id).
    static func pastedLineID(_ number: Int, _ input: String) -> String { pastedLinePrefix + String(number) + ") " + input }
    static let pastedLinePrefix = "(line "

    /// A line of a message's own log (`exim -Mvl`, spool `msglog/`), which Exim writes without the message id
    /// and, for a deferral, without the `==` flag: rewritten as the main log line it stands for.
    /// `Received from a@x U=.. P=local S=..` → `<= a@x ...`; `b@y R=dnslookup T=remote_smtp defer (-44): ...` → `== b@y ...`.
    static func messageLogLine(_ r: ArraySlice<UInt8>) -> [UInt8]? {
        if let a = LogBytes.after(r, "Received from ") { return Array("<= ".utf8) + a }
        // `H=mx.example.net [192.0.2.1] Connection refused`: the main log names the message on it too.
        if LogBytes.starts(r, "H="), isHostError(r.dropFirst(2)) { return Array(r) }
        // An address, then the router and transport.
        guard let sp = r.prefix(512).firstIndex(of: Bytes.space), r[r.startIndex..<sp].contains(0x40),
              LogBytes.starts(r[(sp + 1)...], "R="), LogBytes.find(r.prefix(1024), " T=") != nil || LogBytes.find(r.prefix(1024), " defer ") != nil
        else { return nil }
        return Array("== ".utf8) + r
    }

    /// Exim message id: `10HmaX-000000005vi-0000` (old) or `1xXUA4-00087I-1o` (4.97+ and 4.9x short form).
    static func msgID(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var i = s.startIndex
        var parts: [Int] = []
        var n = 0
        while i < s.endIndex, i - s.startIndex < 30 {
            let b = s[i]
            if Bytes.isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) { n += 1 }
            else if b == 0x2D { parts.append(n); n = 0 }
            else { break }
            i += 1
        }
        parts.append(n)
        guard parts.count == 3, parts[0] == 6, (parts[1] == 6 || parts[1] == 11 || parts[1] == 5),
              (parts[2] == 2 || parts[2] == 4) else { return nil }
        guard i == s.endIndex || s[i] == Bytes.space else { return nil }
        return s[s.startIndex..<i]
    }

    // MARK: - Reading

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        var time: Double?
        var rest: ArraySlice<UInt8>
        if let (t, r) = clock.iso(line, allowSpace: true) {
            time = t
            rest = r.drop { $0 == Bytes.space }
            // syslog-ng style `2019-10-22 03:39:17 host exim[123]: ...`
            // The program is checked first: on a plain mainlog line a search for the colon would be wasted.
            if let sp = rest.prefix(80).firstIndex(of: Bytes.space), case let prog = rest[(sp + 1)...],
               LogBytes.starts(prog, "exim") || LogBytes.starts(prog, "dovecot:") || LogBytes.starts(prog, "dovecot["),
               let colon = rest[sp...].prefix(40).firstIndex(of: 0x3A) {
                if LogBytes.starts(prog, "exim") {
                    rest = rest[(colon + 1)...].drop { $0 == Bytes.space }
                } else {
                    // rsyslog's RFC 3339 form of a syslog mail log read with the mainlog.
                    return dovecot(rest[(colon + 1)...].drop { $0 == Bytes.space }, time: t, host: rest[rest.startIndex..<sp],
                                   line: line, number: number, emit: emit)
                }
            }
        } else {
            let l = header.parse(line)
            if LogBytes.equals(l.program, "dovecot") {
                return dovecot(l.message, time: l.time, host: l.host, line: line, number: number, emit: emit)
            }
            // Dovecot's own log file (`log_path`): `Dec 06 14:10:02 lmtp(bob@example.com)<pid><id>: Info: msgid=...`.
            if joinsDovecot || sequence != nil, !LogBytes.starts(l.program, "exim"), let k = DovecotLogReader.agentStart(line),
               let d = MailboxDelivery(dovecot: line[k...]) {
                return dovecot(line[k...], parsed: d, time: l.time, host: [], line: line, number: number, emit: emit)
            }
            if !LogBytes.starts(l.program, "exim"), Self.undatedDelivery(line) || Self.undatedRefusal(line) {
                let body = line.drop { $0 == Bytes.space }
                let pos = SourcePosition(name: inputNames(input), line: number, sequence: sequence)
                // No message id: each pasted line stands for its own message (one line, one attempt), also when
                // read merged with other logs (whose `exim -Mvl` message this line is not).
                let known = LogBytes.starts(body, "H=")   // a refusal; a delivery starts with its flag
                    ? connectionLine(body, pid: nil, pos: pos, text: Bytes.string(line), emit: emit)
                    : messageLine(Self.pastedLineID(number, input), body, pid: nil, pos: pos, text: Bytes.string(line), emit: emit)
                if known {
                    stats.understood += 1
                } else {
                    stats.unrecognised(line, number: number, input: sequence == nil ? nil : input)
                }
                return
            }
            guard LogBytes.starts(l.program, "exim") else {
                // Continuation of a rejectlog entry (envelope and header lines) or something else.
                // `exim -Mvl ID` (or `cat .../msglog/ID`) before a message log: its lines do not name the message.
                if let k = LogBytes.find(line.prefix(300), "-Mvl ") ?? LogBytes.find(line.prefix(300), "msglog/"),
                   let id = Self.msgID(line[(k + (line[k] == 0x2D ? 5 : 7))...].drop { $0 == Bytes.space }) {
                    messageLogID = Bytes.string(id)
                    stats.ignored += 1
                    return
                }
                if let f = line.first, f == Bytes.space || f == Bytes.tab || LogBytes.starts(line, "Envelope-")
                    || (line.count > 2 && line[line.startIndex + 1] == Bytes.space && line[line.startIndex] >= 0x41 && line[line.startIndex] <= 0x5A)
                    || LogBytes.find(line.prefix(40), ": ") != nil && lastSession != nil {
                    lastSession?.add(LogNote(text: Bytes.string(line), pos: SourcePosition(name: inputNames(input), line: number, sequence: sequence)))
                    stats.understood += 1
                } else {
                    stats.ignored += 1
                }
                return
            }
            time = l.time
            rest = l.message
            if let (t, r) = clock.iso(rest, allowSpace: true) { time = t; rest = r.drop { $0 == Bytes.space } }
        }
        if let t = time { now = max(now, t) }
        let pos = SourcePosition(name: inputNames(input), line: number, time: time, sequence: sequence)
        var pid: String?
        if let f = rest.first, f == 0x5B, let close = rest.prefix(12).firstIndex(of: 0x5D),
           rest[(rest.startIndex + 1)..<close].allSatisfy(Bytes.isDigit), close > rest.startIndex + 1 {
            pid = Bytes.string(rest[(rest.startIndex + 1)..<close])
            rest = rest[(close + 1)...].drop { $0 == Bytes.space }
        }
        let text = Bytes.string(line)
        let known: Bool
        if let id = Self.msgID(rest) {
            let body = rest[id.endIndex...].drop { $0 == Bytes.space }
            known = messageLine(Bytes.string(id), body, pid: pid, pos: pos, text: text, emit: emit)
        } else if let body = Self.messageLogLine(rest) {
            known = messageLine(messageLogID ?? "(message log)", body[...], pid: pid, pos: pos, text: text, emit: emit)
        } else {
            known = connectionLine(rest, pid: pid, pos: pos, text: text, emit: emit)
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        if !completing.isEmpty { for x in completing.due(now: now) { emitInbound(x, emit: emit) } }
        if !unjoined.isEmpty { flushUnjoined(emit: emit) }
        // By log time, and by line count too: a log whose clock stands still must not keep everything open.
        linesSinceSweep += 1
        if now - lastSweep > 60 || linesSinceSweep >= 8_192 { sweep(emit: emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for (_, o) in outbound.sortedStably(by: { $0.last < $1.last }) { emitOutbound(o, emit: emit) }
        outbound.removeAll()
        daneNotes.removeAll()
        flushUnjoined(emit: emit, all: true)
        var ending = Array(inbound.values) + completing.due(now: now, all: true)
        var seen = Set<ObjectIdentifier>()
        for x in held.values where seen.insert(ObjectIdentifier(x)).inserted { ending.append(x) }
        // Keys break ties: the dictionaries' order changes from run to run.
        for s in ending.sorted(by: { ($0.start.order, $0.key) < ($1.start.order, $1.key) }) { emitInbound(s, emit: emit) }
        inbound.removeAll()
        held.removeAll()
        byMessage.removeAll()
        byMessageID.removeAll()
        // Retry chains the log ends in the middle of: still queued.
        for (_, t) in tracks.filter({ $0.value.worthOwnSession }).sortedStably(by: { $0.last < $1.last }) { emitStory(t, emit: emit) }
        tracks.removeAll()
        LogStatsRegistry.shared.record(stats)
    }

    /// `--follow` on a quiet log: wall time stands in for log time, so held and idle sessions close.
    public mutating func idle(seconds: Double, emit: (Session) -> Void) {
        guard now > 0 else { return }
        now += seconds
        sweep(emit: emit)
    }

    mutating func sweep(emit: (Session) -> Void) {
        lastSweep = now
        linesSinceSweep = 0
        for (k, s) in inbound.filter({ now - $0.value.last > idleSeconds }).sortedStably(by: { $0.start.order < $1.start.order }) {
            inbound[k] = nil
            emitInbound(s, emit: emit)
        }
        for (k, o) in outbound.filter({ now - $0.value.last > 300 }).sortedStably(by: { ($0.notes.first?.pos.order ?? 0) < ($1.notes.first?.pos.order ?? 0) }) {
            outbound[k] = nil
            emitOutbound(o, emit: emit)
        }
        if outbound.count > maxOpen {
            for (k, o) in outbound.sortedStably(by: { $0.last < $1.last }).prefix(outbound.count - maxOpen) {
                outbound[k] = nil; stats.evicted += 1; emitOutbound(o, emit: emit)
            }
        }
        var released = Set<ObjectIdentifier>()
        for (_, x) in held.filter({ now - $0.value.last > holdSeconds }).sortedStably(by: { $0.start.order < $1.start.order })
        where released.insert(ObjectIdentifier(x)).inserted {
            for id in x.messages where held[id] === x { held[id] = nil }
            emitInbound(x, emit: emit)
        }
        if byMessage.count > 200_000 { byMessage.removeAll() }
        if byMessageID.count > 200_000 { byMessageID.removeAll() }
        for t in tracks.removeQuiet(now: now, idle: storyIdleSeconds, limit: maxOpen, drop: maxOpen / 10) { emitStory(t, emit: emit) }
        if inbound.count > maxOpen {
            for (k, s) in inbound.sortedStably(by: { $0.last < $1.last }).prefix(inbound.count - maxOpen) {
                inbound[k] = nil; stats.evicted += 1; emitInbound(s, emit: emit)
            }
        }
    }

    // MARK: - Host fields

    /// `H=host (helo) [ip]:port` (any part optional) → host, helo, ip, port.
    static func hostField(_ s: ArraySlice<UInt8>) -> (host: String?, helo: String?, ip: String?, port: Int?)? {
        guard let h = LogBytes.find(s, "H=") ?? LogBytes.find(s, "from "),
              h == s.startIndex || s[h - 1] == Bytes.space else { return nil }
        var r = s[(h + (s[h] == 0x48 ? 2 : 5))...]
        var host: String?, helo: String?
        if let f = r.first, f != 0x28, f != 0x5B {
            let e = r.firstIndex(of: Bytes.space) ?? r.endIndex
            host = Bytes.string(r[r.startIndex..<e])
            r = r[e...].drop { $0 == Bytes.space }
        }
        if let f = r.first, f == 0x28, let close = r.firstIndex(of: 0x29) {
            helo = Bytes.string(r[(r.startIndex + 1)..<close])
            r = r[(close + 1)...].drop { $0 == Bytes.space }
        }
        guard let f = r.first, f == 0x5B, let close = r.firstIndex(of: 0x5D) else {
            return host == nil && helo == nil ? nil : (host, helo, nil, nil)
        }
        let ip = Bytes.string(r[(r.startIndex + 1)..<close])
        var port: Int?
        if close + 1 < r.endIndex, r[close + 1] == 0x3A {
            var e = close + 2
            while e < r.endIndex, Bytes.isDigit(r[e]) { e += 1 }
            port = Bytes.integer(r[(close + 2)..<e])
        }
        return (host, helo, ip, port)
    }

    static func tlsField(_ s: ArraySlice<UInt8>, pos: SourcePosition) -> TLSFacts? {
        guard let x = LogBytes.find(s, " X=") else { return nil }
        var e = x + 3
        while e < s.endIndex, s[e] != Bytes.space { e += 1 }
        let v = Bytes.string(s[(x + 3)..<e])
        let parts = v.split(separator: ":")
        var f = TLSFacts(position: pos)
        f.version = parts.first.map(String.init)
        if parts.count > 1 { f.cipher = String(parts[1]) }
        if let cv = LogBytes.value(s, "CV=") { f.verify = Bytes.string(cv) }
        return f
    }

    mutating func session(for s: ArraySlice<UInt8>, pid: String?, pos: SourcePosition, create: Bool = true) -> Inbound? {
        let hf = Self.hostField(s)
        let key: String
        if let pid { key = "pid:" + pid }
        else if let ip = hf?.ip { key = "ip:" + ip }
        else if let h = hf?.helo ?? hf?.host { key = "name:" + h }
        else { key = "unknown" }
        if let x = inbound[key] {
            x.last = pos.time ?? now
            if x.client.host == nil { x.client.host = hf?.host }
            if let helo = hf?.helo { x.client.heloName = helo }
            lastSession = x
            return x
        }
        guard create else { return nil }
        let x = Inbound(key: key, time: pos.time ?? now, start: pos)
        x.client = Peer(host: hf?.host, address: hf?.ip, port: hf?.port, heloName: hf?.helo)
        inbound[key] = x
        lastSession = x
        return x
    }

    // MARK: - Inbound dialogue helpers

    func greet(_ x: Inbound, _ p: SourcePosition) {
        if !x.greeted {
            x.greeted = true
            x.steps.append(.server("220 (greeting not logged)", x.start))
        }
    }

    func helo(_ x: Inbound, _ p: SourcePosition) {
        greet(x, p)
        if !x.heloDone {
            x.heloDone = true
            x.steps.append(.client("EHLO \(x.client.heloName ?? x.client.host ?? "")".trimmingTrailingSpace, p))
            x.steps.append(.server("250 (reply not logged)", p))
        }
    }

    func tls(_ x: Inbound, _ f: TLSFacts?, _ p: SourcePosition) {
        guard let f, !x.tlsDone else { return }
        helo(x, p)
        x.tlsDone = true
        x.steps.append(.client("STARTTLS", p))
        x.steps.append(.server("220 TLS go ahead", p))
        x.steps.append(.tls(f, p))
        x.steps.append(.client("EHLO \(x.client.heloName ?? x.client.host ?? "")".trimmingTrailingSpace, p))
        x.steps.append(.server("250 (reply not logged)", p))
    }

    func mail(_ x: Inbound, _ from: String?, _ p: SourcePosition) {
        helo(x, p)
        if x.mailFrom == nil || (from != nil && x.mailFrom != from) {
            x.mailFrom = from ?? ""
            x.steps.append(.client(LogSessionDraft.mailFrom(from), p))
            x.steps.append(.server("250 OK", p))
        }
    }

    mutating func close(_ x: Inbound, _ c: Closer, _ p: SourcePosition, emit: (Session) -> Void) {
        x.steps.append(.closed(c, p))
        x.closed = true
        inbound[x.key] = nil
        let open = x.messages.filter { byMessage[$0] === x }
        guard !open.isEmpty, held.count < maxHeld else {
            if !open.isEmpty { stats.evicted += 1 }
            return finished(x, emit: emit)
        }
        x.last = p.time ?? now
        x.pending = open.count
        for id in open { held[id] = x }
    }

    /// A held session's message is `Completed` (or gone): the session goes out with its last one.
    mutating func release(_ id: String, emit: (Session) -> Void) {
        guard let x = held.removeValue(forKey: id) else { return }
        x.pending -= 1
        if x.pending <= 0 { finished(x, emit: emit) }
    }

    /// A session with nothing more to wait for from Exim: out now, or a moment later when Dovecot's lines
    /// may still name its messages.
    mutating func finished(_ x: Inbound, emit: (Session) -> Void) {
        guard joinsDovecot, !x.messageIDs.isEmpty, completing.count < maxOpen else { return emitInbound(x, emit: emit) }
        completing.append(x, at: now)
    }

    /// `dovecot: lmtp(bob@example.com)<pid><id>: msgid=<m@x>: saved mail to INBOX` (or Sieve's actions, a failed
    /// save) from a mail log read with the mainlog: where the message went, on the session that brought it.
    /// Dovecot's other lines (IMAP, POP3, LMTP connects) are not mail flow.
    /// A delivery that joins no session (yet) waits as long as a finished session does, for the arrival of the
    /// same second in the other file; then it is a session of its own, as if Dovecot's log were read alone.
    /// `parsed`: the delivery when the caller already read it (to tell the line apart).
    mutating func dovecot(_ m: ArraySlice<UInt8>, parsed: MailboxDelivery? = nil, time: Double?, host: ArraySlice<UInt8>,
                          line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        if let time { now = max(now, time) }
        guard let d = parsed ?? MailboxDelivery(dovecot: m) else { stats.ignored += 1; return }
        stats.understood += 1
        joinsDovecot = true
        let pos = SourcePosition(name: inputNames(input), line: number, time: time, sequence: sequence)
        let note = LogNote(text: Bytes.string(line.prefix(8_192)), pos: pos)
        if let (x, id) = byMessageID[d.messageID], !x.emitted { return join(d, note, to: x, id: id) }
        let alone = DovecotLogReader.session(d, line: line, agentAt: m.startIndex, host: host.isEmpty ? nil : Bytes.string(host.prefix(255)),
                                             input: input, at: pos)
        if unjoined.count >= 10_000 { flushUnjoined(emit: emit, all: true) }
        unjoined.append(d, note: note, alone: alone, at: now)
    }

    /// Dovecot's delivery goes on the session that brought the message.
    func join(_ d: MailboxDelivery, _ note: LogNote, to x: Inbound, id: String) {
        var d = d
        d.queueID = id
        x.add(note)
        if x.mailbox == nil || d.notability > x.mailbox!.notability { x.mailbox = d }
    }

    /// Deliveries that waited their moment without an arrival to join go out on their own, oldest first.
    mutating func flushUnjoined(emit: (Session) -> Void, all: Bool = false) {
        for alone in unjoined.due(now: now, all: all) {
            stats.sessions += 1
            emit(alone)
        }
    }

    // MARK: - Lines without a message id

    mutating func connectionLine(_ r: ArraySlice<UInt8>, pid: String?, pos: SourcePosition, text: String,
                                 emit: (Session) -> Void) -> Bool {
        let note = LogNote(text: text, pos: pos)
        if let c = LogBytes.after(r, "SMTP connection from ") {
            if LogBytes.find(c, "(TCP/IP connection count") != nil {
                // A new connection.
                if let old = session(for: r, pid: pid, pos: pos, create: false) { inbound[old.key] = nil; emitInbound(old, emit: emit) }
                let x = session(for: r, pid: pid, pos: pos)!
                x.add(note)
                return true
            }
            let x = session(for: r, pid: pid, pos: pos)!
            x.add(note)
            if LogBytes.find(c, " closed by QUIT") != nil {
                helo(x, pos)
                x.steps.append(.client("QUIT", pos)); x.steps.append(.server("221 closing connection", pos))
                close(x, .client, pos, emit: emit)
            } else if LogBytes.find(c, " lost while reading message data") != nil || LogBytes.find(c, "lost after final dot") != nil {
                if LogBytes.find(c, "final dot") == nil {
                    mail(x, nil, pos)
                    x.steps.append(.client("DATA", pos)); x.steps.append(.server("354 Enter message, ending with \".\" on a line by itself", pos))
                }
                close(x, .unknown, pos, emit: emit)
            } else if LogBytes.find(c, " lost") != nil || LogBytes.find(c, " closed") != nil {
                close(x, .unknown, pos, emit: emit)
            } else if LogBytes.find(c, "refused") != nil {
                x.steps.append(.server("421 too many connections (reply not logged)", pos))
                close(x, .server, pos, emit: emit)
            }
            return true
        }
        if LogBytes.starts(r, "H=") || LogBytes.starts(r, "U=") || LogBytes.starts(r, "F=<") {
            return hostLine(r, pid: pid, pos: pos, note: note, emit: emit)
        }
        if let c = LogBytes.after(r, "rejected EHLO from ") ?? LogBytes.after(r, "rejected HELO from ") {
            let x = session(for: LogBytes.find(r, "from ").map { r[$0...] } ?? c, pid: pid, pos: pos)!
            x.add(note)
            greet(x, pos)
            x.heloDone = true
            let verb = LogBytes.starts(r, "rejected EHLO") ? "EHLO" : "HELO"
            var reason = ""
            if let k = LogBytes.find(c, ": ") { reason = Bytes.string(c[(k + 2)...]) }
            x.steps.append(.client("\(verb) \(x.client.heloName ?? "")".trimmingTrailingSpace, pos))
            x.steps.append(.server("\(reason.contains("syntactically invalid") ? "501" : "550") \(reason)", pos))
            return true
        }
        if let c = LogBytes.after(r, "rejected MAIL from ") {
            let x = session(for: r[(r.startIndex + 9)...], pid: pid, pos: pos)!
            x.add(note)
            var reason = ""
            if let k = LogBytes.find(c, ": ") { reason = Bytes.string(c[(k + 2)...]) }
            greet(x, pos)
            if !reason.contains("no HELO") { helo(x, pos) }
            x.steps.append(.client(LogSessionDraft.mailFrom(nil), pos))   // the line names no sender
            x.steps.append(.server("\(reason.contains("HELO") ? "503" : "550") \(reason)", pos))
            return true
        }
        if let c = LogBytes.after(r, "unexpected disconnection while reading SMTP command from ")
            ?? LogBytes.after(r, "SMTP command timeout on connection from ")
            ?? LogBytes.after(r, "SMTP data timeout (message abandoned) on connection from ")
            ?? LogBytes.after(r, "SMTP call from ")
            ?? LogBytes.after(r, "no MAIL in SMTP connection from ")
            ?? LogBytes.after(r, "TLS error on connection from ")
            ?? LogBytes.after(r, "SMTP connection lost after final dot ") {
            let x = session(for: LogBytes.find(r, "from ").map { r[$0...] } ?? c, pid: pid, pos: pos)!
            x.add(note)
            if LogBytes.starts(r, "no MAIL") {
                greet(x, pos)
                if let cl = LogBytes.value(c, "C=") {
                    var first = true
                    for cmd in cl.split(separator: 0x2C) {
                        let v = Bytes.string(cmd).uppercased()
                        if v == "EHLO" || v == "HELO" {
                            if first || !x.heloDone { x.heloDone = true }
                            x.steps.append(.client("\(v) \(x.client.heloName ?? "")".trimmingTrailingSpace, pos)); x.steps.append(.server("250 (reply not logged)", pos))
                        } else if v == "STARTTLS" {
                            x.steps.append(.client("STARTTLS", pos)); x.steps.append(.server("220 TLS go ahead", pos))
                            if let f = Self.tlsField(c, pos: pos) { x.steps.append(.tls(f, pos)); x.tlsDone = true }
                        } else if v == "QUIT" {
                            x.steps.append(.client("QUIT", pos)); x.steps.append(.server("221 closing connection", pos))
                        } else {
                            x.steps.append(.client(v, pos))
                        }
                        first = false
                    }
                    if cl.split(separator: 0x2C).last.map({ Bytes.string($0).uppercased() }) == "QUIT" {
                        close(x, .client, pos, emit: emit); return true
                    }
                }
                close(x, .unknown, pos, emit: emit)
            } else if LogBytes.starts(r, "SMTP call from") {
                helo(x, pos)
                x.steps.append(.server("421 \(Bytes.string(c.drop { $0 != 0x3A }.dropFirst().drop { $0 == Bytes.space }))", pos))
                close(x, .server, pos, emit: emit)
            } else if LogBytes.starts(r, "SMTP command timeout") {
                // The client went quiet mid-dialogue; a HELO name in the line proves it got that far.
                greet(x, pos)
                if x.client.heloName != nil { helo(x, pos) }
                x.steps.append(.server("421 SMTP command timeout - closing connection", pos))
                close(x, .server, pos, emit: emit)
            } else if LogBytes.starts(r, "SMTP data timeout") {
                mail(x, LogBytes.value(c, "F=").map(Bytes.string), pos)
                x.steps.append(.client("DATA", pos)); x.steps.append(.server("354 Enter message, ending with \".\" on a line by itself", pos))
                x.steps.append(.server("421 SMTP incoming data timeout - closing connection.", pos))
                close(x, .server, pos, emit: emit)
            } else if LogBytes.starts(r, "TLS error") {
                helo(x, pos)
                x.steps.append(.client("STARTTLS", pos)); x.steps.append(.server("220 TLS go ahead", pos))
                // Exim writes this line for a handshake that failed after its go-ahead, not for an
                // established session that broke later (that one names no SSL_accept step).
                if LogBytes.find(r, "(SSL_accept)") != nil || LogBytes.find(r, "handshake)") != nil { x.steps.append(.tlsFailed(pos)) }
                close(x, .unknown, pos, emit: emit)
            } else {
                close(x, .unknown, pos, emit: emit)
            }
            return true
        }
        if LogBytes.starts(r, "SMTP protocol synchronization error") || LogBytes.starts(r, "SMTP syntax error") {
            let x = session(for: r, pid: pid, pos: pos)!
            x.add(note)
            if LogBytes.find(r, "rejected connection") != nil {
                if let inp = LogBytes.find(r, "input=\"") {
                    var e = r[(inp + 7)...]
                    if let q = e.lastIndex(of: 0x22) { e = e[e.startIndex..<q] }
                    x.steps.append(.client(Bytes.string(e).replacingOccurrences(of: "\\r\\n", with: " ").trimmingTrailingSpace, pos))
                }
                x.steps.append(.server("554 SMTP synchronization error", pos))
                close(x, .server, pos, emit: emit)
            }
            return true
        }
        if let k = LogBytes.find(r.prefix(60), " authenticator failed for ") {
            let x = session(for: r[(k + 22)...], pid: pid, pos: pos)!
            x.add(note)
            helo(x, pos)
            let mech = Bytes.string(r[r.startIndex..<k])
            var reply = "535 Incorrect authentication data"
            if let c = LogBytes.find(r, ": 5") ?? LogBytes.find(r, ": 4") { reply = Bytes.string(r[(c + 2)...]) }
            x.steps.append(.client("AUTH \(mech.uppercased())", pos)); x.steps.append(.server(reply, pos))
            return true
        }
        if LogBytes.starts(r, "no host name found for IP address") || LogBytes.starts(r, "no IP address found for host")
            || LogBytes.starts(r, "Connection from ") {
            if let x = lastSession, !x.closed, LogBytes.find(r, bytes: Array((x.client.address ?? "\u{0}").utf8)) != nil { x.add(note) }
            else if let ipStart = r.lastIndex(of: Bytes.space) {
                let ip = Bytes.string(r[(ipStart + 1)...])
                if let x = inbound["ip:" + ip] { x.add(note) }
            }
            if LogBytes.starts(r, "Connection from "), LogBytes.find(r, "refused") != nil {
                let x = session(for: r, pid: pid, pos: pos)!
                x.add(note)
                x.steps.append(.server("421 too many connections (reply not logged)", pos))
                close(x, .server, pos, emit: emit)
            }
            return true
        }
        if LogBytes.starts(r, "sender verify fail") || LogBytes.starts(r, "sender verify defer")
            || LogBytes.starts(r, "recipient verify fail") || LogBytes.starts(r, "recipient verify defer") {
            if let x = session(for: r, pid: pid, pos: pos) { x.add(note) }
            return true
        }
        // Daemon housekeeping.
        return LogBytes.starts(r, "Start queue run") || LogBytes.starts(r, "End queue run") || LogBytes.starts(r, "exim ")
            || LogBytes.starts(r, "Test: ") || LogBytes.starts(r, "daemon ") || LogBytes.starts(r, "pid written")
            || LogBytes.starts(r, "cwd=") || LogBytes.starts(r, "Warning:") || LogBytes.starts(r, "warning:")
            || LogBytes.starts(r, "DKIM:") || LogBytes.starts(r, "failed to ") || LogBytes.starts(r, "Failed to ")
            || LogBytes.starts(r, "Spool file") || LogBytes.starts(r, "LOG: ") || LogBytes.starts(r, "SIGHUP")
            || LogBytes.starts(r, "TLS ") || LogBytes.starts(r, "dropped: ") || LogBytes.starts(r, "rejected ")
            || LogBytes.starts(r, "SMTP ") || LogBytes.starts(r, "Connection ") || LogBytes.starts(r, "Unfrozen")
            || LogBytes.starts(r, "Message ") || LogBytes.starts(r, "no ") || LogBytes.starts(r, "unexpected ")
            || LogBytes.starts(r, "ACL ") || LogBytes.starts(r, "temporarily rejected")
            || LogBytes.find(r, " received from ") != nil || LogBytes.starts(r, "too many ") || LogBytes.find(r.prefix(80), " ACL") != nil
            || LogBytes.find(r.prefix(40), "_acl") != nil || LogBytes.starts(r, "spool directory") || LogBytes.starts(r, "bind of")
            || LogBytes.starts(r, "NOTQUIT") || LogBytes.starts(r, "tls session:") || LogBytes.starts(r, "proxy ")
            || LogBytes.starts(r, "local ") || LogBytes.starts(r, "spf_") || LogBytes.starts(r, "Authentication-Results")
            || LogBytes.starts(r, "Connections=") || LogBytes.starts(r, "mail accepted") || LogBytes.find(r.prefix(60), "verb not allowed") != nil
            || LogBytes.starts(r, "accepting ") || LogBytes.starts(r, "Accept") || Bytes.trimmed(r).isEmpty
            || LogBytes.starts(r, "rcpt for ") || LogBytes.starts(r, "DNS list lookup") || LogBytes.starts(r, "remote ") || LogBytes.starts(r, "dkim") || LogBytes.starts(r, "DKIM")
            || LogBytes.find(r.prefix(60), " authenticator (") != nil
    }

    /// `H=host (helo) [ip] ... F=<from> rejected RCPT <to>: reason` and friends.
    mutating func hostLine(_ r: ArraySlice<UInt8>, pid: String?, pos: SourcePosition, note: LogNote,
                           emit: (Session) -> Void) -> Bool {
        guard let x = session(for: r, pid: pid, pos: pos) else { return false }
        x.add(note)
        let from = LogBytes.value(r, "F=").map(Bytes.string)
        tls(x, Self.tlsField(r, pos: pos), pos)
        let temporary = LogBytes.find(r, " temporarily rejected ") != nil
        func reason(after k: Int) -> String {
            guard let c = LogBytes.find(r[k...], ": ") else { return "" }
            var t = Bytes.string(r[(c + 2)...])
            if t.hasPrefix("\""), t.hasSuffix("\""), t.count >= 2 { t = String(t.dropFirst().dropLast()) }
            return t
        }
        if let k = LogBytes.find(r, "rejected RCPT ") {
            mail(x, from, pos)
            var to = ""
            let after = r[(k + 14)...]
            if let f = after.first, f == 0x3C, let close = after.firstIndex(of: 0x3E) { to = Bytes.string(after[(after.startIndex + 1)..<close]) }
            x.steps.append(.client("RCPT TO:<\(to)>", pos))
            x.steps.append(.server("\(temporary ? "451" : "550") \(reason(after: k))", pos))
            return true
        }
        if let k = LogBytes.find(r, "rejected MAIL ") {
            helo(x, pos)
            x.steps.append(.client(LogSessionDraft.mailFrom(from), pos))
            x.steps.append(.server("\(temporary ? "451" : "550") \(reason(after: k))", pos))
            x.mailFrom = nil
            return true
        }
        if let k = LogBytes.find(r, "rejected after DATA") ?? LogBytes.find(r, "rejected by local_scan()") {
            mail(x, from, pos)
            x.steps.append(.client("DATA", pos)); x.steps.append(.server("354 Enter message, ending with \".\" on a line by itself", pos))
            x.steps.append(.client(".", pos)); x.steps.append(.server("\(temporary ? "451" : "550") \(reason(after: k))", pos))
            x.mailFrom = nil
            return true
        }
        if let k = LogBytes.find(r, "rejected connection in \"connect\" ACL") ?? LogBytes.find(r, "rejected connection") {
            x.steps.append(.server("\(temporary ? "451" : "554") \(reason(after: k))", pos))
            x.greeted = true
            close(x, .server, pos, emit: emit)
            return true
        }
        if let k = LogBytes.find(r, "rejected EHLO or HELO") ?? LogBytes.find(r, "rejected HELO") ?? LogBytes.find(r, "rejected EHLO") {
            greet(x, pos)
            x.heloDone = true
            x.steps.append(.client("EHLO \(x.client.heloName ?? "")".trimmingTrailingSpace, pos))
            x.steps.append(.server("\(temporary ? "451" : "550") \(reason(after: k))", pos))
            return true
        }
        if let k = LogBytes.find(r, "rejected VRFY") ?? LogBytes.find(r, "rejected EXPN") ?? LogBytes.find(r, "rejected ETRN") ?? LogBytes.find(r, "rejected AUTH") {
            helo(x, pos)
            let verb = Bytes.string(r[(k + 9)..<(k + 13)])
            x.steps.append(.client(verb, pos)); x.steps.append(.server("\(temporary ? "451" : "550") \(reason(after: k))", pos))
            return true
        }
        if LogBytes.find(r, "dropped: ") != nil {
            helo(x, pos)
            x.steps.append(.server("421 \(Bytes.string(r[(LogBytes.find(r, "dropped: ")! + 9)...]))", pos))
            close(x, .server, pos, emit: emit)
            return true
        }
        // Warnings, verify notes, ACL `warn` messages: evidence.
        return LogBytes.find(r, " Warning: ") != nil || LogBytes.find(r, "verify") != nil || LogBytes.find(r, " SMTP ") != nil
            || LogBytes.find(r, "ACL") != nil || LogBytes.find(r, "incomplete transaction") != nil
            || LogBytes.find(r, " sender ") != nil || LogBytes.find(r, "rejected") != nil || LogBytes.find(r, "Warning") != nil
            || LogBytes.find(r, "ratelimit") != nil || LogBytes.find(r, "TLS") != nil || LogBytes.find(r, "reject from cutthrough") != nil
    }

    // MARK: - Lines with a message id

    mutating func messageLine(_ id: String, _ b: ArraySlice<UInt8>, pid: String?, pos: SourcePosition, text: String,
                              emit: (Session) -> Void) -> Bool {
        let note = LogNote(text: text, pos: pos)
        if let r = LogBytes.after(b, "<= ") {
            arrival(id, r, pos: pos, text: text)
            // Arrival. SMTP when it names a host.
            if LogBytes.find(r, " H=") != nil || LogBytes.find(r, " P=esmtp") != nil || LogBytes.find(r, " P=smtp") != nil {
                guard let x = session(for: r, pid: pid, pos: pos) else { return true }
                x.add(note)
                // One connection may carry many messages, but a hostile log must not grow one session without end.
                guard x.messages.count < Self.messagesPerSession else { return true }
                tls(x, Self.tlsField(r, pos: pos), pos)
                let e = r.firstIndex(of: Bytes.space) ?? r.endIndex
                var sender = Bytes.string(r[r.startIndex..<e])
                if sender == "<>" { sender = "" }
                x.mailFrom = nil
                mail(x, sender, pos)
                var rcpts: [String] = []
                if let f = LogBytes.find(r, " for ") {
                    rcpts = r[(f + 5)...].split(separator: Bytes.space).map { Bytes.string($0) }
                }
                if rcpts.isEmpty { rcpts = ["(recipient not logged)"]; x.unnamed[id] = x.steps.count }
                for to in rcpts.prefix(1000) {
                    x.steps.append(.client("RCPT TO:<\(to)>", pos)); x.steps.append(.server("250 Accepted", pos))
                }
                let chunking = LogBytes.find(r, " K ") != nil
                if chunking {
                    x.steps.append(.client("BDAT 0 LAST", pos))
                } else {
                    x.steps.append(.client("DATA", pos)); x.steps.append(.server("354 Enter message, ending with \".\" on a line by itself", pos))
                    x.steps.append(.client(".", pos))
                }
                x.steps.append(.server("250 OK id=\(id)", pos))
                x.mailFrom = nil
                x.messages.append(id)
                byMessage[id] = x
                if let mid = LogBytes.value(r, "id="), x.messageIDs.count < 1_000 {
                    let m = Bytes.string(mid.prefix(1_000))
                    x.messageIDs.append(m)
                    byMessageID[m] = (x, id)
                    // Dovecot's line of the same second came first (the other file ranked first).
                    if !unjoined.isEmpty { for u in unjoined.take(m) { join(u.delivery, u.note, to: x, id: id) } }
                }
            } else if let x = byMessage[id] { x.add(note) }
            return true
        }
        if let r = LogBytes.after(b, "=> ") ?? LogBytes.after(b, "-> ") ?? LogBytes.after(b, "** ") ?? LogBytes.after(b, "== ")
            ?? LogBytes.after(b, "*> ") ?? LogBytes.after(b, ">> ") {
            let kind = Bytes.string(b.prefix(2))
            byMessage[id]?.add(note)
            if kind == "=>", var v = FilterVerdict(eximDelivery: r) { v.queueID = id; byMessage[id]?.filter = v }
            let hf = LogBytes.find(r, " H=").flatMap { Self.hostField(r[($0 + 1)...]) }
            var toEnd = r.startIndex
            while toEnd < r.endIndex, r[toEnd] != Bytes.space, r[toEnd] != 0x3A || toEnd + 1 < r.endIndex && r[toEnd + 1] != Bytes.space { toEnd += 1 }
            var to = Bytes.string(r[r.startIndex..<toEnd])
            // `=> bob <bob@example.com>`, `=> :blackhole: <old@example.com>`: the address the message was sent to.
            if let open = LogBytes.find(r, " <"), open == toEnd || open == toEnd + 1 && r[toEnd] == 0x3A,
               let close = r[open...].firstIndex(of: 0x3E) {
                to = Bytes.string(r[(open + 2)..<close])
            }
            recordDelivery(id, kind: kind, to: to, r, host: hf, pos: pos, text: text)
            if kind != "*>", let x = byMessage[id], !x.emitted { x.name(to, of: id) }
            let isRemote = hf?.ip != nil || LogBytes.find(r, " T=remote_smtp") != nil || LogBytes.find(r, " T=smtp") != nil
                || LogBytes.find(r, "SMTP error") != nil || LogBytes.find(r, "Connection refused") != nil
                || LogBytes.find(r, "Connection timed out") != nil
            // No connection behind these: the retry period is over, or no attempt was made.
            let noAttempt = hf?.ip == nil && (LogBytes.find(r, "retry timeout exceeded") != nil || Self.notAnAttempt(r))
            // A remote transport that stopped before connecting (a DANE/TLSA lookup) names no host.
            let preConnect = hf?.ip == nil && (LogBytes.find(r, "DANE error") != nil || LogBytes.find(r, "TLSA") != nil)
            guard isRemote, !preConnect, kind != "*>", !noAttempt else {
                // Failed before any connection: routing, a local delivery, a DANE lookup.
                if kind == "**" || kind == "==", !noAttempt, hf?.ip == nil {
                    deliveryFailure(id, to: to, kind: kind, r, note: note, emit: emit)
                }
                return true
            }
            let o: Outbound
            if kind == "->" || kind == ">>", let cur = outbound[id], cur.ip == hf?.ip { o = cur }
            else if let cur = outbound[id], cur.recipients.isEmpty, cur.ownReason == nil, hf == nil || cur.ip == hf?.ip {
                // The attempt's own `H=host [ip] Connection refused` line came first.
                o = cur
                if o.tls == nil { o.tls = Self.tlsField(r, pos: pos) }
            } else {
                if let cur = outbound.removeValue(forKey: id) { emitOutbound(cur, emit: emit) }
                o = Outbound(msgID: id, time: pos.time ?? now)
                o.notes = daneNotes.removeValue(forKey: id) ?? []
                o.host = hf?.host; o.ip = hf?.ip; o.port = hf?.port
                o.tls = Self.tlsField(r, pos: pos)
                outbound[id] = o
            }
            // The sender from the message's arrival when the delivery line does not log it (no `F=`).
            o.sender = LogBytes.value(r, "F=").map(Bytes.string) ?? o.sender ?? tracks[id]?.history.received?.sender
            o.last = pos.time ?? now
            o.notes.append(note)
            // A copy of the line: a slice would keep the reader's whole input chunk alive with the attempt.
            if o.recipients.count < 1_000 { o.recipients.append((to, kind, Array(r.prefix(8_192))[...], pos)) }
            return true
        }
        if LogBytes.starts(b, "Completed") {
            daneNotes[id] = nil
            byMessage[id]?.add(note)
            byMessage[id] = nil
            release(id, emit: emit)
            // The message's chain ends: its last attempt (or a session of its own) tells the story.
            let t = tracks.removeValue(forKey: id)
            if let t {
                t.note(text, pos)
                if t.history.end == nil { t.end(t.outcome(removed: true), time: pos.time, position: pos) }
            }
            if let o = outbound.removeValue(forKey: id) { emitOutbound(o, emit: emit, story: t) }
            if let t, t.worthOwnSession { emitStory(t, emit: emit) }
            return true
        }
        if LogBytes.starts(b, "H=") {
            // A transport-level event of a delivery (`H=host [ip]: SMTP error from remote mail server after ...`), or
            // an inbound line that also has the id (rejected after DATA).
            if LogBytes.find(b, "rejected") != nil || LogBytes.find(b, " F=<") != nil && LogBytes.find(b, "SMTP error") == nil {
                return hostLine(b, pid: pid, pos: pos, note: note, emit: emit)
            }
            if let o = outbound[id], o.recipients.isEmpty, o.ownReason == nil { o.notes.append(note) } else {
                // A host line after an attempt's results starts the next attempt.
                if let cur = outbound.removeValue(forKey: id) { emitOutbound(cur, emit: emit) }
                let o = Outbound(msgID: id, time: pos.time ?? now)
                o.notes = daneNotes.removeValue(forKey: id) ?? []
                if let hf = Self.hostField(b) { o.host = hf.host; o.ip = hf.ip; o.port = hf.port }
                o.notes.append(note)
                outbound[id] = o
            }
            return true
        }
        if LogBytes.starts(b, "SMTP connection from") || LogBytes.starts(b, "SMTP connection lost") {
            return connectionLine(b, pid: pid, pos: pos, text: text, emit: emit)
        }
        if LogBytes.starts(b, "U=") || LogBytes.starts(b, "F=") || LogBytes.starts(b, "P=") {
            return hostLine(b, pid: pid, pos: pos, note: note, emit: emit)
        }
        byMessage[id]?.add(note)
        if let o = outbound[id] { o.notes.append(note) }
        else if LogBytes.starts(b, "DANE ") || LogBytes.starts(b, "dane:"), daneNotes[id, default: []].count < 8 {
            if daneNotes.count > 10_000 { daneNotes.removeAll() }
            daneNotes[id, default: []].append(note)
        }
        return LogBytes.starts(b, "Frozen") || LogBytes.starts(b, "Message is frozen") || LogBytes.starts(b, "Unfrozen")
            || LogBytes.starts(b, "Spool") || LogBytes.starts(b, "Warning") || LogBytes.starts(b, "removed")
            || LogBytes.starts(b, "retry time not reached") || LogBytes.find(b, "defer") != nil
            || LogBytes.starts(b, "Message ") || LogBytes.starts(b, "cancelled") || LogBytes.starts(b, "DKIM")
            || LogBytes.starts(b, "SMTP ") || LogBytes.starts(b, "error") || LogBytes.starts(b, "no immediate delivery")
            || LogBytes.starts(b, "Error ") || LogBytes.starts(b, "routing ") || LogBytes.starts(b, "==") || LogBytes.starts(b, "**")
            || LogBytes.find(b.prefix(80), "timed out") != nil || LogBytes.find(b.prefix(80), "TLS") != nil
            || LogBytes.find(b, ": error ignored") != nil || LogBytes.starts(b, "frozen by") || LogBytes.starts(b, "unfrozen by")
            || LogBytes.starts(b, "rejected from <") || LogBytes.starts(b, "sender address changed") || LogBytes.starts(b, "re-exec")
            || LogBytes.starts(b, "failed to expand") || LogBytes.starts(b, "authresults:") || LogBytes.find(b.prefix(40), "_acl:") != nil
            || LogBytes.find(b.prefix(60), "acl condition") != nil || LogBytes.starts(b, "SA: ") || LogBytes.find(b.prefix(60), " authenticator ") != nil
            || LogBytes.starts(b, "event ") || LogBytes.starts(b, "moved from") || LogBytes.starts(b, "no recipients") || LogBytes.starts(b, "NOTQUIT")
            || LogBytes.find(b.prefix(200), "tmp-reject from cutthrough") != nil || LogBytes.find(b.prefix(200), "reject from cutthrough") != nil
            || LogBytes.starts(b, "Accept ") || LogBytes.starts(b, "DMARC") || LogBytes.starts(b, "ARC") || LogBytes.starts(b, "SPF")
            || LogBytes.starts(b, "[") || LogBytes.find(b.prefix(40), "ACL") != nil || LogBytes.starts(b, "tick")
            // TLS checks of a delivery: DANE, OCSP stapling, revoked certificates.
            || LogBytes.starts(b, "dane:") || LogBytes.find(b.prefix(40), "OCSP") != nil || LogBytes.starts(b, "client claims: ocsp")
            || LogBytes.starts(b, "Server certificate") || LogBytes.starts(b, "local_scan()")
            || Self.isHostError(b)
    }

    /// A recipient that failed without an SMTP attempt (`** bob@x R=dnslookup: Unrouteable address`,
    /// `== bob@x R=localuser T=local_delivery defer (-22): mailbox is full`, `== bob@x R=dnslookup T=remote_smtp
    /// defer (-36): DANE error: tlsa lookup DEFER`). A local transport's failure joins the SMTP session that
    /// brought the message when it is still open; anything else is a session of its own, in Exim's words.
    mutating func deliveryFailure(_ id: String, to: String, kind: String, _ r: ArraySlice<UInt8>, note: LogNote,
                                  emit: (Session) -> Void) {
        guard let text = Self.failureText(r) else { return }
        let reason = Bytes.string(Bytes.trimmed(text).prefix(1000))
        guard !reason.isEmpty else { return }
        let status = kind == "**" ? "bounced" : "deferred"
        // `T=local_delivery: mailbox is full` when the line names no host.
        let transport = LogBytes.value(r, "T=").map { Bytes.string($0.prefix { $0 != 0x3A }).lowercased() } ?? ""
        let sender = tracks[id]?.history.received?.sender
        if ["local", "pipe", "file", "virtual", "maildir", "mailbox", "appendfile", "lmtp"].contains(where: transport.contains) {
            var d = MailboxDelivery(failedBy: "Exim \(transport)", user: to, messageID: "", status: status, reason: reason)
            d.queueID = id
            if let x = byMessage[id], !x.emitted {
                if x.mailbox == nil || d.notability > x.mailbox!.notability { x.mailbox = d }
                return
            }
            stats.sessions += 1
            emit(d.session(input: input, format: Self.formatID, line: note.text, at: note.pos, queueID: id,
                           sender: sender, recipients: [to]))
            return
        }
        // Held like an attempt, so the one that ends the message's chain carries its story; the attempt's own
        // `H=host [ip]: DANE error: ...` line, when it came first, gives the host.
        if let cur = outbound[id], let own = cur.ownReason, own.reason == reason, own.status == status {
            // One line per recipient: a hostile log repeating it must not grow the attempt without end.
            if own.to.count < 1_000 { cur.ownReason?.to.append(to) }
            if cur.notes.count < 5_000 { cur.notes.append(note) }
            return
        }
        let o: Outbound
        if let cur = outbound[id], cur.recipients.isEmpty, cur.ownReason == nil {
            o = cur
        } else {
            if let cur = outbound.removeValue(forKey: id) { emitOutbound(cur, emit: emit) }
            o = Outbound(msgID: id, time: note.pos.time ?? now)
            o.notes = daneNotes.removeValue(forKey: id) ?? []
            outbound[id] = o
        }
        o.sender = sender
        o.last = note.pos.time ?? now
        o.notes.append(note)
        o.ownReason = (reason, status, [to])
    }

    /// What a failed delivery line says went wrong: after `defer (-36): ` or the first `: `.
    static func failureText(_ r: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        if let k = LogBytes.find(r, "): ") { return r[(k + 3)...] }
        if let k = LogBytes.find(r, ": ") { return r[(k + 2)...] }
        return nil
    }

    /// Exim saying it made no attempt: the host's retry time has not come (`retry time not reached`, a
    /// transport's `Retry time not yet reached`), or SMTP deliveries are queued on purpose (`-odqs`).
    static func notAnAttempt(_ r: ArraySlice<UInt8>) -> Bool {
        LogBytes.find(r, "etry time not") != nil || LogBytes.find(r, "delivery explicitly queued") != nil
    }

    /// A delivery's connection error by host: `mx.example.net [192.0.2.1] Connection refused`.
    static func isHostError(_ b: ArraySlice<UInt8>) -> Bool {
        guard let open = LogBytes.find(b.prefix(300), " ["), let close = b[open...].prefix(200).firstIndex(of: 0x5D) else { return false }
        let rest = b[(close + 1)...].drop { $0 == Bytes.space }
        return LogBytes.starts(rest, "Connection refused") || LogBytes.starts(rest, "Connection timed out")
            || LogBytes.starts(rest, "Network Error") || LogBytes.starts(rest, "Network is unreachable")
            || LogBytes.starts(rest, "No route to host") || LogBytes.starts(rest, "Connection reset")
    }

    // MARK: - Emitting

    mutating func emitInbound(_ x: Inbound, emit: (Session) -> Void) {
        if lastSession === x { lastSession = nil }
        x.emitted = true
        // Out: nothing may keep it (a message that never completes would, until the next sweep's clear-out).
        for m in x.messages where byMessage[m] === x { byMessage[m] = nil }
        for m in x.messageIDs where byMessageID[m]?.session === x { byMessageID[m] = nil }
        var b = SessionBuilder(input: input, format: Self.formatID)
        b.direction = .inbound
        b.client = x.client
        if !x.messages.isEmpty { b.attributes["queue-id"] = x.messages.joined(separator: " ") }
        x.filter?.record(in: &b.attributes)
        x.mailbox?.record(in: &b.attributes)
        var ni = 0
        let notes = x.notes
        func flush(_ line: Int?) {
            while ni < notes.count, line == nil || notes[ni].pos.order <= line! {
                b.note(notes[ni].text, kind: .log, at: notes[ni].pos); ni += 1
            }
        }
        flush(x.start.order)
        b.connected(address: nil, port: nil, at: x.start)
        for step in x.steps {
            switch step {
            case .client(let t, let p): flush(p.order); b.client(Array(t.utf8)[...], at: p, inferred: true)
            case .server(let t, let p): flush(p.order); b.server(Array(t.utf8)[...], at: p, inferred: true)
            case .tls(let f, let p): b.tlsEstablished(f, at: p)
            case .tlsFailed(let p): b.tlsFailed(at: p)
            case .closed(let c, let p): flush(p.order); b.closed(by: c, at: p)
            }
        }
        flush(nil)
        if let n = x.steps.droppedNote { b.note(n.text, kind: .tool, at: n.pos) }
        stats.sessions += 1
        emit(b.finish())
    }

    /// `SMTP error from remote mail server after RCPT TO:<x>: 550 text` → (command, reply).
    static func remoteError(_ s: ArraySlice<UInt8>) -> (after: String, reply: String)? {
        guard let k = LogBytes.find(s, "SMTP error from remote mail server after ") else { return nil }
        let r = s[(k + 41)...]
        var i = r.startIndex
        while i + 3 < r.endIndex {
            if r[i] == 0x3A, r[i + 1] == Bytes.space, Bytes.isDigit(r[i + 2]) { break }
            i += 1
        }
        guard i + 3 < r.endIndex else { return nil }
        let what = Bytes.string(r[r.startIndex..<i])
        return (what, Bytes.string(LogBytes.unfoldReply(r[(i + 2)...])[...]))
    }

    /// The story of a message (arrival, deliveries, defers, bounces) for `Session.history`.
    mutating func track(_ id: String, _ pos: SourcePosition) -> MessageTrack {
        if let t = tracks[id] { return t }
        let t = MessageTrack(queueID: id, time: pos.time ?? now)
        tracks[id] = t
        return t
    }

    /// `<= sender H=host [ip] P=esmtps S=3120 id=...` or `<= sender U=user P=local S=880`.
    mutating func arrival(_ id: String, _ r: ArraySlice<UInt8>, pos: SourcePosition, text: String) {
        let t = track(id, pos)
        let e = r.firstIndex(of: Bytes.space) ?? r.endIndex
        var sender = Bytes.string(r[r.startIndex..<e])
        if sender == "<>" { sender = "" }
        var client: String?
        if let h = LogBytes.find(r, " H=").flatMap({ Self.hostField(r[($0 + 1)...]) }) {
            client = "\(h.host ?? h.helo ?? "")[\(h.ip ?? "")]"
        } else if let u = LogBytes.value(r, "U=") {
            client = "local submission (U=\(Bytes.string(u)))"
        }
        t.received(time: pos.time, client: client, sender: sender, size: LogBytes.value(r, "S=").flatMap { Bytes.integer($0) },
                   messageID: LogBytes.value(r, "id=").map(Bytes.string), position: pos)
        t.note(text, pos)
        // `<= <> R=parent`: the bounce Exim sends for a failed message.
        if sender.isEmpty, let parent = LogBytes.value(r, "R="), let p = tracks[Bytes.string(parent)] {
            let n = "bounce \(id) sent to the sender"
            p.endDetail = p.endDetail.map { $0 + "; " + n } ?? n
        }
    }

    /// One recipient's result: `=>`/`->` delivered, `==` deferred, `**` failed (`retry timeout exceeded`: expired).
    mutating func recordDelivery(_ id: String, kind: String, to: String, _ r: ArraySlice<UInt8>,
                                 host hf: (host: String?, helo: String?, ip: String?, port: Int?)?, pos: SourcePosition, text: String) {
        let status: MessageHistory.Status
        switch kind {
        case "=>", "->", ">>": status = .sent
        case "**": status = LogBytes.find(r, "retry timeout exceeded") != nil ? .expired : .bounced
        case "==":
            // Not an attempt: Exim only says the host's retry time has not come.
            if LogBytes.find(r, "retry time not reached") != nil { return }
            status = .deferred
        default: return
        }
        let t = track(id, pos)
        let number: Int
        if let k = t.groupKey, k == pos.time ?? -1 { number = t.attempts } else { number = t.nextAttempt(); t.groupKey = pos.time }
        var reply: String?
        var inReplyTo: String?
        if let e = Self.remoteError(r) {
            reply = e.reply
            inReplyTo = e.after.split(separator: ":", maxSplits: 1).first.map { String($0).trimmingTrailingSpace }
        } else if status == .sent, let cq = LogBytes.find(r, "C=\"") {
            var v = r[(cq + 3)...]
            if let q = v.firstIndex(of: 0x22) { v = v[v.startIndex..<q] }
            reply = Bytes.string(v)
        } else if status != .sent, let text = Self.failureText(r) {
            reply = Bytes.string(text)
        }
        var relay: String?
        if let hf, hf.ip != nil { relay = "\(hf.host ?? "")[\(hf.ip!)]" + (hf.port.map { ":\($0)" } ?? "") }
        else if let o = outbound[id], o.recipients.isEmpty, let ip = o.ip { relay = "\(o.host ?? "")[\(ip)]" }
        t.record(number: number, recipient: to, status: status, time: pos.time, relay: relay,
                 delay: LogBytes.value(r, "QT=").flatMap(Self.duration), reply: reply, inReplyTo: inReplyTo, position: pos)
        if status != .sent { t.note(text, pos) }
        if status == .expired, t.endDetail == nil { t.endDetail = "retry timeout exceeded" }
    }

    /// Exim's `QT=1d2h3m4s` / `QT=45s`.
    static func duration(_ s: ArraySlice<UInt8>) -> Double? {
        var total = 0.0, n = 0.0, any = false
        for c in s {
            if Bytes.isDigit(c) { n = n * 10 + Double(c - 0x30); continue }
            switch c {
            case 0x64: total += n * 86_400   // d
            case 0x68: total += n * 3_600    // h
            case 0x6D: total += n * 60       // m
            case 0x73: total += n            // s
            case 0x77: total += n * 604_800  // w
            default: return any ? total : nil
            }
            any = true
            n = 0
        }
        return any ? total : nil
    }

    mutating func emitStory(_ t: MessageTrack, emit: (Session) -> Void) {
        stats.sessions += 1
        emit(t.closedStorySession(input: input, format: Self.formatID))
    }

    /// An attempt's session; the one that ends its message's chain carries the story.
    mutating func emitOutbound(_ o: Outbound, emit: (Session) -> Void, story: MessageTrack? = nil) {
        guard let t = story, !t.told, t.worthTelling, t.history.end != nil else {
            emitAttempt(o, emit: emit)
            return
        }
        t.tell(on: { emitAttempt(o, emit: $0) }, emit: emit)
    }

    mutating func emitAttempt(_ o: Outbound, emit: (Session) -> Void) {
        if let own = o.ownReason {
            var s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: own.reason,
                                            notes: o.notes.map { .init(text: $0.text, pos: $0.pos) },
                                            envelope: (o.sender, own.to), qid: o.msgID)
            s.direction = .outbound
            if o.host != nil || o.ip != nil { s.server = Peer(host: o.host, address: o.ip, port: o.port) }
            s.attributes["status"] = own.status
            stats.sessions += 1
            emit(s)
            return
        }
        var b = SessionBuilder(input: input, format: Self.formatID)
        b.direction = .outbound
        if !o.msgID.hasPrefix(Self.pastedLinePrefix) { b.attributes["queue-id"] = o.msgID }
        let p0 = o.notes.first?.pos ?? o.recipients.first?.pos ?? SourcePosition(input: input)
        for n in o.notes { b.note(n.text, kind: .log, at: n.pos) }
        b.connecting(host: o.host, address: o.ip, port: o.port, at: p0)
        let all = o.notes.map { Array($0.text.utf8)[...] }
        let detailText = all.map { Bytes.string($0) }.joined(separator: " ")
        let lp = o.recipients.last?.pos ?? p0
        // Connection failures.
        for (reason, failure) in [("Connection refused", ConnectFailure.refused), ("Connection timed out", .timedOut),
                                  ("No route to host", .noRoute), ("Network is unreachable", .networkUnreachable)]
            where detailText.contains(reason) && !detailText.contains("SMTP timeout after") && !detailText.contains("SMTP error") {
            b.connectFailed(failure, detail: reason, at: lp)
            stats.sessions += 1
            emit(b.finish())
            return
        }
        b.connected(address: o.ip, port: o.port, at: p0)
        var err: (after: String, reply: String)?
        for n in all { if let e = Self.remoteError(n) { err = e } }
        let host = o.host ?? "server"
        func c(_ t: String) { b.client(Array(t.utf8)[...], at: lp, inferred: true) }
        func s(_ t: String) { b.server(Array(t.utf8)[...], at: lp, inferred: true) }
        if let e = err, e.after.hasPrefix("initial connection") { s(e.reply); c("QUIT"); s("221 (reply not logged)"); b.closed(by: .client, at: lp); return done(&b, o, emit) }
        if detailText.contains("Remote host closed connection in response to initial connection") { b.closed(by: .server, at: lp); return done(&b, o, emit) }
        s("220 \(host) (greeting not logged)")
        c("EHLO (this server)")
        if let e = err, e.after.hasPrefix("EHLO") || e.after.hasPrefix("HELO") { s(e.reply); c("QUIT"); s("221 (reply not logged)"); b.closed(by: .client, at: lp); return done(&b, o, emit) }
        if detailText.contains("Remote host closed connection in response to EHLO") || detailText.contains("Remote host closed connection in response to HELO") {
            b.closed(by: .server, at: lp); return done(&b, o, emit)
        }
        s("250 \(host)")
        if let t = o.tls {
            c("STARTTLS"); s("220 TLS go ahead"); b.tlsEstablished(t, at: lp); c("EHLO (this server)"); s("250 \(host)")
        } else if detailText.contains("TLS session:") || detailText.contains("TLS error") {
            c("STARTTLS"); s("220 TLS go ahead"); b.closed(by: .unknown, at: lp); return done(&b, o, emit)
        }
        c(LogSessionDraft.mailFrom(o.sender))
        if let e = err, e.after.hasPrefix("MAIL") || e.after.hasPrefix("pipelined MAIL") { s(e.reply); c("QUIT"); s("221 (reply not logged)"); b.closed(by: .client, at: lp); return done(&b, o, emit) }
        s("250 OK")
        var accepted = 0
        for r in o.recipients {
            c("RCPT TO:<\(r.to)>")
            if let e = err, e.after.hasPrefix("RCPT TO:<\(r.to)>") || (e.after.hasPrefix("RCPT") && (r.kind == "**" || r.kind == "==")) {
                s(e.reply)
            } else if detailText.contains("SMTP timeout after RCPT") || detailText.contains("SMTP timeout after pipelined RCPT") {
                b.closed(by: .unknown, at: lp); return done(&b, o, emit)
            } else { s("250 Accepted"); accepted += 1 }
        }
        if accepted > 0 {
            c("DATA")
            if let e = err, e.after.hasPrefix("DATA") || e.after.hasPrefix("pipelined DATA") { s(e.reply); c("QUIT"); s("221 (reply not logged)"); b.closed(by: .client, at: lp); return done(&b, o, emit) }
            s("354 Enter message")
            c(".")
            if let e = err, e.after.hasPrefix("end of data") { s(e.reply) }
            else if let r = o.recipients.first(where: { $0.kind == "=>" || $0.kind == ">>" }), let cq = LogBytes.find(r.detail, "C=\"") {
                var v = r.detail[(cq + 3)...]
                if let q = v.firstIndex(of: 0x22) { v = v[v.startIndex..<q] }
                s(Bytes.string(v))
            } else if o.recipients.contains(where: { $0.kind == "=>" || $0.kind == "->" || $0.kind == ">>" }) {
                s("250 OK (reply not logged)")
            } else if detailText.contains("SMTP timeout after end of data") || detailText.contains("timed out") {
                b.closed(by: .unknown, at: lp); return done(&b, o, emit)
            }
        }
        c("QUIT"); s("221 (reply not logged)"); b.closed(by: .client, at: lp)
        done(&b, o, emit)
    }

    mutating func done(_ b: inout SessionBuilder, _ o: Outbound, _ emit: (Session) -> Void) {
        var s = b.finish()
        for i in s.transactions.indices where s.transactions[i].queueID == nil { s.transactions[i].queueID = o.msgID }
        stats.sessions += 1
        emit(s)
    }
}
