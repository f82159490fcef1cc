import ArgumentParser
import Explainer
import Probe
import TranscriptModel
#if canImport(Glibc)
import Glibc
#endif

/// `smtpexplain probe ADDRESS|DOMAIN`: the step-by-step check run live, explained by the same engine.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check live whether a mail server would accept mail for an address: MX lookup, connect, EHLO, MAIL FROM, RCPT TO, QUIT.",
        discussion: """
        DATA is never sent unless --send-test-message is given. Each connection
        attempt is explained like a pasted transcript; the last line says which
        step failed and why. The MX's TLS is held to the recipient domain's
        MTA-STS policy and to the MX host's DANE (TLSA) records when published.

        Examples:
          smtpexplain probe bob@example.com
          smtpexplain probe example.com --server mx2.example.com:25
          smtpexplain probe bob@example.com --dns-server 1.1.1.1
          smtpexplain probe bob@example.com --save-transcript probe.txt

        Exit codes: 0 probed (whatever the verdict); 1 with --fail-on-problems
        when the recipient was not accepted; 2 usage.
        """
    )

    @Argument(help: "A recipient address (user@domain) or a domain (its postmaster is tried).")
    var target: String

    @Option(name: .long, help: "Envelope sender for MAIL FROM (default: the null sender <>).")
    var from: String = ""

    @Option(name: .long, help: "Connect to HOST[:PORT] instead of the domain's MX hosts.")
    var server: String?

    @Option(name: .long, help: "SMTP port of the MX hosts.")
    var port: UInt16 = 25

    @Option(name: .long, help: "Name to announce in EHLO/HELO (default: this machine's host name).")
    var helo: String?

    @Option(name: .customLong("dns-server"), help: "Ask this DNS server (IP[:PORT]) instead of the first nameserver in /etc/resolv.conf.")
    var dnsServer: String?

    @Option(name: .long, help: "Seconds to wait for each connection, reply and DNS answer.")
    var timeout: Double = 10

    @Flag(name: .customLong("no-tls"), help: "Do not use STARTTLS even when offered.")
    var noTLS = false

    @Option(name: .customLong("auth-user"), help: "Authenticate as this user (password from SMTPEXPLAIN_PASSWORD or a prompt, never a flag).")
    var authUser: String?

    @Flag(name: .customLong("send-test-message"), help: "Send a short test message (DATA) when the recipient is accepted.")
    var sendTestMessage = false

    @Option(name: .customLong("save-transcript"), help: "Write the session as a telnet-style transcript to FILE (readable by `smtpexplain FILE`).")
    var saveTranscript: String?

    @Option(name: .long, help: "Output format: text, json or jsonl.")
    var format: OutputFormat = .text

    @Option(name: .long, help: "Colour: auto (terminal, honours NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    @Flag(name: .customLong("fail-on-problems"), help: "Exit with 1 when the recipient was not accepted.")
    var failOnProblems = false

    func validate() throws {
        let domain = target.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if domain.isEmpty || target.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false }) {
            throw ValidationError("'\(target)' is not an address or a domain")
        }
        if let d = dnsServer, Endpoint.parse(d, defaultPort: 53) == nil {
            throw ValidationError("--dns-server wants an IP address with an optional port (IP, IP:PORT, [IPv6]:PORT), not '\(d)'")
        }
        if let s = server, Endpoint.splitHostPort(s, defaultPort: port) == nil {
            throw ValidationError("--server wants HOST or HOST:PORT, not '\(s)'")
        }
        if !(timeout > 0 && timeout <= 600) { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        for (name, v) in [("--from", from), ("--helo", helo ?? "")] where v.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            throw ValidationError("\(name) contains characters that cannot go into an SMTP command")
        }
    }

    /// Read a password from the terminal with echo off; nil without a terminal.
    static func promptPassword(_ prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return nil }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &old)
            _ = write(fd, "\n", 1)
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var c: UInt8 = 0
        while read(fd, &c, 1) == 1, c != 0x0A, c != 0x0D, bytes.count < 4096 { bytes.append(c) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func run() throws {
        var options = ProbeOptions(target: target)
        options.from = from
        options.server = server
        options.port = port
        if let helo { options.helo = helo }
        if let d = dnsServer, let e = Endpoint.parse(d, defaultPort: 53) { options.dnsServer = e }
        options.timeout = timeout
        options.noTLS = noTLS
        options.authUser = authUser
        if authUser != nil {
            if let p = getenv("SMTPEXPLAIN_PASSWORD") {
                options.password = String(cString: p)
            } else {
                options.password = Self.promptPassword("Password for \(authUser ?? ""): ")
            }
        }
        options.sendTestMessage = sendTestMessage
        options.inputName = saveTranscript ?? "probe"

        let result = Prober(options: options).run()

        if let path = saveTranscript {
            let bytes = result.transcriptBytes
            guard let f = fopen(path, "w") else {
                warn("smtpexplain: cannot write \(path): \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
        }

        var explainer = Explainer()
        let known = Set(explainer.sessionRules.map(\.id))
        explainer.sessionRules += DNSRules.table.filter { !known.contains($0.id) }
        let text = TextRenderer(color: color.enabled(), brief: false)
        var out = Output()
        let total = result.sessions.count
        if format == .json { out.write("{\"version\":\(JSONRenderer.version),\"sessions\":[") }
        let explained = result.sessions.map { explainer.explain($0) }
        for (n, x) in explained.enumerated() {
            switch format {
            case .text: out.write((n > 0 ? "\n" : "") + text.render(x, number: n + 1, of: total))
            case .json: out.write((n > 0 ? "," : "") + JSONRenderer.line(x))
            case .jsonl: out.write(JSONRenderer.line(x) + "\n")
            case .markdown: out.write((n > 0 ? "\n" : "") + MarkdownRenderer.render(x, number: n + 1, of: total))
            case .html: break
            }
        }
        switch format {
        case .text, .markdown: out.write("\nProbe verdict: \(Sanitizer.terminal(result.verdict))\n")
        case .json: out.write("],\"errors\":[]}\n")
        case .jsonl: break
        case .html: out.write(HTMLRenderer.document(explained, title: "smtpexplain probe"))
        }
        out.flush()
        let accepted = result.sessions.last.map { s in
            s.outcome == .delivered || (s.transactions.last?.recipients.contains { $0.accepted == true } ?? false)
        } ?? false
        if failOnProblems && !accepted { throw ExitCode(1) }
    }
}
