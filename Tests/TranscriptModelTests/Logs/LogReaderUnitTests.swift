import Foundation
import Testing
@testable import TranscriptModel

@Suite struct LogReaderUnitTests {
    func run(_ text: String, format: String? = nil) throws -> [Session] {
        // The input driver detects the format from complete lines only: end with a newline like a real file.
        try sessions(text + "\n", name: "unit-\(UUID().uuidString)", format: format)
    }

    // MARK: Headers and time

    @Test func rfc3339AndJournalHeaders() throws {
        var p = LogHeaderParser()
        let l = p.parse(Array("2024-08-26T01:33:38.5+00:00 mx postfix/submission/smtpd[2634372]: connect from x[192.0.2.1]".utf8)[...])
        #expect(l.time == 1724636018.5)
        #expect(Bytes.string(l.program) == "postfix/submission/smtpd")
        #expect(Bytes.string(l.daemon) == "smtpd")
        #expect(l.pid == 2634372)
        #expect(Bytes.string(l.message) == "connect from x[192.0.2.1]")
        let j = p.parse(Array(#"{"__REALTIME_TIMESTAMP":"1764331200000000","_PID":"7","SYSLOG_IDENTIFIER":"postfix/smtpd","MESSAGE":"lost connection after EHLO from a\"b[192.0.2.9]"}"#.utf8)[...])
        #expect(j.time == 1764331200)
        #expect(j.pid == 7)
        #expect(Bytes.string(j.message) == "lost connection after EHLO from a\"b[192.0.2.9]")
        let o = p.parse(Array("2026-11-29T01:53:44+0100 mail postfix/qmgr[9]: ABCDE12345: removed".utf8)[...])
        #expect(o.time == Double(LogClock.utc(2026, 11, 29, 0, 53, 44)))
        let b = p.parse(Array("<22>Jul 31 13:03:43 <mail.notice> alarmpi sm-mta[24291]: x".utf8)[...])
        #expect(Bytes.string(b.program) == "sm-mta")
        #expect(b.time != nil)
    }

    @Test func replyUnfolding() {
        let r = LogBytes.unfoldReply(Array("550-5.7.1 first part 550-5.7.1 second 550 5.7.1 last".utf8)[...])
        #expect(Bytes.string(r[...]) == "550 5.7.1 first part second last")
    }

    // MARK: Postfix

    @Test func postfixOutboundEndOfData() throws {
        let log = """
        Jun  3 10:40:58 mail postfix/qmgr[1]: 776E41855DB2: from=<a@example.com>, size=10, nrcpt=1 (queue active)
        Jun  3 10:40:59 mail postfix/smtp[9890]: 776E41855DB2: to=<b@example.org>, relay=mx.example.org[192.0.2.44]:25, delay=1.9, delays=0/0/1.5/0.37, dsn=5.7.1, status=bounced (host mx.example.org[192.0.2.44] said: 550-5.7.1 spam 550 5.7.1 go away (in reply to end of DATA command))
        Jun  3 10:40:59 mail postfix/qmgr[1]: 776E41855DB2: removed
        """
        let s = try run(log)
        #expect(s.count == 1)
        #expect(s[0].direction == .outbound)
        #expect(s[0].outcome == .rejected)
        #expect(s[0].failedStage == .message)
        #expect(s[0].server.address == "192.0.2.44")
        #expect(s[0].transactions.first?.sender == "a@example.com")
        #expect(s[0].exchanges.allSatisfy { ($0.command?.inferred ?? true) && ($0.reply?.inferred ?? true) })
        #expect(s[0].notes.count >= 2)
    }

    @Test func postfixLostConnectionWhileSendingRCPT() throws {
        let log = "Dec  9 10:18:24 mail postfix/smtp[20056]: 1310930001DB: to=<x@example.net>, relay=mx.example.net[192.0.2.33]:25, delay=2, delays=0/0/1/1, dsn=4.4.2, status=deferred (lost connection with mx.example.net[192.0.2.33] while sending RCPT TO)"
        let s = try run(log)
        #expect(s.count == 1)
        #expect(s[0].outcome == .disconnected)
        #expect(s[0].failedStage == .rcpt)
    }

    @Test func postfixGivingUpOnItsOwnInventsNoAcceptedMessage() throws {
        // Before: MAIL, RCPT and DATA were invented as accepted and the session "reached DATA".
        let log = """
        Dec  5 10:00:01 mail postfix/qmgr[900]: 4D8F21C0A3: from=<alice@example.net>, size=2931, nrcpt=1 (queue active)
        Dec  5 10:00:02 mail postfix/smtp[901]: 4D8F21C0A3: to=<bob@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.example.org[198.51.100.25])
        Dec  5 10:00:02 mail postfix/smtp[902]: 5E8F21C0A3: to=<carol@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)
        Dec  5 10:00:03 mail postfix/smtp[903]: 6E8F21C0A3: to=<dave@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=5.4.6, status=bounced (mail for example.org loops back to myself)
        Dec  5 10:00:04 mail postfix/smtp[904]: 7E8F21C0A3: to=<erin@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but host mx.example.org[198.51.100.25] refused to start TLS: 454 4.7.0 TLS not available due to local problem)
        """
        let s = try run(log)
        #expect(s.count == 4)
        let verbs = s.map { $0.exchanges.compactMap { $0.command?.verb } }
        #expect(verbs == [["EHLO", "QUIT"], ["EHLO", "STARTTLS"], ["EHLO", "QUIT"], ["EHLO", "STARTTLS", "QUIT"]])
        #expect(s[0].attributes["client-problem"] == "starttls-not-offered")
        #expect(s[2].attributes["mta-reason"] == "mail for example.org loops back to myself")
        #expect(s[3].exchanges[2].reply?.code == 454)
        #expect(s[3].failedStage == .starttls)
        // The server answered with Postfix's own name: a loop, told after the greeting.
        let loop = try run("Dec  5 10:00:05 mail postfix/smtp[905]: 8E8F21C0A3: to=<f@example.org>, relay=mx.example.org[198.51.100.25]:25, delay=1, delays=0/0/1/0, dsn=5.4.6, status=bounced (host mx.example.org[198.51.100.25] greeted me with my own hostname mail.example.net)")
        #expect(loop.first?.exchanges.compactMap { $0.command?.verb } == [])
        #expect(loop.first?.attributes["mta-reason"]?.contains("greeted me with my own hostname") == true)
    }

    @Test func postfixConnectFailures() throws {
        let log = """
        Nov 28 11:30:42 mx1 postfix/smtp[3020]: connect to mx.example.invalid[192.0.2.99]:25: Connection refused
        Nov 28 11:30:42 mx1 postfix/smtp[3020]: C3D4E51C0D9: to=<f@example.invalid>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.invalid[192.0.2.99]:25: Connection refused)
        Nov 28 11:31:00 mx1 postfix/smtp[3021]: 2298F5F619: to=<admin@corp.example>, relay=none, delay=1, delays=1/0/0/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=corp.example type=AAAA: Host not found)
        """
        let s = try run(log)
        #expect(s.map(\.outcome) == [.unreachable, .unreachable])
        #expect(s.map(\.failedStage) == [.connect, .connect])
        #expect(s[0].connectFailure == .refused)
        #expect(s[1].connectFailure == .nameNotResolved)
    }

    @Test func postfixRejectStages() throws {
        let log = """
        Jun  1 19:00:55 mail postfix/smtpd[7749]: connect from unknown[192.0.2.114]
        Jun  1 19:00:55 mail postfix/smtpd[7749]: NOQUEUE: reject: CONNECT from unknown[192.0.2.114]: 554 5.7.1 Client host rejected: blocked; proto=SMTP
        Jun  1 19:00:56 mail postfix/smtpd[7749]: disconnect from unknown[192.0.2.114] quit=1 commands=1
        Jan 31 13:55:23 mail postfix/smtpd[3462]: connect from s.example.net[192.0.2.238]
        Jan 31 13:55:24 mail postfix/smtpd[3462]: NOQUEUE: reject: EHLO from s.example.net[192.0.2.238]: 504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<User>
        Jan 31 13:55:24 mail postfix/smtpd[3462]: disconnect from s.example.net[192.0.2.238] ehlo=0/1 quit=1 commands=1/2
        Mar  7 02:09:32 server postfix/smtpd[27246]: connect from f.example.com[192.0.2.151]
        Mar  7 02:09:33 server postfix/smtpd[27246]: 1D8CC1CA0A7F: client=f.example.com[192.0.2.151]
        Mar  7 02:09:33 server postfix/cleanup[27250]: 1D8CC1CA0A7F: milter-reject: END-OF-MESSAGE from f.example.com[192.0.2.151]: 5.7.1 Spam; from=<s@example.com> to=<h@example.org> proto=ESMTP helo=<f.example.com>
        Mar  7 02:09:33 server postfix/smtpd[27246]: disconnect from f.example.com[192.0.2.151] ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5
        Jun  3 06:25:40 srv postfix/smtpd[29306]: connect from e.example.com[192.0.2.11]
        Jun  3 06:25:43 srv postfix/smtpd[29306]: too many errors after RCPT from e.example.com[192.0.2.11]
        Jun  3 06:25:43 srv postfix/smtpd[29306]: disconnect from e.example.com[192.0.2.11] ehlo=1 mail=1 rcpt=0/20 commands=2/22
        """
        let s = try run(log)
        #expect(s.count == 4)
        #expect(s[0].outcome == .rejected)
        #expect(s[0].failedStage == .greeting)
        #expect(s[1].outcome == .rejected)
        #expect(s[1].failedStage == .helo)
        #expect(s[2].outcome == .rejected)
        #expect(s[2].failedStage == .message)
        #expect(s[3].outcome == .rejected || s[3].outcome == .deferred)
    }

    @Test func postscreenRejectIsASession() throws {
        let log = """
        May  5 15:51:10 mx postfix/postscreen[1148]: CONNECT from [192.0.2.173]:60591 to [192.0.2.1]:25
        May  5 15:51:10 mx postfix/postscreen[1148]: DNSBL rank 3 for [192.0.2.173]:60591
        May  5 15:51:11 mx postfix/postscreen[1148]: NOQUEUE: reject: RCPT from [192.0.2.173]:60591: 550 5.7.1 Service unavailable; client [192.0.2.173] blocked using zen.spamhaus.org; from=<s@example.com>, to=<g@example.org>, proto=ESMTP, helo=<bad.example.com>
        May  5 15:51:11 mx postfix/postscreen[1148]: DISCONNECT [192.0.2.173]:60591
        """
        let s = try run(log)
        #expect(s.count == 1)
        #expect(s[0].outcome == .rejected)
        #expect(s[0].failedStage == .rcpt)
        #expect(s[0].client.address == "192.0.2.173")
        #expect(s[0].transactions.first?.recipients.first?.address == "g@example.org")
    }

    @Test func openSessionsStayBounded() throws {
        var r = PostfixLogReader(input: "bound")
        r.limits.openSessions = 100
        var emitted = 0
        for i in 0..<20_000 {
            let line = "Jan  1 00:00:00 mx postfix/smtpd[\(i + 10)]: connect from unknown[192.0.2.\(i % 250)]"
            r.read(line: Array(line.utf8)[...], number: i + 1) { _ in emitted += 1 }
        }
        #expect(r.smtpd.count <= 8_192 + 100)
        r.finish { _ in emitted += 1 }
        #expect(emitted == 20_000)
        #expect(r.stats.evicted > 0)
    }

    // MARK: Gzip

    static let twoMembers = "H4sIAAAAAAAAAwXBywnAIAwA0HunyASpSfGgQ3QB8SA2guCPKsXx+97dP2ADiqxme2moIRcYfa6U9znrGo8jbyH21iQuSG+vEFB2qKMINlmODKNCRvLHDy1OJXxNAAAAH4sIAAAAAAAAAw3FUQrCMAwA0H9PkRPEJaKwwq7gBcY+SpthoWmqzWTH1/fznvYFnmGicOdwe4DGUqHb8L2c16He80pbgFxGstYkOewfU4goZ9ReBZv4SjPjhIy0gbyqLQTvo/i/ZKqx5bHw5Qewfd8BaQAAAA=="

    @Test func gzipConcatenatedMembers() throws {
        let bytes = Array(Data(base64Encoded: Self.twoMembers)!)
        #expect(Compression.detect(bytes) == .gzip)
        let text = String(decoding: try Gzip.decompress(bytes), as: UTF8.self)
        #expect(text.hasPrefix("Nov 29 01:52:35 mail postfix/smtpd[1]: connect from"))
        #expect(text.contains("disconnect from a.example.net[192.0.2.1] ehlo=1 quit=1 commands=2\n"))
    }

    @Test func gzipTruncatedAndBomb() throws {
        let bytes = Array(Data(base64Encoded: Self.twoMembers)!)
        #expect(throws: InputError.self) { try Gzip.decompress(Array(bytes.prefix(40))) }
        #expect(throws: InputError.self) { try Gzip.decompress(bytes, maxOutput: 50) }
        #expect(throws: InputError.self) { try Gzip.decompress(Array(bytes.prefix(10)) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    // MARK: Filter

    @Test func sessionFilter() throws {
        let log = """
        2026-11-28T09:20:11+00:00 mx1 postfix/smtpd[2211]: connect from unknown[203.0.113.45]
        2026-11-28T09:20:12+00:00 mx1 postfix/smtpd[2211]: NOQUEUE: reject: RCPT from unknown[203.0.113.45]: 554 5.7.1 <someone@example.org>: Relay access denied; from=<promo@example.org> to=<someone@example.org> proto=ESMTP helo=<x>
        2026-11-28T09:20:12+00:00 mx1 postfix/smtpd[2211]: disconnect from unknown[203.0.113.45] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
        """
        let s = try #require(try run(log).first)
        #expect(SessionFilter().matches(s))
        #expect(SessionFilter(onlyFailures: true).matches(s))
        #expect(SessionFilter(client: "203.0.113.45").matches(s))
        #expect(SessionFilter(client: "203.0.113.").matches(s))
        #expect(!SessionFilter(client: "192.0.2.1").matches(s))
        #expect(SessionFilter(sender: "PROMO@example.org").matches(s))
        #expect(SessionFilter(recipient: "@example.org").matches(s))
        #expect(!SessionFilter(recipient: "bob@example.org").matches(s))
        let t = Double(LogClock.utc(2026, 11, 28, 9, 20, 11))
        #expect(SessionFilter(since: t - 60, until: t + 60).matches(s))
        #expect(!SessionFilter(since: t + 3600).matches(s))
        #expect(!SessionFilter(queueID: "ABC").matches(s))
    }

    // MARK: Other MTAs

    @Test func eximRemoteDefer() throws {
        let log = """
        2026-11-28 12:15:30 1xYkSc-000Abf-5G == u@example.test R=r1 T=t1 defer (-44) H=mx.example.test [192.0.2.60]: SMTP error from remote mail server after RCPT TO:<u@example.test>: 451 4.7.1 Greylisted
        2026-11-28 12:16:00 1xYkSd-000Abf-6H ** v@example.test R=r1 T=t1 H=mx.example.test [192.0.2.60]: SMTP error from remote mail server after end of data: 550 content rejected
        """
        let s = try run(log, format: "exim-log")
        #expect(s.map(\.outcome) == [.deferred, .rejected])
        #expect(s.map(\.failedStage) == [.rcpt, .message])
    }

    /// Postfix's messages without their syslog header (`journalctl -o cat`, a line copied into a ticket) are
    /// still Postfix's log: detected by lines only Postfix writes, rebuilt as the headed ones are.
    @Test func postfixLinesWithoutHeaders() throws {
        let one = try run("NOQUEUE: reject: RCPT from unknown[198.51.100.77]: 554 5.7.1 <carol@example.org>: Relay access denied; from=<promo@offers.example> to=<carol@example.org> proto=ESMTP helo=<offers.example>")
        #expect(one.map(\.format) == ["postfix-log"])
        #expect(one.first?.outcome == .rejected && one.first?.failedStage == .rcpt)
        #expect(one.first?.client.address == "198.51.100.77" && one.first?.client.heloName == "offers.example")
        let log = """
        connect from unknown[198.51.100.77]
        disconnect from unknown[198.51.100.77] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
        4C1x3B0Qm4z9sWP: to=<dave@example.net>, relay=mx.example.net[192.0.2.25]:25, delay=0.84, delays=0.02/0.01/0.5/0.31, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.25] said: 550 5.1.1 <dave@example.net>: User unknown (in reply to RCPT TO command))
        """
        let s = try run(log)
        #expect(s.map(\.format) == ["postfix-log", "postfix-log"])
        #expect(s.map(\.direction) == [.inbound, .outbound])
        #expect(s.last?.server.host == "mx.example.net" && s.last?.failedStage == .rcpt)
        // Lines other programs write too do not make a log Postfix's on their own.
        let lines = ["connect from a.example[192.0.2.1]", "4C1x3B0Qm4z9sWP: removed"].map { Array($0.utf8)[...] }
        #expect(PostfixLogReader.score(lines) == 0)
        #expect(PostfixLogReader.bareShape(Array("NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 no".utf8)[...]) == true)
        #expect(PostfixLogReader.bareShape(Array("NOQUEUE: something else".utf8)[...]) == nil)
        #expect(PostfixLogReader.bareShape(Array("connect from somewhere".utf8)[...]) == nil)
    }

    /// The one line people copy out of the main log, without its date and message id: still Exim's delivery
    /// line (detected, not an unmarked paste), with the host, the step and the reply it names.
    @Test func eximDeliveryLinePastedWithoutDateAndID() throws {
        let log = """
        ** bob@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.10] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after RCPT TO:<bob@example.org>: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table
        == carol@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [198.51.100.9]: SMTP error from remote mail server after RCPT TO:<carol@example.net>: 451 4.7.1 Greylisted, try again later
        """
        let s = try run(log)
        #expect(s.map(\.format) == ["exim-log", "exim-log"])
        #expect(s.map(\.outcome) == [.rejected, .deferred])
        #expect(s.map(\.failedStage) == [.rcpt, .rcpt])
        #expect(s.map(\.server.host) == ["mx.example.org", "mx.example.net"])
        #expect(s.first?.transactions.first?.recipients.first?.reply?.enhanced == "5.1.1")
        // A line that only looks like one (no router or transport) stays what it was.
        #expect(!EximLogReader.undatedDelivery(Array("** bob@example.org is unknown here".utf8)[...]))
        #expect(!EximLogReader.undatedDelivery(Array("** no address R=x".utf8)[...]))
    }

    /// Refusals copied without their date (main log or reject log) are Exim's, each an inbound session.
    @Test func eximRefusalPastedWithoutDate() throws {
        let s = try run("H=(offers.example) [198.51.100.77] F=<promo@offers.example> rejected RCPT <carol@example.org>: relay not permitted")
        #expect(s.map(\.format) == ["exim-log"])
        #expect(s.first?.direction == .inbound && s.first?.failedStage == .rcpt && s.first?.outcome == .rejected)
        #expect(s.first?.client.address == "198.51.100.77" && s.first?.client.heloName == "offers.example")
        #expect(s.first?.transactions.first?.recipients.first?.address == "carol@example.org")
        #expect(!EximLogReader.undatedRefusal(Array("H=somewhere rejected RCPT <a@b>: no".utf8)[...]))
        #expect(!EximLogReader.undatedRefusal(Array("H=x [192.0.2.1] rejected nothing".utf8)[...]))
    }

    /// Sendmail's lines copied without their syslog header are still Sendmail's log.
    @Test func sendmailLinesWithoutHeaders() throws {
        let log = """
        x7BDa1Q3012345: ruleset=check_rcpt, arg1=<someone@example.org>, relay=[203.0.113.45], reject=550 5.7.1 <someone@example.org>... Relaying denied. IP name lookup failed [203.0.113.45]
        x7BDa2R4012399: to=<bob@example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120456, relay=mx.example.org. [192.0.2.10], dsn=5.1.1, stat=User unknown
        """
        let s = try run(log)
        #expect(s.map(\.format) == ["sendmail-log", "sendmail-log"])
        #expect(Set(s.map(\.direction)) == [.inbound, .outbound])
        #expect(s.allSatisfy { $0.outcome == .rejected && $0.failedStage == .rcpt })
        // Postfix's status line (`status=`, not `stat=`) is not Sendmail's.
        #expect(!SendmailLogReader.bareLine(Array("4C1x3B0Qm4z9sWP: to=<d@example.net>, relay=mx[192.0.2.25]:25, mailer=x, status=sent (ok)".utf8)[...]))
        #expect(SendmailLogReader.score([Array("to=<a@b>, stat=Sent".utf8)[...]]) == 0)
    }

    /// `exim -Mvl`: the message's own log, without the message id and without `==` on deferrals.
    @Test func eximMessageLogReadsAsTheMainLog() throws {
        let log = """
        root@mx1:~# exim -Mvl 1w2Xy3-00AbCd-9Z
        2026-12-06 02:41:10 Received from alice@shop.example U=alice P=local S=2914
        2026-12-06 02:41:11 carol@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [198.51.100.9]: SMTP error from remote mail server after RCPT TO:<carol@example.net>: 451 4.7.1 Greylisted
        2026-12-06 02:56:12 H=mx.example.net [198.51.100.9] Connection refused
        2026-12-06 02:56:12 carol@example.net R=dnslookup T=remote_smtp defer (111): Connection refused
        """
        let s = try run(log)
        #expect(s.allSatisfy { $0.format == "exim-log" && $0.direction == .outbound })
        let grey = try #require(s.first)
        #expect(grey.outcome == .deferred && grey.failedStage == .rcpt)
        // The sender comes from the arrival line, the message id from the command line.
        #expect(grey.transactions.first?.sender == "alice@shop.example")
        #expect(grey.attributes["queue-id"] == "1w2Xy3-00AbCd-9Z")
        let refused = try #require(s.dropFirst().first)
        #expect(refused.connectFailure == .refused)
        #expect(refused.server.address == "198.51.100.9")
    }

    @Test func openSMTPDOldFormat() throws {
        let log = """
        Aug 14 10:15:24 j smtpd[28882]: smtp-in: New session 1f55bdcdf16e28a3 from host j.example.com [192.0.2.5]
        Aug 14 10:15:25 j smtpd[28882]: smtp-in: Failed command on session 1f55bdcdf16e28a3: "MAIL FROM:<root@j.example.com>  " => 421 4.3.0: Temporary Error
        Aug 14 10:15:26 j smtpd[28882]: smtp-in: Closing session 1f55bdcdf16e28a3
        """
        let s = try run(log)
        #expect(s.count == 1)
        #expect(s[0].format == "opensmtpd-log")
        #expect(s[0].outcome == .deferred)
        #expect(s[0].failedStage == .mail)
    }

    /// `SSL_accept error` after STARTTLS: Postfix said go ahead (`220`), the handshake failed, and the session
    /// ends at STARTTLS, not as a connection lost for no reason.
    @Test func postfixHandshakeFailureAfterSTARTTLS() throws {
        let log = """
        Dec  7 09:58:40 mx1 postfix/smtpd[4410]: connect from mail.partner.example[198.51.100.20]
        Dec  7 09:58:40 mx1 postfix/smtpd[4410]: SSL_accept error from mail.partner.example[198.51.100.20]: -1
        Dec  7 09:58:40 mx1 postfix/smtpd[4410]: warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48:
        Dec  7 09:58:40 mx1 postfix/smtpd[4410]: lost connection after STARTTLS from mail.partner.example[198.51.100.20]
        Dec  7 09:58:40 mx1 postfix/smtpd[4410]: disconnect from mail.partner.example[198.51.100.20] ehlo=1 starttls=0/1 commands=1/2
        """
        let s = try #require(try run(log).first)
        #expect(s.exchanges.map { $0.command?.verb ?? "-" } == ["-", "EHLO", "STARTTLS"])
        #expect(s.exchanges.last?.reply?.code == 220)
        #expect(s.tlsFailedExchange == 2)
        #expect(s.outcome == .disconnected && s.failedStage == .starttls)
    }

    /// Exim's `TLS error on connection from ... (SSL_accept)`: the same handshake failure after its go-ahead; a
    /// `(recv)` error (a session that broke later) is not taken for one.
    @Test func eximHandshakeFailureAfterSTARTTLS() throws {
        let s = try #require(try run("2026-12-07 10:00:01 TLS error on connection from mail.partner.example [198.51.100.20] (SSL_accept): error:0A000418:SSL routines::tlsv1 alert unknown ca\n").first)
        #expect(s.format == "exim-log")
        #expect(s.tlsFailedExchange != nil)
        #expect(s.outcome == .disconnected && s.failedStage == .starttls)
        let later = try #require(try run("2026-12-07 10:00:01 TLS error on connection from [198.51.100.20] (recv): The TLS connection was non-properly terminated.\n").first)
        #expect(later.tlsFailedExchange == nil)
    }

    /// A log that refuses a recipient without naming the sender leaves the sender unknown: the MAIL step is
    /// inferred without a path, not as the null sender `<>` (which would make it look like a bounce).
    @Test func senderTheLogDoesNotNameIsUnknownNotNull() throws {
        let log = """
        Dec  1 10:11:12 mx smtpd[28882]: 3a2b1c0d9e8f7a6b smtp connected address=198.51.100.7 host=mail.example.net
        Dec  1 10:11:13 mx smtpd[28882]: 3a2b1c0d9e8f7a6b smtp failed-command command="RCPT TO:<nobody@example.org>" result="550 Invalid recipient: <nobody@example.org>"
        Dec  1 10:11:13 mx smtpd[28882]: 3a2b1c0d9e8f7a6b smtp disconnected reason=quit
        """
        let s = try #require(try run(log).first)
        #expect(s.failedStage == .rcpt)
        let mail = try #require(s.exchanges.first { $0.command?.verb == "MAIL" })
        #expect(mail.command?.inferred == true)
        #expect(mail.command?.address == nil)
        #expect(s.transactions.first.map { $0.sender == nil } == true)
    }

    /// `postqueue -f` right after a deferral: the same smtp process (still alive) tries the message again
    /// with no line of its own in between. qmgr's `(queue active)` line begins a new round, so these are two
    /// attempts, each with its own verdict.
    @Test func postfixRetryBySameProcessIsAnotherAttempt() throws {
        let log = """
        Dec  5 10:00:00 mx1 postfix/qmgr[880]: 4QbX1A2bCd: from=<a@example.com>, size=900, nrcpt=1 (queue active)
        Dec  5 10:00:01 mx1 postfix/smtp[5000]: 4QbX1A2bCd: to=<r@partner.example>, relay=mx.partner.example[198.51.100.60]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.partner.example[198.51.100.60] said: 451 4.7.1 Try again later (in reply to RCPT TO command))
        Dec  5 10:00:40 mx1 postfix/qmgr[880]: 4QbX1A2bCd: from=<a@example.com>, size=900, nrcpt=1 (queue active)
        Dec  5 10:00:41 mx1 postfix/smtp[5000]: 4QbX1A2bCd: to=<r@partner.example>, relay=mx.partner.example[198.51.100.60]:25, delay=41, delays=40/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok queued as 9F1E2)
        Dec  5 10:00:41 mx1 postfix/qmgr[880]: 4QbX1A2bCd: removed
        """
        let attempts = try run(log).filter { $0.direction == .outbound }
        #expect(attempts.map(\.outcome) == [.deferred, .delivered])
        #expect(attempts.map { $0.start?.line } == [2, 4])
        #expect(attempts.map { $0.exchanges.filter { $0.command?.verb == "RCPT" }.count } == [1, 1])
    }

    /// RFC 5424 syslog (rsyslog's protocol-23 format, syslog-ng, collectors): app and process id are fields
    /// of their own, structured data (with escaped quotes and brackets) comes before the message.
    @Test func rfc5424Headers() throws {
        var p = LogHeaderParser()
        let l = p.parse(Array(#"<22>1 2026-12-07T10:00:00.5Z mx1.example.com postfix/smtpd 4711 - [meta sequenceId="1" note="a \"q\" ]"] connect from x[192.0.2.1]"#.utf8)[...])
        #expect(l.time == Double(LogClock.utc(2026, 12, 7, 10, 0, 0)) + 0.5)
        #expect(Bytes.string(l.host) == "mx1.example.com")
        #expect(Bytes.string(l.daemon) == "smtpd")
        #expect(l.pid == 4711)
        #expect(Bytes.string(l.message) == "connect from x[192.0.2.1]")
        let bom = p.parse([0x3C, 0x32, 0x32, 0x3E] + Array("1 - - sm-mta - - - ".utf8) + [0xEF, 0xBB, 0xBF] + Array("x".utf8))
        #expect(bom.time == nil && bom.pid == nil && Bytes.string(bom.program) == "sm-mta" && Bytes.string(bom.message) == "x")
        let log = ["connect from unknown[198.51.100.7]",
                   "NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 550 5.1.1 <u@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@b.example> to=<u@example.com> proto=ESMTP helo=<x>",
                   "disconnect from unknown[198.51.100.7] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"]
            .map { "<22>1 2026-12-07T10:00:00.123456+00:00 mx1 postfix/smtpd 4711 - - " + $0 }
        let all = try run(log.joined(separator: "\n"))
        #expect(all.map(\.format) == ["postfix-log"])
        #expect(all.first?.outcome == .rejected && all.first?.failedStage == .rcpt)
    }

    /// `journalctl -o short-full`: weekday, date, time and zone before the host; UTC is read as UTC.
    @Test func journalShortFullHeaders() throws {
        var p = LogHeaderParser()
        let l = p.parse(Array("Mon 2026-12-07 10:00:00.25 UTC mx1 postfix/smtpd[4711]: connect from x[192.0.2.1]".utf8)[...])
        #expect(l.time == Double(LogClock.utc(2026, 12, 7, 10, 0, 0)) + 0.25)
        #expect(Bytes.string(l.host) == "mx1")
        #expect(l.pid == 4711)
        #expect(Bytes.string(l.message) == "connect from x[192.0.2.1]")
        // Not a weekday and a date: left as a bare message.
        #expect(p.parse(Array("Mon 2026-12-07 x".utf8)[...]).time == nil)
    }

    // MARK: Bounds

    /// One connection with thousands of refusals (a dictionary attack) keeps the first 2,000 commands with
    /// their replies, says how many more there were, and still ends as the log says (Exim, and Sendmail for
    /// the readers sharing `LogSessionDraft`).
    @Test func oneSessionWithThousandsOfRefusalsIsCapped() throws {
        var exim = ["2026-12-06 10:00:00 [7001] SMTP connection from a.example [192.0.2.1]:4711 I=[203.0.113.5]:25 (TCP/IP connection count = 1)"]
        var sendmail = ["Dec  6 10:00:00 mail sm-mta[7001]: 0B6A00001: from=<x@a.example>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=a.example [192.0.2.1]"]
        for i in 0..<2_500 {
            exim.append("2026-12-06 10:00:01 [7001] H=a.example [192.0.2.1]:4711 I=[203.0.113.5]:25 F=<x@a.example> rejected RCPT <u\(i)@example.com>: Unrouteable address")
            sendmail.append("Dec  6 10:00:01 mail sm-mta[7001]: 0B6A00001: ruleset=check_rcpt, arg1=<u\(i)@example.com>, relay=a.example [192.0.2.1], reject=550 5.7.1 <u\(i)@example.com>... Relaying denied")
        }
        exim.append("2026-12-06 10:00:02 [7001] SMTP connection from a.example [192.0.2.1]:4711 I=[203.0.113.5]:25 closed by QUIT")
        sendmail.append("Dec  6 10:00:02 mail sm-mta[7001]: 0B6A00001: lost input channel from a.example [192.0.2.1] to MTA after rcpt")
        // Exim's QUIT (from `closed by QUIT`) is past the cap too; the close itself is kept.
        for (lines, format, dropped) in [(exim, "exim-log", 503), (sendmail, "sendmail-log", 502)] {
            let kept = 2_000
            let all = try run(lines.joined(separator: "\n"), format: format)
            #expect(all.count == 1, "\(format)")
            let s = try #require(all.first)
            let commands = s.exchanges.filter { $0.command != nil }
            #expect(commands.count == kept, "\(format)")
            #expect(s.exchanges.filter { $0.command?.verb == "RCPT" && $0.reply?.code == 550 }.count == kept - 2, "\(format)")
            let note = try #require(s.notes.first { $0.kind == .tool }, "\(format)")
            #expect(note.text == "\(dropped) more commands of this session and their replies were not kept (at most 2000 per session).", "\(format)")
            // The first RCPT not kept is on the line after the 1,998 kept (line 1 opens the session).
            #expect(note.position.line == 2 + 1_998, "\(format)")
            #expect(s.closedBy != nil, "\(format)")
            #expect(s.outcome == .rejected, "\(format)")
        }
    }
}
