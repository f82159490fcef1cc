import ArgumentParser
import Explainer
import TranscriptModel

/// `smtpexplain [FILE ...]`: read inputs, rebuild sessions, explain them.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the SMTP sessions in transcripts, logs or captures (the default command)."
    )

    @OptionGroup var inputs: InputArguments

    @Option(name: .long, help: "Output format: text, json, jsonl (one session per line), html (one self-contained page) or markdown.")
    var format: OutputFormat = .text

    @Option(name: [.customShort("o"), .long], help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Colour: auto (terminal, honours NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    @Flag(name: .long, help: "One line per session: outcome, stage, reason, client -> server, input.")
    var brief = false

    @Flag(name: .customLong("fail-on-problems"), help: "Exit with 1 when a session did not deliver (also when a filter discarded or held an accepted message).")
    var failOnProblems = false

    func run() throws {
        let text = TextRenderer(color: color.enabled(), brief: brief)
        var out = try Output(path: output)
        var count = 0
        var problems = false
        // HTML is one document with an index, so it needs every session first.
        var collected: [ExplainedSession] = []

        if format == .json { out.write("{\"version\":\(JSONRenderer.version),\"sessions\":[") }
        let format = format, brief = brief
        // Rendering runs beside the reader (see InputArguments.forEachSession); HTML needs every session.
        // JSON and the one-line brief text print no transcript lines, so they are not built.
        let transcript = !(format == .json || format == .jsonl || (format == .text && brief))
        let errors = try inputs.forEachSession(transcript: transcript, transform: { x, n -> Rendered in
            // Accepted, then thrown away or held by a filter: not delivered, whatever SMTP said.
            let delivered = x.session.outcome == .delivered && !x.findings.contains { $0.id == "accepted-then-filtered" }
            switch format {
            case .text:
                return Rendered(delivered: delivered, bytes: Array(((n > 1 && !brief ? "\n" : "") + text.render(x, number: n, of: 0)).utf8))
            case .json:
                return Rendered(delivered: delivered, bytes: (n > 1 ? [0x2C] : []) + JSONRenderer.lineBytes(x))
            case .jsonl:
                return Rendered(delivered: delivered, bytes: JSONRenderer.lineBytes(x) + [0x0A])
            case .markdown:
                return Rendered(delivered: delivered, bytes: Array(((n > 1 ? "\n" : "") + MarkdownRenderer.render(x, number: n, of: 0)).utf8))
            case .html:
                return Rendered(delivered: delivered, bytes: [], session: x)
            }
        }) { r in
            count += 1
            if !r.delivered { problems = true }
            if let x = r.session { collected.append(x) } else { out.write(bytes: r.bytes) }
            // Following a live log: show each session as soon as it closes.
            if inputs.follow { out.flush() }
        }
        if format == .json {
            var w = JSONWriter()
            w.beginArray()
            for e in errors { JSONRenderer.write(e, into: &w) }
            w.endArray()
            out.write("],\"errors\":" + w.output + "}\n")
        } else if format == .html {
            let title = inputs.files.count == 1 ? "smtpexplain: \(inputs.files[0])" : "smtpexplain report"
            out.write(HTMLRenderer.document(collected, title: title, errors: errors))
        } else if format == .text && !brief && count == 0 && errors.isEmpty {
            out.write("No SMTP session found in the input.\n")
        }
        out.flush()
        if !errors.isEmpty { throw ExitCode(2) }
        if failOnProblems && problems { throw ExitCode(1) }
    }
}

/// One session, rendered off the main thread.
private struct Rendered: Sendable {
    var delivered: Bool
    var bytes: [UInt8]
    var session: ExplainedSession? = nil
}
