import Foundation

/// Microsoft Exchange message tracking logs (`MSGTRK*.LOG`, CSV with a `#Fields:` header, or the same rows
/// without it), and Exchange Online's extended message trace report (the same fields as a CSV download with a
/// `date_time_utc,client_ip,...` header, often UTF-16). The rows of one message (by message id, else internal message id: RECEIVE, AGENTINFO,
/// DEFER, SEND, DELIVER, FAIL, DSN, ...) are one story and one session: it is rebuilt from the message's last
/// SMTP delivery row (`SEND` delivered, `FAIL`/`DEFER` refused with the recipient status as the reply), else
/// from its SMTP `RECEIVE` row (an accepted inbound message), and carries every row as evidence and the
/// message's history (received, each attempt, the end). A message is told once its recipients all have a
/// final row and two minutes of log time passed, or after three days of quiet, or at the end of the input.
/// Messages with no SMTP row (mailbox submission and delivery) make no session unless retried. The SMTP
/// protocol logs (SmtpReceive/SmtpSend) are a transcript dialect of their own (`exchange`).
public struct ExchangeTrackingReader: LineReader {
    public static let formatID = "exchange-tracking"
    public static let summary = "Microsoft Exchange message tracking log (MSGTRK CSV), Exchange Online extended message trace report"

    static let defaultFields = ["date-time", "client-ip", "client-hostname", "server-ip", "server-hostname",
                                "source-context", "connector-id", "source", "event-id", "internal-message-id",
                                "message-id", "network-message-id", "recipient-address", "recipient-status",
                                "total-bytes", "recipient-count", "related-recipient-address", "reference",
                                "message-subject", "sender-address", "return-path", "message-info", "directionality",
                                "tenant-id", "original-client-ip", "original-server-ip", "custom-data",
                                "transport-traffic-type", "log-id", "schema-version"]
    static let events: Set<String> = ["RECEIVE", "SEND", "FAIL", "DEFER", "DELIVER", "DSN", "EXPAND", "RESOLVE",
                                      "SUBMIT", "REDIRECT", "TRANSFER", "POISONMESSAGE", "DROP", "BADMAIL",
                                      "HAREDIRECT", "HAREDIRECTFAIL", "HARECEIVE", "NOTIFYMAPI", "AGENTINFO",
                                      "SUBMITDEFER", "SUBMITDROP", "RECEIVEDEFER", "SENDEXTERNAL", "INITMESSAGECREATED",
                                      "MODERATORREJECT", "MODERATORAPPROVE", "MODERATIONEXPIRE", "PROCESS",
                                      "THROTTLE", "DUPLICATEDELIVER", "DUPLICATEEXPAND", "DUPLICATEREDIRECT",
                                      "HADISCARD", "AGENTINFO", "LOAD", "RESUBMIT", "SAFETYNET", "QUEUED", "RECIPIENTADDED"]

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var hits = 0, lines = 0
        for line in prefix where !line.isEmpty {
            // Above the protocol-log dialect's 0.96: both start with `#Software: Microsoft Exchange Server`.
            if LogBytes.starts(line, "#Log-type: Message Tracking") { return 0.98 }
            if LogBytes.starts(line, "#Fields: date-time,client-ip") { return 0.98 }
            if onlineHeader(line) != nil { return 0.98 }
            if line.first == 0x23 { continue }
            lines += 1
            let f = CSVLine.cells(line)
            if f.count >= 20, f[0].count >= 19, f[0].dropFirst(4).first == 0x2D, events.contains(Bytes.string(f[8])) { hits += 1 }
        }
        guard hits > 0 else { return 0 }
        return min(0.95, 0.6 + 0.35 * Double(hits) / Double(max(lines, 1)))
    }

    /// Exchange Online's extended report names the tracking log's fields in snake case (`date_time_utc`,
    /// `event_id`, `recipient_status`, ...), quoted or not: the header as the log's names, or nil.
    static func onlineHeader(_ line: ArraySlice<UInt8>) -> [String]? {
        guard LogBytes.starts(line, "date_time_utc,") || LogBytes.starts(line, "\"date_time_utc\",") else { return nil }
        let names = CSVLine.cells(line).map { cell -> String in
            let n = Bytes.string(Bytes.trimmed(cell)).lowercased().replacingOccurrences(of: "_", with: "-")
            return n == "date-time-utc" ? "date-time" : n
        }
        return names.contains("event-id") ? names : nil
    }

    /// Exchange Online writes a failure as `[{LED=550 5.1.10 RESOLVER...};{MSG=};{FQDN=mx.example.org};
    /// {IP=192.0.2.25};{LRT=...}]`: the last error and, when given, the server it came from.
    static func lastError(_ status: String) -> (reply: String, host: String?, address: String?)? {
        guard status.hasPrefix("[{LED=") || status.hasPrefix("{LED=") else { return nil }
        let f = ExchangeTraceReader.reasonFields(status)
        guard let led = f["LED"] else { return nil }
        return (led, f["FQDN"], f["IP"])
    }


    /// The file the current line comes from (changes when several logs are read merged).
    public var input: String
    /// Place of the current line in a merged stream (nil for a single input).
    public var sequence: Int?
    var clock = LogClock()
    public private(set) var stats: LogReaderStats
    var index: [String: Int] = [:]
    /// Merged reads: each file's own `#Fields:` header.
    var indexByInput: [String: [String: Int]] = [:]
    var defaultIndex: [String: Int] = [:]
    /// Messages whose rows are still coming, by message id (else internal message id).
    var messages: [String: Message] = [:]
    var now = 0.0
    var lastSweep = 0.0
    /// A message not waiting for a retry is told after this much quiet (its delivery, DSN and agent rows
    /// follow within seconds).
    public var settleSeconds = 120.0
    /// A message still waiting (deferred) is told as it stands after this much quiet (Exchange's message
    /// expiration is 2 days by default).
    public var storyIdleSeconds = 3 * 86_400.0
    public var maxOpen = 50_000

    public init(input: String) {
        self.input = input
        self.stats = LogReaderStats(input: input, format: Self.formatID)
        for (i, f) in Self.defaultFields.enumerated() { defaultIndex[f] = i }
        index = defaultIndex
    }

    /// The row an SMTP session is rebuilt from.
    struct Row {
        var event: String
        var pos: SourcePosition
        var client: Peer
        var server: Peer
        var messageID: String?
        var connector: String?
        var internalID: String?
        var recipients: [String]
        var status: String
        var sender: String?
    }

    /// The rows of one message: the story, the SMTP rows a session is rebuilt from, the evidence.
    final class Message {
        var notes: [(text: String, pos: SourcePosition)] = []
        var receive: Row?
        /// The last SMTP delivery row (SEND, FAIL, DEFER).
        var delivery: Row?
        var internalIDs: [String] = []
        var track: MessageTrack
        var rows = 0
        var last: Double
        var first: SourcePosition
        var lastEvent = ""
        init(key: String, pos: SourcePosition) {
            track = MessageTrack(queueID: key, time: pos.time ?? 0)
            last = pos.time ?? 0
            first = pos
        }
        /// Not waiting for a retry: every recipient has a final row, or the last row was not a deferral.
        var settled: Bool {
            track.allFinal || lastEvent != "DEFER"
        }
    }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        stats.lines += 1
        if Bytes.trimmed(line).isEmpty { stats.ignored += 1; return }
        if let f = LogBytes.after(line, "#Fields: ") {
            index = [:]
            for (i, name) in f.split(separator: 0x2C).enumerated() { index[Bytes.string(Bytes.trimmed(name))] = i }
            if sequence != nil { indexByInput[input] = index }
            stats.understood += 1
            return
        }
        if let names = Self.onlineHeader(line) {
            index = [:]
            for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
            if sequence != nil { indexByInput[input] = index }
            stats.understood += 1
            return
        }
        if line.first == 0x23 { stats.understood += 1; return }
        // Merged reads: the columns of the file this row comes from.
        if sequence != nil { index = indexByInput[input] ?? defaultIndex }
        let f = CSVLine.cells(line)
        func get(_ name: String) -> String? {
            guard let i = index[name], i < f.count, !f[i].isEmpty else { return nil }
            return CSVLine.unquote(f[i])
        }
        guard let event = get("event-id"), Self.events.contains(event) else { stats.unrecognised(line, number: number, input: sequence == nil ? nil : input); return }
        stats.understood += 1
        var time: Double?
        if let d = index["date-time"], d < f.count, let (t, _) = clock.iso(f[d]) { time = t }
        if let t = time { now = max(now, t) }
        let pos = SourcePosition(input: input, line: number, time: time, sequence: sequence)
        let text = Bytes.string(line)
        let source = get("source") ?? ""
        let messageID = get("message-id")
        let internalID = get("internal-message-id")
        guard let key = messageID ?? internalID else {
            // A row of no message (NOTIFYMAPI, LOAD, ...): history without a story.
            return
        }
        let m: Message
        if let x = messages[key] { m = x } else {
            // Full: the quietest tenth is told as it stands, in one sorted pass (a scan per new message was
            // quadratic), and before the new message goes in (it must not be among them).
            if messages.count >= maxOpen {
                for (k, old) in messages.sortedStably(by: { $0.last < $1.last }).prefix(max(1, maxOpen / 10)) {
                    messages[k] = nil
                    stats.evicted += 1
                    tell(old, emit: emit)
                }
            }
            m = Message(key: key, pos: pos)
            messages[key] = m
        }
        m.rows += 1
        m.last = max(m.last, time ?? m.last)
        m.lastEvent = event
        if m.notes.count < 200 { m.notes.append((text, pos)) }
        if let i = internalID, !m.internalIDs.contains(i), m.internalIDs.count < 20 { m.internalIDs.append(i) }
        let recipients = (get("recipient-address") ?? "").split(separator: ";").map(String.init)
        var status = get("recipient-status") ?? ""
        var server = Peer(host: get("server-hostname"), address: get("server-ip"))
        if let led = Self.lastError(status) {
            status = led.reply
            // The server that gave the error, where the row names none (or only the service's own hop).
            if event != "RECEIVE", let a = led.address { server = Peer(host: led.host, address: a) }
            else if event != "RECEIVE", server.host == nil, let h = led.host { server.host = h }
        }
        let sender = get("sender-address")
        let row = Row(event: event, pos: pos, client: Peer(host: get("client-hostname"), address: get("client-ip")),
                      server: server, messageID: messageID,
                      connector: get("connector-id"), internalID: internalID, recipients: recipients, status: status,
                      sender: sender)
        let t = m.track
        switch event {
        case "RECEIVE":
            let client = source == "SMTP" ? row.client.address.map { "\(row.client.host ?? "")[\($0)]" } : "mailbox submission (\(source))"
            t.received(time: time, client: client, sender: sender ?? get("return-path"), size: get("total-bytes").flatMap { Int($0) },
                       recipients: get("recipient-count").flatMap { Int($0) }, messageID: messageID, position: pos)
            if source == "SMTP", m.receive == nil { m.receive = row }
        case "SEND", "SENDEXTERNAL", "DELIVER", "DUPLICATEDELIVER", "FAIL", "DEFER", "MODERATIONEXPIRE":
            let st: MessageHistory.Status
            switch event {
            case "DEFER": st = .deferred
            case "FAIL", "MODERATIONEXPIRE":
                let s = status.lowercased()
                st = event == "MODERATIONEXPIRE" || s.contains("queue.expired") || s.contains("4.4.7") || s.contains("expired") ? .expired : .bounced
            default: st = .sent
            }
            let number: Int
            if let k = t.groupKey, let tm = time, abs(k - tm) < 1 { number = t.attempts } else { number = t.nextAttempt(); t.groupKey = time }
            var relay: String?
            if event == "DELIVER" || event == "DUPLICATEDELIVER" { relay = "mailbox " + (row.server.host ?? "") }
            else if let a = row.server.address { relay = "\(row.server.host ?? "")[\(a)]" }
            var reply = status.split(separator: ";", maxSplits: 1).first.map(String.init) ?? status
            if st != .sent { reply = status }
            for r in recipients.isEmpty ? [nil] : recipients.map({ Optional($0) }) {
                t.record(number: number, recipient: r, status: st, time: time, relay: relay, reply: reply.isEmpty ? nil : reply, position: pos)
            }
            if source == "SMTP", event != "DELIVER", event != "DUPLICATEDELIVER", event != "MODERATIONEXPIRE" { m.delivery = row }
        case "DSN":
            t.endDetail = "delivery status notification sent"
            t.endPosition = pos
        default:
            break
        }
        if now - lastSweep > 30 { sweep(emit: emit) }
    }

    public mutating func finish(emit: (Session) -> Void) {
        for (_, m) in messages.sortedStably(by: { $0.first.order < $1.first.order }) { tell(m, emit: emit) }
        messages.removeAll()
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
        let done = messages.filter { now - $0.value.last > ($0.value.settled ? settleSeconds : storyIdleSeconds) }
        for (k, m) in done.sortedStably(by: { $0.first.order < $1.first.order }) {
            messages[k] = nil
            tell(m, emit: emit)
        }
    }

    /// One session per message: rebuilt from its last SMTP delivery row (else its SMTP RECEIVE row), with
    /// every row of the message as evidence and, when it took more than one row, the message's story.
    mutating func tell(_ m: Message, emit: (Session) -> Void) {
        let t = m.track
        if t.history.end == nil, !t.history.attempts.isEmpty {
            t.end(t.outcome(removed: m.settled), time: m.last, position: t.endPosition ?? m.notes.last?.pos)
        }
        guard let row = m.delivery ?? m.receive else {
            // No SMTP row (mailbox submission and delivery): a story only when deliveries were retried.
            if t.worthOwnSession { stats.sessions += 1; emit(t.storySession(input: input, format: Self.formatID)) }
            return
        }
        let pos = row.pos
        let inbound = row.event == "RECEIVE"
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: inbound ? .inbound : .outbound,
                                start: pos, time: pos.time ?? 0)
        for n in m.notes { d.note(n.text, n.pos) }
        d.client = row.client
        d.server = row.server
        if let mid = row.messageID { d.attributes["message-id"] = mid }
        if let c = row.connector { d.attributes["connector"] = c }
        d.attributes["event"] = row.event
        if m.rows > 1 { d.attributes["events"] = "\(m.rows)" }
        d.queueIDs = m.internalIDs
        let rcpts = row.recipients
        if row.event == "RECEIVE" || row.event == "SEND" || row.event == "SENDEXTERNAL" {
            var reply = row.status.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            if Int(reply.prefix(3)) == nil { reply = "250 2.6.0 Queued mail for delivery" }
            d.delivered(from: row.sender, to: rcpts.isEmpty ? ["(recipient not logged)"] : rcpts, reply: reply, pos)
        } else {
            // FAIL / DEFER: `550 5.1.1 RESOLVER.ADR.RecipNotFound; not found` (one per recipient, `;`-separated).
            var reply = row.status
            if Int(reply.prefix(3)) == nil { reply = (row.event == "FAIL" ? "550 " : "451 ") + reply }
            d.mail(row.sender, pos)
            for r in rcpts.isEmpty ? ["(recipient not logged)"] : rcpts { d.c("RCPT TO:<\(r)>", pos); d.s(reply, pos) }
        }
        d.c("QUIT", pos); d.s("221 2.0.0 Service closing transmission channel", pos)
        d.steps.append(.closed(.client, pos))
        stats.sessions += 1
        var session = d.finish()
        // Rows of one message are one story: a message that took more than one row carries it.
        if m.rows > 1 { t.attach(to: &session) }
        emit(session)
    }
}
