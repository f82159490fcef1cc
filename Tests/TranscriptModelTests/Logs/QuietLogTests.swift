import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import TranscriptModel

/// `--follow` on a log that has gone quiet: the wall time since the last line stands in for log time, so a
/// session held for its message's deliveries, or left open, comes out without waiting for the next line.
@Suite struct QuietLogTests {
    /// An inbound session whose message was deferred: held (15 minutes of log time) for more deliveries.
    static let postfix = [
        "Dec  7 10:00:00 mx1 postfix/smtpd[2001]: connect from mail.sender.example[192.0.2.10]",
        "Dec  7 10:00:00 mx1 postfix/smtpd[2001]: 4Q1AB2CDEF: client=mail.sender.example[192.0.2.10]",
        "Dec  7 10:00:01 mx1 postfix/cleanup[2002]: 4Q1AB2CDEF: message-id=<m1@sender.example>",
        "Dec  7 10:00:01 mx1 postfix/qmgr[900]: 4Q1AB2CDEF: from=<alice@sender.example>, size=1200, nrcpt=1 (queue active)",
        "Dec  7 10:00:01 mx1 postfix/smtpd[2001]: disconnect from mail.sender.example[192.0.2.10] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
        "Dec  7 10:00:02 mx1 postfix/smtp[2003]: 4Q1AB2CDEF: to=<bob@far.example>, relay=mx.far.example[198.51.100.7]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=4.7.1, status=deferred (host mx.far.example[198.51.100.7] said: 451 4.7.1 Try again later (in reply to RCPT TO command))",
        "Dec  7 10:14:58 mx1 postfix/anvil[800]: statistics: max connection rate 1/60s for (smtp:192.0.2.10) at Dec  7 10:00:00",
    ]

    static let exim = [
        "2026-12-07 10:00:00 SMTP connection from mail.sender.example [192.0.2.10]:41000 (TCP/IP connection count = 1)",
        "2026-12-07 10:00:01 1vXaA1-000Ab1-Q1 <= alice@sender.example H=mail.sender.example [192.0.2.10]:41000 P=esmtp S=900 id=1@sender.example",
        "2026-12-07 10:00:01 SMTP connection from mail.sender.example [192.0.2.10]:41000 closed by QUIT",
        "2026-12-07 10:00:02 1vXaA1-000Ab1-Q1 == bob@far.example R=dnslookup T=remote_smtp defer (-44) H=mx.far.example [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<bob@far.example>: 451 4.7.1 Try again later",
        "2026-12-07 10:14:59 Start queue run: pid=3001",
    ]

    static func feed<R: LineReader>(_ reader: inout R, _ lines: [String]) -> [Session] {
        var out: [Session] = []
        for (i, l) in lines.enumerated() { reader.read(line: Array(l.utf8)[...], number: i + 1) { out.append($0) } }
        return out
    }

    static func inbound(_ s: [Session]) -> [Session] { s.filter { $0.direction == .inbound } }

    @Test func postfixHeldSessionComesOutWhenTheQuietOutlastsTheHold() {
        var reader = PostfixLogReader(input: "mail.log")
        let read = Self.feed(&reader, Self.postfix)
        #expect(Self.inbound(read).isEmpty)
        var quiet: [Session] = []
        // 10:14:58 + 2 s is still within 15 minutes of the disconnect (10:00:01).
        reader.idle(seconds: 2) { quiet.append($0) }
        #expect(Self.inbound(quiet).isEmpty)
        reader.idle(seconds: 5) { quiet.append($0) }
        let held = Self.inbound(quiet)
        #expect(held.count == 1)
        #expect(held.first?.client.address == "192.0.2.10")
        var rest: [Session] = []
        reader.finish { rest.append($0) }
        #expect(Self.inbound(rest).count == 0, "told twice")
    }

    @Test func eximHeldSessionComesOutWhenTheQuietOutlastsTheHold() {
        var reader = EximLogReader(input: "mainlog")
        let read = Self.feed(&reader, Self.exim)
        #expect(Self.inbound(read).isEmpty)
        var quiet: [Session] = []
        reader.idle(seconds: 1) { quiet.append($0) }
        #expect(Self.inbound(quiet).isEmpty)
        reader.idle(seconds: 5) { quiet.append($0) }
        #expect(Self.inbound(quiet).count == 1)
        var rest: [Session] = []
        reader.finish { rest.append($0) }
        #expect(Self.inbound(rest).count == 0, "told twice")
    }

    /// A Sendmail connection with no end line is closed after `idleSeconds` of log time.
    @Test func sendmailOpenSessionClosesAfterItsIdleTimeOfQuiet() {
        var reader = SendmailLogReader(input: "maillog")
        let read = Self.feed(&reader, [
            "Dec  7 10:00:00 gw sm-mta[4101]: 2B7A01aB004101: ruleset=check_rcpt, arg1=<someone@example.org>, relay=[203.0.113.45], reject=550 5.7.1 <someone@example.org>... Relaying denied",
        ])
        #expect(read.isEmpty)
        var quiet: [Session] = []
        reader.idle(seconds: 300) { quiet.append($0) }
        #expect(quiet.isEmpty)
        reader.idle(seconds: 301) { quiet.append($0) }
        #expect(quiet.count == 1)
        #expect(quiet.first?.outcome == .rejected)
    }

    /// A log without a stamped line gives the quiet nothing to count from.
    @Test func quietBeforeAnyStampedLineClosesNothing() {
        var reader = PostfixLogReader(input: "mail.log")
        var out: [Session] = []
        reader.idle(seconds: 100_000) { out.append($0) }
        #expect(out.isEmpty)
    }

    /// A live source says it is quiet once per period without data, each time for the time since the last.
    @Test func quietTimerReportsEachPeriodOnce() {
        var timer = QuietTimer(every: 0.05)
        #expect(timer.due() == nil)
        usleep(60_000)
        let first = timer.due()
        #expect(first.map { $0 >= 0.05 && $0 < 1 } == true)
        #expect(timer.due() == nil)
        usleep(60_000)
        timer.sawData()
        #expect(timer.due() == nil, "data came: the quiet starts again")
    }
}
