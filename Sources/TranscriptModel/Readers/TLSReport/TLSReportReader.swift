/// An SMTP TLS report (TLS-RPT, RFC 8460): the JSON a sending provider (Google, Microsoft, ...) mails each day
/// to the `rua=` address of a domain's `_smtp._tls` record, usually gzipped. It answers "do senders reach our
/// MX over TLS, and if not, why": per policy (MTA-STS, DANE, or none) the sessions that succeeded, and for
/// the failures the result type (expired certificate, no STARTTLS, policy not fetched, ...), the sending and
/// receiving addresses and the MX.
///
/// Each failure row is a session from the reporter's MTA to the MX, its dialogue inferred as far as the
/// failure lets it go; where the policy enforces TLS the sender stopped there (and retries, then bounces),
/// elsewhere it delivered anyway, unprotected. The successes of a policy are one delivered session. The
/// `tlsrpt-*` attributes carry the report's words for the explainer's TLS-report rules and the summary.
public struct TLSReportReader: LineReader {
    public static let formatID = "tls-report"
    public static let summary = "SMTP TLS reports (TLS-RPT JSON, also gzipped): per MX and sending address, the sessions that failed TLS (MTA-STS, DANE) and why"
    public static var maxLineBytes: Int { JSONDocuments.maxBytes + 1 }

    static let maxRowsPerReport = 100_000
    /// Report strings are short; a hostile one must not fill the output.
    static let maxText = 512

    static let markers: [[UInt8]] = ["\"organization-name\"", "\"date-range\"", "\"policies\"", "\"policy-domain\"",
                                     "\"policy-type\"", "\"total-successful-session-count\"", "\"failed-session-count\"",
                                     "\"sending-mta-ip\"", "\"result-type\""].map { Array($0.utf8) }

    /// JSON (the first filled line opens an object or array) with at least two of the report's own keys.
    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        guard let first = prefix.first(where: { !Bytes.trimmed($0).isEmpty }),
              let open = Bytes.trimmed(first).first, open == 0x7B || open == 0x5B else { return 0 }
        var seen = 0
        for m in markers where prefix.contains(where: { LogBytes.find($0.prefix(65_536), bytes: m) != nil }) {
            seen += 1
            if seen >= 2 { return 0.97 }
        }
        return 0
    }

    private let input: String
    private var documents = JSONDocuments()
    private var clock = LogClock()
    private var emitted = 0
    private var reports = 0

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        // Moved out, not copied: the document being collected must stay uniquely referenced.
        var docs = documents
        documents = JSONDocuments()
        docs.line(line, number: number) { read($0, emit: emit) }
        documents = docs
    }

    public mutating func finish(emit: (Session) -> Void) {
        var docs = documents
        documents = JSONDocuments()
        docs.finish { read($0, emit: emit) }
        guard emitted == 0 else { return }
        let why = reports > 0 ? "The TLS report lists no sessions: no mail from this sender reached the domain in its period."
            : "No SMTP TLS report (RFC 8460 JSON) was recognised in this input."
        emit(.nothingToExplain(why, input: input, format: Self.formatID))
    }

    private mutating func read(_ doc: JSONDocuments.Document, emit: (Session) -> Void) {
        let line = doc.lineStarts.first?.line ?? 1
        if doc.truncated {
            return problem("The TLS report starting on line \(line) is larger than \(JSONDocuments.maxBytes >> 20) MB and was not read.", line: line, emit: emit)
        }
        guard let root = JSONParser.parse(doc.bytes) else {
            return problem("The TLS report starting on line \(line) is not valid JSON (cut off or edited?) and was skipped.", line: line, emit: emit)
        }
        // Several reports saved as one JSON array are read one by one.
        for report in root.isObject ? [root] : root.array.prefix(1_000) where report.isObject {
            read(report: report, line: { doc.line(at: $0 ?? 0) }, emit: emit)
        }
    }

    /// `line` gives the input line of an object's offset in the document.
    private mutating func read(report r: JSONValue, line: (Int?) -> Int, emit: (Session) -> Void) {
        guard r["policies"] != nil else { return }
        reports += 1
        let start = seconds(r["date-range", "start-datetime"])
        let end = seconds(r["date-range", "end-datetime"])
        var header = Header(org: text(r["organization-name"]) ?? "", reportID: text(r["report-id"]) ?? "",
                            contact: text(r["contact-info"]) ?? "")
        if let s = start, let e = end { header.period = "\(Int(s))-\(Int(e))" }
        let time = end ?? start
        func at(_ v: JSONValue) -> SourcePosition { SourcePosition(input: input, line: line(v.offset ?? r.offset), time: time) }
        var budget = Self.maxRowsPerReport
        for p in r["policies"]?.array ?? [] where p.isObject {
            guard budget > 0 else { break }
            let policy = Policy(p["policy"] ?? .null)
            let ok = p["summary", "total-successful-session-count"]?.int ?? 0
            let failed = p["summary", "total-failure-session-count"]?.int ?? 0
            var totals = ["tlsrpt-total-successful": String(max(0, ok)), "tlsrpt-total-failed": String(max(0, failed))]
            totals["tlsrpt-policy-sessions"] = String(max(0, ok) &+ max(0, failed))
            // The failures first: they are what a reader opens the report for.
            for f in p["failure-details"]?.array ?? [] where f.isObject {
                guard budget > 0 else { break }
                budget -= 1
                emit(failure(f, policy, header, totals, at(f)))
                emitted += 1
            }
            if ok > 0, budget > 0 {
                emit(success(ok, policy, header, totals, at(p)))
                emitted += 1
                budget -= 1
            }
        }
    }

    struct Header {
        var org: String
        var reportID: String
        var contact: String
        var period: String?
    }

    /// The policy a group of sessions was checked against.
    struct Policy {
        var type: String
        var domain: String
        /// `enforce`, `testing` or `none` (MTA-STS's `mode:`); DANE's `tlsa` is enforced by nature.
        var mode: String?
        var mx: [String]

        init(_ p: JSONValue) {
            type = (p["policy-type"]?.text ?? "").lowercased()
            domain = (p["policy-domain"]?.text ?? "").lowercased()
            mx = p["mx-host"]?.array.prefix(8).compactMap { $0.text } ?? []
            for line in p["policy-string"]?.array.prefix(64) ?? [] {
                guard let s = line.text?.lowercased() else { continue }
                if s.hasPrefix("mode:") { mode = String(s.dropFirst(5)).trimmingSpaces }
                if mx.count < 8, s.hasPrefix("mx:"), case let host = String(s.dropFirst(3)).trimmingSpaces, !mx.contains(host) { mx.append(host) }
            }
        }

        /// The sender had to stop rather than deliver without TLS.
        var enforced: Bool { type == "tlsa" || (type == "sts" && mode == "enforce") }

        var label: String {
            switch type {
            case "sts": return "MTA-STS policy" + (mode.map { " (mode \($0))" } ?? "")
            case "tlsa": return "DANE (TLSA records)"
            case "no-policy-found": return "no policy"
            default: return type.isEmpty ? "an unnamed policy" : "policy \(type)"
            }
        }
    }

    private func attributes(_ policy: Policy, _ h: Header, _ totals: [String: String]) -> [String: String] {
        var a = totals
        a["tlsrpt-org"] = h.org
        a["tlsrpt-report-id"] = h.reportID
        a["tlsrpt-contact"] = h.contact
        if let p = h.period { a["tlsrpt-period"] = p }
        a["tlsrpt-policy-type"] = policy.type
        a["tlsrpt-policy-domain"] = policy.domain
        if let m = policy.mode { a["tlsrpt-mode"] = m }
        if !policy.mx.isEmpty { a["tlsrpt-policy-mx"] = policy.mx.joined(separator: " ") }
        a["tlsrpt-enforced"] = policy.enforced ? "yes" : "no"
        return a.filter { !$0.value.isEmpty }
    }

    /// The policy's successful sessions: delivered over TLS.
    private func success(_ n: Int, _ policy: Policy, _ h: Header, _ totals: [String: String], _ pos: SourcePosition) -> Session {
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: pos.time ?? 0)
        let org = h.org.isEmpty ? "the reporting sender" : h.org
        d.note("\(n) session\(n == 1 ? "" : "s") from \(org) to \(policy.domain.isEmpty ? "the domain" : policy.domain) succeeded over TLS under \(policy.label)", pos)
        d.client = Peer(host: h.org.isEmpty ? nil : h.org, heloName: unseenHELO)
        d.server = Peer(host: policy.domain.isEmpty ? policy.mx.first : policy.domain, port: 25)
        for (k, v) in attributes(policy, h, totals) { d.attributes[k] = v }
        d.attributes["tlsrpt-sessions"] = String(n)
        d.tls(TLSFacts(), pos)
        d.delivered(from: "(senders at \(org))", to: ["(recipients at \(policy.domain.isEmpty ? "the domain" : policy.domain))"],
                    reply: "250 2.0.0 (reply not in the report)", pos)
        d.steps.append(.closed(.unknown, pos))
        return d.finish()
    }

    /// One failure row: the reporter's MTA to one MX, stopped where the result type says.
    private func failure(_ f: JSONValue, _ policy: Policy, _ h: Header, _ totals: [String: String], _ pos: SourcePosition) -> Session {
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .inbound, start: pos, time: pos.time ?? 0)
        let word = (text(f["result-type"]) ?? "").lowercased()
        let result = TLSReportResult(rawValue: word)
        let n = max(0, f["failed-session-count"]?.int ?? 0)
        let mx = text(f["receiving-mx-hostname"])
        let org = h.org.isEmpty ? "the reporting sender" : h.org
        let from = text(f["sending-mta-ip"])
        var told = "\(n) session\(n == 1 ? "" : "s") from \(from ?? org) to \(mx ?? (policy.domain.isEmpty ? "the domain" : policy.domain))"
        told += " failed TLS: \(word.isEmpty ? "no result type given" : word) under \(policy.label)"
        if let code = text(f["failure-reason-code"]) { told += " (\(code))" }
        d.note(told, pos)
        d.client = Peer(host: h.org.isEmpty ? nil : h.org, address: from, heloName: unseenHELO)
        d.server = Peer(host: mx ?? policy.mx.first ?? (policy.domain.isEmpty ? nil : policy.domain), address: text(f["receiving-ip"]), port: 25)
        if let helo = text(f["receiving-mx-helo"]) { d.server.heloName = helo }
        var a = attributes(policy, h, totals)
        a["tlsrpt-result"] = word
        a["tlsrpt-sessions"] = String(n)
        a["tlsrpt-reason-code"] = text(f["failure-reason-code"])
        a["tlsrpt-info"] = text(f["additional-information"])
        for (k, v) in a where !v.isEmpty { d.attributes[k] = v }

        // DANE failures stop a validating sender whatever the policy type says; MTA-STS only in enforce mode.
        let stops = policy.enforced || (result?.alwaysEnforced ?? false)
        let sender = "(senders at \(org))", rcpt = "(recipients at \(policy.domain.isEmpty ? "the domain" : policy.domain))"
        let accepted = "250 2.0.0 (reply not in the report)"
        switch result?.stop {
        case .lookup?:
            d.connected = false
            d.steps.append(.connectFailed(.nameNotResolved, "DNSSEC validation of the MX failed", pos))
        case .afterEHLO?:
            d.helo(pos)
            if stops { d.c("QUIT", pos); d.s("221 2.0.0 Bye", pos) }
            else { d.delivered(from: sender, to: [rcpt], reply: accepted, pos) }
        case .handshake?:
            d.helo(pos)
            d.c("STARTTLS", pos); d.s("220 2.0.0 Ready to start TLS", pos)
            if stops {
                d.steps.append(.closed(.client, pos))
                return d.finish()
            }
            // Unverified TLS is still TLS: the sender went on, encrypted but not authenticated.
            d.steps.append(.tls(TLSFacts(verify: word), pos))
            d.tlsDone = true
            d.c("EHLO " + unseenHELO, pos); d.s("250 (reply not logged)", pos)
            d.delivered(from: sender, to: [rcpt], reply: accepted, pos)
        case .policy?, nil:
            // No usable policy: the sender went on as if there were none (RFC 8461 §5.1).
            d.delivered(from: sender, to: [rcpt], reply: accepted, pos)
        }
        d.steps.append(.closed(.unknown, pos))
        return d.finish()
    }

    /// The sender's EHLO name is not in a report.
    private let unseenHELO = "(not in the report)"

    private func text(_ v: JSONValue?) -> String? {
        guard let s = v?.text else { return nil }
        return s.utf8.count > Self.maxText ? String(s.prefix(Self.maxText)) + "…" : s
    }

    private mutating func seconds(_ v: JSONValue?) -> Double? {
        guard let s = v?.text else { return nil }
        return clock.iso(Array(s.utf8)[...])?.0
    }

    private mutating func problem(_ text: String, line: Int, emit: (Session) -> Void) {
        var b = SessionBuilder(input: input, format: Self.formatID)
        b.note(text, kind: .error, at: SourcePosition(input: input, line: line))
        emit(b.finish())
        emitted += 1
    }
}
