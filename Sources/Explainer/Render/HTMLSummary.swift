import TranscriptModel

extension HTMLRenderer {
    /// `smtpexplain summary --format html`: the triage tables as one self-contained page (same style sheet
    /// and guarantees as the session report: libxml2 tree, no scripts).
    public static func summary(_ s: TriageSummary, title: String = "smtpexplain summary") -> String {
        guard let t = HTMLTree() else { return "<!DOCTYPE html>\n<p>libxml2 is not available.</p>\n" }
        t.set(t.root, "lang", "en")
        let head = t.element(t.root, "head")
        t.element(head, "meta", [("charset", "utf-8")])
        t.element(head, "meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")])
        t.element(head, "title", text: title)
        t.constantText(t.element(head, "style"), css + summaryCSS)
        let body = t.element(t.root, "body")
        let header = t.element(body, "div", class: "report-head", [("role", "banner")])
        t.element(header, "h1", text: title)
        var meta = "\(s.sessions) session\(s.sessions == 1 ? "" : "s")"
        if let f = s.first, let l = s.last { meta += " · \(utc(f)) – \(utc(l))" }
        t.element(header, "p", class: "meta", text: meta)

        let main = t.element(body, "div", class: "main summary", [("role", "main")])
        func pct(_ n: Int) -> String {
            s.sessions > 0 ? "\(Int((Double(n) * 100 / Double(s.sessions)).rounded()))%" : ""
        }
        func table(_ heading: String, _ label: String, _ rows: [(key: String, count: Int, badge: Outcome?)],
                   percent: Bool = false) {
            guard !rows.isEmpty else { return }
            let box = t.element(main, "div", class: "summary-box")
            t.element(box, "h2", text: heading)
            let tb = t.element(box, "table", class: "summary-table")
            let hr = t.element(t.element(tb, "thead"), "tr")
            t.element(hr, "th", [("scope", "col")], text: label)
            t.element(hr, "th", class: "n", [("scope", "col")], text: "Sessions")
            if percent { t.element(hr, "th", class: "n", [("scope", "col")], text: "Share") }
            let body = t.element(tb, "tbody")
            let most = max(1, rows.map(\.count).max() ?? 1)
            for r in rows {
                let tr = t.element(body, "tr")
                let td = t.element(tr, "td")
                if let o = r.badge { badge(t, td, o) } else { t.text(td, r.key) }
                let n = t.element(tr, "td", class: "n")
                t.text(n, String(r.count))
                // A bar drawn with CSS width only: no script, prints as a plain number.
                t.element(n, "span", class: "bar", [("style", "width:\(max(2, r.count * 100 / most))%")])
                if percent { t.element(tr, "td", class: "n", text: pct(r.count)) }
            }
        }
        table("Outcome", "Outcome", Outcome.allCases.compactMap { o in
            s.outcomes[o].map { (o.rawValue, $0, o) }
        }, percent: true)
        table("Failed at stage", "Stage", Stage.allCases.compactMap { st in s.failedStages[st].map { (st.rawValue, $0, nil) } })
        table("Reasons", "Reason", s.topReasons.map { ($0.value, $0.count, nil) })
        table("Top refusing replies", "Reply", s.topReplies.map { ($0.value, $0.count, nil) })
        table("DMARC reports: messages by disposition", "Disposition", s.dmarcByDisposition.map { ($0.value, $0.count, nil) })
        table("Sources failing DMARC (messages)", "Source", s.topDMARCFailingSources.map { ($0.value, $0.count, nil) })
        table("TLS reports: failed sessions by result and MX", "Failure", s.topTLSFailures.map { ($0.value, $0.count, nil) })
        table("Feedback reports by type", "Type", s.feedbackByType.map { ($0.value, $0.count, nil) })
        table("Messages complained about (subject)", "Subject", s.topFeedbackSubjects.map { ($0.value, $0.count, nil) })
        table("Sending addresses complained about", "Source", s.topFeedbackSources.map { ($0.value, $0.count, nil) })
        table("Top clients / remote servers", "Peer", s.topClients.map { ($0.value, $0.count, nil) })
        table("Top senders", "Sender", s.topSenders.map { ($0.value, $0.count, nil) })
        table("Top recipient domains", "Domain", s.topRecipientDomains.map { ($0.value, $0.count, nil) })
        table("Direction", "Direction", s.directions.sorted { $0.key < $1.key }.map { ($0.key, $0.value, nil) })
        table("Input formats", "Format", s.formats.sorted { $0.value > $1.value }.map { ($0.key, $0.value, nil) })
        if s.sessions == 0 { t.element(main, "p", class: "empty", text: "No SMTP session found in the input.") }
        legend(t, body)
        return t.serialise()
    }

    static let summaryCSS = """

    .summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:0 1.5em}
    .summary-box h2{font-size:1.05em;border-bottom:1px solid var(--line)}
    .summary-table td{overflow-wrap:anywhere;font-size:.9em}
    .summary-table .n{text-align:right;white-space:nowrap;width:1%;position:relative}
    .summary-table .bar{display:block;height:3px;background:var(--info);margin-left:auto;opacity:.6}
    @media print{.summary-table .bar{display:none}}
    """
}
