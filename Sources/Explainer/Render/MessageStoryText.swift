#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TranscriptModel

/// Words for a `MessageHistory`, shared by the text, Markdown and HTML reports and the findings:
/// `deferred 3 times over 4h12m: 451 4.7.1 Greylisted ...; then bounced: 550 5.1.1 ...`.
public enum MessageStoryText {
    /// `42s`, `25m`, `4h12m`, `5d2h`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(saturating: seconds.rounded())
        if s < 60 { return "\(s)s" }
        let m = s / 60
        if m < 60 { return "\(m)m" + (s % 60 >= 1 && m < 10 ? "\(s % 60)s" : "") }
        let h = m / 60
        if h < 24 { return "\(h)h" + (m % 60 > 0 ? "\(m % 60)m" : "") }
        let d = h / 24
        return "\(d)d" + (h % 24 > 0 || (d < 2 && m % 60 > 0) ? "\(h % 24)h" : "") + (d < 2 && m % 60 > 0 ? "\(m % 60)m" : "")
    }

    static func clip(_ s: String, _ n: Int = 140) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }

    /// One line: what happened to the message.
    public static func headline(_ h: MessageHistory) -> String {
        var parts: [String] = []
        let over = h.span.map { " over " + duration($0) } ?? ""
        if h.deferrals > 0 {
            let why = (h.lastDeferral ?? h.firstDeferral)?.reply.map { ": " + clip($0) } ?? ""
            parts.append("deferred \(h.deferrals) time\(h.deferrals == 1 ? "" : "s")\(over)\(why)")
        } else if h.attemptCount == 0 {
            parts.append("no delivery attempt in this log")
        } else {
            parts.append("\(h.attemptCount) attempt\(h.attemptCount == 1 ? "" : "s")\(over)")
        }
        let last = h.attempts.last
        switch h.end?.outcome {
        case .delivered?:
            parts.append("then delivered" + (last?.reply.map { ": " + clip($0, 100) } ?? ""))
        case .bounced?:
            let b = h.attempts.last { $0.status == .bounced }
            parts.append("then bounced" + (b?.reply.map { ": " + clip($0) } ?? ""))
        case .expired?:
            parts.append("then expired: the MTA gave up (" + (h.end?.detail ?? "returned to the sender") + ")")
        case .partial?:
            let sent = h.attempts.filter { $0.status == .sent }.reduce(0) { $0 + $1.recipientCount }
            let bounced = h.attempts.filter { $0.status == .bounced }.reduce(0) { $0 + $1.recipientCount }
            let b = h.attempts.last { $0.status == .bounced }
            parts.append("then delivered to \(sent) recipient\(sent == 1 ? "" : "s") and bounced for \(bounced)"
                         + (b?.reply.map { ": " + clip($0) } ?? ""))
        case .deleted?:
            parts.append("then removed from the queue without a delivery")
        case .pending?, nil:
            parts.append("still queued when the log ends or goes quiet")
        }
        return parts.joined(separator: "; ")
    }

    /// Arrival in words: `received 2026-11-28 11:05:00Z from relay.example.org[192.0.2.81], <bob@example.com>, 1840 bytes, 2 recipients`.
    public static func received(_ h: MessageHistory) -> String? {
        guard let r = h.received else { return nil }
        var parts: [String] = []
        if let t = r.time { parts.append(utc(t)) }
        if let c = r.client { parts.append("from " + c) }
        if let s = r.sender { parts.append("<\(s)>") }
        if let z = r.size { parts.append("\(z) bytes") }
        if let n = r.recipients { parts.append("\(n) recipient\(n == 1 ? "" : "s")") }
        if let m = r.messageID { parts.append("message-id " + clip(m, 80)) }
        return parts.isEmpty ? nil : "received " + parts.joined(separator: ", ")
    }

    /// One attempt in words: `#2 2026-11-28 11:40:07Z deferred to mx.example.net[198.51.100.7]:25 after 35m, dsn 4.7.1: 451 4.7.1 ... (RCPT TO)`.
    public static func attempt(_ a: MessageHistory.Attempt) -> String {
        var s = "#\(a.number)"
        if let t = a.time { s += " " + utc(t) }
        s += " " + a.status.rawValue
        if a.recipientCount > 1 || a.recipients.count > 1 {
            s += " (\(a.recipientCount) recipients)"
        } else if let r = a.recipients.first {
            s += " <\(r)>"
        }
        if let r = a.relay, r != "none" { s += " via " + r }
        if let d = a.delay { s += ", delay " + duration(d) }
        if let d = a.dsn { s += ", dsn " + d }
        if let r = a.reply, !r.isEmpty { s += ": " + clip(r, 200) }
        if let w = a.inReplyTo { s += " (in reply to \(w))" }
        return s
    }

    /// The end in words: `end: expired after 5d2h (returned to sender)`.
    public static func end(_ h: MessageHistory) -> String {
        guard let e = h.end else { return "end: not logged" }
        var s = "end: " + e.outcome.rawValue
        if let d = e.totalDelay ?? h.span { s += " after " + duration(d) }
        if let d = e.detail { s += " (\(d))" }
        return s
    }

    /// Every line of the story, for the reports.
    public static func lines(_ h: MessageHistory) -> [String] {
        var out: [String] = []
        if let r = received(h) { out.append(r) }
        for (i, a) in h.attempts.enumerated() {
            out.append(attempt(a))
            if i == MessageHistory.keepFirst - 1, h.omittedAttempts > 0 {
                out.append("… \(h.omittedAttempts) more attempt\(h.omittedAttempts == 1 ? "" : "s") not shown")
            }
        }
        out.append(end(h))
        return out
    }

    /// `2026-11-28 11:05:00Z`.
    public static func utc(_ t: Double) -> String {
        var secs = time_t(Int(saturating: t.rounded(.down)))
        var tmv = tm()
        gmtime_r(&secs, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tmv.tm_year + 1900)-\(two(tmv.tm_mon + 1))-\(two(tmv.tm_mday)) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec))Z"
    }
}
