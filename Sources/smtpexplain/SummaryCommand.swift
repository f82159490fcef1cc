import ArgumentParser
import Explainer
import TranscriptModel

/// `smtpexplain summary FILE...`: the triage view over any inputs.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Count sessions by outcome, failed stage and reason, with top clients, senders, recipient domains and remote replies.",
        discussion: """
        Examples:
          smtpexplain summary /var/log/mail.log
          smtpexplain summary --since -1d --only-failures /var/log/mail.log /var/log/mail.log.1.gz
          smtpexplain summary --format json capture.pcap
        """
    )

    @OptionGroup var inputs: InputArguments

    @Option(name: .long, help: "Output format: text, json or html.")
    var format: OutputFormat = .text

    @Option(name: [.customShort("o"), .long], help: "Write the summary to this file instead of standard output.")
    var output: String?

    @Option(name: .long, help: "How many entries each top list shows.")
    var top: Int = 10

    func run() throws {
        var summary = TriageSummary(top: max(1, top))
        // Counts only: no transcript lines are printed, so none are built.
        let errors = try inputs.forEachSession(transcript: false) { x in
            summary.add(x.session, reasons: x.findings.filter { $0.severity != .info }.map(\.reason.rawValue))
        }
        var out = try Output(path: output)
        switch format {
        case .text, .markdown: out.write(summary.text())
        case .json, .jsonl: out.write(summary.json() + "\n")
        case .html: out.write(HTMLRenderer.summary(summary))
        }
        out.flush()
        if !errors.isEmpty { throw ExitCode(2) }
    }
}
