/// What a filter did to a message the server had already accepted: the SMTP dialogue ends in a 2xx (the
/// sender sees success, no bounce comes back), yet the message was thrown away, quarantined, held or bounced
/// later. Readers put it in the session's `filter-*` attributes; the explainer's `accepted-then-filtered`
/// rule reads them (and the same words in an accepted reply, when the filter answered in SMTP itself).
public struct FilterVerdict: Sendable, Hashable {
    public enum Action: String, Sendable {
        /// Dropped without a trace for the sender (Postfix DISCARD, amavis `{Discarded...}`).
        case discard
        /// Kept aside until someone releases it (Postfix HOLD, amavis `{Quarantined}` alone).
        case quarantine
        /// Put in Postfix's hold queue by an access rule, a header/body check or a milter.
        case hold
        /// Returned to the sender by the filter (amavis `{Bounced...}`): a bounce follows.
        case bounce
        /// Blocked, with no word on what happened to it (older amavis lines).
        case blocked
    }

    public var action: Action
    /// What the filter found: `spam`, `virus`, `banned` (a forbidden attachment), `bad-header`, or nil.
    public var category: String?
    /// Which filter said so: `postfix` (access, header or body checks), `milter`, `amavis`, `exim` (an ACL's
    /// `discard`, a `:blackhole:` router), or `server`
    /// (the receiving server's own reply).
    public var by: String
    /// The filter's own words, short.
    public var detail: String
    /// amavis's quarantine name (`spam-Xq3xYz.gz`), for `amavisd-release`.
    public var quarantineID: String?
    /// amavis's spam score (`Hits: 14.2`).
    public var score: String?
    /// The MTA's queue id of the message, when the session brought several (the verdict names this one).
    public var queueID: String?

    public init(action: Action, category: String?, by: String, detail: String, quarantineID: String? = nil, score: String? = nil) {
        self.action = action; self.category = category; self.by = by; self.detail = detail
        self.quarantineID = quarantineID; self.score = score
    }

    static let detailLimit = 300

    /// Postfix's `discard: ...`, `hold: ...`, `milter-discard: ...`, `milter-hold: ...` (smtpd access rules,
    /// cleanup's header and body checks, milters): `header Subject: win from h[ip]; from=<a> to=<b>
    /// proto=ESMTP helo=<h>: optional text`.
    init?(postfix body: ArraySlice<UInt8>) {
        let action: Action
        var rest: ArraySlice<UInt8>
        var by = "postfix"
        if let r = LogBytes.after(body, "discard: ") { action = .discard; rest = r }
        else if let r = LogBytes.after(body, "hold: ") { action = .hold; rest = r }
        else if let r = LogBytes.after(body, "milter-discard: ") { action = .discard; rest = r; by = "milter" }
        else if let r = LogBytes.after(body, "milter-hold: ") { action = .hold; rest = r; by = "milter" }
        else { return nil }
        rest = rest.prefix(2_000)
        // What triggered it comes before `; from=`, the admin's optional text after the `helo=<...>: `.
        let semi = LogBytes.find(rest, "; from=")
        var words = Bytes.string((semi.map { rest[rest.startIndex..<$0] } ?? rest).prefix(Self.detailLimit))
        if let s = semi, let helo = LogBytes.find(rest[s...], " helo=<"), let close = rest[helo...].firstIndex(of: 0x3E),
           LogBytes.starts(rest[(close + 1)...], ": ") {
            let text = Bytes.trimmed(rest[(close + 3)...])
            if !text.isEmpty { words += ": " + Bytes.string(text.prefix(Self.detailLimit)) }
        }
        let lower = words.lowercased()
        self.init(action: action, category: Self.category(lower), by: by, detail: words)
    }

    /// amavis: `(01733-05) Blocked SPAM {DiscardedInbound,Quarantined}, [ip]:port [ip] <a> -> <b>, quarantine:
    /// spam-Xq3xYz.gz, Queue-ID: 4QbC1M2xYz, ..., Hits: 14.2, ...`. Nil for `Passed` and for a message
    /// refused in the SMTP dialogue (`{Rejected...}`: the reply says so already).
    init?(amavis m: ArraySlice<UInt8>) {
        var rest = m.prefix(4_000)
        if rest.first == 0x28, let close = rest.firstIndex(of: 0x29) { rest = Bytes.trimmed(rest[(close + 1)...]) }
        guard let r = LogBytes.after(rest, "Blocked ") else { return nil }
        // `SPAM {DiscardedInbound,Quarantined}`, `INFECTED (Eicar-Signature) {...}`, `BANNED (multipart/mixed |
        // application/x-msdownload,.exe,a.exe) {...}`: the word, then a parenthesis and braces that may hold commas.
        var end = r.startIndex
        while end < r.endIndex, r[end] != Bytes.space, r[end] != 0x2C, r[end] != 0x7B { end += 1 }
        for (open, close) in [(UInt8(0x28), UInt8(0x29)), (UInt8(0x7B), UInt8(0x7D))] {
            var i = end
            while i < r.endIndex, r[i] == Bytes.space { i += 1 }
            if i < r.endIndex, r[i] == open, let c = r[i...].prefix(300).firstIndex(of: close) { end = c + 1 }
        }
        let head = r[r.startIndex..<end]
        let word = Bytes.string(head.prefix { $0 != Bytes.space && $0 != 0x7B })
        var action = Action.blocked
        if let open = head.firstIndex(of: 0x7B) {
            let braces = Bytes.string(head[open...].prefix(200))
            if braces.contains("Rejected") || braces.contains("TempFailed") { return nil }
            if braces.contains("Discarded") { action = .discard }
            else if braces.contains("Bounced") { action = .bounce }
            else if braces.contains("Quarantined") { action = .quarantine }
        }
        let categories = ["SPAM": "spam", "SPAMMY": "spam", "INFECTED": "virus", "BANNED": "banned", "BAD-HEADER": "bad-header"]
        let quarantine = LogBytes.value(r, "quarantine: ").map { Bytes.string($0.prefix(200)) }
        let score = LogBytes.value(r, "Hits: ").map { Bytes.string($0.prefix(20)) }
        self.init(action: action, category: categories[word], by: "amavis",
                  detail: "Blocked " + Bytes.string(head.prefix(Self.detailLimit)), quarantineID: quarantine, score: score)
    }

    /// Exim's `=> blackhole (DATA ACL discarded recipients): text` (an ACL's `discard`) and `=> :blackhole:
    /// <a@b> R=router` (a router or alias that throws mail away).
    init?(eximDelivery r: ArraySlice<UInt8>) {
        if let rest = LogBytes.after(r, "blackhole (") {
            let acl = rest.prefix { $0 != 0x29 }
            var words = "ACL discard (" + Bytes.string(acl.prefix(80)) + ")"
            if acl.endIndex < rest.endIndex, LogBytes.starts(rest[(acl.endIndex + 1)...], ": ") {
                words += ": " + Bytes.string(Bytes.trimmed(rest[(acl.endIndex + 3)...]).prefix(Self.detailLimit))
            }
            self.init(action: .discard, category: Self.category(words.lowercased()), by: "exim", detail: words)
        } else if LogBytes.starts(r, ":blackhole: ") {
            let router = LogBytes.value(r, "R=").map { " (router " + Bytes.string($0.prefix(80)) + ")" } ?? ""
            self.init(action: .discard, category: nil, by: "exim", detail: ":blackhole:" + router)
        } else {
            return nil
        }
    }

    /// A 2xx end-of-data reply that says the message will not go on: amavis answering Postfix (`250 2.7.0 Ok,
    /// discarded, id=01733-05 - spam`, `250 2.5.0 Ok, id=..., BOUNCE`), or a gateway's `quarantined`.
    public init?(acceptedReply text: String) {
        // Most accepted replies say none of it: a byte scan first (this runs on every delivered session).
        guard Self.mayMention(text) else { return nil }
        let lower = text.lowercased()
        let action: Action
        if lower.contains("discarded") { action = .discard }
        else if lower.contains("quarantine") { action = .quarantine }
        else if text.hasSuffix(", BOUNCE") || text.contains(", BOUNCE ") { action = .bounce }
        else { return nil }
        self.init(action: action, category: Self.category(lower), by: "server", detail: String(text.prefix(Self.detailLimit)))
    }

    static let filterWords: [[UInt8]] = [Array("discard".utf8), Array("quarantin".utf8), Array("BOUNCE".utf8)]

    /// Whether `text` holds `discard` or `quarantin` (any case) or `BOUNCE`, without building strings.
    static func mayMention(_ text: String) -> Bool {
        func scan(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
            let words = Self.filterWords
            guard b.count >= 6 else { return false }
            for i in 0...(b.count - 6) {
                let c = b[i] | 0x20
                guard c == 0x64 || c == 0x71 || b[i] == 0x42 else { continue }
                for (k, w) in words.enumerated() where i + w.count <= b.count {
                    var j = 0
                    // The last word is matched as written (amavis's `, BOUNCE`); the others in any case.
                    while j < w.count, (k == 2 ? b[i + j] : b[i + j] | 0x20) == w[j] { j += 1 }
                    if j == w.count { return true }
                }
            }
            return false
        }
        var t = text
        return t.withUTF8 { scan($0) }
    }

    static func category(_ lower: String) -> String? {
        if lower.contains("virus") || lower.contains("infected") || lower.contains("malware") { return "virus" }
        if lower.contains("banned") { return "banned" }
        if lower.contains("spam") { return "spam" }
        if lower.contains("bad-header") || lower.contains("bad header") { return "bad-header" }
        return nil
    }

    /// The session attributes the explainer reads back with `init(attributes:)`.
    public func record(in a: inout [String: String]) {
        a["filter-action"] = action.rawValue
        a["filter-by"] = by
        a["filter-detail"] = detail
        if let c = category { a["filter-category"] = c }
        if let q = quarantineID { a["filter-quarantine"] = q }
        if let s = score { a["filter-score"] = s }
        if let q = queueID { a["filter-queue-id"] = q }
    }

    public init?(attributes a: [String: String]) {
        guard let raw = a["filter-action"], let action = Action(rawValue: raw) else { return nil }
        self.init(action: action, category: a["filter-category"], by: a["filter-by"] ?? "server", detail: a["filter-detail"] ?? "",
                  quarantineID: a["filter-quarantine"], score: a["filter-score"])
        queueID = a["filter-queue-id"]
    }
}
