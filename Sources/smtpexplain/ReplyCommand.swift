import ArgumentParser
import Explainer
import TranscriptModel

/// `smtpexplain reply TEXT...`: explain one reply without a session; with no TEXT, one reply per stdin line.
struct ReplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reply",
        abstract: "Explain one server reply, or classify a list of bounce texts (one per line on standard input).",
        discussion: """
        Examples:
          smtpexplain reply '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown'
          smtpexplain reply --command RCPT 550 No such user here
          smtpexplain reply 'host mx.example.com[192.0.2.1] said: 554 5.7.1 Relay access denied (in reply to RCPT TO command)'
          cut -f6 bounces.tsv | smtpexplain reply --format jsonl
        """
    )

    @Option(name: .long, help: "The command the reply answered (MAIL, RCPT, DATA, ...), when the text does not say.")
    var command: String?

    @Option(name: .long, help: "Output format: text, json or jsonl.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Colour: auto, always or never.")
    var color: ColorChoice = .auto

    @Option(name: .long, help: "YAML file of your own reply rules (tried before the knowledge base).")
    var rules: String?

    @Argument(parsing: .captureForPassthrough, help: "Reply text (several words or pasted lines of one reply).")
    var text: [String] = []

    func run() throws {
        let explainer = try makeExplainer(rulesFile: rules)
        var out = Output()
        var queries: [ReplyQuery] = []
        if text.isEmpty || text == ["-"] {
            while let line = readLine(strippingNewline: true) {
                let t = line.trimmingCharacters(in: [" ", "\t", "\r"])
                if t.isEmpty { continue }
                queries.append(query(t))
                if format == .jsonl { emit(queries.removeLast(), explainer, into: &out) }
            }
        } else {
            var words = text
            if words.first == "--" { words.removeFirst() }
            queries.append(query(words.joined(separator: " ")))
        }
        switch format {
        case .json:
            var w = JSONWriter()
            w.beginObject()
            w.key("replies")
            w.beginArray()
            for q in queries { write(q, explainer.classify(q), into: &w) }
            w.endArray()
            w.endObject()
            out.write(w.output + "\n")
        case .jsonl:
            for q in queries { emit(q, explainer, into: &out) }
        case .text, .markdown, .html:
            let color = self.color.enabled()
            for q in queries { out.write(render(q, explainer.classify(q), color: color)) }
        }
        out.flush()
    }

    private func query(_ t: String) -> ReplyQuery {
        var q = ReplyQuery.parse(t)
        if let c = command { q.command = c.uppercased() }
        return q
    }

    private func emit(_ q: ReplyQuery, _ explainer: Explainer, into out: inout Output) {
        var w = JSONWriter()
        write(q, explainer.classify(q), into: &w)
        out.write(w.output + "\n")
    }

    private func write(_ q: ReplyQuery, _ c: ReplyClassification, into w: inout JSONWriter) {
        w.beginObject()
        w.field("code", q.code)
        w.field("enhanced", q.enhanced)
        w.field("command", q.command)
        w.field("text", q.text)
        w.field("reason", c.reason.rawValue)
        w.field("peerReason", c.reason.peerReason.rawValue)
        w.field("severity", c.severity.rawValue)
        w.field("rule", c.ruleID)
        w.field("title", c.title)
        w.field("explanation", c.explanation)
        w.field("actions", strings: c.actions)
        w.field("provider", c.provider)
        w.key("blocklist")
        JSONRenderer.write(c.blocklist, into: &w)
        w.key("findings")
        w.beginArray()
        w.beginObject()
        w.field("id", c.ruleID)
        w.field("severity", c.severity.rawValue)
        w.field("reason", c.reason.rawValue)
        w.field("title", c.title)
        w.endObject()
        w.endArray()
        w.endObject()
    }

    private func render(_ q: ReplyQuery, _ c: ReplyClassification, color: Bool) -> String {
        let r = TextRenderer(color: color)
        var out = r.paint("\(q.code.map(String.init) ?? "---")\(q.enhanced.map { " " + $0 } ?? "")", .bold)
            + (q.command.map { " (reply to \($0))" } ?? "") + "\n"
        out += "  " + r.paint("[\(c.severity.rawValue)] \(c.reason.rawValue): ", .bold) + Sanitizer.terminal(c.title) + "\n"
        if let code = q.code {
            out += "  Code: " + ReplyKnowledge.codeMeaning(code, command: q.command) + "\n"
        }
        if let e = q.enhanced, let m = ReplyKnowledge.enhancedMeaning(e) { out += "  \(e): \(m)\n" }
        out += "  " + Sanitizer.terminal(c.explanation) + "\n"
        if let b = c.blocklist {
            out += "  Blocklist: \(b.name)" + (b.listedAddress.map { " lists \($0)" } ?? "") + " — \(b.lookupURL)\n"
        }
        if !c.actions.isEmpty {
            out += "  Next steps:\n"
            for a in c.actions { out += "    - " + Sanitizer.terminal(a) + "\n" }
        }
        return out
    }
}
