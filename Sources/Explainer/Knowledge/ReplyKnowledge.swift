import TranscriptModel
import Foundation

/// What the knowledge base concluded about one reply.
public struct ReplyClassification: Sendable {
    public var reason: Reason
    /// Id of the knowledge entry that matched, e.g. "kb.rbl.spamhaus", "code.550.rcpt".
    public var ruleID: String
    public var severity: Severity
    public var title: String
    /// 1-3 sentences: what happened and who must act.
    public var explanation: String
    /// Concrete next steps.
    public var actions: [String]
    public var provider: String?
    public var blocklist: Blocklist?
    /// "RFC 5321 §4.2.3", a provider's documentation URL, ...
    public var reference: String?

    public init(reason: Reason, ruleID: String, severity: Severity, title: String, explanation: String,
                actions: [String], provider: String? = nil, blocklist: Blocklist? = nil, reference: String? = nil) {
        self.reason = reason
        self.ruleID = ruleID
        self.severity = severity
        self.title = title
        self.explanation = explanation
        self.actions = actions
        self.provider = provider
        self.blocklist = blocklist
        self.reference = reference
    }

    /// A row matched the text's own words (a provider's, a blocklist's, a generic phrase), not only its codes:
    /// what an MTA's own reason can be explained by.
    public var fromWords: Bool { ruleID.hasPrefix("text.") || ruleID.hasPrefix("kb.") }
}

/// The reply classifier. Reads the knowledge tables in this folder.
///
/// Order of precedence (first match wins):
///  1. specific provider/product texts (`KnowledgeTable.providers`)
///  2. blocklist names (`Blocklists.known`, then any "blocked using <zone>")
///  3. generic text patterns (`KnowledgeTable.texts`)
///  4. enhanced status code subject/detail (`KnowledgeTable.statuses`)
///  5. basic reply code by command (`KnowledgeTable.replies`)
///  6. class fallback (2xx/4xx/5xx, or no code at all)
public enum ReplyKnowledge {
    /// Every row of the knowledge table, in table order.
    static let rows = KnowledgeTable.providers + KnowledgeTable.texts + KnowledgeTable.statuses + KnowledgeTable.replies

    static let entries: [KnowledgeEntry] = {
        // stable sort by tier so table order decides within a tier
        return rows.enumerated().sorted { a, b in
            a.element.tier != b.element.tier ? a.element.tier < b.element.tier : a.offset < b.offset
        }.map { e in
            var e = e.element
            e.anyIDs = e.any.compactMap(phrases.id)
            e.allIDs = e.all.compactMap(phrases.id)
            e.noneIDs = e.none.compactMap(phrases.id)
            return e
        }
    }()

    /// Every phrase the rows test, found in one pass per reply.
    static let phrases = PhraseIndex(rows.flatMap { $0.any + $0.all + $0.none })

    /// The same replies come back again and again in a log ("Ok", "(reply not logged)", a provider's
    /// standard refusal): the answer depends on the query alone, so short ones are worked out once.
    public static func classify(_ query: ReplyQuery) -> ReplyClassification {
        guard query.text.utf8.count <= 512 else { return classifyUncached(query) }
        return classifications.value(for: query) { classifyUncached($0) }
    }

    private static let classifications = SmallCache<ReplyQuery, ReplyClassification>(capacity: 4_096)

    static func classifyUncached(_ query: ReplyQuery) -> ReplyClassification {
        let lower = matchText(query.text)
        let found = phrases.find(in: lower)
        let xCode = query.enhanced.flatMap(registryForm)
        let code = query.code
        let command = normalizedCommand(query.command)
        let replyStart = ReplyScanner.findReply(in: query.text).replyStart

        // A success reply is a success whatever its text says ("250 ok, spam score 0.1").
        if let c = code, c < 400 || (c / 100 == 2) {
            if let i = firstMatch(codeEntries, code: code, enhanced: xCode, command: command, found: found) {
                return make(codeEntries[i], code: code, query: query, replyStart: replyStart)
            }
            return fallback(code: code, query: query)
        }
        if let i = firstMatch(providerEntries, code: code, enhanced: xCode, command: command, found: found) {
            return make(providerEntries[i], code: code, query: query, replyStart: replyStart)
        }
        // Blocklists: known lists first, then any zone named after "blocked using".
        for bl in Blocklists.known where bl.any.contains(where: { Bytes.contains(lower, $0) }) {
            let ip = Blocklists.listedAddress(in: query.text, replyStart: replyStart)
            let list = bl.blocklist(ip: ip)
            let isDomainList = bl.reason == .spamdetected
            let title = isDomainList ? "A domain in the message is on a blocklist (\(bl.name))" : "Sending IP is on a blocklist (\(bl.name))"
            let who = isDomainList
                ? "The receiver looked up domains from the message in \(bl.name) and found one listed, so it refused the message. The sender must find the listed domain (links, sender, tracking domains) and get it delisted or stop using it."
                : "The receiver found the sending server's IP address\(ip.map { " (\($0))" } ?? "") on \(bl.name) and refused it. The sender's admin must find out why it was listed, fix that, and request removal."
            var actions = [String]()
            actions.append("Look up the listing and the removal steps: \(list.lookupURL)")
            if !isDomainList {
                actions.append("Check the server for compromised accounts, open relays or bulk mail without consent before asking for removal.")
                actions.append("Until delisted, send through another relay (for example your provider's smarthost) that is not listed.")
            }
            return ReplyClassification(reason: bl.reason, ruleID: "kb.rbl.\(bl.id)", severity: severity(nil, code: code, xCode: query.enhanced),
                                       title: title, explanation: who + " " + bl.note, actions: actions,
                                       provider: nil, blocklist: list, reference: list.lookupURL)
        }
        if let zone = Blocklists.namedZone(in: lower), !zone.contains("@") {
            let ip = Blocklists.listedAddress(in: query.text, replyStart: replyStart)
            let list = Blocklist(name: zone, zone: zone, lookupURL: "https://mxtoolbox.com/blacklists.aspx", listedAddress: ip)
            return ReplyClassification(
                reason: .blocked, ruleID: "kb.rbl.other", severity: severity(nil, code: code, xCode: query.enhanced),
                title: "Sending IP is on a blocklist (\(zone))",
                explanation: "The receiver found the sending server's IP address\(ip.map { " (\($0))" } ?? "") on the list \(zone) and refused it. The sender's admin must find out why it was listed, fix that, and ask the list's operator for removal.",
                actions: ["Check which lists name the IP, then follow each list's removal steps: \(list.lookupURL)",
                          "Until delisted, send through another relay that is not listed."],
                blocklist: list, reference: nil)
        }
        if let i = firstMatch(otherEntries, code: code, enhanced: xCode, command: command, found: found) {
            return make(otherEntries[i], code: code, query: query, replyStart: replyStart)
        }
        return fallback(code: code, query: query)
    }

    static let codeEntries = entries.filter { $0.tier == .code }
    static let providerEntries = entries.filter { $0.tier == .provider }
    static let otherEntries = entries.filter { $0.tier != .provider }

    /// Index of the first row that matches. Rows are looked at in place: copying a row per test (a dozen
    /// retains) cost more than the test itself.
    static func firstMatch(_ rows: [KnowledgeEntry], code: Int?, enhanced: String?, command: String?, found: PhraseSet) -> Int? {
        rows.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return nil }
            for i in buf.indices where KnowledgeEntry.matches(base + i, code: code, enhanced: enhanced, command: command, found: found) {
                return i
            }
            return nil
        }
    }

    public static func codeMeaning(_ code: Int, command: String?) -> String {
        ReplyCodes.meaning(code, command: normalizedCommand(command))
    }

    /// "5.7.1" -> "Permanent failure: security or policy status: delivery not authorized, message refused".
    public static func enhancedMeaning(_ enhanced: String) -> String? {
        meanings.value(for: enhanced, makeMeaning)
    }

    /// The same few codes come back in reply after reply: their wording is put together once.
    private static let meanings = SmallCache<String, String?>(capacity: 4_096)

    private static func makeMeaning(_ enhanced: String) -> String? {
        guard let p = EnhancedStatusCodes.parts(enhanced) else { return nil }
        let cls = p.cls.flatMap(EnhancedStatusCodes.className)
        let subject = EnhancedStatusCodes.subjectName(p.subject)
        var detail = EnhancedStatusCodes.lookup(enhanced)?.title.lowercased()
        if detail == nil, let x = registryForm(enhanced), let known = KnowledgeTable.vendorStatusTitles[x] {
            detail = known
        }
        guard cls != nil || subject != nil else { return nil }
        var parts: [String] = []
        if let cls { parts.append(cls) }
        if let subject { parts.append(subject) }
        parts.append(detail ?? "code not in the IANA registry (vendor-specific detail)")
        return parts.joined(separator: ": ")
    }

    // MARK: - helpers

    /// "5.7.1" -> "X.7.1"; leading zeros dropped so "5.07.001" matches too.
    static func registryForm(_ e: String) -> String? {
        guard let p = EnhancedStatusCodes.parts(e) else { return nil }
        return "X.\(p.subject).\(p.detail)"
    }

    static func normalizedCommand(_ c: String?) -> String? {
        guard var c else { return nil }
        // Most commands arrive as upper-case verbs already; only the others pay for Foundation.
        if c.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || ($0 >= 0x61 && $0 <= 0x7A) || $0 >= 0x80 }) {
            c = c.trimmingCharacters(in: .whitespaces).uppercased()
        }
        guard !c.isEmpty else { return nil }
        switch c {
        case "MAIL FROM", "MAIL FROM:": return "MAIL"
        case "RCPT TO", "RCPT TO:": return "RCPT"
        case "END OF DATA", "EOD", "DATA-END", "<CRLF>.<CRLF>", "MESSAGE": return "."
        case "GREETING", "BANNER", "CONNECTION": return "CONNECT"
        default: return c
        }
    }

    /// Lower-cased text for matching, with the continuation prefixes of glued multi-line replies
    /// ("550-5.7.26 ", "550 5.7.26 " in the middle) removed so phrases split across lines match.
    static func matchText(_ text: String) -> String {
        // Replies are short; a pasted megabyte must not cost a megabyte per pattern.
        let lower = String(decoding: text.utf8.prefix(maxMatchBytes), as: UTF8.self).lowercased()
        var b = Array(lower.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        b.append(0x20)
        let n = b.count - 1
        while i < n {
            // at a token start (after a space), "ddd-" optionally followed by an enhanced code and a space
            if i > 0, b[i - 1] == 0x20, i + 4 <= n, ReplyScanner.codeAt(b, i) != nil, b[i + 3] == 0x2D {
                var j = i + 4
                if let e = ReplyScanner.enhancedAt(b, j) { j += e.utf8.count }
                if j < b.count, b[j] == 0x20 { i = j + 1; continue }
                if j == i + 4 { i = j; continue }
            }
            if i > 0, b[i - 1] == 0x20, i + 4 <= n, ReplyScanner.codeAt(b, i) != nil, b[i + 3] == 0x20,
               let e = ReplyScanner.enhancedAt(b, i + 4), i + 4 + e.utf8.count < b.count, b[i + 4 + e.utf8.count] == 0x20 {
                i = i + 5 + e.utf8.count
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let maxMatchBytes = 16_384

    static func severity(_ fixed: Severity?, code: Int?, xCode: String?) -> Severity {
        if let fixed { return fixed }
        let cls = code.map { $0 / 100 } ?? xCode.flatMap { $0.first }.flatMap { Int(String($0)) }
        switch cls {
        case 2, 3: return .info
        case 4: return .warning
        default: return .error
        }
    }

    static func make(_ e: KnowledgeEntry, code: Int?, query: ReplyQuery, replyStart: Int?) -> ReplyClassification {
        var blocklist = e.blocklist
        if blocklist != nil {
            blocklist?.listedAddress = Blocklists.listedAddress(in: query.text, replyStart: replyStart)
        }
        let sev = severity(e.severity, code: code, xCode: query.enhanced)
        var explanation = e.explanation ?? e.reason.summary
        if sev == .warning, e.explanation == nil {
            explanation += " This reply is temporary: the sending server keeps retrying for a while."
        }
        return ReplyClassification(reason: e.reason, ruleID: e.id, severity: sev, title: e.title,
                                   explanation: explanation, actions: e.actions ?? KnowledgeTable.defaultActions(e.reason),
                                   provider: e.provider, blocklist: blocklist, reference: e.reference ?? defaultReference(query))
    }

    /// The standard behind the reply's codes, when the entry names none.
    static func defaultReference(_ q: ReplyQuery) -> String? {
        if let e = q.enhanced, let reg = EnhancedStatusCodes.lookup(e) { return "\(reg.reference) (\(reg.code))" }
        return q.code != nil ? "RFC 5321 §4.2" : nil
    }

    static func fallback(code: Int?, query: ReplyQuery) -> ReplyClassification {
        guard let code else {
            if let e = query.enhanced, let cls = e.first, cls == "4" || cls == "5" {
                return ReplyClassification(
                    reason: .onhold, ruleID: "class.\(cls)xx", severity: cls == "4" ? .warning : .error,
                    title: cls == "4" ? "Temporary failure (\(e))" : "Permanent failure (\(e))",
                    explanation: (enhancedMeaning(e) ?? e) + ". The text gives no more specific reason.",
                    actions: ["Read the full reply text for the receiver's stated reason.",
                              "Contact the receiving side's postmaster with the reply and the time of the attempt."],
                    reference: "RFC 3463")
            }
            return ReplyClassification(
                reason: .undefined, ruleID: "class.none", severity: .error,
                title: "No reply code and no known text",
                explanation: "The text carries neither an SMTP reply code nor a phrase we recognize, so the cause is unknown. Whoever runs the sending server should look up this message in its logs.",
                actions: ["Find the full bounce or the sending server's log line for this message.",
                          "Look for the remote server's own reply (a line starting with a 4xx or 5xx code)."])
        }
        let meaning = codeMeaning(code, command: query.command)
        switch code / 100 {
        case 2, 3:
            return ReplyClassification(reason: .delivered, ruleID: "class.2xx", severity: .info, title: "Accepted",
                                       explanation: meaning + " Nobody needs to act.", actions: [], reference: "RFC 5321 §4.2.1")
        case 4:
            return ReplyClassification(
                reason: .onhold, ruleID: "class.4xx", severity: .warning, title: "Temporary failure (\(code))",
                explanation: meaning + " The sending server keeps the message and retries; if retries keep failing it eventually gives up and bounces it.",
                actions: ["Wait for the automatic retries.", "If it keeps failing, read the full reply text and ask the receiving side's admin what the deferral means."],
                reference: "RFC 5321 §4.2.1")
        default:
            return ReplyClassification(
                reason: .onhold, ruleID: "class.5xx", severity: .error, title: "Permanent failure (\(code))",
                explanation: meaning + " The reply gives no more specific reason; retrying the same message will fail the same way.",
                actions: ["Read the full reply text for the receiver's stated reason.", "Contact the receiving side's postmaster with the reply and the time of the attempt."],
                reference: "RFC 5321 §4.2.1")
        }
    }
}

/// A bounded, thread-safe memo; once full, new keys are worked out every time.
final class SmallCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [Key: Value] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(for key: Key, _ make: (Key) -> Value) -> Value {
        lock.lock()
        if let v = map[key] { lock.unlock(); return v }
        lock.unlock()
        let v = make(key)
        lock.lock()
        if map.count < capacity { map[key] = v }
        lock.unlock()
        return v
    }
}
