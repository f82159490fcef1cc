/// A DMARC aggregate report (RFC 7489 §7.2, appendix C): the XML a receiver (Google, Microsoft, Yahoo, ...)
/// sends to the `rua=` address of a domain's DMARC record, usually gzipped. It answers "why does our mail go
/// to spam, and from where": each `<record>` is the mail one source address sent as the domain during the
/// report's day, with how many messages, what the receiver did (`none`, `quarantine`, `reject`), and the SPF
/// and DKIM results behind it. Each record is a session (the sending side's delivery to the reporter, its
/// dialogue inferred) with the same `auth-*` attributes the message-header reader sets, so the explainer's
/// authentication rules name what failed. The document is read whole (up to `maxBytes`) by libxml2.
public struct DMARCReportReader: LineReader {
    public static let formatID = "dmarc-report"
    public static let summary = "DMARC aggregate reports (rua XML, also gzipped): per source address, the messages, the receiver's disposition and the SPF / DKIM results"

    /// Reports are small (a busy domain's daily report from one receiver is well under a megabyte).
    static let maxBytes = 32 << 20
    static let maxRecords = 100_000
    public static var maxLineBytes: Int { maxBytes + 1 }

    public static func score(_ prefix: [ArraySlice<UInt8>]) -> Double {
        var feedback = false, parts = 0
        for l in prefix {
            let head = l.prefix(65_536)
            if LogBytes.find(head, "<feedback") != nil { feedback = true }
            for tag: StaticString in ["<report_metadata", "<policy_published", "<record>", "<source_ip>"] where LogBytes.find(head, tag) != nil {
                parts += 1
            }
        }
        return feedback && parts >= 1 ? 0.97 : 0
    }

    struct Record {
        var sourceIP = ""
        var count = ""
        var disposition = ""
        var dkimAligned = ""
        var spfAligned = ""
        var overrides: [String] = []
        var headerFrom = ""
        var envelopeFrom = ""
        var envelopeTo = ""
        var dkim: [(domain: String, selector: String, result: String)] = []
        var spf: [(domain: String, result: String)] = []
    }

    struct Report {
        var org = ""
        var reportID = ""
        var begin = ""
        var end = ""
        var domain = ""
        var policy = ""
        var subdomainPolicy = ""
    }

    private let input: String
    private var bytes: [UInt8] = []
    private var firstLine = 1
    private var tooBig = false

    public init(input: String) { self.input = input }

    public mutating func read(line: ArraySlice<UInt8>, number: Int, emit: (Session) -> Void) {
        guard !tooBig else { return }
        if bytes.count + line.count + 1 > Self.maxBytes {
            tooBig = true
            bytes = []
            return
        }
        if bytes.isEmpty { firstLine = number }
        bytes.append(contentsOf: line)
        bytes.append(Bytes.lf)
    }

    public mutating func finish(emit: (Session) -> Void) {
        if tooBig {
            emit(.nothingToExplain("The DMARC report is larger than \(Self.maxBytes >> 20) MB; it was not read.", input: input, format: Self.formatID))
            return
        }
        var report = Report()
        var records: [Record] = []
        var path: [String] = []
        var text = ""
        var record = Record()
        var dkim = (domain: "", selector: "", result: "")
        var spf = (domain: "", result: "")
        let parsed = LibXML.shared?.walkXML(bytes) { type, name, value, empty in
            switch type {
            case .element:
                guard let name else { return }
                text = ""
                if empty { return }
                path.append(name)
                if path.count > 64 { path.removeFirst() }
                if name == "record" { record = Record() }
            case .text, .cdata, .whitespace, .significantWhitespace:
                if let value, text.utf8.count < 4_096 { text += String(cString: value) }
            case .endElement:
                guard let name, path.last == name else { return }
                let v = text.trimmingSpaces
                let parent = path.count >= 2 ? path[path.count - 2] : ""
                let inAuth = path.contains("auth_results")
                switch (parent, name) {
                case ("report_metadata", "org_name"): report.org = v
                case ("report_metadata", "report_id"): report.reportID = v
                case ("date_range", "begin"): report.begin = v
                case ("date_range", "end"): report.end = v
                case ("policy_published", "domain"): report.domain = v
                case ("policy_published", "p"): report.policy = v
                case ("policy_published", "sp"): report.subdomainPolicy = v
                case ("row", "source_ip"): record.sourceIP = v
                case ("row", "count"): record.count = v
                case ("policy_evaluated", "disposition"): record.disposition = v.lowercased()
                case ("policy_evaluated", "dkim"): record.dkimAligned = v.lowercased()
                case ("policy_evaluated", "spf"): record.spfAligned = v.lowercased()
                case ("reason", "type"): if record.overrides.count < 8 { record.overrides.append(v) }
                case ("identifiers", "header_from"): record.headerFrom = v
                case ("identifiers", "envelope_from"): record.envelopeFrom = v
                case ("identifiers", "envelope_to"): record.envelopeTo = v
                case ("dkim", "domain") where inAuth: dkim.domain = v
                case ("dkim", "selector") where inAuth: dkim.selector = v
                case ("dkim", "result") where inAuth: dkim.result = v.lowercased()
                case ("spf", "domain") where inAuth: spf.domain = v
                case ("spf", "result") where inAuth: spf.result = v.lowercased()
                case ("auth_results", "dkim"):
                    if record.dkim.count < 16 { record.dkim.append(dkim) }
                    dkim = ("", "", "")
                case ("auth_results", "spf"):
                    if record.spf.count < 4 { record.spf.append(spf) }
                    spf = ("", "")
                case (_, "record"):
                    if records.count < Self.maxRecords { records.append(record) }
                default: break
                }
                text = ""
                path.removeLast()
            default:
                break
            }
        } ?? false
        bytes = []
        guard parsed, !records.isEmpty else {
            let why = parsed ? "The DMARC report holds no <record>: no mail was seen as this domain in its period."
                : "The DMARC report could not be read as XML."
            emit(.nothingToExplain(why, input: input, format: Self.formatID))
            return
        }
        for r in records { emit(session(r, report)) }
    }

    private func session(_ r: Record, _ report: Report) -> Session {
        let pos = SourcePosition(input: input, line: firstLine, time: Double(report.end))
        let d = LogSessionDraft(input: input, format: Self.formatID, direction: .outbound, start: pos, time: pos.time ?? 0)
        let count = Int(r.count) ?? 0
        let domain = r.headerFrom.isEmpty ? report.domain : r.headerFrom
        let org = report.org.isEmpty ? "the reporting receiver" : report.org
        var told = "\(count) message\(count == 1 ? "" : "s") from \(r.sourceIP.isEmpty ? "an unnamed address" : r.sourceIP) as \(domain)"
        told += " to \(org): disposition \(r.disposition.isEmpty ? "not given" : r.disposition), DKIM \(r.dkimAligned.isEmpty ? "?" : r.dkimAligned), SPF \(r.spfAligned.isEmpty ? "?" : r.spfAligned)"
        if !r.overrides.isEmpty { told += ", override \(r.overrides.joined(separator: ", "))" }
        d.note(told, pos)
        d.client = Peer(address: r.sourceIP.isEmpty ? nil : r.sourceIP)
        d.server = Peer(host: report.org.isEmpty ? nil : report.org)
        var a: [String: String] = ["message-count": String(count), "dmarc-report-org": report.org, "dmarc-report-id": report.reportID]
        // Whole seconds as the schema says; `Int(Double("1e300"))` from a hostile report would trap.
        if let b = Int(report.begin), let e = Int(report.end) { a["dmarc-report-period"] = "\(b)-\(e)" }
        let aligned = r.dkimAligned == "pass" || r.spfAligned == "pass"
        a["auth-by"] = report.org
        a["auth-dmarc"] = aligned ? "pass" : "fail"
        a["auth-dmarc-domain"] = domain
        let isSub = !report.domain.isEmpty && domain.lowercased() != report.domain.lowercased()
        let policy = isSub && !report.subdomainPolicy.isEmpty ? report.subdomainPolicy : report.policy
        if !policy.isEmpty { a["auth-dmarc-policy"] = policy.lowercased() }
        if !r.disposition.isEmpty { a["auth-dmarc-disposition"] = r.disposition }
        if !r.overrides.isEmpty { a["dmarc-override"] = r.overrides.joined(separator: " ") }
        a["header-from-domain"] = domain.lowercased()
        if let s = r.spf.first {
            a["auth-spf"] = s.result
            if !s.domain.isEmpty { a["auth-spf-domain"] = s.domain.lowercased() }
        } else if !r.envelopeFrom.isEmpty {
            a["auth-spf-domain"] = r.envelopeFrom.lowercased()
        }
        if !r.sourceIP.isEmpty { a["auth-spf-ip"] = r.sourceIP }
        // DKIM: the passing signature when there is one (DMARC needs one aligned pass), else the first.
        if let k = r.dkim.first(where: { $0.result == "pass" && DomainAlignment.relaxed($0.domain, domain) }) ?? r.dkim.first(where: { $0.result == "pass" }) ?? r.dkim.first {
            a["auth-dkim"] = k.result
            if !k.domain.isEmpty { a["auth-dkim-domain"] = k.domain.lowercased() }
            if !k.selector.isEmpty { a["auth-dkim-selector"] = k.selector }
        } else {
            a["auth-dkim"] = "none"
        }
        a["dmarc-aligned-dkim"] = r.dkimAligned
        a["dmarc-aligned-spf"] = r.spfAligned
        for (k, v) in a where !v.isEmpty { d.attributes[k] = v }
        let from = "(a sender at \(r.envelopeFrom.isEmpty ? domain : r.envelopeFrom))"
        let to = "(recipients at \(r.envelopeTo.isEmpty ? org : r.envelopeTo))"
        // The disposition is in the note and the attributes; the reply's words must not read as a filter's.
        d.delivered(from: from, to: [to], reply: r.disposition == "reject" ? "550 5.7.1 Rejected by DMARC policy (reply not in the report)"
                    : "250 2.0.0 (reply not in the report)", pos)
        d.steps.append(.closed(.unknown, pos))
        return d.finish()
    }
}
