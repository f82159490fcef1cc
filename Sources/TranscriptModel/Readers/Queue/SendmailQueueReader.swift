/// Reads Sendmail's queue listing (`mailq`, `sendmail -bp`): an entry line per message (queue id, size,
/// arrival time without seconds, sender), the reason of its last attempt in parentheses (`(Deferred:
/// Connection refused by mx.example.org.)`, `(host map: lookup (example.org): deferred)`), then its
/// recipients. Each message with a reason is one session to its recipients.
public struct SendmailQueueReader: LineReader {
    public static let formatID = "sendmail-queue"
    public static let summary = "Sendmail queue listings: mailq / sendmail -bp"

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var entries = 0, reasons = 0
        for l in prefix {
            let t = Bytes.trimmed(l)
            if LogBytes.starts(t, "-----Q-ID-----") || LogBytes.starts(t, "----Q-ID----") || LogBytes.starts(t, "---QID---") { return 0.98 }
            // `/var/spool/mqueue is empty`, `/var/spool/mqueue (2 requests)`.
            if t.first == 0x2F, LogBytes.find(t.prefix(200), "mqueue") != nil, LogBytes.find(t.prefix(200), " is empty") != nil || t.last == 0x29 {
                return 0.9
            }
            if Entry(line: l) != nil { entries += 1 }
            if Self.reason(t) != nil { reasons += 1 }
        }
        // A listing pasted without its header lines.
        return entries > 0 && reasons > 0 ? 0.96 : 0
    }

    /// `4B5DLq0A012345*    1523 Sat Dec  5 21:47 <alice@example.com>`.
    struct Entry {
        var queueID: String
        /// `*` being delivered now; `X` load too high; `-` too young to run.
        var mark: UInt8?
        var sender: String
        var line: Int = 0
        var text: String
        var reason: (text: String, line: Int)?
        var recipients: [String] = []

        init?(line l: ArraySlice<UInt8>) {
            guard let f = l.first, Bytes.isAlnum(f) else { return nil }
            let words = l.split(separator: Bytes.space, maxSplits: 7, omittingEmptySubsequences: true)
            guard words.count >= 6, words[0].count >= 5, words[0].count <= 24,
                  words[1].allSatisfy(Bytes.isDigit), PostfixQueueReader.Entry.weekdays.contains(Bytes.string(words[2])),
                  (4...5).contains(words[5].count), words[5].filter({ $0 == 0x3A }).count == 1 else { return nil }
            var id = words[0]
            if let m = id.last, m == 0x2A || m == 0x58 || m == 0x2D { mark = m; id = id.dropLast() } else { mark = nil }
            guard id.allSatisfy(Bytes.isAlnum) else { return nil }
            queueID = Bytes.string(id)
            var s = words.count > 6 ? Bytes.trimmed(words[6]) : []
            if s.first == 0x3C, s.last == 0x3E { s = s.dropFirst().dropLast() }
            sender = Bytes.string(s.prefix(512))
            // The null sender (a bounce being returned).
            if sender == "MAILER-DAEMON" { sender = "" }
            text = Bytes.string(Bytes.trimmed(l).prefix(1024))
        }
    }

    /// `(Deferred: ...)`, after the body type Sendmail may print first (`8BITMIME   (Deferred: ...)`).
    static func reason(_ t: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var r = t
        if let open = r.firstIndex(of: 0x28), open - r.startIndex <= 16 { r = r[open...] } else { return nil }
        return r.count > 2 ? r : nil
    }

    private let input: String
    private var entry: Entry?
    private var messages = 0
    private var emitted = 0
    private var empty = false
    private static var maxRecipients: Int { 1_000 }
    private static var maxReasonBytes: Int { 8192 }

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        let t = Bytes.trimmed(line)
        if t.isEmpty { return }
        if let e = Entry(line: line) {
            close(emit)
            entry = e
            entry!.line = number
            messages += 1
            return
        }
        if LogBytes.find(t.prefix(200), " is empty") != nil || LogBytes.find(t.prefix(100), "Mail queue is empty") != nil { empty = true }
        guard entry != nil, line.first == Bytes.space || line.first == Bytes.tab else { close(emit); return }
        if entry!.reason == nil, entry!.recipients.isEmpty, let r = Self.reason(t) {
            var text = r.prefix(Self.maxReasonBytes).dropFirst()
            if text.last == 0x29 { text = text.dropLast() }
            entry!.reason = (Bytes.string(text), number)
            return
        }
        guard !t.contains(Bytes.space), entry!.recipients.count < Self.maxRecipients else { return }
        var a = t
        if a.first == 0x3C, a.last == 0x3E { a = a.dropFirst().dropLast() }
        entry!.recipients.append(Bytes.string(a.prefix(512)))
    }

    public mutating func finish(emit: (Session) -> Void) {
        close(emit)
        guard emitted == 0 else { return }
        let why = empty || messages == 0 ? "The mail queue is empty."
            : "\(messages) message(s) in the queue, none with a reason: they are being delivered or waiting for their first attempt."
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func close(_ emit: (Session) -> Void) {
        guard let e = entry else { return }
        entry = nil
        guard let reason = e.reason else { return }
        emitted += 1
        emit(session(e, reason: reason.text, line: reason.line))
    }

    // MARK: building

    private func session(_ e: Entry, reason: String, line: Int) -> Session {
        func pos(_ l: Int) -> SourcePosition { SourcePosition(input: input, line: l) }
        let notes = [PostfixLogReader.LogNote(text: e.text, pos: pos(e.line)), .init(text: "(\(reason))", pos: pos(line))]
        var detail = Substring(reason)
        if detail.hasPrefix("Deferred") { detail = detail.dropFirst(8).drop { $0 == ":" || $0 == " " } }
        let envelope = (sender: Optional(e.sender), recipients: e.recipients)
        var s: Session
        if let fault = Self.connectFault(detail) {
            s = PostfixLogReader.unreachable(input: input, format: Self.formatID, host: fault.host, ip: nil, port: nil,
                                             reason: reason, failure: fault.failure, service: "smtp", qid: e.queueID,
                                             notes: notes, pos: pos(line), envelope: envelope)
        } else if EmbeddedReply.leadingCode(detail) != nil, !Self.ownCodes.contains(where: { detail.hasPrefix($0) }) {
            s = QueuedAttempt.reply(String(detail), input: input, format: Self.formatID, lister: "Sendmail's queue", host: nil,
                                    address: nil, port: nil, sender: e.sender, recipients: e.recipients, notes: notes, at: pos(line))
        } else {
            s = QueuedAttempt.ownReason(input: input, format: Self.formatID, reason: reason, notes: notes, envelope: envelope)
        }
        s.direction = .outbound
        s.attributes["queue-id"] = e.queueID
        s.attributes["status"] = e.mark == 0x2A ? "active" : "deferred"
        for i in s.transactions.indices { s.transactions[i].queueID = e.queueID }
        return s
    }

    /// Codes Sendmail writes itself rather than quoting the server (`403 4.7.0 TLS handshake failed.`).
    static let ownCodes = ["403 "]

    /// Sendmail's words for a connection not made, with the host it names: `Connection refused by HOST.`,
    /// `Connection timed out with HOST.`, `No route to host`, `Name server: HOST.: host name lookup failure`,
    /// `host map: lookup (DOMAIN): deferred`.
    static let connectFaults: [(prefix: String, failure: ConnectFailure)] = [
        ("Connection refused by ", .refused), ("Connection timed out with ", .timedOut),
        ("Operation timed out with ", .timedOut), ("No route to host", .noRoute), ("Network is unreachable", .networkUnreachable),
        ("Name server: ", .nameNotResolved), ("host map: lookup (", .nameNotResolved),
    ]

    static func connectFault(_ detail: Substring) -> (failure: ConnectFailure, host: String?)? {
        guard let f = connectFaults.first(where: { detail.hasPrefix($0.prefix) }) else { return nil }
        let rest = detail.dropFirst(f.prefix.count)
        var host = rest.prefix { $0 != " " && $0 != ")" && $0 != ":" }
        while host.hasSuffix(".") { host = host.dropLast() }
        let named = f.prefix.hasSuffix(" ") || f.prefix.hasSuffix("(")
        return (f.failure, named && !host.isEmpty ? String(host.prefix(255)) : nil)
    }
}
