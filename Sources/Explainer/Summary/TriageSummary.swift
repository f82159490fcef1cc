import TranscriptModel

/// The triage view over many sessions (usually a mail log): how many were delivered, rejected, deferred...,
/// at which stage they failed, for which reasons, and who and what keeps coming back (clients, senders,
/// recipient domains, remote replies).
///
/// Streaming: `add(_:reasons:)` one session at a time; memory is bounded by the number of distinct keys,
/// and each top list keeps at most `keyLimit` keys (when a table is full, the keys seen once are dropped, so
/// counts of rare keys are approximate; the leaders are exact in practice).
public struct TriageSummary: Sendable {
    public struct Count: Sendable, Hashable {
        public var value: String
        public var count: Int
    }

    public private(set) var sessions = 0
    public private(set) var first: Double?
    public private(set) var last: Double?
    public private(set) var outcomes: [Outcome: Int] = [:]
    public private(set) var directions: [String: Int] = [:]
    public private(set) var failedStages: [Stage: Int] = [:]
    public private(set) var formats: [String: Int] = [:]
    var reasons: [String: Int] = [:]
    var clients: [String: Int] = [:]
    var senders: [String: Int] = [:]
    var recipientDomains: [String: Int] = [:]
    var replies: [String: Int] = [:]
    /// DMARC aggregate reports count messages, not records: in all, by the receiver's disposition, and the
    /// sources that failed DMARC (`203.0.113.80 (DKIM mailer-esp.example, SPF bounces.mailer-esp.example)`).
    public private(set) var dmarcMessages = 0
    var dmarcDispositions: [String: Int] = [:]
    var dmarcFailing: [String: Int] = [:]
    /// SMTP TLS reports count sessions: in all, failed, and the failures by result type and MX
    /// (`certificate-expired at mx2.shop.example`).
    public private(set) var tlsSessions = 0
    public private(set) var tlsFailedSessions = 0
    var tlsFailures: [String: Int] = [:]
    /// Feedback reports (ARF): in all (each report's incidents), by type, and the campaigns (subjects)
    /// and sending addresses complained about.
    public private(set) var feedbackReports = 0
    var feedbackTypes: [String: Int] = [:]
    var feedbackSubjects: [String: Int] = [:]
    var feedbackSources: [String: Int] = [:]

    /// Entries per top list in the output.
    public var top: Int
    /// Distinct keys kept per table.
    public var keyLimit: Int

    public init(top: Int = 10, keyLimit: Int = 100_000) {
        self.top = top
        self.keyLimit = keyLimit
    }

    /// Summarise sessions with the finding reasons the Explainer gave each.
    public init(_ items: [(Session, [String])], top: Int = 10) {
        self.init(top: top)
        for (s, r) in items { add(s, reasons: r) }
    }

    public mutating func add(_ s: Session, reasons sessionReasons: [String] = []) {
        sessions += 1
        if let t = s.start?.time ?? s.end?.time {
            first = Swift.min(first ?? t, t)
            last = Swift.max(last ?? t, s.end?.time ?? t)
        }
        outcomes[s.outcome, default: 0] += 1
        directions[s.direction?.rawValue ?? "unknown", default: 0] += 1
        formats[s.format, default: 0] += 1
        if let st = s.failedStage, s.outcome != .delivered { failedStages[st, default: 0] += 1 }
        let limit = keyLimit
        for r in Set(sessionReasons) { Self.bump(&reasons, r, limit: limit) }
        // The client is the other side for inbound sessions; for outbound the remote server.
        let peer = s.direction == .outbound ? s.server : s.client
        if let c = peer.address ?? peer.host { Self.bump(&clients, c, limit: limit) }
        var seenDomains = Set<String>()
        for t in s.transactions {
            // Log readers write `(sender not logged)` where the log does not say: not a sender.
            if let f = t.sender, !f.hasPrefix("(") { Self.bump(&senders, f.isEmpty ? "<>" : f.lowercased(), limit: limit) }
            for r in t.recipients {
                if let at = r.address.lastIndex(of: "@") {
                    let d = r.address[r.address.index(after: at)...].lowercased()
                    if seenDomains.insert(d).inserted { Self.bump(&recipientDomains, d, limit: limit) }
                }
            }
        }
        if s.outcome != .delivered, let reply = Self.decisiveReply(s) {
            Self.bump(&replies, Self.normalise(reply), limit: limit)
        }
        if s.format == DMARCReportReader.formatID, let n = s.attributes["message-count"].flatMap({ Int($0) }), n > 0 {
            // A hostile report's counts must not overflow the sums.
            let c = Swift.min(n, 1 << 40)
            dmarcMessages = Swift.min(dmarcMessages + c, 1 << 62)
            let a = s.attributes
            Self.add(&dmarcDispositions, a["auth-dmarc-disposition"] ?? "none", c, limit: limit)
            if a["auth-dmarc"] == "fail" {
                let why = [a["auth-dkim-domain"].map { "DKIM \($0)" } ?? "no DKIM", a["auth-spf-domain"].map { "SPF \($0)" }].compactMap { $0 }
                Self.add(&dmarcFailing, (s.client.address ?? "?") + " (" + why.joined(separator: ", ") + ")", c, limit: limit)
            }
        }
        if s.format == TLSReportReader.formatID, let n = s.attributes["tlsrpt-sessions"].flatMap({ Int($0) }), n > 0 {
            let c = Swift.min(n, 1 << 40)
            tlsSessions = Swift.min(tlsSessions + c, 1 << 62)
            if let r = s.attributes["tlsrpt-result"] {
                tlsFailedSessions = Swift.min(tlsFailedSessions + c, 1 << 62)
                Self.add(&tlsFailures, r + " at " + (s.server.host ?? s.server.address ?? "?"), c, limit: limit)
            }
        }
        if s.format == FeedbackReportReader.formatID, let type = s.attributes["feedback-type"] {
            let c = Swift.min(Swift.max(1, s.attributes["feedback-incidents"].flatMap { Int($0) } ?? 1), 1 << 40)
            feedbackReports = Swift.min(feedbackReports + c, 1 << 62)
            Self.add(&feedbackTypes, type.isEmpty ? "(none)" : type, c, limit: limit)
            // Complaints only: a failure report or a not-spam mark is no complaint.
            if type != "auth-failure", type != "not-spam" {
                if let subject = s.attributes["subject"] { Self.add(&feedbackSubjects, subject, c, limit: limit) }
                if let ip = s.client.address { Self.add(&feedbackSources, ip, c, limit: limit) }
            }
        }
    }

    func bump(_ table: inout [String: Int], _ key: String) { Self.bump(&table, key, limit: keyLimit) }

    static func bump(_ table: inout [String: Int], _ key: String, limit keyLimit: Int) { add(&table, key, 1, limit: keyLimit) }

    /// Count `n` more for `key`; past `keyLimit` distinct keys, the ones seen once make room.
    static func add(_ table: inout [String: Int], _ key: String, _ n: Int, limit keyLimit: Int) {
        let k = key.count > 200 ? String(key.prefix(200)) : key
        if table[k] == nil, table.count >= keyLimit {
            table = table.filter { $0.value > 1 }
            if table.count >= keyLimit { return }
        }
        table[k] = Swift.min((table[k] ?? 0) + n, 1 << 62)
    }

    /// The reply that decided the outcome, else the last refusal.
    static func decisiveReply(_ s: Session) -> Reply? {
        if let i = s.decisiveExchange, i < s.exchanges.count, let r = s.exchanges[i].reply { return r }
        return s.exchanges.last { $0.reply?.isFailure == true }?.reply
    }

    /// `550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown` →
    /// `550 5.1.1 <…>: Recipient address rejected: User unknown`: addresses and IPs vary, the wording repeats.
    static func normalise(_ r: Reply) -> String {
        var text = r.text
        for (open, close, repl) in [("<", ">", "<…>"), ("[", "]", "[…]")] {
            var out = ""
            var rest = Substring(text)
            while let o = rest.firstIndex(of: Character(open)), let c = rest[o...].firstIndex(of: Character(close)) {
                out += rest[..<o] + repl
                rest = rest[rest.index(after: c)...]
            }
            text = out + rest
        }
        let head = "\(r.code)" + (r.enhanced.map { " " + $0 } ?? "")
        let line = text.isEmpty ? head : head + " " + text
        return line.count > 160 ? String(line.prefix(159)) + "…" : line
    }

    static func ranked(_ t: [String: Int], _ n: Int) -> [Count] {
        t.map { Count(value: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
            .prefix(n).map { $0 }
    }

    public var topReasons: [Count] { Self.ranked(reasons, Swift.max(top, 30)) }
    public var topClients: [Count] { Self.ranked(clients, top) }
    public var topSenders: [Count] { Self.ranked(senders, top) }
    public var topRecipientDomains: [Count] { Self.ranked(recipientDomains, top) }
    public var topReplies: [Count] { Self.ranked(replies, top) }
    public var dmarcByDisposition: [Count] { Self.ranked(dmarcDispositions, top) }
    public var topDMARCFailingSources: [Count] { Self.ranked(dmarcFailing, top) }
    public var topTLSFailures: [Count] { Self.ranked(tlsFailures, top) }
    public var feedbackByType: [Count] { Self.ranked(feedbackTypes, top) }
    public var topFeedbackSubjects: [Count] { Self.ranked(feedbackSubjects, top) }
    public var topFeedbackSources: [Count] { Self.ranked(feedbackSources, top) }

    // MARK: - Rendering

    /// JSON with stable keys and order: `{"summary":{...}}`.
    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("summary")
        w.beginObject()
        w.field("sessions", sessions)
        w.field("first", first)
        w.field("last", last)
        w.key("outcomes"); w.beginObject()
        for o in Outcome.allCases { w.field(name: o.rawValue, outcomes[o] ?? 0) }
        w.endObject()
        w.key("directions"); w.beginObject()
        for d in ["inbound", "outbound", "unknown"] { w.field(name: d, directions[d] ?? 0) }
        w.endObject()
        w.key("failedStages"); w.beginObject()
        for st in Stage.allCases where st != .other { w.field(name: st.rawValue, failedStages[st] ?? 0) }
        w.endObject()
        w.key("formats"); w.beginObject()
        for (k, v) in formats.sorted(by: { $0.key < $1.key }) { w.field(name: k, v) }
        w.endObject()
        func list(_ name: String, _ items: [Count]) {
            w.key(name: name); w.beginArray()
            for c in items { w.beginObject(); w.field("value", c.value); w.field("count", c.count); w.endObject() }
            w.endArray()
        }
        list("reasons", topReasons)
        list("topClients", topClients)
        list("topSenders", topSenders)
        list("topRecipientDomains", topRecipientDomains)
        list("topReplies", topReplies)
        w.key("dmarc"); w.beginObject()
        w.field("messages", dmarcMessages)
        w.key("dispositions"); w.beginObject()
        for d in ["none", "quarantine", "reject"] { w.field(name: d, dmarcDispositions[d] ?? 0) }
        w.endObject()
        list("failingSources", topDMARCFailingSources)
        w.endObject()
        w.key("tls"); w.beginObject()
        w.field("sessions", tlsSessions)
        w.field("failed", tlsFailedSessions)
        list("failures", topTLSFailures)
        w.endObject()
        w.key("feedback"); w.beginObject()
        w.field("reports", feedbackReports)
        list("types", feedbackByType)
        list("topSubjects", topFeedbackSubjects)
        list("topSources", topFeedbackSources)
        w.endObject()
        w.endObject()
        w.endObject()
        return w.output
    }

    /// A plain-text table for the terminal (input text escaped).
    public func text() -> String {
        var out = ""
        func pct(_ n: Int) -> String {
            guard sessions > 0 else { return "" }
            let p = Double(n) * 100 / Double(sessions)
            return String(Int(p.rounded())) + "%"
        }
        func row(_ label: String, _ n: Int, _ extra: String = "") {
            let l = Sanitizer.terminal(label)
            let pad = String(repeating: " ", count: Swift.max(1, 44 - l.count))
            let num = String(n)
            out += "  " + l + pad + String(repeating: " ", count: Swift.max(0, 8 - num.count)) + num + "  " + extra + "\n"
        }
        out += "Sessions: \(sessions)"
        if let f = first, let l = last { out += "  (log time \(Self.iso(f)) – \(Self.iso(l)))" }
        out += "\n\nOutcome\n"
        for o in Outcome.allCases where (outcomes[o] ?? 0) > 0 { row(o.rawValue, outcomes[o]!, pct(outcomes[o]!)) }
        out += "\nDirection\n"
        for d in ["inbound", "outbound", "unknown"] where (directions[d] ?? 0) > 0 { row(d, directions[d]!) }
        if !failedStages.isEmpty {
            out += "\nFailed at stage\n"
            for st in Stage.allCases where (failedStages[st] ?? 0) > 0 { row(st.rawValue, failedStages[st]!) }
        }
        func section(_ title: String, _ items: [Count]) {
            guard !items.isEmpty else { return }
            out += "\n\(title)\n"
            for c in items { row(c.value, c.count) }
        }
        section("Reasons", topReasons)
        section("Top clients / remote servers", topClients)
        section("Top senders", topSenders)
        section("Top recipient domains", topRecipientDomains)
        section("Top refusing replies", topReplies)
        if dmarcMessages > 0 {
            out += "\nDMARC reports: \(dmarcMessages) messages, by the receiver's disposition\n"
            for c in dmarcByDisposition { row(c.value, c.count) }
            section("Sources failing DMARC (messages)", topDMARCFailingSources)
        }
        if tlsSessions > 0 {
            out += "\nTLS reports: \(tlsSessions) sessions, \(tlsFailedSessions) failed\n"
            for c in topTLSFailures { row(c.value, c.count) }
        }
        if feedbackReports > 0 {
            out += "\nFeedback reports: \(feedbackReports) (complaints and failure reports), by type\n"
            for c in feedbackByType { row(c.value, c.count) }
            section("Messages complained about (subject)", topFeedbackSubjects)
            section("Sending addresses complained about", topFeedbackSources)
        }
        return out
    }

    static func iso(_ t: Double) -> String {
        // Far past or future times (hostile input) stay inside what the civil-date arithmetic can take.
        let s = Swift.min(Swift.max(Int(saturating: t.rounded(.down)), -(1 << 50)), 1 << 50)
        let days = s >= 0 ? s / 86400 : (s - 86399) / 86400
        let secs = s - days * 86400
        // civil from days (Howard Hinnant)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))Z"
    }
}
