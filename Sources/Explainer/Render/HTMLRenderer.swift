import TranscriptModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One self-contained HTML5 report (inline CSS, no scripts, no remote assets) for people to forward:
/// the verdict first, then the session as a client | server conversation with each reply's meaning beside
/// it, the findings with their evidence and next steps, and a legend. Built as a libxml2 document tree and
/// serialised by libxml2, so input text is escaped by construction.
public enum HTMLRenderer {
    public static func document(_ sessions: [ExplainedSession], title: String = "smtpexplain report",
                                errors: [InputError] = []) -> String {
        guard let t = HTMLTree() else { return fallback(sessions, title: title) }
        let head = t.element(t.root, "head")
        t.set(t.root, "lang", "en")
        t.element(head, "meta", [("charset", "utf-8")])
        t.element(head, "meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")])
        t.element(head, "meta", [("name", "generator"), ("content", "smtpexplain")])
        t.element(head, "title", text: title)
        t.constantText(t.element(head, "style"), css)

        let body = t.element(t.root, "body")
        let header = t.element(body, "div", class: "report-head", [("role", "banner")])
        t.element(header, "h1", text: title)
        let counts = Outcome.allCases.compactMap { o -> String? in
            let n = sessions.filter { $0.session.outcome == o }.count
            return n == 0 ? nil : "\(n) \(o.rawValue)"
        }
        t.element(header, "p", class: "meta",
                  text: "\(sessions.count) session\(sessions.count == 1 ? "" : "s")"
                      + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", ")))

        if sessions.count > 1 { index(t, body, sessions) }
        if !errors.isEmpty {
            let sec = t.element(body, "div", class: "errors", [("role", "alert")])
            t.element(sec, "h2", text: "Inputs that could not be read")
            let ul = t.element(sec, "ul")
            for e in errors { t.element(ul, "li", text: e.description) }
        }
        let main = t.element(body, "div", class: "main", [("role", "main")])
        for (i, x) in sessions.enumerated() {
            session(t, main, x, number: i + 1, of: sessions.count)
        }
        if sessions.isEmpty { t.element(main, "p", class: "empty", text: "No SMTP session found in the input.") }
        legend(t, body)
        return t.serialise()
    }

    /// Anchor of a session in the document.
    public static func anchor(_ number: Int) -> String { "session-\(number)" }

    // MARK: - Parts

    static func index(_ t: HTMLTree, _ body: HTMLTree.Node, _ sessions: [ExplainedSession]) {
        let nav = t.element(body, "div", class: "index", [("role", "navigation"), ("aria-label", "Sessions")])
        t.element(nav, "h2", text: "Sessions")
        let ol = t.element(nav, "ol")
        for (i, x) in sessions.enumerated() {
            let li = t.element(ol, "li")
            let a = t.element(li, "a", [("href", "#" + anchor(i + 1))])
            badge(t, a, x.session.outcome)
            t.element(a, "span", class: "where", text: " " + inputLabel(x.session) + " ")
            t.element(a, "span", class: "why", text: x.summary)
        }
    }

    static func badge(_ t: HTMLTree, _ parent: HTMLTree.Node, _ o: Outcome) {
        t.element(parent, "span", class: "badge o-\(o.rawValue)", text: o.rawValue.uppercased())
    }

    static func inputLabel(_ s: Session) -> String {
        let at = s.start?.line.map { ":\($0)" } ?? s.start?.packet.map { "#\($0)" } ?? ""
        return s.input + at
    }

    static func session(_ t: HTMLTree, _ main: HTMLTree.Node, _ x: ExplainedSession, number: Int, of total: Int) {
        let s = x.session
        let sec = t.element(main, "div", class: "session o-\(s.outcome.rawValue)", [("id", anchor(number))])
        let h = total > 1 ? "Session \(number) of \(total)" : "Session"
        t.element(sec, "h2", text: "\(h) · \(inputLabel(s)) · \(s.format)")

        // The verdict first: what a reader forwarded this report wants to know.
        let v = t.element(sec, "div", class: "verdict o-\(s.outcome.rawValue)")
        let line = t.element(v, "p", class: "verdict-line")
        badge(t, line, s.outcome)
        let dl = t.element(v, "dl", class: "facts")
        fact(t, dl, "Stage", s.failedStage?.rawValue ?? "none")
        fact(t, dl, "Reason", x.primaryReason?.rawValue ?? "none")
        if let d = duration(s) { fact(t, dl, "Duration", d) }
        t.element(v, "p", class: "summary", text: x.summary)
        if let d = s.attributes["detection"] { t.element(v, "p", class: "note", text: "Note: " + d) }
        if s.attributes["addresses-hidden"] == "true" {
            t.element(v, "p", class: "note",
                      text: "Note: the page this came from hid the e-mail addresses; they are shown as the page showed them.")
        }
        if s.formatConfidence < 1 {
            t.element(v, "p", class: "note",
                      text: "Read as \(s.format) (detected, \(Int((s.formatConfidence * 100).rounded()))% sure).")
        }

        identity(t, sec, s)
        conversation(t, sec, x, number)
        transactions(t, sec, s)
        history(t, sec, s)
        findings(t, sec, x, number)
    }

    /// The message's story (MTA logs): arrival, each kept attempt, the end.
    static func history(_ t: HTMLTree, _ sec: HTMLTree.Node, _ s: Session) {
        guard let h = s.history else { return }
        t.element(sec, "h3", text: "Message " + h.queueID)
        t.element(sec, "p", class: "summary", text: MessageStoryText.headline(h))
        let ol = t.element(sec, "ol", class: "plain history")
        for l in MessageStoryText.lines(h) { t.element(ol, "li", text: l) }
    }

    static func fact(_ t: HTMLTree, _ dl: HTMLTree.Node, _ k: String, _ v: String) {
        let div = t.element(dl, "div")
        t.element(div, "dt", text: k)
        t.element(div, "dd", text: v)
    }

    static func identity(_ t: HTMLTree, _ sec: HTMLTree.Node, _ s: Session) {
        let dl = t.element(sec, "dl", class: "identity")
        if s.dnsLookupLabel != nil {
            fact(t, dl, "DNS lookup", s.attributes["dns-query"] ?? "(no question shown)")
            if let server = s.attributes["dns-server"] { fact(t, dl, "Resolver", server) }
            return
        }
        if s.addressTestLabel != nil {
            fact(t, dl, "Address test", (s.attributes["address-test-tool"] == "sendmail" ? "sendmail -bv " : "exim -bt ") + (s.attributes["address-test-address"] ?? ""))
            if let r = s.attributes["address-test-result"] { fact(t, dl, "Result", r) }
            return
        }
        if let label = s.configLabel {
            fact(t, dl, "Configuration", label)
            return
        }
        var server = s.server.host ?? s.server.address ?? "unknown"
        if let a = s.server.address, a != server { server += " [\(a)]" }
        if let p = s.server.port { server += ":\(p)" }
        if let sw = s.server.software { server += " (\(sw))" }
        fact(t, dl, "Server", server)
        var client = s.client.heloName.map { "HELO \($0)" } ?? (s.client.host ?? "unknown")
        if let a = s.client.address { client += " [\(a)]" }
        fact(t, dl, "Client", client)
        if let d = s.direction { fact(t, dl, "Direction", d.rawValue) }
        if s.tlsStarted || s.tls != nil {
            let tls = s.tls
            var v = tls?.implicit == true ? "implicit TLS" : "STARTTLS"
            if let x = tls?.version { v += " \(x)" }
            if let x = tls?.cipher { v += " \(x)" }
            if let x = tls?.verify { v += ", verify \(x)" }
            fact(t, dl, "TLS", v)
        }
        if let c = s.capabilities, !c.keywords.isEmpty {
            fact(t, dl, "Capabilities", c.keywords.joined(separator: " "))
        }
    }

    /// The transcript as a table: line | (time) | client | server | meaning. Lines that are neither side
    /// (tool output, message content, log lines) span both sides.
    static func conversation(_ t: HTMLTree, _ sec: HTMLTree.Node, _ x: ExplainedSession, _ number: Int) {
        let s = x.session
        t.element(sec, "h3", text: "Conversation")
        guard !s.lines.isEmpty else {
            t.element(sec, "p", class: "empty", text: "No dialogue in the input.")
            return
        }
        let base = s.lines.lazy.compactMap(\.position.time).first
        let wrap = t.element(sec, "div", class: "conv-wrap")
        let table = t.element(wrap, "table", class: "conversation")
        let thead = t.element(table, "thead")
        let hr = t.element(thead, "tr")
        t.element(hr, "th", class: "num", [("scope", "col")], text: "Line")
        if base != nil { t.element(hr, "th", class: "time", [("scope", "col")], text: "Time") }
        t.element(hr, "th", class: "client", [("scope", "col")], text: "Client")
        t.element(hr, "th", class: "server", [("scope", "col")], text: "Server")
        t.element(hr, "th", class: "meaning", [("scope", "col")], text: "Meaning")
        let tbody = t.element(table, "tbody")

        var placement = MeaningPlacement(s)
        for l in s.lines {
            let tr = t.element(tbody, "tr", class: "r-\(l.role.rawValue)" + (l.inferred ? " inferred" : ""))
            var num = l.position.line.map(String.init) ?? l.position.packet.map { "#\($0)" } ?? ""
            if l.position.sequence != nil, l.position.input != s.input { num = TextRenderer.fileName(l.position.input) + ":" + num }
            t.element(tr, "td", class: "num", text: num)
            if let base {
                let td = t.element(tr, "td", class: "time")
                if let tm = l.position.time {
                    t.set(td, "title", utc(tm))
                    t.text(td, offset(tm - base))
                }
            }
            var text = l.text
            if l.inferred { text += "  (inferred)" }
            switch l.role {
            case .client:
                t.element(tr, "td", class: "client", [("data-side", "C")], text: text)
                t.element(tr, "td", class: "server")
            case .server:
                t.element(tr, "td", class: "client")
                t.element(tr, "td", class: "server", [("data-side", "S")], text: text)
            default:
                t.element(tr, "td", class: "other", [("colspan", "2"), ("data-side", roleMark(l.role))], text: text)
            }
            let meaning = t.element(tr, "td", class: "meaning")
            if let ex = placement.exchange(after: l) { annotate(t, meaning, x, ex, number) }
        }
        if s.elidedLines > 0 {
            let tr = t.element(tbody, "tr", class: "r-gap")
            let td = t.element(tr, "td", class: "other", [("colspan", base == nil ? "4" : "5")])
            t.text(td, "… \(s.elidedLines) more lines not shown (message content or limits)")
        }
    }

    static func roleMark(_ r: TranscriptLine.Role) -> String {
        switch r {
        case .client: return "C"
        case .server: return "S"
        case .content: return "|"
        case .error: return "!"
        case .log: return "L"
        case .unparsed: return "?"
        case .gap: return "~"
        default: return "*"
        }
    }

    static func annotate(_ t: HTMLTree, _ cell: HTMLTree.Node, _ x: ExplainedSession, _ i: Int, _ number: Int) {
        guard let e = x.replies[i], let r = x.session.exchanges[i].reply else { return }
        let cls = r.code >= 500 ? "perm" : r.code >= 400 ? "temp" : r.code >= 300 ? "more" : "ok"
        let p = t.element(cell, "p", class: "reply-meaning c-\(cls)")
        t.element(p, "span", class: "code", text: "\(r.code)\(r.enhanced.map { " " + $0 } ?? "")")
        t.text(p, " " + e.summary)
        if let em = e.enhancedMeaning, e.classification != nil {
            t.element(cell, "p", class: "enhanced", text: em)
        }
        for id in x.markedFindingIDs(forExchange: i) {
            guard let (k, f) = x.findings.enumerated().first(where: { $0.element.id == id }) else { continue }
            let fp = t.element(cell, "p", class: "finding-ref")
            let a = t.element(fp, "a", class: "sev sev-\(f.severity.rawValue)",
                              [("href", "#" + findingAnchor(number, k))], text: f.severity.rawValue)
            _ = a
            t.text(fp, " " + f.title)
        }
    }

    static func findingAnchor(_ number: Int, _ k: Int) -> String { "\(anchor(number))-finding-\(k + 1)" }

    static func transactions(_ t: HTMLTree, _ sec: HTMLTree.Node, _ s: Session) {
        guard !s.transactions.isEmpty else { return }
        t.element(sec, "h3", text: "Transactions")
        let table = t.element(sec, "table", class: "transactions")
        let hr = t.element(t.element(table, "thead"), "tr")
        for h in ["#", "Sender", "Recipients", "Message", "Result"] { t.element(hr, "th", [("scope", "col")], text: h) }
        let tbody = t.element(table, "tbody")
        for (k, tr) in s.transactions.enumerated() {
            let row = t.element(tbody, "tr")
            t.element(row, "td", text: "\(k + 1)")
            t.element(row, "td", text: (tr.sender.map { "<\($0)>" } ?? "(no sender given)") + (tr.senderAccepted == false ? " (refused)" : ""))
            let rc = t.element(row, "td")
            if tr.recipients.isEmpty { t.text(rc, "(no recipients)") }
            let ul = tr.recipients.isEmpty ? nil : t.element(rc, "ul", class: "plain")
            for r in tr.recipients {
                let state = r.accepted == true ? "accepted" : r.accepted == false ? "refused" : "no reply"
                let li = t.element(ul!, "li", class: "rcpt-\(state.replacingOccurrences(of: " ", with: "-"))")
                t.text(li, "<\(r.address)> — \(state)")
                if let rep = r.reply, r.accepted == false {
                    t.element(li, "span", class: "detail", text: " (\(rep.code) \(rep.text))")
                }
            }
            let mc = t.element(row, "td")
            if let m = tr.message {
                var parts = ["\(m.lineCount) lines", "\(m.byteCount) bytes"]
                if !m.terminated { parts.append("not terminated") }
                if m.terminationInferred { parts.append("end inferred") }
                t.text(mc, parts.joined(separator: ", "))
                if let subj = m.header("Subject") { t.element(mc, "div", class: "detail", text: "Subject: " + subj) }
            } else { t.text(mc, "—") }
            let res = t.element(row, "td")
            if tr.delivered {
                t.text(res, "accepted" + (tr.queueID.map { " as \($0)" } ?? ""))
            } else if let f = tr.finalReply {
                t.text(res, "\(f.code) \(f.text)")
            } else {
                t.text(res, "not delivered")
            }
        }
    }

    static func findings(_ t: HTMLTree, _ sec: HTMLTree.Node, _ x: ExplainedSession, _ number: Int) {
        t.element(sec, "h3", text: "Findings")
        guard !x.findings.isEmpty else {
            t.element(sec, "p", class: "empty", text: "No findings.")
            return
        }
        let list = t.element(sec, "div", class: "findings")
        for (k, f) in x.findings.enumerated() {
            let art = t.element(list, "div", class: "finding sev-\(f.severity.rawValue)", [("id", findingAnchor(number, k))])
            let h = t.element(art, "h4")
            t.element(h, "span", class: "sev sev-\(f.severity.rawValue)", text: f.severity.rawValue)
            t.text(h, " " + f.title)
            let meta = t.element(art, "p", class: "finding-meta")
            t.element(meta, "code", text: f.id)
            t.text(meta, " · reason ")
            t.element(meta, "code", text: f.reason.rawValue)
            if let p = f.provider { t.text(meta, " · " + p) }
            t.element(art, "p", class: "explanation", text: f.explanation)
            if let b = f.blocklist {
                t.element(art, "p", class: "blocklist",
                          text: "Blocklist: \(b.name)" + (b.listedAddress.map { " lists \($0)" } ?? "") + " — \(b.lookupURL)")
            }
            if !f.evidence.isEmpty {
                t.element(art, "h5", text: "Evidence")
                let ul = t.element(art, "ul", class: "evidence")
                for e in f.evidence.prefix(12) {
                    let li = t.element(ul, "li")
                    t.element(li, "span", class: "at", text: e.position.label)
                    if let tm = e.position.time { t.element(li, "span", class: "at", text: " " + utc(tm)) }
                    t.text(li, " ")
                    t.element(li, "code", text: String(e.text.prefix(300)))
                }
                if f.evidence.count > 12 { t.element(ul, "li", class: "more", text: "… \(f.evidence.count - 12) more") }
            }
            if !f.actions.isEmpty {
                t.element(art, "h5", text: "Next steps")
                let ol = t.element(art, "ol", class: "actions")
                for a in f.actions { t.element(ol, "li", text: a) }
            }
            if let r = f.reference { t.element(art, "p", class: "reference", text: "Reference: " + r) }
        }
    }

    static func legend(_ t: HTMLTree, _ body: HTMLTree.Node) {
        let foot = t.element(body, "div", class: "legend", [("role", "contentinfo")])
        t.element(foot, "h2", text: "Legend")
        let dl = t.element(foot, "dl")
        let outcomes: [(Outcome, String)] = [
            (.delivered, "at least one message was accepted after its content"),
            (.rejected, "a permanent (5xx) refusal ended the attempt"),
            (.deferred, "a temporary (4xx) refusal ended the attempt: retry later"),
            (.disconnected, "the connection ended mid-dialogue"),
            (.incomplete, "the input ends, or the client quit, before any of the above"),
            (.unreachable, "no SMTP connection was made"),
        ]
        for (o, text) in outcomes {
            let div = t.element(dl, "div")
            badge(t, t.element(div, "dt"), o)
            t.element(div, "dd", text: text)
        }
        for (sev, text) in [("error", "stops delivery or must be fixed"), ("warning", "may cause trouble with some servers"),
                            ("info", "worth knowing; not a problem")] {
            let div = t.element(dl, "div")
            t.element(t.element(div, "dt"), "span", class: "sev sev-\(sev)", text: sev)
            t.element(div, "dd", text: text)
        }
        for (code, cls, text) in [("2xx", "ok", "done"), ("3xx", "more", "more input wanted"),
                                  ("4xx", "temp", "temporary failure: retry later"),
                                  ("5xx", "perm", "permanent failure: change something")] {
            let div = t.element(dl, "div")
            t.element(t.element(div, "dt"), "span", class: "code c-\(cls)", text: code)
            t.element(div, "dd", text: text)
        }
        t.element(foot, "p", text: "C = client (the sending side), S = server. “inferred” marks a step that is not in the input but implied by what followed.")
    }

    /// Only when libxml2 cannot be loaded: a minimal page with every text escaped by hand.
    static func fallback(_ sessions: [ExplainedSession], title: String) -> String {
        func esc(_ s: String) -> String {
            var o = ""
            for ch in Sanitizer.terminal(s) {
                switch ch {
                case "&": o += "&amp;"
                case "<": o += "&lt;"
                case ">": o += "&gt;"
                case "\"": o += "&quot;"
                default: o.append(ch)
                }
            }
            return o
        }
        var o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(esc(title))</title></head><body>"
        o += "<h1>\(esc(title))</h1><p>libxml2 is not available: plain report.</p>"
        for x in sessions {
            o += "<h2>\(esc(x.session.outcome.rawValue.uppercased())) \(esc(x.session.input))</h2><p>\(esc(x.summary))</p><pre>"
            o += esc(TextRenderer().render(x, number: 1, of: 1)) + "</pre>"
        }
        return o + "</body></html>\n"
    }

    // MARK: - Time

    static func duration(_ s: Session) -> String? {
        guard let a = s.start?.time, let b = s.end?.time, b >= a else { return nil }
        return seconds(b - a)
    }

    static func seconds(_ d: Double) -> String {
        let ms = Int(saturating: (d * 1000).rounded())
        if ms < 1000 { return "\(ms) ms" }
        let whole = ms / 1000, frac = (ms % 1000) / 10
        return "\(whole).\(frac < 10 ? "0" : "")\(frac) s"
    }

    static func offset(_ d: Double) -> String { "+" + seconds(max(0, d)) }

    /// `2026-11-29 05:41:07.123Z`, without Foundation formatters.
    static func utc(_ t: Double) -> String {
        var secs = time_t(Int(saturating: t.rounded(.down)))
        var tmv = tm()
        gmtime_r(&secs, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(saturating: ((t - t.rounded(.down)) * 1000).rounded()) % 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(tmv.tm_year + 1900)-\(two(tmv.tm_mon + 1))-\(two(tmv.tm_mday)) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)).\(msText)Z"
    }

    // MARK: - Style

    /// Light and dark friendly, readable printed (no backgrounds needed) and on a phone (the conversation
    /// table turns into stacked cards below 700px).
    static let css = """
    :root{--fg:#1b1f23;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da}
    *{box-sizing:border-box}
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px}
    h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.2em 0 .4em}h3{font-size:1.05em;margin:1.2em 0 .4em;border-bottom:1px solid var(--line)}
    h4{margin:0 0 .3em;font-size:1em}h5{margin:.6em 0 .2em;font-size:.9em;color:var(--muted)}
    code,.conversation td.client,.conversation td.server,.conversation td.other{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
    .meta,.note,.finding-meta,.reference,.detail,.at,.empty{color:var(--muted)}
    .badge{display:inline-block;padding:.1em .55em;border-radius:1em;font-weight:700;font-size:.8em;letter-spacing:.04em;color:#fff;background:var(--muted);border:1px solid transparent}
    .badge.o-delivered{background:var(--ok)}.badge.o-deferred,.badge.o-incomplete{background:var(--warn)}
    .badge.o-rejected,.badge.o-disconnected,.badge.o-unreachable{background:var(--bad)}
    .index ol{padding-left:1.4em}.index li{margin:.25em 0}.index a{color:inherit;text-decoration:none}.index a:hover .why{text-decoration:underline}
    .index .where{font-family:ui-monospace,monospace;font-size:.85em;color:var(--muted)}
    .session{border-top:3px solid var(--line);margin-top:1.5em}
    .verdict{border-left:6px solid var(--muted);background:var(--soft);padding:.6em 1em;margin:.5em 0}
    .verdict.o-delivered{border-color:var(--ok)}.verdict.o-deferred,.verdict.o-incomplete{border-color:var(--warn)}
    .verdict.o-rejected,.verdict.o-disconnected,.verdict.o-unreachable{border-color:var(--bad)}
    .verdict .badge{font-size:1em}.verdict .summary{font-size:1.1em;font-weight:600;margin:.3em 0}
    .verdict-line{margin:.2em 0}
    dl.facts,dl.identity{display:flex;flex-wrap:wrap;gap:.2em 1.5em;margin:.3em 0}
    dl.facts div,dl.identity div{display:flex;gap:.4em}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
    .conv-wrap{overflow-x:auto}
    table{border-collapse:collapse;width:100%}
    th,td{border-bottom:1px solid var(--line);padding:.15em .45em;vertical-align:top;text-align:left}
    thead th{background:var(--soft);font-size:.85em}
    .conversation td.client,.conversation td.server,.conversation td.other{white-space:pre-wrap;overflow-wrap:anywhere}
    .conversation td.client{color:#0550ae;width:30%}.conversation td.server{color:#116329;width:30%}
    .conversation td.other{color:var(--muted)}
    .conversation tr.r-error td.other{color:var(--bad)}.conversation tr.r-gap td{color:var(--warn)}
    .conversation td.num,.conversation td.time{color:var(--muted);font-size:.8em;white-space:nowrap;text-align:right;width:1%}
    .conversation td.meaning{width:30%;font-size:.9em}.conversation td.meaning p{margin:0 0 .15em}
    .conversation tr.inferred td.client,.conversation tr.inferred td.server{font-style:italic;opacity:.8}
    .code{font-family:ui-monospace,monospace;font-weight:700;padding:0 .25em;border-radius:3px}
    .c-ok{color:var(--ok)}.c-more{color:var(--info)}.c-temp{color:var(--warn)}.c-perm{color:var(--bad)}
    .reply-meaning.c-ok,.reply-meaning.c-more{color:var(--muted)}
    .enhanced{color:var(--muted);font-size:.9em}
    .sev{display:inline-block;font-size:.75em;font-weight:700;text-transform:uppercase;padding:0 .4em;border-radius:3px;color:#fff;text-decoration:none}
    .sev-error.sev{background:var(--bad)}.sev-warning.sev{background:var(--warn)}.sev-info.sev{background:var(--info)}
    .finding{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:4px;padding:.5em .8em;margin:.6em 0;break-inside:avoid}
    .finding.sev-error{border-left-color:var(--bad)}.finding.sev-warning{border-left-color:var(--warn)}
    .finding p{margin:.3em 0}.evidence{margin:.2em 0;padding-left:1.2em}.evidence code{overflow-wrap:anywhere}
    .actions{margin:.2em 0;padding-left:1.4em}
    ul.plain{list-style:none;margin:0;padding:0}.rcpt-refused{color:var(--bad)}
    .transactions td{font-size:.9em;overflow-wrap:anywhere}
    .legend{margin-top:2em;border-top:1px solid var(--line);font-size:.9em}
    .legend dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.3em 1em}
    .legend dl div{display:flex;gap:.5em;align-items:baseline}
    .errors{border-left:6px solid var(--bad);padding-left:1em}
    @media (max-width:700px){
      body{padding:8px;font-size:14px}
      .conversation thead{display:none}
      .conversation,.conversation tbody{display:block}
      .conversation tr{display:flex;flex-wrap:wrap;align-items:baseline;border-bottom:1px solid var(--line);padding:.2em 0}
      .conversation td{display:block;border:0;padding:.05em .3em;width:auto!important}
      .conversation td:empty{display:none}
      .conversation td.client,.conversation td.server,.conversation td.other{flex:1 1 0;min-width:0}
      .conversation td[data-side]::before{content:attr(data-side) " ";color:var(--muted);font-weight:700}
      .conversation td.meaning{flex:1 1 100%;padding-left:2.6em}
    }
    @media print{
      body{max-width:none;padding:0;font-size:10.5pt}
      .index a{color:inherit}
      .badge,.sev{color:#000!important;background:none!important;border:1px solid #000}
      .verdict{background:none}
      .session{break-before:page}.session:first-of-type{break-before:auto}
      tr,.finding{break-inside:avoid}
      .conv-wrap{overflow:visible}
    }
    @media (prefers-color-scheme:dark){
      :root{--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--bg:#0d1117;--soft:#161b22;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff}
      .conversation td.client{color:#79c0ff}.conversation td.server{color:#7ee787}
      .badge,.sev{color:#0d1117}
    }
    """
}
