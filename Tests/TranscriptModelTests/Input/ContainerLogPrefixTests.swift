import Foundation
import Testing
@testable import TranscriptModel

/// A mail server's log as container platforms show it reads as the log itself: the same sessions, verdicts
/// and line numbers, with the wrapper taken off the evidence.
@Suite struct ContainerLogPrefixTests {
    static let log = [
        "Dec  7 10:14:40 mail postfix/smtpd[4120]: connect from unknown[198.51.100.77]",
        "Dec  7 10:14:41 mail postfix/smtpd[4120]: NOQUEUE: reject: RCPT from unknown[198.51.100.77]: 554 5.7.1 Service unavailable; Client host [198.51.100.77] blocked using zen.spamhaus.org; from=<a@invoices.example> to=<sales@example.org> proto=ESMTP helo=<WIN-7Q2BE4>",
        "Dec  7 10:14:41 mail postfix/smtpd[4120]: disconnect from unknown[198.51.100.77] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
    ]

    private func read(_ lines: [String]) throws -> [Session] {
        var out: [Session] = []
        _ = try InputDriver.read(name: "c-\(UUID().uuidString).log", bytes: Array((lines.joined(separator: "\n") + "\n").utf8)) { out.append($0) }
        return out
    }

    /// (wrapper, text before each line, text after it).
    @Test(arguments: [
        ("docker compose logs", "postfix-mailcow-1  | ", ""),
        ("docker compose logs", "\u{1B}[36mmailserver-1  |\u{1B}[0m ", ""),
        ("container runtime time stamps", "2026-12-07T10:14:41.123456789Z ", ""),
        ("docker compose logs, container runtime time stamps", "mail-1  | 2026-12-07T10:14:41.1Z ", ""),
        ("kubectl logs --prefix", "[pod/mail-0/postfix] ", ""),
        ("docker json-file", #"{"log":""#, #"\n","stream":"stdout","time":"2026-12-07T10:14:41.1Z"}"#),
    ])
    func wrappedLogReadsAsTheLog(label: String, before: String, after: String) throws {
        let plain = try #require(try read(Self.log).first)
        let all = try read(Self.log.map { before + $0 + after })
        #expect(all.count == 1)
        let s = try #require(all.first)
        #expect(s.format == "postfix-log")
        #expect(s.outcome == .rejected && s.failedStage == .rcpt)
        #expect(s.attributes["input-wrapper"] == label)
        #expect(s.notes.map(\.text) == plain.notes.map(\.text))
        #expect(s.notes.map { $0.position.line } == [1, 2, 3])
    }

    /// Another service's lines among them are skipped as in any log; a table with bars, or a log whose
    /// lines only start with an RFC 3339 stamp, is left as it is.
    @Test func onlyWrappedLogsAreUnwrapped() throws {
        let mixed = Self.log.map { "postfix-1  | " + $0 } + [#"nginx-1    | 172.22.1.1 - - [07/Dec/2026:10:14:41 +0000] "GET / HTTP/2.0" 200 15"#]
        #expect(try read(mixed).map(\.outcome) == [.rejected])
        #expect(ContainerLogPrefix.detect(["code | meaning", "550  | refused", "250  | accepted"].map { Array($0.utf8)[...] }) == nil)
        let rfc3339 = ["2026-12-07T10:14:41.123456+00:00 mail postfix/smtpd[4120]: connect from unknown[198.51.100.77]"]
        #expect(ContainerLogPrefix.detect(rfc3339.map { Array($0.utf8)[...] }) == nil)
    }

    /// `journalctl -o short-unix`: seconds since 1970 before the host.
    @Test func unixTimeStamps() throws {
        let lines = Self.log.map { "1796638481.123456 mail " + $0.split(separator: " ", maxSplits: 4)[4] }
        let s = try #require(try read(lines).first)
        #expect(s.outcome == .rejected)
        #expect(s.start?.time == 1796638481.123456)
    }
}
