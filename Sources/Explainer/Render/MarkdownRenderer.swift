import TranscriptModel

/// GitHub-flavoured Markdown for tickets and chat: the verdict line, the transcript in a fenced block with
/// each reply's meaning, then the findings with their next steps. Input text outside code is escaped
/// (`MarkdownRenderer.escape`); the fence is longer than any backtick run inside it.
public enum MarkdownRenderer {
    public static func document(_ sessions: [ExplainedSession], title: String? = nil,
                                errors: [InputError] = []) -> String {
        var out = ""
        if let title { out += "# " + escape(title) + "\n\n" }
        if sessions.count > 1 {
            for (i, x) in sessions.enumerated() {
                out += "\(i + 1). **\(x.session.outcome.rawValue.uppercased())** " + codeSpan(inputLabel(x.session))
                    + " — " + escape(x.summary) + "\n"
            }
            out += "\n"
        }
        for e in errors { out += "> **Could not read:** " + escape(e.description) + "\n\n" }
        for (i, x) in sessions.enumerated() { out += render(x, number: i + 1, of: sessions.count) + "\n" }
        if sessions.isEmpty && errors.isEmpty { out += "No SMTP session found in the input.\n" }
        return out
    }

    /// One session (for streaming: pass `of: 0` when the total is not known).
    public static func render(_ x: ExplainedSession, number: Int = 1, of total: Int = 1) -> String {
        let s = x.session
        var out = ""
        // `of: 0` when streaming (the total is not known yet).
        let head = total > 1 ? "Session \(number) of \(total)" : total == 0 ? "Session \(number)" : "Session"
        out += "### \(head) · " + codeSpan(inputLabel(s)) + " · " + escape(s.format) + "\n\n"
        out += "**\(s.outcome.rawValue.uppercased())**"
        if let st = s.failedStage { out += " at `\(st.rawValue)`" }
        if let r = x.primaryReason { out += " — reason `\(r.rawValue)`" }
        out += ": " + escape(x.summary) + "\n\n"
        out += identity(s)
        if s.attributes["addresses-hidden"] == "true" {
            out += "_Note: the page this came from hid the e-mail addresses._\n\n"
        }
        if let d = s.attributes["detection"] { out += "_Note: " + escape(d) + "_\n\n" }

        if !s.lines.isEmpty {
            var block: [String] = []
            var placement = MeaningPlacement(s)
            for l in s.lines {
                var num = l.position.line.map(String.init) ?? l.position.packet.map { "#\($0)" } ?? ""
                if l.position.sequence != nil, l.position.input != s.input {
                    num = Sanitizer.terminal(TextRenderer.fileName(l.position.input)) + ":" + num
                }
                let gutter = String(repeating: " ", count: max(0, 5 - num.count)) + num
                var text = Sanitizer.terminal(l.text)
                if l.inferred { text += "   (inferred)" }
                block.append("\(gutter) \(tag(l.role)) \(text)")
                if let ex = placement.exchange(after: l), let r = s.exchanges[ex].reply, let e = x.replies[ex] {
                    block.append("        → \(r.code)\(r.enhanced.map { " " + $0 } ?? ""): " + Sanitizer.terminal(e.summary))
                    for id in x.markedFindingIDs(forExchange: ex) {
                        if let f = x.findings.first(where: { $0.id == id }) {
                            block.append("        → [\(f.severity.rawValue)] \(f.id): " + Sanitizer.terminal(f.title))
                        }
                    }
                }
            }
            if s.elidedLines > 0 { block.append("        … \(s.elidedLines) more lines not shown") }
            out += fenced(block, info: "text")
        }

        if let h = s.history {
            out += "\n**Message " + codeSpan(h.queueID) + "**: " + escape(MessageStoryText.headline(h)) + "\n\n"
            for l in MessageStoryText.lines(h) { out += "- " + escape(l) + "\n" }
        }

        if !x.findings.isEmpty {
            out += "\n**Findings**\n\n"
            for f in x.findings {
                out += "- **\(f.severity.rawValue)** `\(f.id)` (\(f.reason.rawValue)): " + escape(f.title) + "  \n"
                out += "  " + escape(f.explanation) + "\n"
                if let b = f.blocklist {
                    out += "  - Blocklist: " + escape(b.name) + (b.listedAddress.map { " lists " + codeSpan($0) } ?? "")
                        + " — " + escape(b.lookupURL) + "\n"
                }
                for e in f.evidence.prefix(4) {
                    out += "  - " + escape(e.position.label) + ": " + codeSpan(String(e.text.prefix(200))) + "\n"
                }
                if f.evidence.count > 4 { out += "  - … \(f.evidence.count - 4) more\n" }
                if !f.actions.isEmpty {
                    out += "  - Next steps:\n"
                    for a in f.actions { out += "    - " + escape(a) + "\n" }
                }
            }
        }
        return out
    }

    static func inputLabel(_ s: Session) -> String {
        s.input + (s.start?.line.map { ":\($0)" } ?? s.start?.packet.map { "#\($0)" } ?? "")
    }

    static func identity(_ s: Session) -> String {
        if let lookup = s.noSMTPLabel { return escape(lookup) + "\n\n" }
        var server = s.server.host ?? s.server.address ?? "unknown"
        if let a = s.server.address, a != server { server += " [\(a)]" }
        if let p = s.server.port { server += ":\(p)" }
        if let sw = s.server.software { server += " (\(sw))" }
        var client = s.client.heloName.map { "HELO \($0)" } ?? "client"
        if let a = s.client.address { client += " [\(a)]" }
        var parts = ["Server: " + escape(server), "Client: " + escape(client)]
        if s.tlsStarted || s.tls != nil {
            parts.append(s.tls?.implicit == true ? "implicit TLS" : "STARTTLS"
                         + (s.tls?.version.map { " " + escape($0) } ?? ""))
        }
        return parts.joined(separator: " · ") + "\n\n"
    }

    static func tag(_ r: TranscriptLine.Role) -> String {
        switch r {
        case .client: return "C:"
        case .server: return "S:"
        case .content: return " |"
        case .error: return " !"
        case .log: return " L"
        case .unparsed: return " ?"
        case .gap: return " ~"
        default: return " *"
        }
    }

    /// A fenced code block whose fence is longer than any backtick run in the lines, so nothing inside can
    /// close it.
    public static func fenced(_ lines: [String], info: String = "") -> String {
        var longest = 0
        for l in lines { longest = max(longest, longestRun(of: "`", in: l)) }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + info + "\n" + lines.joined(separator: "\n") + "\n" + fence + "\n"
    }

    /// An inline code span: delimited by more backticks than the text holds, padded when the text starts or
    /// ends with a backtick (CommonMark strips one space each side).
    public static func codeSpan(_ text: String) -> String {
        let t = Sanitizer.terminal(text).replacingOccurrences(of: "\n", with: " ")
        if t.isEmpty { return "` `" }
        let ticks = String(repeating: "`", count: longestRun(of: "`", in: t) + 1)
        let pad = t.hasPrefix("`") || t.hasSuffix("`") || (t.hasPrefix(" ") && t.hasSuffix(" ")) ? " " : ""
        return ticks + pad + t + pad + ticks
    }

    static func longestRun(of c: Character, in s: String) -> Int {
        var best = 0, run = 0
        for ch in s {
            if ch == c { run += 1; best = max(best, run) } else { run = 0 }
        }
        return best
    }

    /// Escapes text for use outside code: every character Markdown (and the HTML GitHub lets through) could
    /// read as syntax gets a backslash; control characters are shown escaped; line breaks become spaces.
    public static func escape(_ text: String) -> String {
        let s = Sanitizer.terminal(text)
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for ch in s {
            switch ch {
            // `(`, `)`, `!` only matter after `]`, which is escaped; `-`, `+`, `=` only at the start of a line.
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#", "|", "~", "&":
                out.append("\\")
                out.append(ch)
            default:
                out.append(ch)
            }
        }
        // A line starting with `-`, `+`, `=` or `1.` would be a list or a heading underline; only the start
        // matters, since text is never split across lines.
        if let first = out.first, first == "-" || first == "+" || first == "=" { out.insert("\\", at: out.startIndex) }
        if let first = out.first, first.isNumber, let dot = out.firstIndex(where: { !$0.isNumber }),
           out[dot] == "." || out[dot] == ")" {
            out.insert("\\", at: dot)
        }
        return out
    }
}
