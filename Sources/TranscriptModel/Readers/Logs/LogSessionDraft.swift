/// A session being rebuilt from log lines: the evidence lines and the dialogue steps they prove, replayed
/// into a `SessionBuilder` when the session closes (every step marked inferred). Shared by the Sendmail,
/// OpenSMTPD and Exchange tracking readers.
final class LogSessionDraft {
    enum Step: DialogueStep {
        case client(String, SourcePosition)
        case server(String, SourcePosition)
        case tls(TLSFacts, SourcePosition)
        case closed(Closer, SourcePosition)
        case connectFailed(ConnectFailure, String, SourcePosition)

        var isCommand: Bool { if case .client = self { true } else { false } }
        var isClosing: Bool {
            switch self { case .closed, .connectFailed: true; default: false }
        }
        var position: SourcePosition {
            switch self {
            case .client(_, let p), .server(_, let p), .tls(_, let p), .closed(_, let p), .connectFailed(_, _, let p): p
            }
        }
    }

    let input: String
    let format: String
    var direction: Session.Direction
    var client = Peer()
    var server = Peer()
    var attributes: [String: String] = [:]
    var notes: [(text: String, pos: SourcePosition)] = []
    var steps = DialogueSteps<Step>()
    var start: SourcePosition
    var last: Double
    var connected = true
    var greeted = false
    var heloDone = false
    var tlsDone = false
    var mailFrom: String?
    var queueIDs: [String] = []
    /// The message whose retry chain ends in this session: its story rides on it.
    var story: MessageTrack?
    /// Further messages whose chains ended in this session (one session carries one story; these are told
    /// on their own).
    var moreStories: [MessageTrack] = []

    init(input: String, format: String, direction: Session.Direction, start: SourcePosition, time: Double) {
        self.input = input
        self.format = format
        self.direction = direction
        self.start = start
        self.last = time
    }

    func note(_ text: String, _ pos: SourcePosition) {
        if notes.count < 5_000 { notes.append((text, pos)) }
        if let t = pos.time { last = max(last, t) }
    }

    func c(_ t: String, _ p: SourcePosition) { steps.append(.client(t, p)) }
    func s(_ t: String, _ p: SourcePosition) { steps.append(.server(t, p)) }

    func greet(_ p: SourcePosition) {
        guard !greeted else { return }
        greeted = true
        s("220 " + (server.host.map { $0 + " " } ?? "") + "(greeting not logged)", start)
    }

    /// The server refused the client in place of its greeting and closed the connection.
    func refuseAtGreeting(_ reply: String, _ p: SourcePosition) {
        greeted = true
        s(reply, p)
        steps.append(.closed(.server, p))
    }

    func helo(_ p: SourcePosition) {
        greet(p)
        guard !heloDone else { return }
        heloDone = true
        c("EHLO \(client.heloName ?? (direction == .outbound ? "(this server)" : client.host ?? ""))".trimmingTrailingSpace, p)
        s("250 (reply not logged)", p)
    }

    func tls(_ f: TLSFacts, _ p: SourcePosition) {
        guard !tlsDone else { return }
        helo(p)
        tlsDone = true
        c("STARTTLS", p); s("220 Ready to start TLS", p)
        steps.append(.tls(f, p))
        c("EHLO \(client.heloName ?? (direction == .outbound ? "(this server)" : client.host ?? ""))".trimmingTrailingSpace, p)
        s("250 (reply not logged)", p)
    }

    func mail(_ from: String?, _ p: SourcePosition) {
        helo(p)
        if mailFrom == nil || (from != nil && mailFrom != from) {
            mailFrom = from ?? ""
            c(Self.mailFrom(from), p); s("250 OK", p)
        }
    }

    /// The MAIL command of a sender the log names, or a bare `MAIL FROM` when it names none: `<>` would
    /// say the null sender (a bounce), which the log did not say.
    static func mailFrom(_ sender: String?) -> String {
        sender.map { "MAIL FROM:<\($0)>" } ?? "MAIL FROM"
    }

    /// The same for a recipient.
    static func rcptTo(_ recipient: String?) -> String {
        recipient.map { "RCPT TO:<\($0)>" } ?? "RCPT TO"
    }

    /// RCPT accepted, DATA, end of data with `reply`.
    func delivered(from: String?, to: [String], reply: String, _ p: SourcePosition) {
        mail(from, p)
        for t in to { c("RCPT TO:<\(t)>", p); s("250 OK", p) }
        c("DATA", p); s("354 Start mail input", p)
        c(".", p); s(reply, p)
        mailFrom = nil
    }

    func finish() -> Session {
        var b = SessionBuilder(input: input, format: format)
        b.direction = direction
        b.client = client
        b.server = server
        for (k, v) in attributes { b.attributes[k] = v }
        if !queueIDs.isEmpty { b.attributes["queue-id"] = queueIDs.joined(separator: " ") }
        var ni = 0
        let notes = self.notes
        func flush(_ line: Int?) {
            while ni < notes.count, line == nil || notes[ni].pos.order <= line! {
                b.note(notes[ni].text, kind: .log, at: notes[ni].pos); ni += 1
            }
        }
        flush(start.order)
        if connected {
            if direction == .outbound {
                b.connecting(host: server.host, address: server.address, port: server.port, at: start)
                b.connected(address: server.address, port: server.port, at: start)
            } else {
                b.connected(address: nil, port: nil, at: start)
                b.server = server
            }
        } else {
            b.connecting(host: server.host, address: server.address, port: server.port, at: start)
        }
        for step in steps {
            switch step {
            case .client(let t, let p): flush(p.order); b.client(Array(t.utf8)[...], at: p, inferred: true)
            case .server(let t, let p): flush(p.order); b.server(Array(t.utf8)[...], at: p, inferred: true)
            case .tls(let f, let p): b.tlsEstablished(f, at: p)
            case .closed(let c, let p): flush(p.order); b.closed(by: c, at: p)
            case .connectFailed(let f, let d, let p): flush(p.order); b.connectFailed(f, detail: d, at: p)
            }
        }
        flush(nil)
        if let n = steps.droppedNote { b.note(n.text, kind: .tool, at: n.pos) }
        var s = b.finish()
        if let q = queueIDs.first {
            for i in s.transactions.indices where s.transactions[i].queueID == nil { s.transactions[i].queueID = q }
        }
        if let t = story, t.worthOwnSession { t.attach(to: &s) }
        return s
    }

    static func failure(_ reason: String) -> ConnectFailure { PostfixLogReader.failure(reason) }
}

extension Dictionary where Key: Comparable, Value == LogSessionDraft {
    /// The open SMTP session that brought message `queueID` in, for a later line about it (a failed local
    /// delivery). A scan, so only while few sessions are open (the usual case on a real log).
    func inbound(holding queueID: String) -> LogSessionDraft? {
        guard !queueID.isEmpty, count <= 1_000 else { return nil }
        return values.first { $0.direction == .inbound && $0.queueIDs.contains(queueID) }
    }

    /// Takes out the sessions quiet for more than `idle` seconds of log time (in the order they started), then
    /// the quietest past `limit` (counted in `evicted`), so memory follows the open sessions. Shared by the
    /// readers that keep drafts; the caller emits what comes back, in that order.
    mutating func removeQuiet(now: Double, idle: Double, limit: Int = 50_000, evicted: inout Int) -> [LogSessionDraft] {
        var out: [LogSessionDraft] = []
        for k in keysStably(where: { now - $0.last > idle }, by: { $0.start.order < $1.start.order }) {
            if let d = removeValue(forKey: k) { out.append(d) }
        }
        if count > limit {
            for (k, d) in sortedStably(by: { $0.last < $1.last }).prefix(count - limit) {
                self[k] = nil
                evicted += 1
                out.append(d)
            }
        }
        return out
    }

    /// The input ended: every open session, the dictionary emptied, in the order they started.
    mutating func removeAllInOrder() -> [LogSessionDraft] {
        let all = sortedStably(by: { $0.start.order < $1.start.order }).map(\.value)
        removeAll()
        return all
    }
}
