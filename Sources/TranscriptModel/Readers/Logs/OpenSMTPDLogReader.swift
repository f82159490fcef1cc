/// OpenSMTPD (`smtpd[pid]:`) logs, both formats:
/// - 6.4 and later: `<session> smtp connected address=... host=...`, `smtp tls ciphers=...`,
///   `smtp message msgid=...`, `smtp envelope evpid=... from=<> to=<>`, `smtp failed-command command="..."
///   result="550 ..."`, `smtp authentication user= result=`, `smtp disconnected reason=...`, and outbound
///   `mta connecting/connected/delivery ... result="Ok|TempFail|PermFail" stat="..."/error/disconnected`;
/// - 6.3 and earlier: `smtp-in: New session X from host H [ip]`, `Failed command on session X: "cmd" => reply`,
///   `Accepted message M on session X: from=<> to=<>`, `Started TLS`, `Closing/Disconnecting session X`,
///   `relay: Ok|TempFail|PermFail for E: ... stat=...`, `delivery: Ok for ...`.
/// Sessions are keyed by OpenSMTPD's session id, so interleaved connections never mix.
public struct OpenSMTPDLogReader: LineReader {
    public static let formatID = "opensmtpd-log"
    public static let summary = "OpenSMTPD log (smtpd[pid]: smtp/mta events, old smtp-in: form too)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var parser = LogHeaderParser()
        var hits = 0, headed = 0
        for line in prefix where !line.isEmpty {
            let l = parser.parse(line)
            if !l.program.isEmpty { headed += 1 }
            let m = l.message
            if LogBytes.equals(l.program, "smtpd") || l.program.isEmpty,
               LogBytes.starts(m, "smtp-in: ") || LogBytes.starts(m, "smtp-out: ") || LogBytes.starts(m, "relay: ")
                || LogBytes.starts(m, "delivery: ") || Self.sessionEvent(m) != nil {
                hits += 1
                if l.program.isEmpty { headed += 1 }
            }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(headed, 1)))
    }

    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// `input` as positions hold it (one table lookup per name).
    private var inputNames = InputNameCache()
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats
    var open: [String: LogSessionDraft] = [:]
    /// Message id (the first 8 hex digits of its envelope ids) → the message's story.
    var tracks: [String: MessageTrack] = [:]
    var now = 0.0
    var lastSweep = 0.0
    /// A message silent this long (log time) with its story open is taken for gone (OpenSMTPD keeps a
    /// message 4 days by default).
    public var storyIdleSeconds = 6 * 86_400.0

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    /// `<16 hex> smtp|mta <event> ...` → (session id, "smtp"/"mta", rest after the kind).
    static func sessionEvent(_ m: ArraySlice<UInt8>) -> (String, String, ArraySlice<UInt8>)? {
        guard m.count > 21 else { return nil }
        let id = m.prefix(16)
        guard id.allSatisfy({ Bytes.isDigit($0) || ($0 >= 0x61 && $0 <= 0x66) }), m[m.startIndex + 16] == Bytes.space else { return nil }
        let r = m[(m.startIndex + 17)...]
        // Some 6.4 builds wrote `smtp event=failed-command ...`.
        if let e = LogBytes.after(r, "smtp ") { return (Bytes.string(id), "smtp", LogBytes.after(e, "event=") ?? e) }
        if let e = LogBytes.after(r, "mta ") { return (Bytes.string(id), "mta", LogBytes.after(e, "event=") ?? e) }
        if let e = LogBytes.after(r, "mda ") { return (Bytes.string(id), "mda", LogBytes.after(e, "event=") ?? e) }
        return nil
    }

    /// The last field of a line, to its end (`stat=Error ("mail.local: bob: User unknown")`), without outer quotes.
    static func lastField(_ s: ArraySlice<UInt8>, _ key: StaticString) -> String? {
        guard let k = LogBytes.find(s, key) else { return nil }
        var v = Bytes.trimmed(s[(k + key.utf8CodeUnitCount)...])
        if v.count >= 2, v.first == 0x22, v.last == 0x22 { v = v.dropFirst().dropLast() }
        return v.isEmpty ? nil : Bytes.string(v.prefix(1_000))
    }

    /// `key="quoted value"` or `key=value`.
    static func field(_ s: ArraySlice<UInt8>, _ key: StaticString) -> String? {
        var from = s
        while let k = LogBytes.find(from, key) {
            if k == s.startIndex || s[k - 1] == Bytes.space || s[k - 1] == 0x2C {
                var v = s[(k + key.utf8CodeUnitCount)...]
                if let f = v.first, f == 0x22 {
                    v = v.dropFirst()
                    var e = v.startIndex
                    while e < v.endIndex, v[e] != 0x22 { e += v[e] == 0x5C ? 2 : 1 }
                    return Bytes.string(v[v.startIndex..<min(e, v.endIndex)])
                }
                let e = v.firstIndex(where: { $0 == Bytes.space || $0 == 0x2C }) ?? v.endIndex
                var t = v[v.startIndex..<e]
                if let f = t.first, f == 0x3C, let l = t.last, l == 0x3E { t = t.dropFirst().dropLast() }
                return Bytes.string(t)
            }
            from = s[(k + 1)...]
        }
        return nil
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        let l = header.parse(line)
        guard LogBytes.equals(l.program, "smtpd") || l.program.isEmpty else { stats.ignored += 1; return }
        if let t = l.time { now = max(now, t) }
        let pos = SourcePosition(name: inputNames(input), line: number, time: l.time, sequence: sequence)
        let text = Bytes.string(line)
        let known: Bool
        if let (id, kind, r) = Self.sessionEvent(l.message) {
            switch kind {
            case "smtp": known = smtpEvent(id, r, pos, text, emit)
            case "mda": known = mdaEvent(r, pos, text, emit)
            default: known = mtaEvent(id, r, pos, text, emit)
            }
        } else {
            known = oldFormat(l.message, pos, text, emit)
        }
        if known { stats.understood += 1 } else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input) }
        // By log time, and by line count too: a log whose clock stands still must not keep everything open.
        if now - lastSweep > 60 || stats.lines % 8_192 == 0 { sweep(emit) }
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
        for t in tracks.removeQuiet(now: now, idle: storyIdleSeconds, limit: 20_000, drop: 2_000) { emitStory(t, emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for (_, d) in open.sortedStably(by: { $0.start.order < $1.start.order }) { emitDraft(d, emit) }
        open.removeAll()
        for (_, t) in tracks.filter({ $0.value.worthOwnSession }).sortedStably(by: { $0.last < $1.last }) { emitStory(t, emit) }
        tracks.removeAll()
        LogStatsRegistry.shared.record(stats)
    }

    mutating func track(_ msgid: String, _ pos: SourcePosition) -> MessageTrack {
        if let t = tracks[msgid] { return t }
        let t = MessageTrack(queueID: msgid, time: pos.time ?? now)
        tracks[msgid] = t
        return t
    }

    mutating func emitStory(_ t: MessageTrack, _ emit: (Session) -> Void) {
        stats.sessions += 1
        emit(t.closedStorySession(input: input, format: Self.formatID))
    }

    mutating func emitDraft(_ d: LogSessionDraft, _ emit: (Session) -> Void) {
        stats.sessions += 1
        emit(d.finish())
        for t in d.moreStories where t.worthOwnSession { emitStory(t, emit) }
    }

    mutating func draft(_ id: String, _ dir: Session.Direction, _ pos: SourcePosition) -> LogSessionDraft {
        let key = (dir == .inbound ? "in:" : "out:") + id
        if let d = open[key] { return d }
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: dir, start: pos, time: pos.time ?? now)
        d.attributes["session-id"] = id
        open[key] = d
        return d
    }

    mutating func close(_ id: String, _ dir: Session.Direction, _ closer: Closer, _ pos: SourcePosition, _ emit: (Session) -> Void) {
        guard let d = open.removeValue(forKey: (dir == .inbound ? "in:" : "out:") + id) else { return }
        d.steps.append(.closed(closer, pos))
        emitDraft(d, emit)
    }

    /// A command line as OpenSMTPD logs it (`MAIL FROM:<a>  `), and its reply.
    func failed(_ d: LogSessionDraft, command: String, result: String, _ pos: SourcePosition) {
        let cmd = command.trimmingTrailingSpace
        let verb = cmd.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() } ?? ""
        if verb == "EHLO" || verb == "HELO" { d.greet(pos); d.heloDone = true }
        else if verb == "MAIL" { d.helo(pos) }
        else if verb == "RCPT" { if d.mailFrom == nil { d.mail(nil, pos) } }
        else if verb == "DATA" || verb == "." { if d.mailFrom == nil { d.mail(nil, pos) } }
        else { d.helo(pos) }
        if verb == "." || cmd.isEmpty {
            d.c("DATA", pos); d.s("354 Enter mail, end with \".\" on a line by itself", pos); d.c(".", pos)
        } else {
            d.c(cmd, pos)
        }
        // `421 4.3.0: Temporary Error` → keep as logged, minus the colon after the enhanced code.
        var r = result
        if let colon = r.range(of: ": "), r.distance(from: r.startIndex, to: colon.lowerBound) <= 9 {
            r.replaceSubrange(colon, with: " ")
        }
        d.s(r, pos)
        if verb == "MAIL", Int(r.prefix(3)).map({ $0 >= 400 }) == true { d.mailFrom = nil }
    }

    mutating func smtpEvent(_ id: String, _ r: ArraySlice<UInt8>, _ pos: SourcePosition, _ text: String, _ emit: (Session) -> Void) -> Bool {
        let d = draft(id, .inbound, pos)
        d.note(text, pos)
        if LogBytes.starts(r, "connected ") {
            d.client = Peer(host: Self.field(r, "host="), address: Self.field(r, "address="))
            return true
        }
        if LogBytes.starts(r, "tls ") {
            var f = TLSFacts(position: pos)
            if let c = Self.field(r, "ciphers=") {
                let parts = c.split(separator: ":")
                f.version = parts.first.map(String.init)
                if parts.count > 1 { f.cipher = String(parts[1]) }
            }
            d.tls(f, pos)
            return true
        }
        if LogBytes.starts(r, "failed-command ") {
            if d.client.address == nil { d.client = Peer(host: Self.field(r, "host="), address: Self.field(r, "address=")) }
            failed(d, command: Self.field(r, "command=") ?? "", result: Self.field(r, "result=") ?? "", pos)
            return true
        }
        if LogBytes.starts(r, "authentication ") {
            d.helo(pos)
            let ok = Self.field(r, "result=") == "ok"
            d.c("AUTH PLAIN", pos); d.s(ok ? "235 2.0.0 Authentication succeeded" : "535 5.7.8 Authentication failed", pos)
            return true
        }
        if LogBytes.starts(r, "envelope ") {
            let from = Self.field(r, "from=")
            d.mail(from, pos)
            if let to = Self.field(r, "to=") { d.c("RCPT TO:<\(to)>", pos); d.s("250 2.1.5 Destination address valid", pos) }
            if let e = Self.field(r, "evpid="), !d.queueIDs.contains(String(e.prefix(8))) { d.queueIDs.append(String(e.prefix(8))) }
            if let e = Self.field(r, "evpid=") { track(String(e.prefix(8)), pos).received(time: pos.time, sender: from, position: pos) }
            return true
        }
        if LogBytes.starts(r, "message ") {
            if let msgid = Self.field(r, "msgid="), !msgid.isEmpty {
                let t = track(msgid, pos)
                let client = d.client.address.map { "\(d.client.host ?? "")[\($0)]" }
                t.received(time: pos.time, client: client, size: Self.field(r, "size=").flatMap { Int($0) },
                           recipients: Self.field(r, "nrcpt=").flatMap { Int($0) }, position: pos)
                t.note(text, pos)
            }
            if d.mailFrom == nil { d.mail(nil, pos) }
            let msgid = Self.field(r, "msgid=") ?? ""
            if !msgid.isEmpty, !d.queueIDs.contains(msgid) { d.queueIDs.append(msgid) }
            d.c("DATA", pos); d.s("354 Enter mail, end with \".\" on a line by itself", pos)
            d.c(".", pos); d.s("250 2.0.0 \(msgid) Message accepted for delivery", pos)
            d.mailFrom = nil
            return true
        }
        if LogBytes.starts(r, "disconnected ") {
            let reason = Self.field(r, "reason=") ?? ""
            if reason == "quit" { d.helo(pos); d.c("QUIT", pos); d.s("221 2.0.0 Bye", pos); close(id, .inbound, .client, pos, emit) }
            else { close(id, .inbound, reason.contains("timeout") ? .server : .unknown, pos, emit) }
            return true
        }
        return LogBytes.starts(r, "protocol ") || LogBytes.starts(r, "filter-") || LogBytes.starts(r, "link-")
            || LogBytes.starts(r, "tx-") || LogBytes.starts(r, "report")
    }

    /// A local delivery (`mda delivery evpid=... to=<bob@x> user=bob ... result=PermFail stat=Error ("mail.local: ...")`):
    /// a failure joins the SMTP session that brought the message while it is open, or is a session of its own.
    mutating func mdaEvent(_ r: ArraySlice<UInt8>, _ pos: SourcePosition, _ text: String, _ emit: (Session) -> Void) -> Bool {
        guard LogBytes.starts(r, "delivery ") else { return true }
        let result = Self.field(r, "result=") ?? ""
        guard result == "PermFail" || result == "TempFail" else { return true }
        let msgid = String((Self.field(r, "evpid=") ?? "").prefix(8))
        let to = Self.field(r, "to=") ?? Self.field(r, "user=") ?? ""
        let d = MailboxDelivery(failedBy: "OpenSMTPD mda", user: to, messageID: "",
                                status: result == "TempFail" ? "deferred" : "bounced", reason: Self.lastField(r, "stat=") ?? result)
        if let draft = open.inbound(holding: msgid) {
            draft.note(text, pos)
            d.recordFailure(in: &draft.attributes)
            return true
        }
        stats.sessions += 1
        emit(d.session(input: input, format: Self.formatID, line: text, at: pos, queueID: msgid,
                       sender: Self.field(r, "from="), recipients: [to]))
        return true
    }

    mutating func mtaEvent(_ id: String, _ r: ArraySlice<UInt8>, _ pos: SourcePosition, _ text: String, _ emit: (Session) -> Void) -> Bool {
        let d = draft(id, .outbound, pos)
        d.note(text, pos)
        if LogBytes.starts(r, "connecting ") {
            // address=smtp://192.0.2.1:25 host=mx.example.com
            var addr = Self.field(r, "address=") ?? ""
            if let s = addr.range(of: "://") { addr = String(addr[s.upperBound...]) }
            var port: Int?
            if let c = addr.lastIndex(of: ":"), !addr.hasSuffix("]") { port = Int(addr[addr.index(after: c)...]); addr = String(addr[..<c]) }
            d.server = Peer(host: Self.field(r, "host="), address: addr.isEmpty ? nil : addr, port: port)
            return true
        }
        if LogBytes.starts(r, "connected") || LogBytes.starts(r, "tls ") || LogBytes.starts(r, "cert-check") {
            if LogBytes.starts(r, "tls "), let c = Self.field(r, "ciphers=") {
                var f = TLSFacts(position: pos)
                let parts = c.split(separator: ":")
                f.version = parts.first.map(String.init)
                if parts.count > 1 { f.cipher = String(parts[1]) }
                d.tls(f, pos)
            }
            return true
        }
        if LogBytes.starts(r, "delivery ") {
            let result = Self.field(r, "result=") ?? ""
            let stat = Self.field(r, "stat=") ?? ""
            let from = Self.field(r, "from=")
            let to = Self.field(r, "to=") ?? ""
            if let e = Self.field(r, "evpid="), !d.queueIDs.contains(String(e.prefix(8))) { d.queueIDs.append(String(e.prefix(8))) }
            if let e = Self.field(r, "evpid=") {
                recordDelivery(String(e.prefix(8)), r, session: id, result: result, stat: stat, to: to, draft: d, pos: pos, text: text)
            }
            let hasCode = Int(stat.prefix(3)) != nil
            if result == "Ok" {
                d.delivered(from: from, to: [to], reply: hasCode ? stat : "250 \(stat)", pos)
            } else if hasCode {
                d.mail(from, pos); d.c("RCPT TO:<\(to)>", pos); d.s(stat, pos)
            } else if d.steps.isEmpty {
                d.connected = false
                d.steps.append(.connectFailed(LogSessionDraft.failure(stat), stat, pos))
            } else {
                d.note("delivery \(result): \(stat)", pos)
            }
            return true
        }
        if LogBytes.starts(r, "error ") {
            let reason = Self.field(r, "reason=") ?? ""
            if d.steps.isEmpty, !reason.isEmpty {
                d.connected = false
                d.steps.append(.connectFailed(LogSessionDraft.failure(reason), reason, pos))
            }
            return true
        }
        if LogBytes.starts(r, "disconnected") {
            let reason = Self.field(r, "reason=") ?? ""
            if reason == "quit" { d.c("QUIT", pos); d.s("221 2.0.0 Bye", pos); close(id, .outbound, .client, pos, emit) }
            else { close(id, .outbound, .unknown, pos, emit) }
            return true
        }
        return LogBytes.starts(r, "failed-command") || LogBytes.starts(r, "server-") || LogBytes.starts(r, "smtp-")
    }

    /// `mta delivery evpid=... to=<b> relay="192.0.2.30 (mail.example.org)" delay=1s result="TempFail" stat="451 ..."`
    /// for the message's story; an mta session is one attempt.
    mutating func recordDelivery(_ msgid: String, _ r: ArraySlice<UInt8>, session: String, result: String, stat: String,
                                 to: String, draft d: LogSessionDraft, pos: SourcePosition, text: String) {
        let status: MessageHistory.Status
        switch result {
        case "Ok": status = .sent
        case "TempFail": status = .deferred
        case "PermFail", "Loop": status = stat.lowercased().contains("expire") ? .expired : .bounced
        default: return
        }
        let t = track(msgid, pos)
        let number: Int
        if t.groupTag == session { number = t.attempts } else { number = t.nextAttempt(); t.groupTag = session }
        var relay = Self.field(r, "relay=")
        if let rl = relay, let open = rl.firstIndex(of: "("), rl.hasSuffix(")") {
            let ip = rl[..<open].trimmingCharacters(in: [" "])
            relay = String(rl[rl.index(after: open)..<rl.index(before: rl.endIndex)]) + "[\(ip)]"
        }
        var reply = stat
        if let colon = reply.range(of: ": "), reply.distance(from: reply.startIndex, to: colon.lowerBound) <= 9,
           Int(reply.prefix(3)) != nil { reply.replaceSubrange(colon, with: " ") }
        t.record(number: number, recipient: to, status: status, time: pos.time, relay: relay,
                 delay: Self.field(r, "delay=").flatMap { EximLogReader.duration(Array($0.utf8)[...]) },
                 reply: reply, position: pos)
        if status != .sent { t.note(text, pos) }
        guard t.allFinal || status == .expired else { return }
        tracks[msgid] = nil
        if t.history.end == nil { t.end(t.outcome(removed: true), time: pos.time, position: pos) }
        if t.worthTelling {
            if d.story == nil { d.story = t } else if d.moreStories.count < 1_000 { d.moreStories.append(t) }
        }
    }

    mutating func oldFormat(_ m: ArraySlice<UInt8>, _ pos: SourcePosition, _ text: String, _ emit: (Session) -> Void) -> Bool {
        func sessionID(after key: StaticString, in s: ArraySlice<UInt8>) -> String? {
            guard let k = LogBytes.find(s, key) else { return nil }
            let v = s[(k + key.utf8CodeUnitCount)...]
            let e = v.firstIndex(where: { $0 == Bytes.space || $0 == 0x3A || $0 == 0x2C }) ?? v.endIndex
            return Bytes.string(v[v.startIndex..<e])
        }
        if let r = LogBytes.after(m, "smtp-in: ") {
            guard let id = sessionID(after: "session ", in: r) else { return false }
            let d = draft(id, .inbound, pos)
            d.note(text, pos)
            if LogBytes.starts(r, "New session") {
                if let f = LogBytes.find(r, " from host ") {
                    let p = LogBytes.hostAddress(r[(f + 11)...])
                    d.client = Peer(host: p.host, address: p.ip == "local" ? nil : p.ip)
                }
                return true
            }
            if LogBytes.starts(r, "Failed command") {
                if let q = LogBytes.find(r, ": \""), let arrow = LogBytes.find(r, "\" => ") {
                    failed(d, command: Bytes.string(r[(q + 3)..<arrow]), result: Bytes.string(r[(arrow + 5)...]), pos)
                }
                return true
            }
            if LogBytes.starts(r, "Accepted message") {
                let msg = sessionID(after: "message ", in: r) ?? ""
                if !msg.isEmpty { d.queueIDs.append(msg) }
                d.delivered(from: LogBytes.value(r, "from=").map(Bytes.string), to: LogBytes.value(r, "to=").map { [Bytes.string($0)] } ?? [],
                            reply: "250 2.0.0 \(msg) Message accepted for delivery", pos)
                return true
            }
            if LogBytes.starts(r, "Started TLS") {
                var f = TLSFacts(position: pos)
                f.version = LogBytes.value(r, "version=").map(Bytes.string)
                f.cipher = LogBytes.value(r, "cipher=").map(Bytes.string)
                d.tls(f, pos)
                return true
            }
            if LogBytes.starts(r, "Closing session") { close(id, .inbound, .client, pos, emit); return true }
            if LogBytes.starts(r, "Disconnecting session") || LogBytes.starts(r, "Received disconnect") {
                close(id, .inbound, LogBytes.find(r, "timeout") != nil ? .server : .unknown, pos, emit); return true
            }
            return LogBytes.starts(r, "Authentication") || LogBytes.starts(r, "Client") || LogBytes.starts(r, "Bad input")
        }
        if LogBytes.starts(m, "smtp-out: ") || LogBytes.starts(m, "relay: ") || LogBytes.starts(m, "delivery: ")
            || LogBytes.starts(m, "mda ") || LogBytes.starts(m, "info: ") || LogBytes.starts(m, "warn: ")
            || LogBytes.starts(m, "startup") || LogBytes.starts(m, "mta ") || LogBytes.starts(m, "queue ") {
            if LogBytes.starts(m, "relay: "), let st = LogBytes.find(m, "stat=") {
                // Old relay line: one self-contained outbound attempt.
                let stat = Bytes.string(m[(st + 5)...])
                let d = LogSessionDraft(input: input, format: Self.formatID, direction: .outbound, start: pos, time: pos.time ?? now)
                d.note(text, pos)
                if let rl = LogBytes.find(m, "relay=") { d.server.host = LogBytes.value(m[rl...], "relay=").map(Bytes.string) }
                let to = LogBytes.value(m, "to=").map(Bytes.string) ?? ""
                if LogBytes.starts(m, "relay: Ok") { d.delivered(from: LogBytes.value(m, "from=").map(Bytes.string), to: [to], reply: Int(stat.prefix(3)) != nil ? stat : "250 \(stat)", pos) }
                else if Int(stat.prefix(3)) != nil { d.mail(LogBytes.value(m, "from=").map(Bytes.string), pos); d.c("RCPT TO:<\(to)>", pos); d.s(stat, pos) }
                else { d.connected = false; d.steps.append(.connectFailed(LogSessionDraft.failure(stat), stat, pos)) }
                emitDraft(d, emit)
            }
            return true
        }
        return false
    }
}
