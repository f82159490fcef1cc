/// Rspamd's log (`/var/log/rspamd/rspamd.log`, the same lines through syslog or `docker logs` of mailcow's
/// rspamd container): its verdict on each message is one `rspamd_task_write_log` line,
/// `id: <msgid>, qid: <QID>, ip: 192.0.2.1, from: <s>, (default: T (reject): [16.50/15.00] [SYM(score){opts},...]),
/// len: ..., rcpts: <r>`. Each verdict is a session: the message taken up to the end of its data, then the
/// reply that action means (reject 5xx, soft reject and greylist 4xx, otherwise accepted), with the score
/// and the symbols that made it in the session's `spam-*` attributes for the explainer. Rspamd logs its
/// action, not the reply text, so the reply says it was not logged. Rspamd's other lines are skipped.
public struct RspamdLogReader: LineReader {
    public static let formatID = "rspamd-log"
    public static let summary = "Rspamd log (rspamd_task_write_log: action, score and symbols per message)"

    static let marker: StaticString = "rspamd_task_write_log: "

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        // `2026-12-06 08:01:14 #1733(normal) <a1b2c3>; task; ...` or `rspamd[1733]: <a1b2c3>; task; ...`: rspamd's
        // own lines. In a mail log where Postfix's lines are the most, the Postfix reader (which reads rspamd's
        // verdicts too) scores higher.
        var own = 0, verdicts = 0, lines = 0
        for line in prefix where !Bytes.trimmed(line).isEmpty {
            lines += 1
            let head = line.prefix(160)
            if LogBytes.find(line.prefix(600), marker) != nil { verdicts += 1; own += 1 }
            else if LogBytes.find(head, "(normal) <") != nil || LogBytes.find(head, "(rspamd_proxy) <") != nil
                        || LogBytes.find(head, "(controller) <") != nil || LogBytes.find(head, "rspamd[") != nil { own += 1 }
        }
        guard own > 0 else { return 0 }
        let share = Double(own) / Double(max(lines, 1))
        return min(0.96, (verdicts > 0 ? 0.6 : 0.45) + 0.36 * share)
    }

    public var input: String
    private var inputNames = InputNameCache()
    private var header = LogHeaderParser()
    public private(set) var stats: LogReaderStats

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
    }

    /// One verdict, as logged.
    struct Verdict {
        var messageID: String?
        var queueID: String?
        var ip: String?
        var user: String?
        var sender: String?
        var recipients: [String] = []
        var isSpam = false
        var action = ""
        var score = ""
        var threshold = ""
        /// `NAME(score){options}` in the logged order (rspamd sorts by name; the explainer sorts by weight).
        var symbols: [(name: String, score: Double, options: String)] = []

        /// The session attributes the explainer's spam-filter rules read: the action, the score and the
        /// heaviest symbols (`NAME score {options}` separated by `; `).
        var attributes: [String: String] {
            var a = ["spam-filter": "rspamd", "spam-action": action, "spam-score": score + "/" + threshold]
            let heavy = symbols.filter { $0.score > 0 }.sorted { ($0.score, $1.name) > ($1.score, $0.name) }.prefix(12)
            a["spam-symbols"] = heavy.map { "\($0.name) \(RspamdLogReader.number($0.score))" + ($0.options.isEmpty ? "" : " {\($0.options.prefix(120))}") }
                .joined(separator: "; ")
            if symbols.contains(where: { $0.name == "GREYLIST" }) { a["spam-greylisted"] = "yes" }
            return a
        }
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        guard let k = LogBytes.find(line.prefix(600), Self.marker) else {
            stats.ignored += 1
            return
        }
        guard let v = Self.verdict(line[(k + Self.marker.utf8CodeUnitCount)...]) else {
            stats.unrecognised(line, number: number, input: nil)
            return
        }
        stats.understood += 1
        let pos = SourcePosition(name: inputNames(input), line: number, time: time(line[line.startIndex..<k]), sequence: nil)
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: pos.time ?? 0)
        d.note(Bytes.string(line.prefix(8_192)), pos)
        d.client = Peer(address: v.ip)
        if let q = v.queueID { d.attributes["queue-id"] = q }
        if let m = v.messageID { d.attributes["message-id"] = m }
        if let u = v.user { d.attributes["sasl-user"] = u }
        for (k, value) in v.attributes { d.attributes[k] = value }
        let rcpts = v.recipients.isEmpty ? ["(recipient not logged)"] : v.recipients
        // Not the word "rspamd" in the reply: its "spam" would read as a spam verdict for any action.
        let said = "(filter action \(v.action), score \(v.score)/\(v.threshold); reply not logged)"
        let greylisted = v.symbols.contains { $0.name == "GREYLIST" }
        switch v.action {
        case "reject":
            d.delivered(from: v.sender, to: rcpts, reply: "554 5.7.1 " + said, pos)
        case "soft reject" where greylisted:
            d.delivered(from: v.sender, to: rcpts, reply: "451 4.7.1 Greylisted " + said, pos)
        case "soft reject":
            d.delivered(from: v.sender, to: rcpts, reply: "451 4.7.1 " + said, pos)
        case "greylist":
            d.delivered(from: v.sender, to: rcpts, reply: "451 4.7.1 Greylisted " + said, pos)
        default:
            // no action, add header, rewrite subject: the message goes on (tagged or not).
            d.delivered(from: v.sender, to: rcpts, reply: "250 2.0.0 " + said, pos)
        }
        d.steps.append(.closed(.unknown, pos))
        stats.sessions += 1
        emit(d.finish())
    }

    public mutating func finish(emit: (Session) -> Void) {
        LogStatsRegistry.shared.record(stats)
    }

    /// The time at the head of the line: rspamd's own `2026-12-06 08:01:14 #1733(...)`, a syslog header, or
    /// either after a `container | ` prefix (`docker logs`).
    mutating func time(_ head: ArraySlice<UInt8>) -> Double? {
        var h = head
        if let bar = LogBytes.find(h.prefix(120), " | ") { h = h[(bar + 3)...] }
        if let (t, _) = header.clock.iso(h, allowSpace: true) { return t }
        return header.parse(h).time
    }

    static func number(_ d: Double) -> String {
        let r = (d * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// `id: <m@x>, qid: <4QbC1M2xYz>, ip: 192.0.2.1, user: u, from: <s>, (default: T (reject): [16.50/15.00]
    /// [A(1.00){o;},B(2.00){}]), len: 1234, time: 12.3ms, dns req: 4, digest: <...>, rcpts: <a>,<b>, mime_rcpts: <a>`
    static func verdict(_ b: ArraySlice<UInt8>) -> Verdict? {
        let body = b.prefix(16_384)
        var v = Verdict()
        func bracketed(_ key: StaticString) -> String? {
            guard let k = LogBytes.find(body.prefix(2_000), key) else { return nil }
            let r = body[(k + key.utf8CodeUnitCount)...]
            guard r.first == 0x3C, let e = r.prefix(1_000).firstIndex(of: 0x3E) else { return nil }
            let s = Bytes.string(r[(r.startIndex + 1)..<e])
            return s.isEmpty || s == "undef" ? nil : s
        }
        v.messageID = bracketed("id: ")
        v.queueID = bracketed("qid: ")
        v.sender = bracketed("from: ")
        if let k = LogBytes.find(body.prefix(2_000), "ip: ") {
            let ip = body[(k + 4)...].prefix { $0 != 0x2C && $0 != Bytes.space }
            if !ip.isEmpty { v.ip = Bytes.string(ip.prefix(64)) }
        }
        if let k = LogBytes.find(body.prefix(2_000), "user: ") {
            let u = body[(k + 6)...].prefix { $0 != 0x2C }
            if !u.isEmpty { v.user = Bytes.string(u.prefix(200)) }
        }
        // `(default: T (reject): [16.50/15.00] [...])`; the setting's name may be other than `default`.
        guard let open = LogBytes.find(body, ": T (") ?? LogBytes.find(body, ": F (") else { return nil }
        v.isSpam = body[open + 2] == 0x54
        var r = body[(open + 5)...]
        guard let close = r.prefix(40).firstIndex(of: 0x29) else { return nil }
        v.action = Bytes.string(r[r.startIndex..<close])
        r = r[(close + 1)...]
        guard LogBytes.starts(r, ": ["), let slash = r.prefix(40).firstIndex(of: 0x2F), let end = r.prefix(60).firstIndex(of: 0x5D),
              slash > r.startIndex + 3, end > slash + 1 else { return nil }
        v.score = Bytes.string(r[(r.startIndex + 3)..<slash])
        v.threshold = Bytes.string(r[(slash + 1)..<end])
        r = r[(end + 1)...]
        if LogBytes.starts(r, " [") {
            // Symbols: `NAME(score){options}` separated by commas outside the braces.
            var i = r.startIndex + 2
            while i < r.endIndex, r[i] != 0x5D, v.symbols.count < 200 {
                var j = i
                while j < r.endIndex, r[j] != 0x28, r[j] != 0x2C, r[j] != 0x5D { j += 1 }
                let name = Bytes.string(r[i..<j])
                var score = 0.0, options = ""
                if j < r.endIndex, r[j] == 0x28, let c = r[j...].prefix(40).firstIndex(of: 0x29) {
                    score = Double(Bytes.string(r[(j + 1)..<c])) ?? 0
                    j = c + 1
                    if j < r.endIndex, r[j] == 0x7B {
                        var depth = 0, e = j
                        while e < r.endIndex {
                            if r[e] == 0x7B { depth += 1 } else if r[e] == 0x7D { depth -= 1; if depth == 0 { break } }
                            e += 1
                        }
                        options = Bytes.string(r[(j + 1)..<min(e, r.endIndex)].prefix(300))
                        j = min(e + 1, r.endIndex)
                    }
                }
                if !name.isEmpty { v.symbols.append((name, score, options)) }
                if j < r.endIndex, r[j] == 0x2C { j += 1 }
                guard j > i else { break }
                i = j
            }
        }
        if let k = LogBytes.find(body, " rcpts: ") {
            var rest = body[(k + 8)...]
            while rest.first == 0x3C, let e = rest.prefix(1_000).firstIndex(of: 0x3E), v.recipients.count < 100 {
                v.recipients.append(Bytes.string(rest[(rest.startIndex + 1)..<e]))
                rest = rest[(e + 1)...]
                if rest.first == 0x2C { rest = rest.dropFirst() }
            }
        }
        return v
    }
}
