import ArgumentParser
import Explainer
import TranscriptModel

/// `smtpexplain [FILE ...]`: read inputs, rebuild sessions, explain them.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the SMTP sessions in transcripts, logs or captures (the default command)."
    )

    @Argument(help: "Input files; '-' or none for standard input.")
    var files: [String] = []

    @Option(name: .long, help: "Output format: text, json or jsonl (one session per line).")
    var format: OutputFormat = .text

    @Option(name: .customLong("input-format"), help: ArgumentHelp(
        "Skip detection and read inputs as this format.",
        discussion: "Known: \(FormatDetector.formatIDs.joined(separator: ", "))."))
    var inputFormat: String?

    @Option(name: .long, help: "Colour: auto (terminal, honours NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    @Option(name: .long, help: "What to hide: credentials (AUTH payloads, the default) or none.")
    var redact: RedactChoice = .credentials

    @Option(name: .long, help: "YAML file of your own reply rules (tried before the built-in ones).")
    var rules: String?

    @Flag(name: .long, help: "One line per session: outcome, stage, reason, client -> server, input.")
    var brief = false

    @Flag(name: .customLong("fail-on-problems"), help: "Exit with 1 when a session did not deliver.")
    var failOnProblems = false

    @Flag(name: .shortAndLong, help: "Also print reading statistics to standard error.")
    var verbose = false

    func validate() throws {
        if let f = inputFormat, !FormatDetector.formatIDs.contains(f) {
            throw ValidationError("unknown --input-format '\(f)' (known: \(FormatDetector.formatIDs.joined(separator: ", ")))")
        }
    }

    func run() throws {
        let inputs = files.isEmpty ? ["-"] : files
        let explainer = try makeExplainer(rulesFile: rules)
        let text = TextRenderer(color: color.enabled(), brief: brief)
        var out = Output()
        var errors: [InputError] = []
        var count = 0
        var problems = false

        if format == .json { out.write("{\"version\":\(JSONRenderer.version),\"sessions\":[") }
        for input in inputs {
            do {
                let info = try SessionBuilder.$redactByDefault.withValue(redact == .credentials) {
                    try InputDriver.read(path: input, options: InputOptions(forcedFormat: inputFormat)) { session in
                        let x = explainer.explain(session)
                        count += 1
                        if x.session.outcome != .delivered { problems = true }
                        switch format {
                        case .text:
                            out.write((count > 1 && !brief ? "\n" : "") + text.render(x, number: count, of: 0))
                        case .json:
                            out.write((count > 1 ? "," : "") + JSONRenderer.line(x))
                        case .jsonl:
                            out.write(JSONRenderer.line(x) + "\n")
                        }
                    }
                }
                if verbose {
                    warn("\(input): \(info.format) (\(Int(info.confidence * 100))% sure), \(info.lines) lines, \(info.bytes) bytes"
                         + (info.cutLines > 0 ? ", \(info.cutLines) over-long lines cut" : ""))
                }
                if info.fallback {
                    warn("smtpexplain: \(input): no known format recognised; read as an unmarked paste")
                }
            } catch let e as InputError {
                errors.append(e)
                out.flush()
                warn("smtpexplain: \(e.description)")
            }
        }
        if format == .json {
            var w = JSONWriter()
            w.beginArray()
            for e in errors { JSONRenderer.write(e, into: &w) }
            w.endArray()
            out.write("],\"errors\":" + w.output + "}\n")
        } else if format == .text && count == 0 && errors.isEmpty {
            out.write("No SMTP session found in the input.\n")
        }
        out.flush()
        if !errors.isEmpty { throw ExitCode(2) }
        if failOnProblems && problems { throw ExitCode(1) }
    }
}
