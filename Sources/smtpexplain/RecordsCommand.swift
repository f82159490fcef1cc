import ArgumentParser
import Explainer
import Probe
import TranscriptModel

/// `smtpexplain records DOMAIN`: the domain's mail records looked up live and checked, as a pasted `dig` is.
struct RecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Look up a domain's mail records live (MX, SPF, DMARC, MTA-STS, TLS-RPT, DKIM keys, TLSA) and check them.",
        discussion: """
        The same checks as for pasted dig / nslookup output: more than one SPF
        record, SPF syntax and lookup count, +all, DMARC policy and reports, a
        revoked or short DKIM key, MTA-STS and TLS-RPT records, and what is
        missing; each MX host must resolve, and its DANE (TLSA) records are
        checked. A published MTA-STS record has its policy fetched over HTTPS
        (as senders do) and held to the MX hosts. No mail server is contacted.

        Examples:
          smtpexplain records example.com
          smtpexplain records example.com --selector google --selector s1
          smtpexplain records example.com --dns-server 1.1.1.1 --format json

        Exit codes: 0 checked; 1 with --fail-on-problems when an error was found;
        2 usage.
        """
    )

    @Argument(help: "The domain whose records to check (the part after @ of the sender's address).")
    var domain: String

    @Option(name: .long, help: "A DKIM selector to look up (s= of the DKIM-Signature); repeatable.")
    var selector: [String] = []

    @Option(name: .customLong("dns-server"), help: "Ask this DNS server (IP[:PORT]) instead of the first nameserver in /etc/resolv.conf.")
    var dnsServer: String?

    @Option(name: .long, help: "Seconds to wait for each DNS answer.")
    var timeout: Double = 5

    @Option(name: .long, help: "Output format: text, json, jsonl, markdown or html.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Colour: auto (terminal, honours NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    @Flag(name: .customLong("fail-on-problems"), help: "Exit with 1 when an error was found.")
    var failOnProblems = false

    func validate() throws {
        let d = domain.hasSuffix(".") ? String(domain.dropLast()) : domain
        let labels = d.split(separator: ".", omittingEmptySubsequences: false)
        if d.contains("@") || labels.count < 2 || labels.contains(where: { $0.isEmpty || $0.count > 63 })
            || !d.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }) || d.count > 253 {
            throw ValidationError("'\(domain)' is not a domain name (give the part after the @)")
        }
        for s in selector where s.isEmpty || s.count > 63 || !s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) {
            throw ValidationError("'\(s)' is not a DKIM selector")
        }
        if let d = dnsServer, Endpoint.parse(d, defaultPort: 53) == nil {
            throw ValidationError("--dns-server wants an IP address with an optional port (IP, IP:PORT, [IPv6]:PORT), not '\(d)'")
        }
        if !(timeout > 0 && timeout <= 60) { throw ValidationError("--timeout must be between 0 and 60 seconds") }
    }

    func run() throws {
        var check = RecordCheck(domain: domain)
        check.selectors = selector
        if let d = dnsServer, let e = Endpoint.parse(d, defaultPort: 53) { check.dnsServer = e }
        check.timeout = timeout
        let x = Explainer().explain(check.run())
        var out = Output()
        switch format {
        case .text: out.write(TextRenderer(color: color.enabled(), brief: false).render(x, number: 1, of: 1))
        case .json: out.write("{\"version\":\(JSONRenderer.version),\"sessions\":[" + JSONRenderer.line(x) + "],\"errors\":[]}\n")
        case .jsonl: out.write(JSONRenderer.line(x) + "\n")
        case .markdown: out.write(MarkdownRenderer.render(x, number: 1, of: 1))
        case .html: out.write(HTMLRenderer.document([x], title: "smtpexplain records \(x.session.attributes["records-target"] ?? "")"))
        }
        out.flush()
        if failOnProblems && x.findings.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
