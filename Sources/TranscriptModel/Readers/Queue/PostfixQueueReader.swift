/// Reads Postfix's queue listing, the first thing an admin looks at when mail is stuck: `mailq` /
/// `postqueue -p` (an entry line, then each delay reason in parentheses followed by the recipients it
/// applies to) and `postqueue -j` (one JSON object per message). Each reason is one session of the message
/// to those recipients: the delivery attempt the reason tells, rebuilt as the Postfix log reader rebuilds a
/// `status=deferred (...)` line.
public struct PostfixQueueReader: LineReader {
    public static let formatID = "postfix-queue"
    public static let summary = "Postfix queue listings: mailq / postqueue -p, and postqueue -j (JSON)"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var entries = 0, reasons = 0
        for l in prefix {
            let t = Bytes.trimmed(l)
            if LogBytes.starts(t, "-Queue ID-") || LogBytes.starts(t, "{\"queue_name\":") { return 0.98 }
            if LogBytes.starts(t, "Mail queue is empty") { return 0.9 }
            if Entry(line: l) != nil { entries += 1 }
            if t.first == 0x28, LogBytes.starts(l, "(") || l.first == Bytes.space { reasons += 1 }
        }
        // A listing pasted without its header line: entry lines, reasons in parentheses.
        return entries > 0 && (reasons > 0 || entries >= 2) ? 0.96 : 0
    }

    /// One message of the listing as far as read.
    struct Entry {
        var queueID: String
        /// `*` being delivered now (active queue), `!` on hold, nil waiting for a retry (deferred).
        var mark: UInt8?
        var sender: String
        var line: Int
        var text: String
        var time: Double? = nil
        var groups: [Group] = []
        /// Recipients kept over all groups (a message lists at most `maxRecipients`).
        var recipients = 0

        struct Group {
            var reason: [UInt8]?
            var reasonLine: Int
            var recipients: [String] = []
        }

        /// `4D8F21C0A3*     2931 Sat Dec  5 09:12:44  sender@example.net`.
        init?(line l: ArraySlice<UInt8>) {
            guard let f = l.first, Bytes.isAlnum(f) else { return nil }
            let words = l.split(separator: Bytes.space, maxSplits: 7, omittingEmptySubsequences: true)
            guard words.count >= 6, words[0].count >= 5, words[0].count <= 20,
                  words[1].allSatisfy(Bytes.isDigit), Self.weekdays.contains(Bytes.string(words[2])),
                  words[5].count == 8, words[5].filter({ $0 == 0x3A }).count == 2 else { return nil }
            var id = words[0]
            if let m = id.last, m == 0x2A || m == 0x21 { mark = m; id = id.dropLast() } else { mark = nil }
            guard id.allSatisfy(Bytes.isAlnum) else { return nil }
            queueID = Bytes.string(id)
            sender = words.count > 6 ? Bytes.string(Bytes.trimmed(words[6])) : ""
            // The null sender (a bounce being returned) is listed by this name.
            if sender == "MAILER-DAEMON" { sender = "" }
            line = 0
            text = Bytes.string(Bytes.trimmed(l))
        }

        init(queueID: String, mark: UInt8?, sender: String, line: Int, text: String) {
            self.queueID = queueID; self.mark = mark; self.sender = sender; self.line = line; self.text = text
        }

        static let weekdays: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    }

    private let input: String
    private var entry: Entry?
    /// A reason printed over several lines, until its closing parenthesis.
    private var openReason: (bytes: [UInt8], line: Int)?
    private var messages = 0
    private var emitted = 0
    private var empty = false
    /// Bounds per message, so that memory stays small whatever the listing holds.
    private static var maxGroups: Int { 100 }
    private static var maxRecipients: Int { 1_000 }
    private static var maxAddressBytes: Int { 512 }
    private static var maxReasonBytes: Int { 8192 }

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmed(line)
        if var r = openReason {
            r.bytes.append(Bytes.space)
            r.bytes.append(contentsOf: t.prefix(4096))
            openReason = nil
            if t.last == 0x29 || r.bytes.count > Self.maxReasonBytes || t.isEmpty { take(reason: r.bytes, line: r.line) } else { openReason = r }
            return
        }
        if t.isEmpty { close(emit); return }
        if t.first == 0x7B { return json(t, number: number, emit: emit) }
        if LogBytes.starts(t, "-Queue ID-") || LogBytes.starts(t, "-- ") { close(emit); return }
        if LogBytes.starts(t, "Mail queue is empty") { empty = true; return }
        if var e = Entry(line: line) {
            close(emit)
            e.line = number
            entry = e
            messages += 1
            return
        }
        guard entry != nil else { return }
        if t.first == 0x28 {
            if t.last == 0x29 { take(reason: Array(t.prefix(Self.maxReasonBytes)), line: number) } else { openReason = (Array(t.prefix(4096)), number) }
            return
        }
        // A recipient: one word, indented under the sender.
        guard line.first == Bytes.space || line.first == Bytes.tab, !t.contains(Bytes.space),
              entry!.recipients < Self.maxRecipients else { return }
        if entry!.groups.isEmpty { entry!.groups.append(.init(reason: nil, reasonLine: number)) }
        entry!.groups[entry!.groups.count - 1].recipients.append(Bytes.string(t.prefix(Self.maxAddressBytes)))
        entry!.recipients += 1
    }

    public mutating func finish(emit: (Session) -> Void) {
        if let r = openReason { openReason = nil; take(reason: r.bytes, line: r.line) }
        close(emit)
        guard emitted == 0 else { return }
        // Nothing to explain: say why rather than print nothing.
        let why = empty || messages == 0 ? "The mail queue is empty."
            : "\(messages) message(s) in the queue, none with a delay reason: they are being delivered or waiting for their first attempt."
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func take(reason: [UInt8], line: Int) {
        guard entry != nil, entry!.groups.count < Self.maxGroups else { return }
        // Without the parentheses Postfix puts around it.
        var r = reason[...]
        if r.first == 0x28 { r = r.dropFirst() }
        if r.last == 0x29 { r = r.dropLast() }
        entry!.groups.append(.init(reason: Array(r), reasonLine: line))
    }

    // MARK: postqueue -j

    /// `{"queue_name": "deferred", "queue_id": "...", "arrival_time": 1733389964, "message_size": 2931,
    /// "sender": "...", "recipients": [{"address": "...", "delay_reason": "..."}]}`
    private mutating func json(_ t: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        close(emit)
        guard let o = JSONParser.parse(Array(t)), let id = o["queue_id"]?.text else { return }
        let queue = o["queue_name"]?.text ?? ""
        var e = Entry(queueID: id, mark: queue == "hold" ? 0x21 : queue == "active" ? 0x2A : nil,
                      sender: o["sender"]?.text ?? "", line: number, text: "")
        if case .number(let d)? = o["arrival_time"] { e.time = d }
        e.text = "\(id) in the \(queue.isEmpty ? "?" : queue) queue, from <\(e.sender)>"
            + (o["message_size"]?.int.map { ", \($0) bytes" } ?? "")
        messages += 1
        for r in (o["recipients"]?.array ?? []).prefix(Self.maxRecipients) {
            guard let address = r["address"]?.text.map({ String($0.prefix(Self.maxAddressBytes)) }) else { continue }
            let reason = r["delay_reason"]?.text.map { Array($0.utf8.prefix(Self.maxReasonBytes)) }
            if let i = e.groups.firstIndex(where: { $0.reason == reason }) {
                e.groups[i].recipients.append(address)
            } else if e.groups.count < Self.maxGroups {
                e.groups.append(.init(reason: reason, reasonLine: number, recipients: [address]))
            }
        }
        entry = e
        close(emit)
    }

    // MARK: building

    private mutating func close(_ emit: (Session) -> Void) {
        guard let e = entry else { return }
        entry = nil
        for g in e.groups where g.reason != nil && !g.recipients.isEmpty {
            emitted += 1
            emit(session(e, g))
        }
    }

    private func session(_ e: Entry, _ g: Entry.Group) -> Session {
        func pos(_ line: Int) -> SourcePosition { SourcePosition(input: input, line: line, time: e.time) }
        var detail = g.reason![...]
        if let r = LogBytes.after(detail, "delivery temporarily suspended: ") { detail = r }
        let status = e.mark == 0x21 ? "hold" : "deferred"
        var notes = [PostfixLogReader.LogNote(text: e.text, pos: pos(e.line))]
        if g.reasonLine != e.line { notes.append(.init(text: "(" + Bytes.string(g.reason![...]) + ")", pos: pos(g.reasonLine))) }
        var s: Session
        if let r = LogBytes.after(detail, "connect to ") {
            let (host, ip, port, reason) = PostfixLogReader.connectFailure(r)
            s = PostfixLogReader.unreachable(input: input, format: Self.formatID, host: host, ip: ip, port: port, reason: reason,
                                             service: "smtp", qid: e.queueID, notes: notes, pos: pos(g.reasonLine),
                                             envelope: (e.sender, g.recipients))
        } else if let relay = Self.relay(in: detail) {
            let statuses = g.recipients.map {
                PostfixLogReader.Status(to: $0, status: status, dsn: nil, detail: detail, pos: pos(g.reasonLine),
                                        relay: relay, delay: nil)
            }
            var replay = PostfixLogReader.RelayReplay(
                input: input, service: "smtp", qid: e.queueID, pid: 0, tls: nil, saslFailure: nil, lostWhile: nil,
                refused: nil, attemptNotes: [], statuses: statuses, notes: notes, attempt: 0,
                sender: e.sender, queueNotes: nil)
            replay.unseenGreeting = "(greeting not shown)"
            s = replay.build()
            s.format = Self.formatID
            s.attributes["attempt"] = nil
        } else {
            // No server named: DNS found no mail host, or a problem on this server (a transport, a limit).
            let text = Bytes.string(detail)
            if PostfixLogReader.failure(text) == .nameNotResolved {
                s = PostfixLogReader.unreachable(input: input, format: Self.formatID, host: nil, ip: nil, port: nil, reason: text,
                                                 service: "smtp", qid: e.queueID, notes: notes, pos: pos(g.reasonLine),
                                                 envelope: (e.sender, g.recipients))
            } else {
                s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: text, notes: notes,
                                            envelope: (e.sender, g.recipients))
                s.transactions[0].queueID = e.queueID
            }
        }
        s.direction = .outbound
        s.attributes["queue-id"] = e.queueID
        s.attributes["status"] = e.mark == 0x2A ? "active" : status
        if e.mark == 0x21 {
            s.insertToolNote("The message is on hold: Postfix will not try it until it is released (`postsuper -H \(e.queueID)`).", at: pos(e.line))
        }
        return s
    }

    /// The server a reason names: `host mx.example.org[198.51.100.25] said: ...`, `lost connection with
    /// mx[ip] while ...`, `... not offered by host mx[ip]`; the first `name[address]` in it.
    static func relay(in detail: ArraySlice<UInt8>) -> String? {
        guard let open = detail.firstIndex(of: 0x5B), let close = detail[open...].firstIndex(of: 0x5D), close - open < 64 else { return nil }
        var start = open
        while start > detail.startIndex, detail[start - 1] != Bytes.space, open - start < 255 { start -= 1 }
        guard start < open else { return nil }
        return Bytes.string(detail[start...close])
    }
}
