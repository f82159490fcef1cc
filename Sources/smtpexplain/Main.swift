import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Entry point: usage errors exit with 2 (the brief's contract), not ArgumentParser's 64.
@main
enum Main {
    static func main() async {
        do {
            var command = try SMTPExplain.parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            let code = SMTPExplain.exitCode(for: error)
            let message = SMTPExplain.fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
            }
            if !message.isEmpty { writeStderr(message + "\n") }
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

struct SMTPExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpexplain",
        abstract: "Explain why email did not go through: rebuilds each SMTP session from a transcript, log or capture and explains every reply.",
        discussion: """
        Examples:
          smtpexplain session.txt                 explain a pasted telnet/nc/swaks/... session
          pbpaste | smtpexplain                   read standard input
          smtpexplain --format json a.txt b.txt   the JSON contract, for other tools
          smtpexplain /var/log/mail.log --only-failures --since -1d
          smtpexplain summary /var/log/mail.log  counts by outcome, stage, reason; top clients and replies
          smtpexplain capture.pcap --filter 'port 587'
          smtpexplain reply '550 5.7.1 Relay access denied'
        Exit codes: 0 explained; 1 with --fail-on-problems when a session did not deliver; 2 usage or unusable input.
        """,
        version: "0.1.0",
        subcommands: [Explain.self, SummaryCommand.self, ReplyCommand.self, ServeCommand.self, ProbeCommand.self, RecordsCommand.self],
        defaultSubcommand: Explain.self
    )
}
