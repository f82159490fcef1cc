import TranscriptModel

/// Plain-text report for a terminal: the transcript in order with client/server marked, each reply followed
/// by its meaning and findings, then the verdict and the findings with their next steps.
/// Every piece of input text goes through `Sanitizer.terminal`.
public struct TextRenderer: Sendable {
    public var color: Bool
    /// One line per session: `outcome stage reason client -> server input`.
    public var brief: Bool

    public init(color: Bool = false, brief: Bool = false) {
        self.color = color
        self.brief = brief
    }

    public enum Style: String, Sendable {
        case reset = "0", bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34",
             magenta = "35", cyan = "36"
    }

    public func paint(_ s: String, _ style: Style...) -> String {
        guard color else { return s }
        return "\u{1B}[" + style.map(\.rawValue).joined(separator: ";") + "m" + s + "\u{1B}[0m"
    }

    public func render(_ x: ExplainedSession, number: Int, of total: Int) -> String {
        brief ? briefLine(x) : full(x, number: number, of: total)
    }

    public func briefLine(_ x: ExplainedSession) -> String {
        let s = x.session
        let client = s.client.address ?? s.client.heloName ?? "-"
        let server = s.server.host ?? s.server.address ?? "-"
        let at = s.start?.line.map { ":\($0)" } ?? s.start?.packet.map { "#\($0)" } ?? ""
        let fields = [s.outcome.rawValue, s.failedStage?.rawValue ?? "-", x.primaryReason?.rawValue ?? "-",
                      "\(client) -> \(server)", s.input + at]
        return fields.map { Sanitizer.terminal($0) }.joined(separator: "\t") + "\n"
    }

    private func full(_ x: ExplainedSession, number: Int, of total: Int) -> String {
        let s = x.session
        var out = ""
        let count = total > 0 ? "Session \(number) of \(total)" : "Session \(number)"
        let head = "\(count) · \(Sanitizer.terminal(s.input)) · \(s.format)"
            + (s.formatConfidence < 1 ? " (detected, \(Int((s.formatConfidence * 100).rounded()))% sure)" : "")
        out += paint(head, .bold) + "\n"
        if let d = s.attributes["detection"] { out += paint("  note: \(d)", .yellow) + "\n" }
        out += identity(s)
        out += "\n"

        var placement = MeaningPlacement(s)
        for line in s.lines {
            out += transcriptLine(line, input: s.input)
            if let ex = placement.exchange(after: line) { out += annotations(x, ex) }
        }
        if s.elidedLines > 0 {
            out += paint("        … \(s.elidedLines) more lines not shown (message content or limits)", .dim) + "\n"
        }
        out += "\n" + verdict(x)
        if let h = s.history { out += history(h) }
        if !x.findings.isEmpty {
            out += "\n" + paint("Findings", .bold) + "\n"
            for f in x.findings { out += finding(f) }
        }
        return out
    }

    private func identity(_ s: Session) -> String {
        if let lookup = s.noSMTPLabel { return "  " + Sanitizer.terminal(lookup) + "\n" }
        var parts: [String] = []
        var server = s.server.host ?? s.server.address ?? "unknown server"
        if let a = s.server.address, a != server { server += " [\(a)]" }
        if let p = s.server.port { server += ":\(p)" }
        if let sw = s.server.software { server += " (\(sw))" }
        parts.append("server " + server)
        var client = s.client.heloName.map { "HELO \($0)" } ?? "client"
        if let a = s.client.address { client += " [\(a)]" }
        parts.append(client)
        if let d = s.direction { parts.append(d.rawValue) }
        if s.tlsStarted || s.tls != nil {
            let t = s.tls
            var tls = t?.implicit == true ? "implicit TLS" : "STARTTLS"
            if let v = t?.version { tls += " \(v)" }
            if let c = t?.cipher { tls += " \(c)" }
            parts.append(tls)
        }
        var out = "  " + Sanitizer.terminal(parts.joined(separator: " · ")) + "\n"
        // Captures measure time: show what explains slow or cut sessions.
        let timings: [(String, String)] = [("banner-delay-ms", "banner after"), ("reply-latency-max-ms", "slowest reply"),
                                          ("data-transfer-ms", "DATA transfer"), ("duration-ms", "session")]
        let shown = timings.compactMap { key, label in s.attributes[key].map { "\(label) \($0) ms" } }
        if !shown.isEmpty { out += "  timings: " + Sanitizer.terminal(shown.joined(separator: " · ")) + "\n" }
        return out
    }

    /// The message's story (MTA logs): arrival, each kept attempt, the end.
    private func history(_ h: MessageHistory) -> String {
        var out = "\n" + paint("Message \(Sanitizer.terminal(h.queueID))", .bold) + ": "
            + Sanitizer.terminal(MessageStoryText.headline(h)) + "\n"
        for l in MessageStoryText.lines(h) { out += wrap(Sanitizer.terminal(l), indent: "  ", hanging: "      ") }
        return out
    }

    private func transcriptLine(_ l: TranscriptLine, input: String) -> String {
        var num = l.position.line.map(String.init) ?? l.position.packet.map { "#\($0)" } ?? ""
        // Logs read merged: a line from another file than the session's first says which.
        if l.position.sequence != nil, l.position.input != input { num = Sanitizer.terminal(Self.fileName(l.position.input)) + ":" + num }
        let gutter = String(repeating: " ", count: max(0, 6 - num.count)) + num
        let tag: String
        let style: Style
        switch l.role {
        case .client: tag = "C:"; style = .cyan
        case .server: tag = "S:"; style = .green
        case .content: tag = " |"; style = .dim
        case .tool, .shell, .dns, .tls, .tcp: tag = " *"; style = .dim
        case .error: tag = " !"; style = .red
        case .log: tag = " L"; style = .dim
        case .unparsed: tag = " ?"; style = .dim
        case .gap: tag = " ~"; style = .yellow
        }
        var text = Sanitizer.terminal(l.text)
        if l.inferred { text += "   (inferred: not in the input)" }
        return paint(gutter, .dim) + " " + paint(tag, style) + " " + (l.role == .server || l.role == .client ? text : paint(text, style)) + "\n"
    }

    private func annotations(_ x: ExplainedSession, _ i: Int) -> String {
        guard let e = x.replies[i], let r = x.session.exchanges[i].reply else { return "" }
        var out = ""
        let style: Style = r.isFailure ? (r.code >= 500 ? .red : .yellow) : .dim
        out += "          " + paint("→ \(r.code)\(r.enhanced.map { " " + $0 } ?? ""): \(Sanitizer.terminal(e.summary))", style) + "\n"
        for id in x.markedFindingIDs(forExchange: i) {
            if let f = x.findings.first(where: { $0.id == id }) {
                out += "          " + paint("→ [\(f.severity.rawValue)] \(f.id): \(Sanitizer.terminal(f.title))", severityStyle(f.severity)) + "\n"
            }
        }
        return out
    }

    private func severityStyle(_ s: Severity) -> Style {
        switch s {
        case .error: return .red
        case .warning: return .yellow
        case .info: return .blue
        }
    }

    private func verdict(_ x: ExplainedSession) -> String {
        let s = x.session
        let style: Style = s.outcome == .delivered ? .green : (s.outcome == .deferred || s.outcome == .incomplete ? .yellow : .red)
        var out = paint("Verdict: \(s.outcome.rawValue.uppercased())", .bold, style)
        out += "  stage: \(s.failedStage?.rawValue ?? "none")"
        if let r = x.primaryReason { out += "  reason: \(r.rawValue)" }
        out += "\n  " + Sanitizer.terminal(x.summary) + "\n"
        for (k, t) in s.transactions.enumerated() {
            let rcpts = t.recipients.map { "\($0.address)\($0.accepted == true ? "" : $0.accepted == false ? " (refused)" : " (no reply)")" }
            // No sender at all (RCPT before MAIL, or an address that did not parse) is not the null sender <>.
            let from = t.sender.map { "<\(Sanitizer.terminal($0))>" } ?? "(no sender given)"
            out += "  transaction \(k + 1): from \(from)\(t.senderAccepted == false ? " (refused)" : "") to "
                + Sanitizer.terminal(rcpts.isEmpty ? "(no recipients)" : rcpts.joined(separator: ", "))
                + (t.delivered ? " — accepted" + (t.queueID.map { " as \(Sanitizer.terminal($0))" } ?? "") : "") + "\n"
        }
        return out
    }

    private func finding(_ f: Finding) -> String {
        var out = "  " + paint("[\(f.severity.rawValue)]", severityStyle(f.severity)) + " "
            + paint(f.id, .bold) + " (\(f.reason.rawValue)): " + Sanitizer.terminal(f.title) + "\n"
        out += wrap(Sanitizer.terminal(f.explanation), indent: "      ")
        if let b = f.blocklist {
            out += "      Blocklist: \(Sanitizer.terminal(b.name))" + (b.listedAddress.map { " lists \(Sanitizer.terminal($0))" } ?? "")
                + " — \(Sanitizer.terminal(b.lookupURL))\n"
        }
        for e in f.evidence.prefix(6) {
            out += paint("      \(e.position.label): ", .dim) + Sanitizer.terminal(String(e.text.prefix(200))) + "\n"
        }
        if f.evidence.count > 6 { out += paint("      … \(f.evidence.count - 6) more", .dim) + "\n" }
        if !f.actions.isEmpty {
            out += "      Next steps:\n"
            for a in f.actions { out += wrap("- " + Sanitizer.terminal(a), indent: "        ", hanging: "          ") }
        }
        return out
    }

    /// The last path component.
    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    private func wrap(_ text: String, indent: String, hanging: String? = nil, width: Int = 100) -> String {
        var out = ""
        var line = indent
        var first = true
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let prefix = first ? indent : (hanging ?? indent)
            if line.count + word.count + 1 > width, line.count > prefix.count {
                out += line + "\n"
                line = hanging ?? indent
                first = false
            }
            line += (line.hasSuffix(" ") || line == indent || line == hanging ? "" : " ") + word
        }
        if !line.trimmingCharacters(in: [" "]).isEmpty { out += line + "\n" }
        return out
    }
}

